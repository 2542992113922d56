package org.sepnet.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
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
 * The {@code .sepnet} model file: a compact, checksummed encoding of a {@link Model}.
 *
 * <p>Layout (little-endian): magic {@code "SEPNET\0\n"} (8 bytes), format version (u16, = 1),
 * flags (u16, = 0), section count (u32); then sections, each: kind (u16), reserved (u16), payload
 * length (u32), CRC-32 of the payload (u32), payload. Sections: one META (name, description, input
 * shape), one GRAPH (the layer tree, pre-order), then one TENSOR per weight tensor, in the order the
 * graph refers to them. A tensor is stored as float32, as int8 with one float scale per output
 * channel, or as packed sign bits with one float α per filter (the {@link PatternWeights} format);
 * a bias, when present, follows as float32. docs/model-file.md has the byte-level details.
 *
 * <p>Reading rejects, with a message naming the section and byte offset: a wrong magic or
 * version, a checksum mismatch, a truncation, a length larger than the bytes left (checked before
 * allocating), an unknown tag, a dangling tensor index, and weights that do not fit their layer.
 */
public final class ModelFile {
    static final byte[] MAGIC = {'S', 'E', 'P', 'N', 'E', 'T', 0, '\n'};
    static final int VERSION = 1;
    static final int META = 1;
    static final int GRAPH = 2;
    static final int TENSOR = 3;
    private static final int HEADER = 16;
    private static final int SECTION_HEADER = 12;
    private static final int MAX_DEPTH = 200;

    // Graph node tags.
    private static final int SEQUENTIAL = 1;
    private static final int RESIDUAL = 2;
    private static final int SEP_MODULE = 3;
    private static final int CONCAT = 4;
    private static final int CONV = 10;
    private static final int PATTERN_CONV = 11;
    private static final int PRB = 12;
    private static final int BATCH_NORM = 13;
    private static final int RELU = 14;
    private static final int POOL = 15;
    private static final int LINEAR = 16;
    private static final int SOFTMAX = 17;

    // Tensor encodings.
    static final int FLOAT32 = 1;
    static final int INT8 = 2;
    static final int SIGNS = 3;

    private ModelFile() {}

    /** One section of a file, for {@code inspect}. */
    public record Section(int kind, String label, int bytes) {}

    // ---------------------------------------------------------------- writing

    /** Writes {@code model} to {@code file}. */
    public static void write(Model model, Path file) throws IOException {
        Files.write(file, encode(model));
    }

    /** The file bytes of {@code model}. */
    public static byte[] encode(Model model) {
        Writer w = new Writer();
        Out graph = new Out();
        w.node(model.graph(), graph);
        Out meta = new Out();
        meta.string(model.name());
        meta.string(model.description());
        meta.u8(model.input().rank());
        for (int d : model.input().dims()) {
            meta.u32(d);
        }
        List<byte[]> sections = new ArrayList<>();
        List<Integer> kinds = new ArrayList<>();
        kinds.add(META);
        sections.add(meta.bytes());
        kinds.add(GRAPH);
        sections.add(graph.bytes());
        for (byte[] t : w.tensors) {
            kinds.add(TENSOR);
            sections.add(t);
        }
        Out file = new Out();
        file.raw(MAGIC);
        file.u16(VERSION);
        file.u16(0);
        file.u32(sections.size());
        for (int i = 0; i < sections.size(); i++) {
            byte[] s = sections.get(i);
            CRC32 crc = new CRC32();
            crc.update(s);
            file.u16(kinds.get(i));
            file.u16(0);
            file.u32(s.length);
            file.u32((int) crc.getValue());
            file.raw(s);
        }
        return file.bytes();
    }

    /** Little-endian output. */
    private static final class Out {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u8(int v) {
            out.write(v);
        }

        void u16(int v) {
            out.write(v & 0xff);
            out.write(v >>> 8 & 0xff);
        }

