package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sepnet.io.ModelIO;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Summary;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet binarize IN -o OUT}. */
@Command(name = "binarize", mixinStandardHelpOptions = true,
        description = "Pattern-binarize a model: every k×k convolution (k > 1) becomes sign bits and one α per output filter; "
                + "1×1 convolutions and fully connected layers stay float. Prints what was binarized and what was kept.")
final class BinarizeCommand extends FileCommand {
    @Mixin
    ModelSource source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.sepnet", description = "The file to write.")
    String out;

    @Mixin
    BinarizeFlags flags;

    @Override
    int run() throws IOException {
        Path target = Sources.output(out, ".sepnet");
        Transforms.BinarizeOptions o = flags.options();
        Model m = source.load(null);
        Model b = m.with(Transforms.binarize(m.graph(), o), "+binarized");
        List<String> kept = new ArrayList<>();
        for (Layer l : Transforms.floatKernels(b.graph())) {
            kept.add(l.name() + (l instanceof Conv2d c ? " (" + c.spec().kernel() + ")" : " (block)"));
        }
        int binarized = Transforms.floatKernels(m.graph()).size() - kept.size();
        ModelIO.save(b, target);
        Summary before = Summary.of(m.graph(), m.input());
        Summary after = Summary.of(b.graph(), b.input());
        System.out.printf("binarized %d k×k layers of %s (α %s); kept float: %s%n", binarized, m.name(), o.alpha(),
                kept.isEmpty() ? "none" : String.join(", ", kept));
        System.out.printf("  parameters (paper's rule) %,d -> %,d; weights %,d -> %,d bytes; wrote %s (%,d bytes)%n", before.paperParams(),
                after.paperParams(), before.bytes(), after.bytes(), out, Files.size(target));
        return 0;
    }
}
