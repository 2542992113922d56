package org.sepnet.io;

import static org.sepnet.io.ModelFormat.*;

import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.sepnet.data.Normalization;
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
import org.sepnet.layers.SepModule;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.models.Model;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.PoolDesc;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Int8Weights;
import org.sepnet.tensor.Shape;

/**
 * Decodes {@code .sepnet} bytes, checking everything before it allocates anything large (see
 * {@link ModelFile} for what is rejected).
 */
final class ModelReader {
    private ModelReader() {}

    /** Decodes file bytes; {@code name} appears in errors. */
    static Model decode(byte[] data, String name) throws CorruptModelException {
        Parsed p = parse(data, name);
        Bytes meta = p.section(META, 0, name);
        String modelName = meta.string("model name");
        String description = meta.string("description");
        int rank = meta.u8();
        if (rank < 1 || rank > Shape.MAX_RANK) {
            throw meta.corrupt("input rank " + rank + "; expected 1 to " + Shape.MAX_RANK);
        }
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = meta.u32("input dimension");
            if (dims[i] < 1) {
                throw meta.corrupt("input dimension " + dims[i] + "; expected a positive size");
            }
        }
        meta.requireEnd();
        Shape input;
        try {
            input = Shape.of(dims);
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw meta.corrupt("input dimensions " + java.util.Arrays.toString(dims) + " overflow: " + e.getMessage());
        }
        Reader r = new Reader(p, name);
        Bytes graph = p.section(GRAPH, p.graphIndex(), name);
        Layer root = r.node(graph, 0);
        graph.requireEnd();
        if (r.used != p.tensorCount()) {
            throw new CorruptModelException(name + ": the graph uses " + r.used + " tensors but the file has " + p.tensorCount());
        }
        Shape out;
        try {
            out = root.outputShape(input);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CorruptModelException(name + ": inconsistent model: " + e.getMessage(), e);
        }
        Model m = new Model(modelName, description, root, input);
        return p.graphIndex() == 1 ? m : input(p.section(INPUT, 1, name), m, out);
    }

    /** The INPUT section: normalization for the input's channels, a name for each output class. */
    private static Model input(Bytes in, Model m, Shape out) throws CorruptModelException {
        int channels = in.u8();
        Normalization norm = null;
        if (channels > 0) {
            if (m.input().rank() < 2 || channels != m.input().dim(0)) {
                throw in.corrupt("normalization for " + channels + " channels; the input " + m.input() + " has "
                        + (m.input().rank() < 2 ? "no channel dimension" : String.valueOf(m.input().dim(0))));
            }
            float[] mean = in.floats(channels, "normalization mean");
            float[] std = in.floats(channels, "normalization deviation");
            try {
                norm = new Normalization(mean, std);
            } catch (IllegalArgumentException e) {
                throw in.corrupt(e.getMessage());
            }
        }
        int count = in.u32("class name count");
        if (count != 0 && count != out.size()) {
            throw in.corrupt(count + " class names; the model has " + out.size() + " outputs");
        }
        // Each name takes at least its 4-byte length: a huge count fails here, before the list grows.
        if (count > in.remaining() / 4) {
            throw in.corrupt("truncated: " + count + " class names need at least " + 4L * count + " bytes, " + in.remaining() + " left");
        }
        List<String> labels = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            labels.add(in.string("class name"));
        }
        in.requireEnd();
        return m.withData(norm, labels);
    }

    /** The sections of a file, without decoding them (checksums are verified). */
    static List<ModelFile.Section> sections(byte[] data, String name) throws CorruptModelException {
        Parsed p = parse(data, name);
        List<ModelFile.Section> out = new ArrayList<>();
        for (int i = 0; i < p.kinds.size(); i++) {
            int kind = p.kinds.get(i);
            String label = switch (kind) {
                case META -> "meta";
                case INPUT -> "input";
                case GRAPH -> "graph";
                default -> "tensor " + p.section(TENSOR, i, name).string("tensor name");
            };
            out.add(new ModelFile.Section(kind, label, p.lengths.get(i) + SECTION_HEADER));
        }
        return out;
    }

    /** Header and section table of a file, checksums verified. */
    private record Parsed(byte[] data, List<Integer> kinds, List<Integer> offsets, List<Integer> lengths) {
        Bytes section(int kind, int index, String file) throws CorruptModelException {
            if (index >= kinds.size() || kinds.get(index) != kind) {
                throw new CorruptModelException(file + ": section " + index + " is not a " + kindName(kind) + " section");
            }
            return new Bytes(data, offsets.get(index), lengths.get(index), file + ": " + kindName(kind) + " section " + index);
        }

        /** 1, or 2 after an INPUT section. */
        int graphIndex() {
            return kinds.size() > 1 && kinds.get(1) == INPUT ? 2 : 1;
        }

        int tensorCount() {
            return kinds.size() - graphIndex() - 1;
        }
    }

    private static Parsed parse(byte[] data, String name) throws CorruptModelException {
        if (data.length < HEADER) {
            throw new CorruptModelException(name + ": " + data.length + " bytes; a model file has at least a " + HEADER + "-byte header");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (data[i] != MAGIC[i]) {
                throw new CorruptModelException(name + ": not a .sepnet model file (wrong magic bytes)");
            }
        }
        Bytes h = new Bytes(data, 8, HEADER - 8, name + ": header");
        int version = h.u16();
        if (version < FIRST_VERSION || version > VERSION) {
            throw new CorruptModelException(name + ": format version " + version + "; this library reads versions " + FIRST_VERSION
                    + " to " + VERSION);
        }
        int flags = h.u16();
        if (flags != 0) {
            throw new CorruptModelException(name + ": header flags " + flags + "; expected 0");
        }
        int count = h.u32("section count");
        int graphIndex = version == 1 ? 1 : 2;
        if (count < graphIndex + 1 || (long) count * SECTION_HEADER > data.length - HEADER) {
            throw new CorruptModelException(name + ": " + count + " sections do not fit " + data.length + " bytes");
        }
        List<Integer> kinds = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        int pos = HEADER;
        for (int i = 0; i < count; i++) {
            Bytes s = new Bytes(data, pos, Math.min(SECTION_HEADER, data.length - pos), name + ": section " + i + " header");
            int kind = s.u16();
            int reserved = s.u16();
            if (reserved != 0) {
                throw new CorruptModelException(name + ": section " + i + " header has reserved field " + reserved + "; expected 0");
            }
            int length = s.u32("section length");
            int crc = s.rawInt();
            int start = pos + SECTION_HEADER;
            if ((long) start + length > data.length) {
                throw new CorruptModelException(name + ": section " + i + " (" + kindName(kind) + ") claims " + length + " bytes, but only "
                        + Math.max(0, data.length - start) + " are left: the file is truncated");
            }
            int expectedKind = i == 0 ? META : i < graphIndex ? INPUT : i == graphIndex ? GRAPH : TENSOR;
            if (kind != expectedKind) {
                throw new CorruptModelException(name + ": section " + i + " is of kind " + kind + "; expected " + kindName(expectedKind));
            }
            CRC32 c = new CRC32();
            c.update(data, start, length);
            if ((int) c.getValue() != crc) {
                throw new CorruptModelException(String.format("%s: section %d (%s) fails its checksum (stored %08x, computed %08x): the file is corrupted",
                        name, i, kindName(kind), crc, (int) c.getValue()));
            }
            kinds.add(kind);
            offsets.add(start);
            lengths.add(length);
            pos = start + length;
        }
        if (pos != data.length) {
            throw new CorruptModelException(name + ": " + (data.length - pos) + " unexpected bytes after the last section");
        }
        return new Parsed(data, kinds, offsets, lengths);
    }

    private static final class Reader {
        final Parsed parsed;
        final String file;
        int used;

        Reader(Parsed parsed, String file) {
            this.parsed = parsed;
            this.file = file;
        }

        ConvSpec spec(Bytes g) throws CorruptModelException {
            int[] v = new int[11];
            for (int i = 0; i < v.length - 1; i++) {
                v[i] = g.u32("convolution geometry");
            }
            v[10] = positive(g, "convolution groups");
            return new ConvSpec(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);
        }

        /** Tensor {@code index}, which must be the next one: the graph uses each tensor once, in order. */
        Bytes tensor(Bytes g) throws CorruptModelException {
            int index = g.u32("tensor index");
            if (index != used || index >= parsed.tensorCount()) {
                throw g.corrupt("tensor index " + index + "; expected " + used + " (of " + parsed.tensorCount() + " tensors)");
            }
            used++;
            return parsed.section(TENSOR, index + parsed.graphIndex() + 1, file);
        }

        /** A float or int8 tensor; returns {int8 or null, float}. */
        Object[] convTensor(Bytes g) throws CorruptModelException {
            Bytes t = tensor(g);
            t.string("tensor name");
            int enc = t.u8();
            int o = positive(t, "outputs");
            int c = positive(t, "inputs per group");
            int kh = positive(t, "kernel height");
            int kw = positive(t, "kernel width");
            boolean bias = t.u8() != 0;
            long n = product(t, o, c, kh, kw);
            try {
                if (enc == FLOAT32) {
                    float[] w = t.floats(n, "weights");
                    float[] b = bias ? t.floats(o, "bias") : null;
                    t.requireEnd();
                    return new Object[] {null, new ConvWeights(o, c, kh, kw, w, b)};
                }
                if (enc == INT8) {
                    float[] scales = t.floats(o, "int8 scales");
                    byte[] q = t.bytes(n, "int8 weights");
                    float[] b = bias ? t.floats(o, "bias") : null;
                    t.requireEnd();
                    Int8Weights w = Int8Weights.of(o, c, kh, kw, q, scales, b);
                    return new Object[] {w, w.dequantized()};
                }
            } catch (IllegalArgumentException e) {
                throw t.corrupt(e.getMessage());
            }
            throw t.corrupt("tensor encoding " + enc + "; expected float32 (1) or int8 (2) here");
        }

        PatternWeights patternTensor(Bytes g) throws CorruptModelException {
            Bytes t = tensor(g);
            t.string("tensor name");
            int enc = t.u8();
            if (enc != SIGNS) {
                throw t.corrupt("tensor encoding " + enc + "; expected sign bits (3) here");
            }
            int o = positive(t, "outputs");
            int c = positive(t, "inputs per group");
            int kh = positive(t, "kernel height");
            int kw = positive(t, "kernel width");
            boolean bias = t.u8() != 0;
            long words = product(t, o, (product(t, c, kh, kw) + 31) / 32);
            float[] alpha = t.floats(o, "alpha");
            int[] bits = t.ints(words, "sign bits");
            float[] b = bias ? t.floats(o, "bias") : null;
            t.requireEnd();
            try {
                return new PatternWeights(o, c, kh, kw, bits, alpha, b);
            } catch (IllegalArgumentException e) {
                throw t.corrupt(e.getMessage());
            }
        }

        /** The product of tensor dimensions, rejected when it cannot be the size of anything in a file. */
        private static long product(Bytes t, long... dims) throws CorruptModelException {
            long p = 1;
            for (long d : dims) {
                if (d > Integer.MAX_VALUE || p > Integer.MAX_VALUE / Math.max(1, d)) {
                    throw t.corrupt("tensor dimensions " + java.util.Arrays.toString(dims) + " exceed " + Integer.MAX_VALUE + " values");
                }
                p *= d;
            }
            return p;
        }

        private static int positive(Bytes t, String what) throws CorruptModelException {
            int v = t.u32(what);
            if (v < 1) {
                throw t.corrupt(what + " is " + v + "; expected a positive value");
            }
            return v;
        }

        Layer node(Bytes g, int depth) throws CorruptModelException {
            if (depth > MAX_DEPTH) {
                throw g.corrupt("layers nested deeper than " + MAX_DEPTH);
            }
            int tag = g.u8();
            String name = g.string("layer name");
            try {
                switch (tag) {
                    case SEQUENTIAL, CONCAT -> {
                        int n = g.u32("child count");
                        if (n < 1 || n > g.remaining() / 6) {
                            throw g.corrupt(n + " children do not fit the " + g.remaining() + " bytes left");
                        }
                        List<Layer> children = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            children.add(node(g, depth + 1));
                        }
                        return tag == SEQUENTIAL ? new Sequential(name, children) : new Concat(name, children);
                    }
                    case RESIDUAL -> {
                        boolean relu = g.u8() != 0;
                        boolean hasShortcut = g.u8() != 0;
                        Layer body = node(g, depth + 1);
                        Layer shortcut = hasShortcut ? node(g, depth + 1) : null;
                        return new Residual(name, body, shortcut, relu);
                    }
                    case SEP_MODULE -> {
                        Layer body = node(g, depth + 1);
                        if (!(body instanceof Sequential s) || s.layers().size() != 4) {
                            throw g.corrupt("SEP module " + name + " needs a body of 4 stages");
                        }
                        List<Layer> st = s.layers();
                        return SepModule.of(name, st.get(0), st.get(1), st.get(2), st.get(3));
                    }
                    case CONV -> {
                        ConvSpec spec = spec(g);
                        Object[] w = convTensor(g);
                        return w[0] == null ? new Conv2d(name, spec, (ConvWeights) w[1]) : Conv2d.ofInt8(name, spec, (Int8Weights) w[0]);
                    }
                    case PATTERN_CONV -> {
                        ConvSpec spec = spec(g);
                        return new PatternConv2d(name, spec, patternTensor(g));
                    }
                    case PRB -> {
                        ConvSpec spec = spec(g);
                        int groups1 = g.u32("1x1 groups");
                        PatternResidualBlock b;
                        if (peekEncoding(g) == SIGNS) {
                            PatternWeights p = patternTensor(g);
                            Object[] pw = convTensor(g);
                            b = PatternResidualBlock.binarized(name, spec, p, groups1, (ConvWeights) pw[1]);
                            return pw[0] == null ? b : b.withPointwiseInt8((Int8Weights) pw[0]);
                        }
                        Object[] k = convTensor(g);
                        Object[] pw = convTensor(g);
                        b = PatternResidualBlock.raw(name, spec, (ConvWeights) k[1], groups1, (ConvWeights) pw[1]);
                        return pw[0] == null ? b : b.withPointwiseInt8((Int8Weights) pw[0]);
                    }
                    case BATCH_NORM -> {
                        int c = g.u32("channels");
                        float eps = g.f32("epsilon");
                        return new BatchNorm(name, new BatchNormParams(g.floats(c, "gamma"), g.floats(c, "beta"), g.floats(c, "mean"),
                                g.floats(c, "variance"), eps));
                    }
                    case RELU -> {
                        return new Relu(name);
                    }
                    case POOL -> {
                        PoolDesc.Kind kind = g.u8() == 0 ? PoolDesc.Kind.MAX : PoolDesc.Kind.AVG;
                        boolean global = g.u8() != 0;
                        int k = g.u32("pool kernel");
                        int s = g.u32("pool stride");
                        int p = g.u32("pool padding");
                        boolean ceil = g.u8() != 0;
                        if (global) {
                            return Pool2d.global(name, kind);
                        }
                        if (k < 1 || s < 1) {
                            throw g.corrupt("pooling kernel " + k + ", stride " + s + "; expected positive values");
                        }
                        return kind == PoolDesc.Kind.MAX ? Pool2d.max(name, k, s, p, ceil) : Pool2d.avg(name, k, s, p, ceil);
                    }
                    case LINEAR -> {
                        Object[] w = convTensor(g);
                        return w[0] == null ? new Linear(name, (ConvWeights) w[1]) : Linear.ofInt8(name, (Int8Weights) w[0]);
                    }
                    case SOFTMAX -> {
                        return new Softmax(name);
                    }
                    default -> throw g.corrupt("unknown layer tag " + tag + " for layer '" + name + "'");
                }
            } catch (IllegalArgumentException e) {
                throw g.corrupt("inconsistent layer '" + name + "': " + e.getMessage());
            }
        }

        /** The encoding byte of the next tensor, without consuming it. */
        private int peekEncoding(Bytes g) throws CorruptModelException {
            if (used >= parsed.tensorCount()) {
                throw g.corrupt("the graph refers to more tensors than the file has (" + parsed.tensorCount() + ")");
            }
            Bytes t = parsed.section(TENSOR, used + parsed.graphIndex() + 1, file);
            t.string("tensor name");
            return t.u8();
        }
    }
}
