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
            java.util.Map<String, Object> o = new java.util.LinkedHashMap<>();
            o.put("model", m.name());
            o.put("alpha", a.toString());
            o.put("already_binarized", alreadyBinarized[0]);
            List<java.util.Map<String, Object>> kernels = new java.util.ArrayList<>();
            for (QuantizationError.Row r : rows) {
                java.util.Map<String, Object> k = new java.util.LinkedHashMap<>();
                k.put("kernel", r.kernel());
                k.put("filters", r.filters());
                k.put("weights", r.weights());
                k.put("mean_filter_error", r.meanFilterError());
                k.put("mean_kernel_error", r.meanKernelError());
                k.put("mse", r.meanSquaredError());
                k.put("relative", r.relativeError());
                kernels.add(k);
            }
            o.put("kernels", kernels);
            System.out.println(Json.of(o));
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
