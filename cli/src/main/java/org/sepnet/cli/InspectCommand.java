package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.sepnet.io.ModelFile;
import org.sepnet.io.ModelIO;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Summary;
import org.sepnet.models.Model;
import org.sepnet.tensor.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sepnet inspect FILE}: what a model file holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what a model file holds: its format, the layer graph with output shapes and parameters, the totals, "
                + "and for a .sepnet file the bytes of every section (checksums verified).")
final class InspectCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "A .sepnet, .caffemodel or .onnx file.")
    String file;

    @Option(names = "--input", paramLabel = "CxHxW", description = "Input size, e.g. 3x32x32, when the model does not give it.")
    String input;

    @Option(names = "--no-graph", description = "Leave out the layer graph.")
    boolean noGraph;

    @Override
    int run() throws IOException {
        Path p = Path.of(file);
        ModelIO.Format format = ModelIO.formatOf(p);
        long size = Files.size(p);
        Model m = ModelIO.load(p, Sources.shape(input));
        Summary s = Summary.of(m.graph(), m.input());
        System.out.printf("%s: %s model file, %,d bytes%n", file, format.name().toLowerCase(), size);
        System.out.println("model " + m.name() + ": " + m.description());
        System.out.println("input " + m.input() + ", output " + s.output());
        System.out.printf("parameters by the paper's rule: %,d; stored numbers: %,d; weights as stored: %,d bytes; %,d multiply-accumulates per image%n",
                s.paperParams(), s.storedParams(), s.bytes(), s.macs());
        if (m.normalization() != null) {
            System.out.println("preprocessing: pixel/255, then (x - mean) / std per channel, mean " + Arrays.toString(m.normalization().mean())
                    + ", std " + Arrays.toString(m.normalization().std()));
        }
        if (!m.labels().isEmpty()) {
            System.out.println("classes: " + String.join(", ", m.labels()));
        }
        if (!noGraph) {
            System.out.println();
            Table t = new Table("layer", "type", "output", "params (paper)", "bytes");
            tree(m.graph(), m.input(), "", t);
            t.print(System.out);
        }
        if (format == ModelIO.Format.SEPNET) {
            List<ModelFile.Section> sections = ModelFile.sections(Files.readAllBytes(p), file);
            System.out.println();
            Table t = new Table("section", "contents", "bytes");
            long total = 16;
            t.row("header", "magic, version, section count", 16);
            for (int i = 0; i < sections.size(); i++) {
                ModelFile.Section sec = sections.get(i);
                t.row(i, sec.label(), String.format("%,d", sec.bytes()));
                total += sec.bytes();
            }
            t.row("total", sections.size() + " sections, CRC-32 verified", String.format("%,d", total));
            t.print(System.out);
        }
        return 0;
    }

    /** One row per layer, children indented; returns the layer's output shape. */
    private static Shape tree(Layer l, Shape in, String indent, Table t) {
        Shape out = l.outputShape(in);
        boolean leaf = l.children().isEmpty();
        t.row(indent + l.name(), l.type(), out, l.paperParams() == 0 ? "" : String.format("%,d", l.paperParams()),
                leaf && l.bytes() > 0 ? String.format("%,d", l.bytes()) : "");
        Shape x = in;
        for (Layer c : l.children()) {
            // A sequence feeds each child the previous one's output; other containers feed every child their own input.
            Shape y = tree(c, l instanceof Sequential ? x : in, indent + "  ", t);
            if (l instanceof Sequential) {
                x = y;
            }
        }
        return out;
    }
}
