package org.sepnet.io;

import static org.sepnet.io.ModelFormat.*;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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

/** Encodes a {@link Model} as {@code .sepnet} bytes (the layout is in {@link ModelFile}). */
final class ModelWriter {
    private ModelWriter() {}

    /** The INPUT section: normalization (channel count 0 when none), then the class names. */
    private static byte[] input(Model model) {
        Out in = new Out();
        if (model.normalization() == null) {
            in.u8(0);
        } else {
            in.u8(model.normalization().channels());
            in.floats(model.normalization().mean());
            in.floats(model.normalization().std());
        }
        in.u32(model.labels().size());
        for (String label : model.labels()) {
            in.string(label);
        }
        return in.bytes();
    }

    /** The file bytes of {@code model}. */
    static byte[] encode(Model model) {
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
        boolean knowsData = model.normalization() != null || !model.labels().isEmpty();
        if (knowsData) {
            kinds.add(INPUT);
            sections.add(input(model));
        }
        kinds.add(GRAPH);
        sections.add(graph.bytes());
        for (byte[] t : w.tensors) {
            kinds.add(TENSOR);
            sections.add(t);
        }
        Out file = new Out();
        file.raw(MAGIC);
        file.u16(knowsData ? VERSION : FIRST_VERSION);
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
            l.accept(new Layer.Visitor<Void>() {
                @Override
                public Void sepModule(SepModule m) {
                    g.u8(SEP_MODULE);
                    g.string(m.name());
                    node(m.body(), g);
                    return null;
                }

                @Override
                public Void residual(Residual r) {
                    g.u8(RESIDUAL);
                    g.string(r.name());
                    g.u8(r.relu() ? 1 : 0);
                    g.u8(r.shortcut() != null ? 1 : 0);
                    node(r.body(), g);
                    if (r.shortcut() != null) {
                        node(r.shortcut(), g);
                    }
                    return null;
                }

                @Override
                public Void sequential(Sequential s) {
                    g.u8(SEQUENTIAL);
                    g.string(s.name());
                    g.u32(s.layers().size());
                    for (Layer c : s.layers()) {
                        node(c, g);
                    }
                    return null;
                }

                @Override
                public Void concat(Concat c) {
                    g.u8(CONCAT);
                    g.string(c.name());
                    g.u32(c.branches().size());
                    for (Layer b : c.branches()) {
                        node(b, g);
                    }
                    return null;
                }

                @Override
                public Void conv(Conv2d c) {
                    g.u8(CONV);
                    g.string(c.name());
                    spec(c.spec(), g);
                    g.u32(tensor(c.name(), c.weights(), c.int8()));
                    return null;
                }

                @Override
                public Void patternConv(PatternConv2d p) {
                    g.u8(PATTERN_CONV);
                    g.string(p.name());
                    spec(p.spec(), g);
                    g.u32(tensor(p.name(), p.weights()));
                    return null;
                }

                @Override
                public Void block(PatternResidualBlock b) {
                    g.u8(PRB);
                    g.string(b.name());
                    spec(b.spec(), g);
                    g.u32(b.pointwiseGroups());
                    g.u32(b.isBinarized() ? tensor(b.name() + ".kxk", b.pattern()) : tensor(b.name() + ".kxk", b.floatKernel(), null));
                    g.u32(tensor(b.name() + ".1x1", b.pointwise(), b.pointwiseInt8()));
                    return null;
                }

                @Override
                public Void batchNorm(BatchNorm bn) {
                    BatchNormParams p = bn.params();
                    g.u8(BATCH_NORM);
                    g.string(bn.name());
                    g.u32(p.channels());
                    g.f32(p.epsilon());
                    g.floats(p.gamma());
                    g.floats(p.beta());
                    g.floats(p.mean());
                    g.floats(p.variance());
                    return null;
                }

                @Override
                public Void relu(Relu r) {
                    g.u8(RELU);
                    g.string(r.name());
                    return null;
                }

                @Override
                public Void pool(Pool2d p) {
                    g.u8(POOL);
                    g.string(p.name());
                    g.u8(p.kind() == PoolDesc.Kind.MAX ? 0 : 1);
                    g.u8(p.isGlobal() ? 1 : 0);
                    g.u32(p.kernel());
                    g.u32(p.stride());
                    g.u32(p.pad());
                    g.u8(p.ceilMode() ? 1 : 0);
                    return null;
                }

                @Override
                public Void linear(Linear f) {
                    g.u8(LINEAR);
                    g.string(f.name());
                    g.u32(tensor(f.name(), f.weights(), f.int8()));
                    return null;
                }

                @Override
                public Void softmax(Softmax s) {
                    g.u8(SOFTMAX);
                    g.string(s.name());
                    return null;
                }
            });
        }
    }

}
