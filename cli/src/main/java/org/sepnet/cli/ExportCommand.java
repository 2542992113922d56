package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sepnet.io.ModelIO;
import org.sepnet.models.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet export IN -o OUT.onnx}. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model as ONNX (opset 13) for any ONNX runtime: binarized convolutions become float convolutions "
                + "on α·B, int8 weights are dequantized. Input 'input' [batch, C, H, W], output 'output'.")
final class ExportCommand extends FileCommand {
    @Mixin
    ModelSource source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.onnx", description = "The file to write.")
    String out;

    @Override
    int run() throws IOException {
        Path target = Sources.output(out, ".onnx");
        Model m = source.load(null);
        ModelIO.save(m, target);
        System.out.printf("exported %s (%s, input %s) to %s (%,d bytes)%n", source.name, m.name(), m.input(), out, Files.size(target));
        return 0;
    }
}
