package org.sepnet.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Residual;
import org.sepnet.layers.Summary;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.pattern.Alpha;
import org.sepnet.pattern.QuantizationError;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Data;
import org.sepnet.testing.Fixtures;
import org.sepnet.testing.Outputs;
import org.sepnet.testing.Seeds;

/** Caffe import: the SEP-Nets authors' trained ResNet-20, and errors on what is not supported. */
class CaffeImportTest {
    static Path fixture;
    static Model model;

    @BeforeAll
    static void load() throws IOException {
        fixture = Fixtures.path(Fixtures.RESNET20_CAFFE);
        model = CaffeImporter.read(fixture, null);
    }

    static List<Layer> flatten(Layer l, List<Layer> out) {
        if (l.children().isEmpty()) {
            out.add(l);
        }
        for (Layer c : l.children()) {
            flatten(c, out);
        }
        return out;
    }

    static void collectResiduals(Layer l, List<Residual> out) {
        if (l instanceof Residual r) {
            out.add(r);
        }
        for (Layer c : l.children()) {
            collectResiduals(c, out);
        }
    }

    @Test
    void isTheAuthorsResNet20WithThePapersParameterCounts() {
        assertEquals("resnet20_cifar10_authors", model.name());
        assertEquals(Shape.of(3, 32, 32), model.input(), "input inferred from the data layer's crop and the first convolution");
        Summary s = Summary.of(model.graph(), model.input());
        assertEquals(292_944, s.paperParams(), "paper: 292K full precision");
        assertEquals(Shape.of(10), s.output());
        Layer binarized = Transforms.binarize(model.graph(), Transforms.BinarizeOptions.authors());
        assertEquals(55_376, Summary.of(binarized, model.input()).paperParams(), "paper: 55K pattern");
        // The same architecture as the zoo's ResNet-20: layer types, output shapes and work agree one for one.
        Model zoo = Zoo.build("resnet20", 1);
        Summary z = Summary.of(zoo.graph(), zoo.input());
        assertEquals(z.macs(), s.macs());
        // ReLUs after the sums are Caffe layers of their own here, a flag of the residual in the zoo: compare the rest.
        List<String> mine = flatten(model.graph(), new ArrayList<>()).stream().map(l -> l.type()).filter(t -> !t.equals("relu")).sorted().toList();
        List<String> theirs = flatten(zoo.graph(), new ArrayList<>()).stream().map(l -> l.type()).filter(t -> !t.equals("relu")).sorted().toList();
        assertEquals(theirs, mine);
        assertEquals(19, flatten(model.graph(), new ArrayList<>()).stream().filter(l -> l.type().equals("relu")).count(), "1 + 2 per block");
        // 19 convolutions on the main path and 2 projection shortcuts (3×3, stride 2), each with a bias.
        List<Conv2d> convs = flatten(model.graph(), new ArrayList<>()).stream().filter(l -> l instanceof Conv2d).map(l -> (Conv2d) l).toList();
        assertEquals(21, convs.size());
        assertTrue(convs.stream().allMatch(c -> c.weights().hasBias()));
        // The two down-sampling blocks: residuals whose shortcut is a 3×3 stride-2 convolution (+ batch norm).
        List<Residual> projections = new ArrayList<>();
        collectResiduals(model.graph(), projections);
        assertEquals(9, projections.size(), "residual blocks");
        projections.removeIf(b -> b.shortcut() == null);
        assertEquals(2, projections.size(), "projection shortcuts");
        for (Residual b : projections) {
            Conv2d c = (Conv2d) flatten(b.shortcut(), new ArrayList<>()).get(0);
            assertEquals(List.of(3, 2), List.of(c.spec().kh(), c.spec().sh()), b.name());
        }
    }

    /** Caffe stores BatchNorm statistics multiplied by a scale factor (the third blob); the import divides them out. */
    @Test
    void batchNormStatisticsAreDividedByTheScaleFactor() throws IOException {
        Proto net = Proto.parse(Files.readAllBytes(fixture), "net");
        Proto first = null;
        for (Proto l : net.messages(100, "layer")) {
            if (l.string(2, "").equals("BatchNorm")) {
                first = l;
                break;
            }
        }
        assertNotNull(first);
        List<Proto> blobs = first.messages(7, "blobs");
        float[] rawMean = blobs.get(0).floats(5);
        float[] rawVar = blobs.get(1).floats(5);
        float factor = blobs.get(2).floats(5)[0];
        assertTrue(factor > 100, "the fixture's scale factor is about 1000; got " + factor);
        String name = first.string(1, "");
        BatchNorm bn = (BatchNorm) flatten(model.graph(), new ArrayList<>()).stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
        for (int c = 0; c < rawMean.length; c++) {
            assertEquals(rawMean[c] / factor, bn.params().mean()[c], Math.ulp(rawMean[c] / factor) * 2, "mean " + c);
            assertEquals(rawVar[c] / factor, bn.params().variance()[c], Math.ulp(rawVar[c] / factor) * 2, "variance " + c);
        }
    }

