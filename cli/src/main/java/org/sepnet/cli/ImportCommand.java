package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sepnet.io.ModelIO;
import org.sepnet.layers.Summary;
import org.sepnet.models.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet import IN -o OUT.sepnet}. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Read a Caffe (.caffemodel) or ONNX (.onnx) model, with its layer graph and weights, and write it as a .sepnet file.")
final class ImportCommand extends FileCommand {
    @Mixin
    ModelSource source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.sepnet", description = "The file to write.")
    String out;

    @Option(names = "--input", paramLabel = "CxHxW", description = "Input size, e.g. 3x32x32, when the model does not give it.")
    String input;

    @Override
    int run() throws IOException {
        Path target = Sources.output(out, ".sepnet");
        boolean file = Sources.isFile(source.name);
        String format = file ? ModelIO.formatOf(Path.of(source.name)).name().toLowerCase() : "zoo model";
        Model m = source.load(Sources.shape(input));
        ModelIO.save(m, target);
        Summary s = Summary.of(m.graph(), m.input());
        System.out.printf("imported %s (%s): %s, input %s, output %s, %d layers%n", source.name, format, m.name(), m.input(), s.output(), s.rows().size());
        System.out.printf("  %,d parameters (paper's rule), %,d bytes of weights; wrote %s (%,d bytes%s)%n", s.paperParams(), s.bytes(), out,
                Files.size(target), file ? String.format(", from %,d", Files.size(Path.of(source.name))) : "");
        return 0;
    }
}
