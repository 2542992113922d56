package org.sepnet.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Concat;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Linear;
import org.sepnet.layers.PatternConv2d;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Residual;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.models.Model;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.AtomicFile;
import org.sepnet.tensor.ConvWeights;

/**
 * Writes a model as ONNX (opset 13, IR version 7) so any ONNX runtime can run it: convolutions as
 * Conv; binarized convolutions as float Conv on α·B ("binarized as float"); a pattern residual
 * block as two Convs and an Add; int8 weights dequantized; batch norm as BatchNormalization;
 * residuals as Add (+ Relu); concatenations as Concat; pooling as MaxPool / AveragePool /
 * GlobalAveragePool / GlobalMaxPool; fully connected as Flatten + Gemm; Softmax. The batch
 * dimension is symbolic ({@code batch}); the input is {@code input}, the output {@code output}.
 */
public final class OnnxExporter {
    private static final int FLOAT = 1;
    private static final int ATTR_FLOAT = 1;
    private static final int ATTR_INT = 2;
    private static final int ATTR_INTS = 7;

    private final ProtoWriter graph = new ProtoWriter();
    private int counter;

    private OnnxExporter() {}

    /** Writes {@code model} to {@code file}, atomically ({@link AtomicFile}). */
    public static void write(Model model, Path file) throws IOException {
        AtomicFile.write(file, encode(model));
    }

    /** The ONNX model bytes of {@code model}. */
    public static byte[] encode(Model model) {
        OnnxExporter e = new OnnxExporter();
        String out = e.emit(model.graph(), "input");
        e.graph.message(1, node("Identity", "output_identity", List.of(out), "output"));
        e.graph.string(2, model.name());
        int[] in = model.input().dims();
        e.graph.message(11, valueInfo("input", in));
        e.graph.message(12, valueInfo("output", model.graph().outputShape(model.input()).dims()));
        return new ProtoWriter().int64(1, 7).string(2, "sepnet").string(3, "0.1")
                .message(7, e.graph).message(8, new ProtoWriter().string(1, "").int64(2, 13)).toByteArray();
    }

    private String fresh(String base) {
        return base + "_" + (counter++);
    }

    /** Emits the nodes of {@code l} reading value {@code x}; returns the output value's name. */
    private String emit(Layer l, String x) {
        return l.accept(new Emit(x));
    }

    /** The nodes of one layer reading value {@code x}. */
    private final class Emit implements Layer.Visitor<String> {
        private final String x;

        Emit(String x) {
            this.x = x;
        }

        @Override
        public String sequential(Sequential s) {
            String v = x;
            for (Layer c : s.layers()) {
                v = emit(c, v);
            }
            return v;
        }

        @Override
        public String residual(Residual r) {
            String a = emit(r.body(), x);
            String b = r.shortcut() == null ? x : emit(r.shortcut(), x);
            String sum = add(r.name(), a, b);
            return r.relu() ? unary("Relu", r.name() + ".relu", sum) : sum;
        }

        @Override
        public String concat(Concat c) {
            ProtoWriter n = new ProtoWriter();
            for (Layer b : c.branches()) {
                n.string(1, emit(b, x));
            }
            String out = fresh(c.name());
            n.string(2, out).string(3, c.name()).string(4, "Concat").message(5, intAttr("axis", 1));
            graph.message(1, n);
            return out;
        }

        @Override
        public String conv(Conv2d c) {
            return OnnxExporter.this.conv(c.name(), c.spec(), c.weights(), x);
        }

        @Override
        public String patternConv(PatternConv2d p) {
            return OnnxExporter.this.conv(p.name(), p.spec(), p.weights().toConvWeights(), x);
        }

        @Override
        public String block(PatternResidualBlock b) {
            ConvWeights k = b.isBinarized() ? b.pattern().toConvWeights() : b.floatKernel();
            String kx = OnnxExporter.this.conv(b.name() + ".kxk", b.spec(), k, x);
            String px = OnnxExporter.this.conv(b.name() + ".1x1", b.pointwiseSpec(), b.pointwise(), x);
            return add(b.name(), kx, px);
        }

        @Override
        public String batchNorm(BatchNorm bn) {
            BatchNormParams p = bn.params();
            String name = bn.name();
            int c = p.channels();
            initializer(name + ".scale", p.gamma(), c);
            initializer(name + ".bias", p.beta(), c);
            initializer(name + ".mean", p.mean(), c);
            initializer(name + ".var", p.variance(), c);
            String out = fresh(name);
            graph.message(1, new ProtoWriter().string(1, x).string(1, name + ".scale").string(1, name + ".bias")
                    .string(1, name + ".mean").string(1, name + ".var").string(2, out).string(3, name)
                    .string(4, "BatchNormalization").message(5, floatAttr("epsilon", p.epsilon())));
            return out;
        }

        @Override
        public String relu(Relu r) {
            return unary("Relu", r.name(), x);
        }

