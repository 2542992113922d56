package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sepnet.io.ModelIO;
import org.sepnet.layers.Summary;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet quantize IN -o OUT}. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Fold batch norm into the convolutions, then store every remaining float weight tensor as symmetric int8 with one "
                + "scale per output channel (binarized layers keep their sign bits): binarize first, then quantize, for the BQ variant.")
final class QuantizeCommand extends FileCommand {
    @Mixin
    ModelSource source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.sepnet", description = "The file to write.")
    String out;

    @Override
    int run() throws IOException {
        Path target = Sources.output(out, ".sepnet");
        Model m = source.load(null);
        Model q = m.with(Transforms.quantize8(m.graph()), "+int8");
        ModelIO.save(q, target);
        Summary before = Summary.of(m.graph(), m.input());
        Summary after = Summary.of(q.graph(), q.input());
        System.out.printf("quantized %s: weights %,d -> %,d bytes; wrote %s (%,d bytes)%n", m.name(), before.bytes(), after.bytes(), out,
                Files.size(target));
        return 0;
    }
}
