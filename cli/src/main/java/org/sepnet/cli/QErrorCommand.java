package org.sepnet.cli;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.Layer;
import org.sepnet.layers.LeafVisitor;
import org.sepnet.layers.Linear;
import org.sepnet.layers.PatternConv2d;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Softmax;
import org.sepnet.models.Model;
import org.sepnet.pattern.Alpha;
import org.sepnet.pattern.QuantizationError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet qerror FILE}: the paper's quantization-error analysis. */
@Command(name = "qerror", mixinStandardHelpOptions = true,
        description = "Quantization error of pattern binarization per kernel size, the paper's analysis: every float convolution "
                + "(1×1 included) is binarized as an experiment and E = ‖W − αB‖² is averaged over its filters. The model is not changed.")
final class QErrorCommand extends FileCommand {
    @Mixin
    ModelSource source;

    @Option(names = "--alpha", defaultValue = "per-filter", paramLabel = "per-filter|global:X", description = "α (default: ${DEFAULT-VALUE}).")
    String alpha;

    @Option(names = "--json", description = "One JSON object: the model, α, one entry per kernel size, and the layers already binarized.")
    boolean json;

    @Override
    int run() throws IOException {
        Alpha a = Alpha.parse(alpha);
        Model m = source.load(null);
        QuantizationError q = new QuantizationError();
        int[] alreadyBinarized = {0};
        LeafVisitor<Void> collect = new LeafVisitor<>() {
            @Override
            public Void conv(Conv2d c) {
                q.add(c.weights(), a);
                return null;
            }

            @Override
            public Void patternConv(PatternConv2d p) {
                alreadyBinarized[0]++;
                return null;
            }

            @Override
            public Void block(PatternResidualBlock b) {
                if (b.isBinarized()) {
                    alreadyBinarized[0]++;
                } else {
                    q.add(b.floatKernel(), a);
                }
                q.add(b.pointwise(), a);
                return null;
            }

            @Override
            public Void batchNorm(BatchNorm bn) {
                return null;
            }

            @Override
            public Void relu(Relu r) {
                return null;
            }

            @Override
            public Void pool(Pool2d p) {
                return null;
            }

            @Override
            public Void linear(Linear f) {
                return null;  // a classifier is no convolution: the paper's analysis leaves it out
            }

            @Override
            public Void softmax(Softmax s) {
                return null;
            }
        };
        for (Layer l : m.graph().leaves()) {
            l.accept(collect);
        }
        List<QuantizationError.Row> rows = q.rows();
        if (json) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("{\"model\": \"%s\", \"alpha\": \"%s\", \"already_binarized\": %d, \"kernels\": [", m.name(), a, alreadyBinarized[0]));
            for (int i = 0; i < rows.size(); i++) {
                QuantizationError.Row r = rows.get(i);
                sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                        "{\"kernel\": \"%s\", \"filters\": %d, \"weights\": %d, \"mean_filter_error\": %.6g, \"mean_kernel_error\": %.6g, "
                                + "\"mse\": %.6g, \"relative\": %.6g}",
                        r.kernel(), r.filters(), r.weights(), r.meanFilterError(), r.meanKernelError(), r.meanSquaredError(), r.relativeError()));
            }
            System.out.println(sb.append("]}"));
            return 0;
        }
        System.out.println(m.name() + ": quantization error of pattern binarization (α " + a + ")");
        if (rows.isEmpty()) {
            System.out.println("  no float convolutions to analyse");
        } else {
            Table t = new Table("kernel", "filters", "weights", "E per filter", "E per k×k kernel", "E per weight", "relative E/‖W‖²");
            for (QuantizationError.Row r : rows) {
                t.row(r.kernel(), String.format("%,d", r.filters()), String.format("%,d", r.weights()),
                        String.format(Locale.ROOT, "%.4g", r.meanFilterError()), String.format(Locale.ROOT, "%.4g", r.meanKernelError()),
                        String.format(Locale.ROOT, "%.4g", r.meanSquaredError()),
                        String.format(Locale.ROOT, "%.4f", r.relativeError()));
            }
            t.print(System.out);
            System.out.println("E = ‖W − αB‖²: per output filter (all its input channels), per 2-D k×k kernel (one input channel), per weight.");
        }
        if (alreadyBinarized[0] > 0) {
            System.out.println("  " + alreadyBinarized[0] + " layers are binarized already; their float weights are not in the model");
        }
        return 0;
    }
}