        @Override
        public String pool(Pool2d p) {
            if (p.isGlobal()) {
                return unary(p.kind() == PoolDesc.Kind.MAX ? "GlobalMaxPool" : "GlobalAveragePool", p.name(), x);
            }
            String out = fresh(p.name());
            ProtoWriter n = new ProtoWriter().string(1, x).string(2, out).string(3, p.name())
                    .string(4, p.kind() == PoolDesc.Kind.MAX ? "MaxPool" : "AveragePool")
                    .message(5, intsAttr("kernel_shape", p.kernel(), p.kernel()))
                    .message(5, intsAttr("strides", p.stride(), p.stride()))
                    .message(5, intsAttr("pads", p.pad(), p.pad(), p.pad(), p.pad()))
                    .message(5, intAttr("ceil_mode", p.ceilMode() ? 1 : 0));
            if (p.kind() == PoolDesc.Kind.AVG) {
                n.message(5, intAttr("count_include_pad", 1));
            }
            graph.message(1, n);
            return out;
        }

        @Override
        public String linear(Linear f) {
            String flat = fresh(f.name() + ".flatten");
            graph.message(1, new ProtoWriter().string(1, x).string(2, flat).string(3, f.name() + ".flatten").string(4, "Flatten")
                    .message(5, intAttr("axis", 1)));
            ConvWeights w = f.weights();
            initializer(f.name() + ".weight", w.weights(), w.outChannels(), w.inChannelsPerGroup());
            ProtoWriter n = new ProtoWriter().string(1, flat).string(1, f.name() + ".weight");
            if (w.hasBias()) {
                initializer(f.name() + ".bias", w.bias(), w.outChannels());
                n.string(1, f.name() + ".bias");
            }
            String out = fresh(f.name());
            graph.message(1, n.string(2, out).string(3, f.name()).string(4, "Gemm").message(5, intAttr("transB", 1)));
            return out;
        }

        @Override
        public String softmax(Softmax s) {
            String out = fresh(s.name());
            graph.message(1, new ProtoWriter().string(1, x).string(2, out).string(3, s.name()).string(4, "Softmax")
                    .message(5, intAttr("axis", 1)));
            return out;
        }
    }

    private String conv(String name, ConvSpec s, ConvWeights w, String x) {
        initializer(name + ".weight", w.weights(), w.outChannels(), w.inChannelsPerGroup(), w.kh(), w.kw());
        ProtoWriter n = new ProtoWriter().string(1, x).string(1, name + ".weight");
        if (w.hasBias()) {
            initializer(name + ".bias", w.bias(), w.outChannels());
            n.string(1, name + ".bias");
        }
        String out = fresh(name);
        n.string(2, out).string(3, name).string(4, "Conv")
                .message(5, intsAttr("kernel_shape", s.kh(), s.kw()))
                .message(5, intsAttr("strides", s.sh(), s.sw()))
                .message(5, intsAttr("pads", s.ph(), s.pw(), s.ph(), s.pw()))
                .message(5, intsAttr("dilations", s.dh(), s.dw()))
                .message(5, intAttr("group", s.groups()));
        graph.message(1, n);
        return out;
    }

    private String add(String name, String a, String b) {
        String out = fresh(name);
        graph.message(1, new ProtoWriter().string(1, a).string(1, b).string(2, out).string(3, name).string(4, "Add"));
        return out;
    }

    private String unary(String op, String name, String x) {
        String out = fresh(name);
        graph.message(1, node(op, name, List.of(x), out));
        return out;
    }

    private static ProtoWriter node(String op, String name, List<String> inputs, String output) {
        ProtoWriter n = new ProtoWriter();
        for (String i : inputs) {
            n.string(1, i);
        }
        return n.string(2, output).string(3, name).string(4, op);
    }

    private void initializer(String name, float[] values, int... dims) {
        ProtoWriter t = new ProtoWriter();
        for (int d : dims) {
            t.int64(1, d);
        }
        graph.message(5, t.int64(2, FLOAT).string(8, name).bytes(9, ProtoWriter.floats(values)));
    }

    private static ProtoWriter intAttr(String name, long v) {
        return new ProtoWriter().string(1, name).int64(3, v).int64(20, ATTR_INT);
    }

    private static ProtoWriter floatAttr(String name, float v) {
        return new ProtoWriter().string(1, name).fixed32(2, Float.floatToRawIntBits(v)).int64(20, ATTR_FLOAT);
    }

    private static ProtoWriter intsAttr(String name, int... values) {
        ProtoWriter a = new ProtoWriter().string(1, name);
        for (int v : values) {
            a.int64(8, v);
        }
        return a.int64(20, ATTR_INTS);
    }

    private static ProtoWriter valueInfo(String name, int[] feature) {
        ProtoWriter shape = new ProtoWriter().message(1, new ProtoWriter().string(2, "batch"));
        for (int d : feature) {
            shape.message(1, new ProtoWriter().int64(1, d));
        }
        ProtoWriter tensorType = new ProtoWriter().int64(1, FLOAT).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
    }
}
