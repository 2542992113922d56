package org.sepnet.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sepnet.io.GraphBuilder.Value;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Linear;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Softmax;
import org.sepnet.models.Model;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

/**
 * Reads an ONNX model made of Conv (with groups), BatchNormalization, Relu, Add (residual sums),
 * Concat (channels), MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool, Gemm or MatMul (+ Add
 * of a bias), Flatten, Softmax, Identity and Dropout, with float32 initializers. The first graph
 * input that is not an initializer is the network input, [batch, C, H, W]. Anything else is an
 * error naming the node and its operator. The model takes the graph's name, or the file's when the
 * graph has none.
 */
public final class OnnxImporter {
    private static final int FLOAT = 1;
    /** Fewest and most inputs of each operator (others: exactly 1). */
    private static final Map<String, int[]> INPUTS = Map.of("Conv", new int[] {2, 3}, "BatchNormalization", new int[] {5, 5},
            "Add", new int[] {2, 2}, "Concat", new int[] {1, Integer.MAX_VALUE}, "Gemm", new int[] {2, 3},
            "MatMul", new int[] {2, 2}, "Dropout", new int[] {1, 3});

    private OnnxImporter() {}

    /** Imports {@code file}; {@code input} overrides the input feature shape (null: from the model). */
    public static Model read(Path file, Shape input) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException(file + " is " + size + " bytes; too large for this importer");
        }
        return read(Files.readAllBytes(file), file.getFileName().toString().replaceFirst("\\.onnx$", ""), input);
    }

    /**
     * Imports ONNX model bytes; {@code name} names the model.
     *
     * @throws CorruptModelException for anything wrong with the file, naming it, the node and what was expected
     */
    public static Model read(byte[] data, String name, Shape input) throws IOException {
        try {
            return CaffeImporter.checked(parse(data, name, input));
        } catch (IOException | RuntimeException e) {
            throw CorruptModelException.of(name, e);
        }
    }

    private static Model parse(byte[] data, String name, Shape input) throws IOException {
        Proto model = Proto.parse(data, "ModelProto");
        for (Proto opset : model.messages(8, "opset_import")) {
            String domain = opset.string(1, "");
            if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
                throw new IOException(name + " uses operator set domain '" + domain + "'; only the default ONNX domain is supported");
            }
        }
        Proto graph = model.message(7, "graph");
        if (graph == null) {
            throw new IOException(name + " has no graph; expected an ONNX ModelProto");
        }
        Map<String, float[]> weights = new HashMap<>();
        Map<String, long[]> dims = new HashMap<>();
        for (Proto t : graph.messages(5, "initializer")) {
            String tname = t.string(8, "");
            long type = t.longValue(2, 0);
            long[] d = t.longs(1).stream().mapToLong(Long::longValue).toArray();
            dims.put(tname, d);
            if (type == FLOAT) {
                float[] f = floats(t, tname);
                long count = 1;
                for (long v : d) {
                    if (v < 0 || v > Integer.MAX_VALUE) {
                        throw new CorruptModelException(name + ": initializer " + tname + " has dims " + Arrays.toString(d)
                                + "; expected dimensions from 0 to " + Integer.MAX_VALUE);
                    }
                    count *= v;  // at most 2^31 per factor: checked against the values before it can overflow
                    if (count > f.length) {
                        break;
                    }
                }
                if (count != f.length) {
                    throw new CorruptModelException(name + ": initializer " + tname + " has dims " + Arrays.toString(d) + " but holds "
                            + f.length + " values; expected the product of its dims");
                }
                weights.put(tname, f);
            }
        }
        Shape in = input;
        String inputName = null;
        for (Proto vi : graph.messages(11, "input")) {
            String n = vi.string(1, "");
            if (dims.containsKey(n)) {
                continue;
            }
            inputName = n;
            if (in == null) {
                in = shapeOf(vi, name);
            }
            break;
        }
        if (inputName == null) {
            throw new IOException(name + " has no graph input besides its initializers");
        }
        List<Proto> outputs = graph.messages(12, "output");
        if (outputs.size() != 1) {
            throw new IOException(name + " has " + outputs.size() + " outputs; expected 1");
        }
        Importer im = new Importer(name, weights, dims);
        im.values.put(inputName, im.graph.input());
        for (Proto node : graph.messages(1, "node")) {
            im.add(node);
        }
        String out = outputs.get(0).string(1, "");
        Value v = im.values.get(out);
        if (v == null) {
            throw new IOException(name + ": no node produces the graph output '" + out + "'");
        }
        // The graph's own name (an exported model's) names the model; the file name otherwise.
        String modelName = graph.string(2, "").isBlank() ? name : graph.string(2, "").strip();
        return new Model(modelName, "imported from ONNX: " + name, im.graph.build(modelName, v), in);
    }

    private static Shape shapeOf(Proto valueInfo, String name) throws IOException {
        Proto type = valueInfo.message(2, "type");
        Proto tensor = type == null ? null : type.message(1, "tensor_type");
        Proto shape = tensor == null ? null : tensor.message(2, "shape");
        if (shape == null) {
            throw new IOException(name + ": the input has no shape; pass one, e.g. --input 3x224x224");
        }
        List<Proto> d = shape.messages(1, "dim");
        if (d.size() != 4) {
            throw new IOException(name + ": the input has rank " + d.size() + "; expected [batch, C, H, W]");
        }
        int[] f = new int[3];
        for (int i = 1; i < 4; i++) {
            long v = d.get(i).longValue(1, -1);
            if (v < 1 || v > Integer.MAX_VALUE) {
                throw new IOException(name + ": input dimension " + i + " is not a fixed size; pass the shape, e.g. --input 3x224x224");
            }
            f[i - 1] = (int) v;
        }
        return Shape.of(f);
    }

    private static float[] floats(Proto t, String tname) throws IOException {
        byte[] raw = t.bytes(9);
        if (raw != null) {
            if (raw.length % 4 != 0) {
                throw new IOException("initializer " + tname + " has " + raw.length + " raw bytes; expected a multiple of 4");
            }
            float[] f = new float[raw.length / 4];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
            return f;
        }
        return t.floats(4);
    }

    private static final class Importer {
        final String model;
        final Map<String, float[]> weights;
        final Map<String, long[]> dims;
        final GraphBuilder graph = new GraphBuilder();
        final Map<String, Value> values = new HashMap<>();
        /** Values produced by MatMul without a bias yet: a following Add of an initializer completes them. */
        final Map<String, Object[]> matmuls = new HashMap<>();

        Importer(String model, Map<String, float[]> weights, Map<String, long[]> dims) {
            this.model = model;
            this.weights = weights;
            this.dims = dims;
        }

        Value value(String name, String node) throws IOException {
            Value v = values.get(name);
            if (v == null) {
                throw new IOException(model + ": node " + node + " reads '" + name + "', which no earlier node produces");
            }
            return v;
        }

        float[] weight(String name, String node) throws IOException {
            float[] w = weights.get(name);
            if (w == null) {
                throw new IOException(model + ": node " + node + " needs '" + name + "' as a float32 initializer");
            }
            for (float v : w) {
                if (!Float.isFinite(v)) {
                    throw new IOException(model + ": initializer " + name + " holds " + v + "; expected finite values");
                }
            }
            return w;
        }

        void add(Proto n) throws IOException {
            String op = n.string(4, "?");
            String name = n.string(3, "");
            List<String> in = n.strings(1);
            List<String> out = n.strings(2);
            if (name.isEmpty()) {
                name = op + "_" + (out.isEmpty() ? "?" : out.get(0));
            }
            String where = model + ": node " + name + " (" + op + ")";
            Map<String, Proto> attrs = new HashMap<>();
            for (Proto a : n.messages(5, "attribute")) {
                attrs.put(a.string(1, ""), a);
            }
            if (out.isEmpty() || (out.size() != 1 && !op.equals("Dropout"))) {
                throw new IOException(where + " has " + out.size() + " outputs; expected 1");
            }
            String o = out.get(0);
            int[] arity = INPUTS.getOrDefault(op, new int[] {1, 1});
            if (in.size() < arity[0] || in.size() > arity[1]) {
                throw new CorruptModelException(where + " has " + in.size() + " inputs; expected "
                        + (arity[0] == arity[1] ? String.valueOf(arity[0]) : arity[0] + " to " + arity[1]));
            }
            Value result;
            try {
                switch (op) {
                    case "Identity", "Dropout", "Flatten" -> {
                        if (op.equals("Flatten") && ints(attrs, "axis", 1)[0] != 1) {
                            throw new IOException(where + ": only Flatten with axis 1 is supported");
                        }
                        result = value(in.get(0), name);
                    }
                    case "Relu" -> result = graph.apply(value(in.get(0), name), new Relu(name));
                    case "Softmax" -> {
                        long axis = ints(attrs, "axis", -1)[0];
                        if (axis != 1 && axis != -1) {
                            throw new IOException(where + ": only Softmax over axis 1 is supported; got axis " + axis);
                        }
                        result = graph.apply(value(in.get(0), name), new Softmax(name));
                    }
                    case "Conv" -> result = graph.apply(value(in.get(0), name), conv(name, in, attrs, where));
                    case "BatchNormalization" -> {
                        float eps = floatAttr(attrs, "epsilon", 1e-5f);
                        BatchNormParams p = new BatchNormParams(weight(in.get(1), name), weight(in.get(2), name),
                                weight(in.get(3), name), weight(in.get(4), name), eps);
                        result = graph.apply(value(in.get(0), name), new BatchNorm(name, p));
                    }
                    case "Add" -> result = add(name, in, where);
                    case "Concat" -> {
                        if (ints(attrs, "axis", 1)[0] != 1) {
                            throw new IOException(where + ": only concatenation along channels (axis 1) is supported");
                        }
                        List<Value> parts = new ArrayList<>();
                        for (String i : in) {
                            parts.add(value(i, name));
                        }
                        result = graph.concat(name, parts);
                    }
                    case "GlobalAveragePool", "GlobalMaxPool" -> result = graph.apply(value(in.get(0), name),
                            Pool2d.global(name, op.equals("GlobalMaxPool") ? PoolDesc.Kind.MAX : PoolDesc.Kind.AVG));
                    case "MaxPool", "AveragePool" -> result = graph.apply(value(in.get(0), name), pool(name, op, attrs, where));
                    case "Gemm" -> result = graph.apply(value(in.get(0), name), gemm(name, in, attrs, where));
                    case "MatMul" -> {
                        long[] d = dims.get(in.get(1));
                        float[] w = weight(in.get(1), name);
                        if (d == null || d.length != 2) {
                            throw new IOException(where + ": only MatMul by a 2-D initializer is supported");
                        }
                        float[] t = transpose(w, (int) d[0], (int) d[1]);
                        Value base = value(in.get(0), name);
                        result = graph.apply(base, new Linear(name, new ConvWeights((int) d[1], (int) d[0], 1, 1, t, null)));
                        matmuls.put(o, new Object[] {base, name, t, (int) d[1], (int) d[0]});
                    }
                    default -> throw new IOException(where + ": operator " + op + " is not supported (supported: Conv, "
                            + "BatchNormalization, Relu, Add, Concat, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, "
                            + "Gemm, MatMul, Flatten, Softmax, Identity, Dropout)");
                }
            } catch (IllegalArgumentException | IndexOutOfBoundsException | ArithmeticException e) {
                throw new CorruptModelException(where + ": " + e.getMessage(), e);
            }
            values.put(o, result);
        }

        private Value add(String name, List<String> in, String where) throws IOException {
            if (in.size() != 2) {
                throw new IOException(where + " has " + in.size() + " inputs; expected 2");
            }
            // MatMul followed by the Add of a bias: one fully connected layer.
            for (int i = 0; i < 2; i++) {
                Object[] mm = matmuls.get(in.get(i));
                if (mm != null && weights.containsKey(in.get(1 - i))) {
                    float[] bias = weight(in.get(1 - i), name);
                    int outCh = (int) mm[3];
                    if (bias.length != outCh) {
                        throw new IOException(where + ": bias of " + bias.length + " values after a MatMul of " + outCh + " outputs");
                    }
                    return graph.apply((Value) mm[0], new Linear((String) mm[1],
                            new ConvWeights(outCh, (int) mm[4], 1, 1, (float[]) mm[2], bias)));
                }
            }
            if (weights.containsKey(in.get(0)) || weights.containsKey(in.get(1))) {
                throw new IOException(where + ": adding a constant is only supported as the bias of a MatMul");
            }
            return graph.sum(name, value(in.get(0), name), value(in.get(1), name), false);
        }

        private Conv2d conv(String name, List<String> in, Map<String, Proto> attrs, String where) throws IOException {
            long[] d = dims.get(in.get(1));
            float[] w = weight(in.get(1), name);
            if (d == null || d.length != 4) {
                throw new IOException(where + ": weights must be a 4-D initializer [O, C/g, kh, kw]");
            }
            String autoPad = attrs.containsKey("auto_pad") ? attrs.get("auto_pad").string(4, "NOTSET") : "NOTSET";
            if (!autoPad.equals("NOTSET")) {
                throw new IOException(where + ": auto_pad " + autoPad + " is not supported; export with explicit pads");
            }
            int[] pads = sizes(attrs, "pads", 4, 0, where, 0, 0, 0, 0);
            if (pads[0] != pads[2] || pads[1] != pads[3]) {
                throw new CorruptModelException(where + ": pads " + Arrays.toString(pads) + "; only symmetric 2-D padding is supported");
            }
            int[] strides = sizes(attrs, "strides", 2, 1, where, 1, 1);
            int[] dil = sizes(attrs, "dilations", 2, 1, where, 1, 1);
            int groups = sizes(attrs, "group", 1, 1, where, 1)[0];
            int o = (int) d[0];
            int c = (int) d[1];
            if ((long) c * groups > Integer.MAX_VALUE) {
                throw new CorruptModelException(where + ": " + c + " channels per group in " + groups + " groups; too many");
            }
            float[] bias = in.size() > 2 ? weight(in.get(2), name) : null;
            ConvSpec spec = new ConvSpec(c * groups, o, (int) d[2], (int) d[3], strides[0], strides[1], pads[0], pads[1], dil[0],
                    dil[1], groups);
            return new Conv2d(name, spec, new ConvWeights(o, c, (int) d[2], (int) d[3], w, bias));
        }

        private Pool2d pool(String name, String op, Map<String, Proto> attrs, String where) throws IOException {
            if (!attrs.containsKey("kernel_shape")) {
                throw new CorruptModelException(where + " has no kernel_shape; expected [kh, kw]");
            }
            int[] k = sizes(attrs, "kernel_shape", 2, 1, where);
            int[] s = sizes(attrs, "strides", 2, 1, where, 1, 1);
            int[] p = sizes(attrs, "pads", 4, 0, where, 0, 0, 0, 0);
            boolean ceil = ints(attrs, "ceil_mode", 0)[0] != 0;
            if (k[0] != k[1] || s[0] != s[1] || p[0] != p[1] || p[0] != p[2] || p[0] != p[3]) {
                throw new IOException(where + ": only square pooling with symmetric padding is supported");
            }
            if (op.equals("AveragePool")) {
                if (ints(attrs, "count_include_pad", 0)[0] == 0 && p[0] != 0) {
                    throw new IOException(where + ": average pooling that excludes padding is not supported");
                }
                return Pool2d.avg(name, (int) k[0], (int) s[0], (int) p[0], ceil);
            }
            return Pool2d.max(name, (int) k[0], (int) s[0], (int) p[0], ceil);
        }

        private Linear gemm(String name, List<String> in, Map<String, Proto> attrs, String where) throws IOException {
            if (ints(attrs, "transA", 0)[0] != 0 || floatAttr(attrs, "alpha", 1f) != 1f || floatAttr(attrs, "beta", 1f) != 1f) {
                throw new IOException(where + ": only Gemm with transA = 0 and alpha = beta = 1 is supported");
            }
            long[] d = dims.get(in.get(1));
            float[] w = weight(in.get(1), name);
            if (d == null || d.length != 2) {
                throw new IOException(where + ": weights must be a 2-D initializer");
            }
            boolean transB = ints(attrs, "transB", 0)[0] != 0;
            int outCh = (int) (transB ? d[0] : d[1]);
            int inCh = (int) (transB ? d[1] : d[0]);
            float[] rows = transB ? w : transpose(w, inCh, outCh);
            float[] bias = in.size() > 2 ? weight(in.get(2), name) : null;
            return new Linear(name, new ConvWeights(outCh, inCh, 1, 1, rows, bias));
        }

        private static float[] transpose(float[] w, int rows, int cols) {
            float[] t = new float[w.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[c * rows + r] = w[r * cols + c];
                }
            }
            return t;
        }

        private static long[] ints(Map<String, Proto> attrs, String name, long... fallback) throws IOException {
            Proto a = attrs.get(name);
            if (a == null) {
                return fallback;
            }
            List<Long> v = a.longs(8);
            if (v.isEmpty() && a.has(3)) {
                return new long[] {a.longValue(3, 0)};
            }
            if (v.isEmpty()) {
                throw new CorruptModelException("attribute " + name + " is empty; expected " + Math.max(fallback.length, 1) + " value(s)");
            }
            return v.stream().mapToLong(Long::longValue).toArray();
        }

        /** An attribute of exactly {@code count} sizes, each from {@code min} to 2^31 - 1. */
        private static int[] sizes(Map<String, Proto> attrs, String name, int count, long min, String where, long... fallback)
                throws IOException {
            long[] v;
            try {
                v = ints(attrs, name, fallback);
            } catch (CorruptModelException e) {
                throw new CorruptModelException(where + ": " + e.getMessage());
            }
            if (v.length != count) {
                throw new CorruptModelException(where + ": " + name + " " + Arrays.toString(v) + " has " + v.length + " value(s); expected "
                        + count);
            }
            int[] out = new int[count];
            for (int i = 0; i < count; i++) {
                if (v[i] < min || v[i] > Integer.MAX_VALUE) {
                    throw new CorruptModelException(where + ": " + name + " " + Arrays.toString(v) + "; expected values from " + min
                            + " to " + Integer.MAX_VALUE);
                }
                out[i] = (int) v[i];
            }
            return out;
        }

        private static float floatAttr(Map<String, Proto> attrs, String name, float fallback) throws IOException {
            Proto a = attrs.get(name);
            return a == null ? fallback : a.floatValue(2, fallback);
        }
    }
}
