package org.sepnet.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.Layer;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Summary;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;

/**
 * The benchmark shapes: {@code benchmarks/shapes/*.txt}, one {@code op:problem} case per line with
 * the layers it comes from as a comment, taken from the zoo's networks at batch 1 and 32.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.sepnet.bench.Shapes generate benchmarks/shapes
 * java -cp benchmarks/target/benchmarks.jar org.sepnet.bench.Shapes list [--batch 1] [--max-macs 1e7] [--ops pattern,prb] FILE...
 * </pre>
 */
public final class Shapes {
    /** The batch sizes of the CPU shapes. */
    static final int[] BATCHES = {1, 32};

    /** One shapes file: which network, and which of its layers become which case. */
    record Source(String file, String model, String title, Function<Layer, String> op) {}

    /** The files and the layers they hold. */
    static final List<Source> SOURCES = List.of(
            new Source("resnet20.txt", "resnet20", "ResNet-20 (CIFAR-10): every 3x3 convolution, as pattern convolutions",
                    l -> l instanceof Conv2d c && c.spec().kh() > 1 ? "pattern" : null),
            new Source("resnet56.txt", "resnet56", "ResNet-56 (CIFAR-10): every 3x3 convolution, as pattern convolutions",
                    l -> l instanceof Conv2d c && c.spec().kh() > 1 ? "pattern" : null),
            new Source("googlenet.txt", "googlenet", "GoogLeNet (224x224): the 3x3 and 5x5 convolutions, as pattern convolutions",
                    l -> l instanceof Conv2d c && (c.spec().kh() == 3 || c.spec().kh() == 5) ? "pattern" : null),
            new Source("mobilenet.txt", "mobilenet-1.0", "MobileNet 1.0 (224x224): depthwise 3x3 and pointwise 1x1 float convolutions",
                    l -> l instanceof Conv2d c && (c.spec().kh() == 1 || c.spec().groups() == c.spec().in()) ? "conv" : null),
            new Source("sepnet.txt", "sepnet-small", "SEP-Net small (224x224): pattern residual blocks, 1x1 float convolutions, "
                    + "k x k pattern convolutions", l -> l instanceof PatternResidualBlock ? "prb"
                    : l instanceof Conv2d c ? (c.spec().kh() == 1 ? "conv" : "pattern") : null));

    private Shapes() {}

    /** The text of one shapes file, generated from the zoo. */
    static String generate(Source src) {
        Model m = Zoo.build(src.model(), 1);
        Summary s = Summary.of(m.graph(), m.input());
        StringBuilder out = new StringBuilder();
        out.append("# ").append(src.title()).append('\n');
        out.append("# Generated from the zoo by: java -cp benchmarks/target/benchmarks.jar org.sepnet.bench.Shapes generate benchmarks/shapes\n");
        out.append("# op:problem  # layers (batch ").append(BATCHES[0]).append(" and ").append(BATCHES[1]).append(")\n");
        for (int batch : BATCHES) {
            Map<String, List<String>> cases = new LinkedHashMap<>();
            for (Summary.Row r : s.rows()) {
                Layer l = r.layer();
                String op = src.op().apply(l);
                if (op == null) {
                    continue;
                }
                String problem;
                if (l instanceof PatternResidualBlock b) {
                    problem = PrbDesc.of(b.spec().desc(batch, r.input(), b.name()), b.pointwiseGroups()).problem();
                } else {
                    ConvDesc d = ((Conv2d) l).spec().desc(batch, r.input(), l.name());
                    problem = d.problem();
                }
                cases.computeIfAbsent(op + ":" + problem, k -> new ArrayList<>()).add(l.name());
            }
            for (Map.Entry<String, List<String>> e : cases.entrySet()) {
                List<String> layers = e.getValue();
                String from = layers.size() <= 3 ? String.join(", ", layers)
                        : String.join(", ", layers.subList(0, 2)) + " and " + (layers.size() - 2) + " more";
                out.append(e.getKey()).append("  # ").append(from).append('\n');
            }
        }
        return out.toString();
    }

    /** Reads the cases of a shapes file; comments (#) and blank lines are skipped. */
    static List<Case> read(Path file) throws IOException {
        List<Case> out = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            int hash = line.indexOf('#');
            String s = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (s.isEmpty()) {
                continue;
            }
            try {
                out.add(Case.parse(s));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " line " + n + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    public static void main(String[] args) throws IOException {
        if (args.length >= 2 && args[0].equals("generate")) {
            Path dir = Path.of(args[1]);
            Files.createDirectories(dir);
            for (Source src : SOURCES) {
                Files.writeString(dir.resolve(src.file()), generate(src), StandardCharsets.UTF_8);
            }
            return;
        }
        if (args.length >= 2 && args[0].equals("list")) {
            int batch = 0;
            double maxMacs = Double.MAX_VALUE;
            List<String> ops = List.of();
            List<Case> cases = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--batch" -> batch = Integer.parseInt(args[++i]);
                    case "--max-macs" -> maxMacs = Double.parseDouble(args[++i]);
                    case "--ops" -> ops = List.of(args[++i].split(","));
                    default -> cases.addAll(read(Path.of(args[i])));
                }
            }
            List<String> out = new ArrayList<>();
            for (Case c : cases) {
                if ((batch == 0 || c.batch() == batch) && c.macs() <= maxMacs && (ops.isEmpty() || ops.contains(c.op()))
                        && !out.contains(c.toString())) {
                    out.add(c.toString());
                }
            }
            System.out.println(String.join(",", out));
            return;
        }
        System.err.println("usage: Shapes generate DIR | Shapes list [--batch N] [--max-macs X] [--ops a,b] FILE...");
        System.exit(2);
    }
}
