package org.sepnet.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.data.Normalization;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Seeds;

/**
 * The Predictor against a network compiled by hand on the reference backend: the normalization it
 * applies, probabilities and ranking, BufferedImages, concurrent callers, and misuse.
 */
class PredictorTest {
    static final Shape IMAGE = Shape.of(1, 8, 8);
    static final List<String> LABELS = List.of("a", "b", "c", "d");

    static Model model() {
        return Zoo.build("resnet8", 3, IMAGE, 4).withData(new Normalization(new float[] {0.25f}, new float[] {0.5f}), LABELS);
    }

    static float[] images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(256) / 255f;
        }
        return x;
    }

    /** The reference backend's logits for the normalized images. */
    static float[] expected(Model m, float[] x, int n) {
        float[] z = x.clone();
        m.normalization().apply(z, 0, n, 64);
        try (Network net = Network.compile(m.graph(), IMAGE, ReferenceBackend.instance(), n);
             HostTensor in = HostTensor.of(IMAGE.withBatch(n), z);
             HostTensor out = HostTensor.allocate(Shape.of(n, 4))) {
            net.forward(in, out);
            return out.toArray();
        }
    }

    @Test
    void classifiesAsTheNetworkOnNormalizedImagesDoes() throws Exception {
        Model m = model();
        float[] x = images(5, Seeds.of("predictor"));
        float[] want = expected(m, x, 5);
        try (Predictor p = Predictor.builder().model(m).maxBatch(2).build()) {
            float[] got = p.logits(x, 5);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-3 * (1 + Math.abs(want[i])), "logit " + i + " " + Seeds.replay("predictor"));
            }
            List<Classifications> cs = p.predict(x, 5);
            for (int n = 0; n < 5; n++) {
                Classifications c = cs.get(n);
                double sum = 0;
                for (Classifications.Classification k : c.all()) {
                    sum += k.probability();
                }
                assertEquals(1, sum, 1e-9);
                int best = 0;
                for (int k = 1; k < 4; k++) {
                    best = got[n * 4 + k] > got[n * 4 + best] ? k : best;
                }
                assertEquals(best, c.best().index());
                assertEquals(LABELS.get(best), c.best().label());
                assertEquals(2, c.topK(2).size());
                assertTrue(c.topK(2).get(0).probability() >= c.topK(2).get(1).probability());
            }
            float[] raw;
            try (Predictor r = Predictor.builder().model(m).raw().build()) {
                raw = r.logits(java.util.Arrays.copyOf(x, 64), 1);
            }
            assertTrue(raw[0] != got[0] || raw[1] != got[1], "raw() skips the normalization");
            // The same model as a layer graph with the normalization given explicitly, and a host tensor in.
            try (Predictor g = Predictor.builder().model(m.graph(), IMAGE).normalization(m.normalization()).build();
                 HostTensor batch = HostTensor.of(IMAGE.withBatch(5), x)) {
                List<Classifications> fromTensor = g.predict(batch);
                for (int n = 0; n < 5; n++) {
                    assertArrayEquals(cs.get(n).logits(), fromTensor.get(n).logits(), "image " + n);
                    assertEquals(String.valueOf(cs.get(n).best().index()), fromTensor.get(n).best().label(), "no class names: indices");
                }
            }
        }
    }

    @Test
    void bufferedImagesAreResizedAndTakenAsLuminance() throws Exception {
        Model m = model();
        BufferedImage gray = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 16; y++) {
            for (int i = 0; i < 16; i++) {
                int v = (y / 2 * 8 + i / 2) * 3 % 256;
                gray.getRaster().setSample(i, y, 0, v);
            }
        }
        try (Predictor p = Predictor.builder().model(m).build()) {
            float[] px = p.pixels(gray);
            assertEquals(64, px.length);
            // Bilinear halving of 2×2 blocks of equal values keeps each block's value (within a gray level).
            assertEquals((3 * 8 + 5) * 3 % 256 / 255f, px[3 * 8 + 5], 1.5 / 255);
            assertArrayEquals(p.predict(px).logits(), p.predict(gray).logits());
            assertEquals(2, p.predict(List.of(gray, gray)).size());
        }
    }

    @Test
    void concurrentCallersGetTheirOwnAnswers() throws Exception {
        Model m = model();
        int callers = 8;
        float[][] inputs = new float[callers][];
        float[][] alone = new float[callers][];
        try (Predictor p = Predictor.builder().model(m).concurrency(3).build()) {
            for (int i = 0; i < callers; i++) {
                inputs[i] = images(3, 100 + i);
                alone[i] = p.logits(inputs[i], 3);
            }
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    int k = i;
                    results.add(pool.submit(() -> {
                        for (int rep = 0; rep < 20; rep++) {
                            if (!java.util.Arrays.equals(alone[k], p.logits(inputs[k], 3))) {
                                return false;
                            }
                        }
                        return true;
                    }));
                }
                for (int i = 0; i < callers; i++) {
                    assertTrue(results.get(i).get(), "caller " + i + " got another caller's logits");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void callersWithPoolsOfTheirOwnGetTheSharedPoolsAnswers() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.sepnet.backend.cpu.NativeBackend.instance().availability().available(),
                "the native backend is not built here");
        Model m = model();
        int callers = 4;
        try (Predictor shared = Predictor.builder().model(m).backend("native").threads(2).build();
             Predictor own = Predictor.builder().model(m).backend("native").threadsPerCaller(1).concurrency(callers).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    float[] x = images(5, 300 + i);
                    float[] want = shared.logits(x, 5);  // native kernels give the same bits for any thread count
                    results.add(pool.submit(() -> {
                        for (int rep = 0; rep < 10; rep++) {
                            if (!java.util.Arrays.equals(want, own.logits(x, 5))) {
                                return false;
                            }
                        }
                        return true;
                    }));
                }
                for (int i = 0; i < callers; i++) {
                    assertTrue(results.get(i).get(), "caller " + i);
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(own.backendDetail().matches("native: C\\+\\+ kernels, .*1 thread,.*a pool like it per caller, at most 4 callers"),
                    own.backendDetail());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Predictor.builder().model(m).threads(2).threadsPerCaller(1).build());
        assertTrue(e.getMessage().contains("threads(2) and threadsPerCaller(1) both given"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Predictor.builder().model(m).backend("reference").threadsPerCaller(1).build());
        assertTrue(e.getMessage().contains("threadsPerCaller is for the native backend; this predictor runs on reference"), e.getMessage());
    }

    @Test
    void misuseIsNamed() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Predictor.builder().build());
        assertTrue(e.getMessage().contains("no model"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Predictor.builder().model("lenet").build());
        assertTrue(e.getMessage().contains("unknown model 'lenet'"), e.getMessage());
        Predictor p = Predictor.builder().model(model()).backend("reference").build();
        assertEquals("reference", p.backend());
        e = assertThrows(IllegalArgumentException.class, () -> p.logits(new float[63], 1));
        assertTrue(e.getMessage().contains("63 values for 1 images of [1, 8, 8]; expected 64"), e.getMessage());
        float[] nan = images(1, 1);
        nan[7] = Float.NaN;
        Classifications c = p.predict(nan);
        assertTrue(Double.isNaN(c.best().probability()), "NaN stays NaN: " + c);
        p.close();
        assertThrows(IllegalStateException.class, () -> p.predict(images(1, 1)));
    }
}