    @Test
    void runsOnEveryBackendWithMatchingOutputs() {
        Layer binarized = Transforms.binarize(model.graph(), Transforms.BinarizeOptions.authors());
        for (Model m : List.of(model, model.with(binarized, "+binarized"))) {
            float[] x = Data.uniform(3 * 3 * 32 * 32, new SplittableRandom(Seeds.of("caffe")));
            float[] expected = Outputs.run(m, ReferenceBackend.instance(), 3, x, 3);
            // Inference behaviour: each image's logits do not depend on the rest of the batch (stored statistics, not batch ones).
            float[] one = Outputs.run(m, ReferenceBackend.instance(), 1, Arrays.copyOf(x, 3 * 32 * 32), 1);
            assertArrayEquals(Arrays.copyOf(expected, 10), one, m.name());
            for (Backend b : Backends.available()) {
                Outputs.assertClose(expected, Outputs.run(m, b, 3, x, 3), m.name() + " on " + b.name() + " " + Seeds.replay("caffe"));
            }
        }
    }

    /** The paper's quantization-error analysis on real trained 3×3 filters. */
    @Test
    void quantizationErrorOfTheTrainedFilters() {
        QuantizationError q = new QuantizationError();
        for (Layer l : flatten(model.graph(), new ArrayList<>())) {
            if (l instanceof Conv2d c) {
                q.add(c.weights(), Alpha.perFilter());
            }
        }
        List<QuantizationError.Row> rows = q.rows();
        assertEquals(1, rows.size(), rows.toString());
        QuantizationError.Row r = rows.get(0);
        assertEquals("3x3", r.kernel());
        // 16 + 6·16 + (6·32 + 32) + (6·64 + 64) filters.
        assertEquals(784, r.filters());
        // Sign and mean magnitude keep most of a filter: the error is well below the filter's own energy (1 - 2/π for Gaussian weights).
        assertTrue(r.relativeError() > 0.05 && r.relativeError() < 0.6, r.toString());
    }

    // ------------------------------------------------------------------ errors

    private static byte[] net(ProtoWriter... layers) {
        ProtoWriter n = new ProtoWriter().string(1, "toy");
        for (ProtoWriter l : layers) {
            n.message(100, l);
        }
        return n.toByteArray();
    }

    private static ProtoWriter layer(String name, String type, String bottom, String top) {
        ProtoWriter l = new ProtoWriter().string(1, name).string(2, type);
        if (bottom != null) {
            l.string(3, bottom);
        }
        return l.string(4, top);
    }

    private static ProtoWriter input(int c, int h, int w) {
        ProtoWriter shape = new ProtoWriter().int64(1, 1).int64(1, c).int64(1, h).int64(1, w);
        return layer("data", "Input", null, "data").message(143, new ProtoWriter().message(1, shape));
    }

    @Test
    void unsupportedLayersAndBrokenGraphsAreNamed() {
        IOException e = assertThrows(IOException.class, () -> CaffeImporter.read(net(input(3, 8, 8), layer("norm1", "LRN", "data", "n")), "toy", null));
        assertTrue(e.getMessage().contains("layer norm1 (LRN): layer type LRN is not supported"), e.getMessage());
        e = assertThrows(IOException.class, () -> CaffeImporter.read(net(input(3, 8, 8), layer("r", "ReLU", "nothing", "y")), "toy", null));
        assertTrue(e.getMessage().contains("reads blob 'nothing', which no earlier layer produces"), e.getMessage());
        e = assertThrows(IOException.class, () -> CaffeImporter.read(net(), "toy", null));
        assertTrue(e.getMessage().contains("has no layers"), e.getMessage());
        e = assertThrows(IOException.class, () -> CaffeImporter.read(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2}, "junk", null));
        assertTrue(e.getMessage().contains("not a valid protobuf message"), e.getMessage());
        // A convolution whose weight blob does not match its declared outputs.
        ProtoWriter blob = new ProtoWriter().message(7, new ProtoWriter().int64(1, 4).int64(1, 3).int64(1, 3).int64(1, 3))
                .bytes(5, ProtoWriter.floats(new float[4 * 3 * 9]));
        ProtoWriter conv = layer("conv1", "Convolution", "data", "c").message(7, blob)
                .message(106, new ProtoWriter().int64(1, 5).int64(2, 0).int64(4, 3));
        e = assertThrows(IOException.class, () -> CaffeImporter.read(net(input(3, 8, 8), conv), "toy", null));
        assertTrue(e.getMessage().contains("weight blob [4, 3, 3, 3] does not match num_output 5"), e.getMessage());
    }

    /** Damaged copies of the fixture import or fail with an IOException: never another exception. */
    @Test
    void damagedFilesFailCleanly() throws IOException {
        byte[] file = Files.readAllBytes(fixture);
        SplittableRandom r = new SplittableRandom(Seeds.of("caffe-fuzz"));
        for (int t = 0; t < 200; t++) {
            byte[] d;
            String what;
            if (t % 2 == 0) {
                int n = r.nextInt(file.length);
                d = Arrays.copyOf(file, n);
                what = "truncated to " + n;
            } else {
                d = file.clone();
                // Mostly the graph (layer definitions come before the big weight blobs within each layer).
                int pos = r.nextInt(file.length);
                d[pos] ^= (byte) (1 + r.nextInt(255));
                what = "byte " + pos + " flipped";
            }
            try {
                CaffeImporter.read(d, "damaged", null);
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains("damaged") || expected.getMessage().contains("NetParameter"), expected.getMessage());
            } catch (RuntimeException | Error e) {
                throw new AssertionError(what + ": " + e + " " + Seeds.replay("caffe-fuzz"), e);
            }
        }
    }
}
