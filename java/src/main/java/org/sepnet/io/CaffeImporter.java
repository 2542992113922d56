package org.sepnet.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sepnet.io.GraphBuilder.Value;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
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
 * Reads a Caffe {@code .caffemodel} (a serialized {@code caffe.NetParameter}: the layer graph and the
 * weights) into a layer graph with inference behaviour: BatchNorm uses its stored statistics (mean
 * and variance divided by the scale-factor blob) and merges with the Scale layer after it;
 * {@code Split} and {@code Dropout} are aliases; data, accuracy and loss layers are skipped.
 * Supported: Convolution, BatchNorm, Scale, ReLU, Eltwise (sum), Pooling (max, average, global),
 * InnerProduct, Softmax, Concat. Anything else is an error naming the layer.
 */
public final class CaffeImporter {
    private static final Set<String> SKIPPED = Set.of("Data", "ImageData", "HDF5Data", "MemoryData", "DummyData", "Input",
            "Accuracy", "SoftmaxWithLoss", "EuclideanLoss", "SigmoidCrossEntropyLoss", "HingeLoss", "InfogainLoss", "Silence");
    private static final Set<String> ALIASES = Set.of("Split", "Dropout");

    private CaffeImporter() {}

    /**
     * Imports {@code file}.
     *
     * @param input the input feature shape [C, H, W], or null to infer it (from an Input layer, or
     *              the data layer's crop size and the first convolution's channels)
     */
    public static Model read(Path file, Shape input) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException(file + " is " + size + " bytes; too large for a Caffe model");
        }
        String stem = file.getFileName().toString().replaceFirst("\\.caffemodel$", "");
        return read(Files.readAllBytes(file), stem, input);
    }

    /**
     * Imports a NetParameter held in memory; {@code name} names the model.
     *
     * @throws CorruptModelException for anything wrong with the file, naming it, the layer and what was expected
     */
    public static Model read(byte[] data, String name, Shape input) throws IOException {
        try {
            return checked(parse(data, name, input));
        } catch (IOException | RuntimeException e) {
            throw CorruptModelException.of(name, e);
        }
    }

    /** {@code m}, after checking its layers fit together on its input. */
    static Model checked(Model m) throws IOException {
        try {
            m.graph().outputShape(m.input());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(m.name() + ": the imported layers do not fit input " + m.input() + ": " + e.getMessage(), e);
        }
        return m;
    }

    private static Model parse(byte[] data, String name, Shape input) throws IOException {
        Proto net = Proto.parse(data, "NetParameter");
        if (net.has(2) && !net.has(100)) {
            throw new IOException(name + " uses Caffe's V1 'layers' format; upgrade it with Caffe's upgrade_net_proto_binary first");
        }
        List<Proto> layers = net.messages(100, "layer");
        if (layers.isEmpty()) {
            throw new IOException(name + " has no layers; expected a caffe.NetParameter with 'layer' entries");
        }
        Importer im = new Importer(name);
        for (Proto l : layers) {
            im.add(l);
        }
        Shape in = input != null ? input : im.inferredInput();
        Layer graph = im.graph.build(name, im.last);
        return new Model(name, "imported from Caffe: " + name, graph, in);
    }

    /** The state of one import: named blobs, pending batch norms, the input shape seen. */
    private static final class Importer {
        final String model;
        final GraphBuilder graph = new GraphBuilder();
        final Map<String, Value> blobs = new HashMap<>();
        final Map<String, float[][]> pendingNorm = new HashMap<>();
        final Map<String, String> pendingNormName = new HashMap<>();
        /** Stands for blobs only the skipped layers read (labels); any other reader is an error. */
        final Value labels = graph.apply(graph.input(), new Relu("labels"));
        Value last;
        int cropSize;
        Shape inputShape;
        int inputChannels;

        Importer(String model) {
            this.model = model;
        }

        Shape inferredInput() throws IOException {
            if (inputShape != null) {
                return inputShape;
            }
            if (cropSize > 0 && inputChannels > 0) {
                return Shape.of(inputChannels, cropSize, cropSize);
            }
            throw new IOException(model + ": the input shape cannot be inferred (no Input layer and no data-layer crop size); "
                    + "pass it explicitly, e.g. --input 3x32x32");
        }

        Value blob(String name, String layer) throws IOException {
            Value v = blobs.get(name);
            if (v == null) {
                throw new IOException(model + ": layer " + layer + " reads blob '" + name + "', which no earlier layer produces");
            }
            if (v == labels) {
                throw new IOException(model + ": layer " + layer + " reads blob '" + name + "', which holds the data layer's labels");
            }
            flushNorm(name, v);
            return blobs.get(name);
        }

        /** A BatchNorm not followed by Scale becomes a batch norm with γ = 1, β = 0. */
        void flushNorm(String blob, Value v) {
            float[][] stats = pendingNorm.remove(blob);
            if (stats != null) {
                int c = stats[0].length;
                float[] ones = new float[c];
                java.util.Arrays.fill(ones, 1f);
                BatchNorm bn = new BatchNorm(pendingNormName.remove(blob), new BatchNormParams(ones, new float[c], stats[0], stats[1], stats[2][0]));
                blobs.put(blob, graph.apply(v, bn));
            }
        }

        void add(Proto l) throws IOException {
            String name = l.string(1, "?");
            String type = l.string(2, "?");
            List<String> bottoms = l.strings(3);
            List<String> tops = l.strings(4);
            String where = model + ": layer " + name + " (" + type + ")";
            if (SKIPPED.contains(type)) {
                if (type.equals("Data") || type.equals("ImageData") || type.equals("MemoryData") || type.equals("Input")
                        || type.equals("HDF5Data") || type.equals("DummyData")) {
                    readInputInfo(l, type);
                    for (int i = 0; i < tops.size(); i++) {
                        blobs.put(tops.get(i), i == 0 ? graph.input() : labels);
                    }
                }
                return;
            }
            if (ALIASES.contains(type)) {
                String bottom = one(bottoms, where);
                Value v = blobs.get(bottom) == labels ? labels : blob(bottom, name);
                for (String t : tops) {
                    blobs.put(t, v);
                }
                return;
            }
            if (tops.size() != 1) {
                throw new IOException(where + " has " + tops.size() + " outputs; expected 1");
            }
            String top = tops.get(0);
            List<BlobData> w = blobsOf(l, where);
            Value out;
            switch (type) {
                case "Convolution" -> out = graph.apply(blob(one(bottoms, where), name), convolution(l, name, w, where));
                case "BatchNorm" -> {
                    Value v = blob(one(bottoms, where), name);
                    need(w, 3, where);
                    float sf = w.get(2).data.length > 0 ? w.get(2).data[0] : 1f;
                    float factor = sf == 0 ? 0 : 1 / sf;
                    float eps = l.message(139, "batch_norm_param") == null ? 1e-5f : l.message(139, "batch_norm_param").floatValue(3, 1e-5f);
                    float[] mean = scaled(w.get(0).data, factor);
                    float[] var = scaled(w.get(1).data, factor);
                    pendingNorm.put(top, new float[][] {mean, var, {eps}});
                    pendingNormName.put(top, name);
                    blobs.put(top, v);
                    last = v;
                    return;
                }
                case "Scale" -> out = scale(l, name, bottoms, top, w, where);
                case "ReLU" -> {
                    Proto p = l.message(123, "relu_param");
                    if (p != null && p.floatValue(1, 0f) != 0f) {
                        throw new IOException(where + " has negative_slope " + p.floatValue(1, 0f) + "; only ReLU (slope 0) is supported");
                    }
                    out = graph.apply(blob(one(bottoms, where), name), new Relu(name));
                }
                case "Eltwise" -> {
                    Proto p = l.message(110, "eltwise_param");
                    long op = p == null ? 1 : p.longValue(1, 1);
                    if (op != 1 || bottoms.size() != 2) {
                        throw new IOException(where + ": only the sum of two inputs is supported (operation " + op + ", " + bottoms.size() + " inputs)");
                    }
                    if (p != null) {
                        for (float c : p.floats(2)) {
                            if (c != 1f) {
                                throw new IOException(where + " has coefficient " + c + "; only plain sums (1, 1) are supported");
                            }
                        }
                    }
                    out = graph.sum(name, blob(bottoms.get(0), name), blob(bottoms.get(1), name), false);
                }
                case "Concat" -> {
                    Proto p = l.message(104, "concat_param");
                    if (p != null && p.longValue(2, p.longValue(1, 1)) != 1) {
                        throw new IOException(where + ": only concatenation along channels (axis 1) is supported");
                    }
                    List<Value> parts = new ArrayList<>();
                    for (String b : bottoms) {
                        parts.add(blob(b, name));
                    }
                    out = graph.concat(name, parts);
                }
                case "Pooling" -> out = graph.apply(blob(one(bottoms, where), name), pooling(l, name, where));
                case "InnerProduct" -> out = graph.apply(blob(one(bottoms, where), name), innerProduct(l, name, w, where));
                case "Softmax" -> out = graph.apply(blob(one(bottoms, where), name), new Softmax(name));
                default -> throw new IOException(where + ": layer type " + type + " is not supported (supported: Convolution, "
                        + "BatchNorm, Scale, ReLU, Eltwise, Concat, Pooling, InnerProduct, Softmax)");
            }
            blobs.put(top, out);
            last = out;
        }

        private void readInputInfo(Proto l, String type) throws IOException {
            Proto transform = l.message(100, "transform_param");
            if (transform != null) {
                cropSize = (int) transform.longValue(3, 0);
            }
            Proto ip = l.message(143, "input_param");
            if (ip != null) {
                List<Proto> shapes = ip.messages(1, "shape");
                if (!shapes.isEmpty()) {
                    List<Long> dims = shapes.get(0).longs(1);
                    if (dims.size() == 4) {
                        inputShape = Shape.of(dims.get(1).intValue(), dims.get(2).intValue(), dims.get(3).intValue());
                    }
                }
            }
        }

        private Conv2d convolution(Proto l, String name, List<BlobData> w, String where) throws IOException {
            Proto p = l.message(106, "convolution_param");
            if (p == null) {
                throw new IOException(where + " has no convolution_param");
            }
            int out = (int) p.longValue(1, 0);
            boolean bias = p.bool(2, true);
            int groups = (int) p.longValue(5, 1);
            int kh = hw(p, 11, 4, 0, where, "kernel");
            int kw = hw(p, 12, 4, 1, where, "kernel");
            int sh = hwOr(p, 13, 6, 0, 1);
            int sw = hwOr(p, 14, 6, 1, 1);
            int ph = hwOr(p, 9, 3, 0, 0);
            int pw = hwOr(p, 10, 3, 1, 0);
            List<Long> dil = p.longs(18);
            int dh = dil.isEmpty() ? 1 : dil.get(0).intValue();
            int dw = dil.isEmpty() ? 1 : dil.get(dil.size() > 1 ? 1 : 0).intValue();
            need(w, bias ? 2 : 1, where);
            int[] d = w.get(0).dims(4, where + " weights");
            if (d[0] != out || d[2] != kh || d[3] != kw) {
                throw new IOException(where + ": weight blob " + java.util.Arrays.toString(d) + " does not match num_output " + out
                        + " and kernel " + kh + "x" + kw);
            }
            if (bias && w.get(1).data.length != out) {
                throw new IOException(where + ": bias blob has " + w.get(1).data.length + " values; expected " + out);
            }
            inputChannels = inputChannels == 0 ? d[1] * groups : inputChannels;
            ConvSpec spec = new ConvSpec(d[1] * groups, out, kh, kw, sh, sw, ph, pw, dh, dw, groups);
            try {
                return new Conv2d(name, spec, new ConvWeights(out, d[1], kh, kw, w.get(0).data, bias ? w.get(1).data : null));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
        }

        private Value scale(Proto l, String name, List<String> bottoms, String top, List<BlobData> w, String where) throws IOException {
            String bottom = one(bottoms, where);
            Proto p = l.message(142, "scale_param");
            boolean bias = p != null && p.bool(4, false);
            need(w, bias ? 2 : 1, where);
            float[] gamma = w.get(0).data;
            float[] beta = bias ? w.get(1).data : new float[gamma.length];
            float[][] stats = pendingNorm.remove(bottom);
            Value v = blobs.get(bottom);
            if (v == null) {
                throw new IOException(where + " reads blob '" + bottom + "', which no earlier layer produces");
            }
            try {
                if (stats != null) {
                    return graph.apply(v, new BatchNorm(pendingNormName.remove(bottom), new BatchNormParams(gamma, beta, stats[0], stats[1], stats[2][0])));
                }
                // A Scale alone: y = γx + β, as a batch norm with μ = 0 and σ² + ε = 1.
                float[] ones = new float[gamma.length];
                java.util.Arrays.fill(ones, 1f);
                return graph.apply(v, new BatchNorm(name, new BatchNormParams(gamma, beta, new float[gamma.length], ones, 0f)));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
        }

        private Pool2d pooling(Proto l, String name, String where) throws IOException {
            Proto p = l.message(121, "pooling_param");
            if (p == null) {
                throw new IOException(where + " has no pooling_param");
            }
            long kind = p.longValue(1, 0);
            if (kind != 0 && kind != 1) {
                throw new IOException(where + ": stochastic pooling is not supported");
            }
            PoolDesc.Kind k = kind == 0 ? PoolDesc.Kind.MAX : PoolDesc.Kind.AVG;
            if (p.bool(12, false)) {
                return Pool2d.global(name, k);
            }
            int kh = (int) p.longValue(5, p.longValue(2, 0));
            int kw = (int) p.longValue(6, p.longValue(2, 0));
            int sh = (int) p.longValue(7, p.longValue(3, 1));
            int sw = (int) p.longValue(8, p.longValue(3, 1));
            int ph = (int) p.longValue(9, p.longValue(4, 0));
            int pw = (int) p.longValue(10, p.longValue(4, 0));
            if (kh != kw || sh != sw || ph != pw || kh < 1) {
                throw new IOException(where + ": pooling " + kh + "x" + kw + " stride " + sh + "x" + sw + " pad " + ph + "x" + pw
                        + "; only square pooling is supported");
            }
            // Caffe rounds pooling output sizes up.
            return k == PoolDesc.Kind.MAX ? Pool2d.max(name, kh, sh, ph, true) : Pool2d.avg(name, kh, sh, ph, true);
        }

        private Linear innerProduct(Proto l, String name, List<BlobData> w, String where) throws IOException {
            Proto p = l.message(117, "inner_product_param");
            int out = p == null ? 0 : (int) p.longValue(1, 0);
            boolean bias = p == null || p.bool(2, true);
            if (p != null && p.bool(6, false)) {
                throw new IOException(where + ": transposed weights are not supported");
            }
            need(w, bias ? 2 : 1, where);
            float[] weights = w.get(0).data;
            if (out < 1 || weights.length % out != 0) {
                throw new IOException(where + ": " + weights.length + " weights do not divide into " + out + " outputs");
            }
            try {
                return new Linear(name, new ConvWeights(out, weights.length / out, 1, 1, weights, bias ? w.get(1).data : null));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
        }
    }

    /** A BlobProto's dimensions and float values. */
    private record BlobData(long[] dims, float[] data) {
        int[] dims(int rank, String what) throws IOException {
            if (dims.length != rank) {
                throw new IOException(what + " has shape " + java.util.Arrays.toString(dims) + "; expected " + rank + " dimensions");
            }
            int[] d = new int[rank];
            long n = 1;
            for (int i = 0; i < rank; i++) {
                d[i] = (int) dims[i];
                n *= dims[i];
            }
            if (n != data.length) {
                throw new IOException(what + " has shape " + java.util.Arrays.toString(dims) + " but " + data.length + " values");
            }
            return d;
        }
    }

    private static List<BlobData> blobsOf(Proto l, String where) throws IOException {
        List<BlobData> out = new ArrayList<>();
        for (Proto b : l.messages(7, "blobs")) {
            Proto shape = b.message(7, "shape");
            long[] dims;
            if (shape != null) {
                dims = shape.longs(1).stream().mapToLong(Long::longValue).toArray();
            } else {
                dims = new long[] {b.longValue(1, 0), b.longValue(2, 0), b.longValue(3, 0), b.longValue(4, 0)};
            }
            float[] data = b.floats(5);
            if (data.length == 0 && b.has(8)) {
                double[] d = b.doubles(8);
                data = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    data[i] = (float) d[i];
                }
            }
            for (float v : data) {
                if (!Float.isFinite(v)) {
                    throw new IOException(where + ": a weight blob holds " + v + "; expected finite values");
                }
            }
            out.add(new BlobData(dims, data));
        }
        return out;
    }

    private static void need(List<BlobData> w, int n, String where) throws IOException {
        if (w.size() < n) {
            throw new IOException(where + " has " + w.size() + " weight blobs; expected " + n);
        }
    }

    private static String one(List<String> bottoms, String where) throws IOException {
        if (bottoms.size() != 1) {
            throw new IOException(where + " has " + bottoms.size() + " inputs; expected 1");
        }
        return bottoms.get(0);
    }

    /** A 2-D setting: the _h/_w field if present, else the repeated field's entry (one value for both). */
    private static int hw(Proto p, int single, int repeated, int index, String where, String what) throws IOException {
        if (p.has(single)) {
            return (int) p.longValue(single, 0);
        }
        List<Long> v = p.longs(repeated);
        if (v.isEmpty()) {
            throw new IOException(where + " has no " + what + " size");
        }
        return v.get(v.size() > 1 ? index : 0).intValue();
    }

    private static int hwOr(Proto p, int single, int repeated, int index, int fallback) throws IOException {
        if (p.has(single)) {
            return (int) p.longValue(single, fallback);
        }
        List<Long> v = p.longs(repeated);
        return v.isEmpty() ? fallback : v.get(v.size() > 1 ? index : 0).intValue();
    }

    private static float[] scaled(float[] v, float f) {
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = v[i] * f;
        }
        return o;
    }
}
