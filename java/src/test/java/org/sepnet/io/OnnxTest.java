package org.sepnet.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.layers.Summary;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Data;
import org.sepnet.testing.Fixtures;
import org.sepnet.testing.Outputs;
import org.sepnet.testing.Seeds;

/**
 * ONNX export checked by ONNX Runtime, ONNX import checked against ONNX Runtime, and the round
 * trip export → import. Tolerance: {@link Outputs#TOLERANCE} of the largest logit; ONNX Runtime
 * and our backends sum in different orders, each within float32's γ_K of the exact result.
 */
class OnnxTest {
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /** Runs ONNX model bytes in ONNX Runtime on {@code x} of shape {@code dims}. */
    static float[] ort(byte[] model, float[] x, long... dims) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(2);
            try (OrtSession s = ENV.createSession(model, o);
                 OnnxTensor in = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), dims);
                 OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), in))) {
                FloatBuffer b = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] out = new float[b.remaining()];
                b.get(out);
                return out;
            }
        }
    }

    static long[] dims(int batch, Shape feature) {
        long[] d = new long[feature.rank() + 1];
        d[0] = batch;
        for (int i = 0; i < feature.rank(); i++) {
            d[i + 1] = feature.dim(i);
        }
        return d;
    }

    static Stream<Arguments> models() {
        List<Arguments> out = new ArrayList<>();
        for (String name : Zoo.names()) {
            out.add(Arguments.of(name, ModelFileTest.Variant.FLOAT));
            out.add(Arguments.of(name, ModelFileTest.Variant.BINARIZED));
        }
        out.add(Arguments.of("sepnet-small", ModelFileTest.Variant.BQ));
        out.add(Arguments.of("resnet20", ModelFileTest.Variant.BQ));
        return out.stream();
    }

    /** Export, run in ONNX Runtime, compare with our best backend; then import the ONNX file back and compare again. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("models")
    void exportedModelsRunInOnnxRuntimeAndImportBack(String name, ModelFileTest.Variant variant) throws Exception {
        Model m = ModelFileTest.build(name, variant, 8);
        int batch = m.input().dim(1) <= 32 ? 3 : 1;
        float[] x = Data.uniform((int) (batch * m.input().size()), new SplittableRandom(Seeds.of("onnx" + name)));
        Backend b = Backends.best();
        float[] ours = Outputs.run(m, b, batch, x, batch);
        byte[] onnx = OnnxExporter.encode(m);
        Outputs.assertClose(ours, ort(onnx, x, dims(batch, m.input())), name + " " + variant + ": ONNX Runtime vs " + b.name());
        Model back = OnnxImporter.read(onnx, name, null);
        assertEquals(m.input(), back.input());
        Outputs.assertClose(ours, Outputs.run(back, b, batch, x, batch), name + " " + variant + ": imported back, on " + b.name());
        if (variant == ModelFileTest.Variant.FLOAT) {
            assertEquals(Summary.of(m.graph(), m.input()).paperParams(), Summary.of(back.graph(), back.input()).paperParams());
        }
    }

    /** Binarized-as-float: re-binarizing the imported α·B convolutions recovers the pattern network's outputs. */
    @Test
    void binarizedAsFloatRebinarizesToTheSameNetwork() throws Exception {
        Model m = ModelFileTest.build("resnet20", ModelFileTest.Variant.BINARIZED, 9);
        Model back = OnnxImporter.read(OnnxExporter.encode(m), "r", null);
        Model again = back.with(Transforms.binarize(back.graph(), Transforms.BinarizeOptions.authors()), "+b");
        assertEquals(Summary.of(m.graph(), m.input()).paperParams(), Summary.of(again.graph(), again.input()).paperParams());
        float[] x = Data.uniform(2 * 3 * 32 * 32, new SplittableRandom(Seeds.of("rebinarize")));
        Outputs.assertClose(Outputs.run(m, Backends.best(), 2, x, 2), Outputs.run(again, Backends.best(), 2, x, 2), 1e-5, "re-binarized");
    }

    @Test
    void theAuthorsResNet20ExportsAndRunsInOnnxRuntime() throws Exception {
        Model m = CaffeImporter.read(Fixtures.path(Fixtures.RESNET20_CAFFE), null);
        float[] x = Data.uniform(4 * 3 * 32 * 32, new SplittableRandom(Seeds.of("onnx-caffe")));
        Outputs.assertClose(Outputs.run(m, Backends.best(), 4, x, 4), ort(OnnxExporter.encode(m), x, 4, 3, 32, 32), "authors' ResNet-20");
    }

    // ------------------------------------------------------------------ hand-made ONNX graphs

    /** A small ONNX graph builder for import tests. */
    static final class Graph {
        final ProtoWriter g = new ProtoWriter();
        final SplittableRandom r;

        Graph(SplittableRandom r, int... inputDims) {
            this.r = r;
            ProtoWriter shape = new ProtoWriter();
            for (int d : inputDims) {
                shape.message(1, new ProtoWriter().int64(1, d));
            }
            g.message(11, new ProtoWriter().string(1, "x").message(2, new ProtoWriter().message(1, new ProtoWriter().int64(1, 1).message(2, shape))));
        }

        String weight(String name, int... dims) {
            int n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
            float[] v = Data.uniform(n, r);
            ProtoWriter t = new ProtoWriter();
            for (int d : dims) {
                t.int64(1, d);
            }
            g.message(5, t.int64(2, 1).string(8, name).bytes(9, ProtoWriter.floats(v)));
            return name;
        }

        String positive(String name, int n) {
            float[] v = Data.abs(Data.uniform(n, r));
            for (int i = 0; i < n; i++) {
                v[i] += 0.5f;
            }
            g.message(5, new ProtoWriter().int64(1, n).int64(2, 1).string(8, name).bytes(9, ProtoWriter.floats(v)));
            return name;
        }

        String node(String op, String out, List<String> in, ProtoWriter... attrs) {
            ProtoWriter n = new ProtoWriter();
            for (String i : in) {
                n.string(1, i);
            }
            n.string(2, out).string(3, out + "_node").string(4, op);
            for (ProtoWriter a : attrs) {
                n.message(5, a);
            }
            g.message(1, n);
            return out;
        }

        static ProtoWriter ints(String name, int... v) {
            ProtoWriter a = new ProtoWriter().string(1, name);
            for (int i : v) {
                a.int64(8, i);
            }
            return a.int64(20, 7);
        }

        static ProtoWriter one(String name, int v) {
            return new ProtoWriter().string(1, name).int64(3, v).int64(20, 2);
        }

        byte[] model(String output, String domain) {
            g.message(12, new ProtoWriter().string(1, output));
            return new ProtoWriter().int64(1, 7).message(7, g).message(8, new ProtoWriter().string(1, domain).int64(2, 13)).toByteArray();
        }
    }

    /**
     * Operators our exporter never writes (MatMul + Add bias, AveragePool with padding, grouped
     * Conv with bias and stride, Concat of three branches, Dropout, Softmax), imported and run
     * against ONNX Runtime on the same file.
     */
    @Test
    void importsGraphsMadeElsewhere() throws Exception {
        Graph g = new Graph(new SplittableRandom(Seeds.of("onnx-import")), 1, 12, 15, 13);
        String c1 = g.node("Conv", "c1", List.of("x", g.weight("w1", 16, 3, 3, 3), g.weight("b1", 16)),
                Graph.ints("kernel_shape", 3, 3), Graph.ints("strides", 2, 2), Graph.ints("pads", 1, 1, 1, 1), Graph.one("group", 4));
        String bn = g.node("BatchNormalization", "bn", List.of(c1, g.weight("s", 16), g.weight("bb", 16), g.weight("m", 16), g.positive("v", 16)));
        String r1 = g.node("Relu", "r1", List.of(bn));
        String a = g.node("Conv", "a", List.of(r1, g.weight("wa", 8, 16, 1, 1)), Graph.ints("kernel_shape", 1, 1));
        String b = g.node("MaxPool", "b", List.of(r1), Graph.ints("kernel_shape", 3, 3), Graph.ints("strides", 1, 1), Graph.ints("pads", 1, 1, 1, 1));
        String c = g.node("AveragePool", "c", List.of(r1), Graph.ints("kernel_shape", 3, 3), Graph.ints("strides", 1, 1),
                Graph.ints("pads", 1, 1, 1, 1), Graph.one("count_include_pad", 1));
        String cat = g.node("Concat", "cat", List.of(a, b, c), Graph.one("axis", 1));
        String sum = g.node("Add", "sum", List.of(cat, g.node("Conv", "d", List.of(r1, g.weight("wd", 40, 16, 1, 1)), Graph.ints("kernel_shape", 1, 1))));
        String pool = g.node("MaxPool", "p", List.of(sum), Graph.ints("kernel_shape", 2, 2), Graph.ints("strides", 2, 2), Graph.one("ceil_mode", 1));
        String drop = g.node("Dropout", "drop", List.of(pool));
        String flat = g.node("Flatten", "flat", List.of(drop), Graph.one("axis", 1));
        String mm = g.node("MatMul", "mm", List.of(flat, g.weight("wf", 40 * 4 * 4, 7)));
        String fc = g.node("Add", "fc", List.of(mm, g.weight("bf", 7)));
        String gemm = g.node("Gemm", "gemm", List.of(fc, g.weight("wg", 5, 7), g.weight("bg", 5)), Graph.one("transB", 1));
        String out = g.node("Softmax", "prob", List.of(gemm), Graph.one("axis", 1));
        byte[] onnx = g.model(out, "");
        Model m = OnnxImporter.read(onnx, "made-elsewhere", null);
        assertEquals(Shape.of(12, 15, 13), m.input());
        float[] x = Data.uniform(12 * 15 * 13, new SplittableRandom(Seeds.of("onnx-import-x")));
        float[] expected = ort(onnx, x, 1, 12, 15, 13);
        for (Backend b2 : Backends.available()) {
            Outputs.assertClose(expected, Outputs.run(m, b2, 1, x, 1), "on " + b2.name() + " " + Seeds.replay("onnx-import"));
        }
    }

    @Test
    void unsupportedGraphsAreNamed() {
        Graph g = new Graph(new SplittableRandom(1), 1, 3, 8, 8);
        String s = g.node("Sigmoid", "sig", List.of("x"));
        IOException e = assertThrows(IOException.class, () -> OnnxImporter.read(g.model(s, ""), "toy", null));
        assertTrue(e.getMessage().contains("node sig_node (Sigmoid): operator Sigmoid is not supported"), e.getMessage());

        Graph d = new Graph(new SplittableRandom(1), 1, 3, 8, 8);
        String r = d.node("Relu", "r", List.of("x"));
        e = assertThrows(IOException.class, () -> OnnxImporter.read(d.model(r, "com.microsoft"), "toy", null));
        assertTrue(e.getMessage().contains("operator set domain 'com.microsoft'"), e.getMessage());

        Graph p = new Graph(new SplittableRandom(1), 1, 3, 8, 8);
        String c = p.node("Conv", "c", List.of("x", p.weight("w", 4, 3, 3, 3)), Graph.ints("kernel_shape", 3, 3),
                new ProtoWriter().string(1, "auto_pad").bytes(4, "SAME_UPPER".getBytes(java.nio.charset.StandardCharsets.UTF_8)).int64(20, 3));
        e = assertThrows(IOException.class, () -> OnnxImporter.read(p.model(c, ""), "toy", null));
        assertTrue(e.getMessage().contains("auto_pad SAME_UPPER is not supported"), e.getMessage());

        Graph u = new Graph(new SplittableRandom(1), 1, 3, 8, 8);
        String v = u.node("Relu", "r", List.of("missing"));
        e = assertThrows(IOException.class, () -> OnnxImporter.read(u.model(v, ""), "toy", null));
        assertTrue(e.getMessage().contains("reads 'missing', which no earlier node produces"), e.getMessage());
    }

    /** Damaged copies of an exported model import or fail with an IOException: never another exception. */
    @Test
    void damagedFilesFailCleanly() {
        byte[] file = OnnxExporter.encode(ModelFileTest.build("resnet20", ModelFileTest.Variant.FLOAT, 1));
        SplittableRandom r = new SplittableRandom(Seeds.of("onnx-fuzz"));
        for (int t = 0; t < 300; t++) {
            byte[] d;
            if (t % 2 == 0) {
                d = Arrays.copyOf(file, r.nextInt(file.length));
            } else {
                d = file.clone();
                d[r.nextInt(d.length)] ^= (byte) (1 + r.nextInt(255));
            }
            try {
                OnnxImporter.read(d, "damaged", null);
            } catch (IOException expected) {
                // fine
            } catch (RuntimeException | Error e) {
                throw new AssertionError("trial " + t + ": " + e + " " + Seeds.replay("onnx-fuzz"), e);
            }
        }
    }
}