        void u32(int v) {
            scratch.clear();
            scratch.putInt(v);
            out.write(scratch.array(), 0, 4);
        }

        void f32(float v) {
            u32(Float.floatToRawIntBits(v));
        }

        void floats(float[] v) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            out.writeBytes(b.array());
        }

        void ints(int[] v) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(v);
            out.writeBytes(b.array());
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            out.writeBytes(b);
        }

        void raw(byte[] b) {
            out.writeBytes(b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static final class Writer {
        final List<byte[]> tensors = new ArrayList<>();

        int tensor(String name, ConvWeights w, Int8Weights q) {
            Out t = header(name, q != null ? INT8 : FLOAT32, w.outChannels(), w.inChannelsPerGroup(), w.kh(), w.kw(), w.hasBias());
            if (q != null) {
                t.floats(q.scales());
                t.raw(q.values());
            } else {
                t.floats(w.weights());
            }
            if (w.hasBias()) {
                t.floats(w.bias());
            }
            tensors.add(t.bytes());
            return tensors.size() - 1;
        }

        int tensor(String name, PatternWeights p) {
            Out t = header(name, SIGNS, p.outChannels(), p.inChannelsPerGroup(), p.kh(), p.kw(), p.hasBias());
            t.floats(p.alpha());
            t.ints(p.bits());
            if (p.hasBias()) {
                t.floats(p.bias());
            }
            tensors.add(t.bytes());
            return tensors.size() - 1;
        }

        private static Out header(String name, int encoding, int o, int c, int kh, int kw, boolean bias) {
            Out t = new Out();
            t.string(name);
            t.u8(encoding);
            t.u32(o);
            t.u32(c);
            t.u32(kh);
            t.u32(kw);
            t.u8(bias ? 1 : 0);
            return t;
        }

        void spec(ConvSpec s, Out g) {
            for (int v : new int[] {s.in(), s.out(), s.kh(), s.kw(), s.sh(), s.sw(), s.ph(), s.pw(), s.dh(), s.dw(), s.groups()}) {
                g.u32(v);
            }
        }

        void node(Layer l, Out g) {
            if (l instanceof SepModule m) {
                g.u8(SEP_MODULE);
                g.string(m.name());
                node(m.body(), g);
            } else if (l instanceof Residual r) {
                g.u8(RESIDUAL);
                g.string(r.name());
                g.u8(r.relu() ? 1 : 0);
                g.u8(r.shortcut() != null ? 1 : 0);
                node(r.body(), g);
                if (r.shortcut() != null) {
                    node(r.shortcut(), g);
                }
            } else if (l instanceof Sequential s) {
                g.u8(SEQUENTIAL);
                g.string(s.name());
                g.u32(s.layers().size());
                for (Layer c : s.layers()) {
                    node(c, g);
                }
            } else if (l instanceof Concat c) {
                g.u8(CONCAT);
                g.string(c.name());
                g.u32(c.branches().size());
                for (Layer b : c.branches()) {
                    node(b, g);
                }
            } else if (l instanceof Conv2d c) {
                g.u8(CONV);
                g.string(c.name());
                spec(c.spec(), g);
                g.u32(tensor(c.name(), c.weights(), c.int8()));
            } else if (l instanceof PatternConv2d p) {
                g.u8(PATTERN_CONV);
                g.string(p.name());
                spec(p.spec(), g);
                g.u32(tensor(p.name(), p.weights()));
            } else if (l instanceof PatternResidualBlock b) {
                g.u8(PRB);
                g.string(b.name());
                spec(b.spec(), g);
                g.u32(b.pointwiseGroups());
                g.u32(b.isBinarized() ? tensor(b.name() + ".kxk", b.pattern()) : tensor(b.name() + ".kxk", b.floatKernel(), null));
                g.u32(tensor(b.name() + ".1x1", b.pointwise(), b.pointwiseInt8()));
            } else if (l instanceof BatchNorm bn) {
                BatchNormParams p = bn.params();
                g.u8(BATCH_NORM);
                g.string(bn.name());
                g.u32(p.channels());
                g.f32(p.epsilon());
                g.floats(p.gamma());
                g.floats(p.beta());
                g.floats(p.mean());
                g.floats(p.variance());
            } else if (l instanceof Relu r) {
                g.u8(RELU);
                g.string(r.name());
            } else if (l instanceof Pool2d p) {
                g.u8(POOL);
                g.string(p.name());
                g.u8(p.kind() == PoolDesc.Kind.MAX ? 0 : 1);
                g.u8(p.isGlobal() ? 1 : 0);
                g.u32(p.kernel());
                g.u32(p.stride());
                g.u32(p.pad());
                g.u8(p.ceilMode() ? 1 : 0);
            } else if (l instanceof Linear f) {
                g.u8(LINEAR);
                g.string(f.name());
                g.u32(tensor(f.name(), f.weights(), f.int8()));
            } else if (l instanceof Softmax s) {
                g.u8(SOFTMAX);
                g.string(s.name());
            } else {
                throw new IllegalArgumentException("layer " + l.name() + " of type " + l.getClass().getSimpleName() + " cannot be stored");
            }
        }
    }

    // ---------------------------------------------------------------- reading

    /** Reads a model file. */
    public static Model read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new CorruptModelException(file + " is " + size + " bytes; model files are at most 2 GiB");
        }
        return decode(Files.readAllBytes(file), file.toString());
    }

    /** Decodes file bytes; {@code name} appears in errors. */
    public static Model decode(byte[] data, String name) throws CorruptModelException {
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
        Shape input = Shape.of(dims);
        Reader r = new Reader(p, name);
        Bytes graph = p.section(GRAPH, 1, name);
        Layer root = r.node(graph, 0);
        graph.requireEnd();
        if (r.used != p.tensorCount()) {
            throw new CorruptModelException(name + ": the graph uses " + r.used + " tensors but the file has " + p.tensorCount());
        }
        try {
            root.outputShape(input);
        } catch (IllegalArgumentException e) {
            throw new CorruptModelException(name + ": inconsistent model: " + e.getMessage(), e);
        }
        return new Model(modelName, description, root, input);
    }

    /** The sections of a file, without decoding them (checksums are verified). */
    public static List<Section> sections(byte[] data, String name) throws CorruptModelException {
        Parsed p = parse(data, name);
        List<Section> out = new ArrayList<>();
        for (int i = 0; i < p.kinds.size(); i++) {
            int kind = p.kinds.get(i);
            String label = switch (kind) {
                case META -> "meta";
                case GRAPH -> "graph";
                default -> "tensor " + p.section(TENSOR, i, name).string("tensor name");
            };
            out.add(new Section(kind, label, p.lengths.get(i) + SECTION_HEADER));
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

        int tensorCount() {
            return kinds.size() - 2;
        }
    }

    static String kindName(int kind) {
        return switch (kind) {
            case META -> "META";
            case GRAPH -> "GRAPH";
            case TENSOR -> "TENSOR";
            default -> "unknown";
        };
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
        if (version != VERSION) {
            throw new CorruptModelException(name + ": format version " + version + "; this library reads version " + VERSION);
        }
        int flags = h.u16();
        if (flags != 0) {
            throw new CorruptModelException(name + ": header flags " + flags + "; expected 0");
        }
        int count = h.u32("section count");
        if (count < 2 || (long) count * SECTION_HEADER > data.length - HEADER) {
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
            int expectedKind = i == 0 ? META : i == 1 ? GRAPH : TENSOR;
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
            return parsed.section(TENSOR, index + 2, file);
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
            Bytes t = parsed.section(TENSOR, used + 2, file);
            t.string("tensor name");
            return t.u8();
        }
    }
}
