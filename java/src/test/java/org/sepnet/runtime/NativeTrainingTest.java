package org.sepnet.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.Backend;
import org.sepnet.backend.BuildInfo;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cpu.PatternAlgorithm;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Transforms;
import org.sepnet.tensor.Shape;

/** The native backend's training kernels ({@link TrainingConformance}), and their independence of the thread count. */
class NativeTrainingTest extends TrainingConformance {
    @BeforeAll
    static void requireNative() {
        Assumptions.assumeTrue(BuildInfo.built("native.library"), () -> "native library not built: " + BuildInfo.skipReason("native"));
    }

    @Override
    Backend backend() {
        return NativeBackend.instance();
    }

    /** One thread or two, every pattern algorithm: the same bits (each value is summed by one thread in a fixed order). */
    @Test
    void gradientsDoNotDependOnTheThreadCount() {
        Layer model = Transforms.binarize(TrainingGraphTest.tiny(23), Transforms.BinarizeOptions.all());
        try (NativeBackend one = NativeBackend.create(1, "auto", PatternAlgorithm.AUTO);
             NativeBackend two = NativeBackend.create(2, "auto", PatternAlgorithm.AUTO)) {
            List<double[]> a = compare("native_threads", model, Shape.of(3, 6, 6), 5, one);
            List<double[]> b = compare("native_threads", model, Shape.of(3, 6, 6), 5, two);
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), "array " + i);
            }
            // A convolution whose weight gradients have outputs in lanes, its samples split into chunks.
            Layer conv = new org.sepnet.layers.Sequential("model", List.of(new org.sepnet.layers.Conv2d("conv",
                    org.sepnet.layers.ConvSpec.same(16, 32, 3, 1, 1), org.sepnet.testing.Data.weights(32, 16, 3, 3, true,
                    new java.util.SplittableRandom(5)))));
            a = compare("native_threads_conv", conv, Shape.of(16, 9, 7), 11, one);
            b = compare("native_threads_conv", conv, Shape.of(16, 9, 7), 11, two);
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), "conv array " + i);
            }
        }
    }

    /** Every compiled instruction set's kernels (each has its own register tiles), on every layer case and the network. */
    @Test
    void everyInstructionSetMatchesTheReference() {
        for (String isa : NativeBackend.instructionSets()) {
            try (NativeBackend b = NativeBackend.create(2, isa, PatternAlgorithm.AUTO)) {
                for (Case c : layers()) {
                    compare(isa + "_" + c.name(), new org.sepnet.layers.Sequential("model", List.of(c.layer())), c.input(), c.batch(), b);
                }
                compare(isa + "_train_network_float", TrainingGraphTest.tiny(21), Shape.of(3, 6, 6), 4, b);
            }
        }
    }

    /**
     * Batch statistics from one pass around a guess of the mean, or two where the guess is poor: the centered sums
     * Σ x·(x − μ) within 1e-6 of Σ |x·(x − μ)| (about 17 float roundings of the terms' size, what the two-pass sums
     * themselves err by) of the exact ones in double, for channels far from zero, guesses good and bad (a NaN guess
     * included), and a constant channel; a one-pass sum around a guess 1000 away would be off by about 100 times that.
     */
    @Test
    void batchStatisticsDoNotDependOnTheGuess() {
        int batch = 3;
        int channels = 4;
        int inner = 50;
        float[] x = new float[batch * channels * inner];
        java.util.SplittableRandom r = new java.util.SplittableRandom(17);
        double[] offset = {0, 1000, -300, 7};
        for (int i = 0; i < x.length; i++) {
            int c = i / inner % channels;
            x[i] = c == 3 ? 7f : (float) (offset[c] + r.nextDouble() * 2 - 1);
        }
        double[] exactMean = new double[channels];
        double[] exactCentered = new double[channels];
        double[] termSize = new double[channels];
        for (int i = 0; i < x.length; i++) {
            exactMean[i / inner % channels] += x[i] / (double) (batch * inner);
        }
        float[][] guesses = {{0, 0, 0, 0}, {0.1f, 1000.2f, -299.9f, 7}, {Float.NaN, -5e4f, 1e9f, 0}};
        try (org.sepnet.tensor.Tensor t = backend().allocate(Shape.of(batch, channels, 1, inner))) {
            t.copyFrom(x);
            for (float[] guess : guesses) {
                float[] mean = new float[channels];
                double[] sum = new double[channels];
                double[] centered = TensorNorm.statistics(backend().trainOps(), t, guess, batch, channels, inner, mean, sum);
                java.util.Arrays.fill(exactCentered, 0);
                java.util.Arrays.fill(termSize, 0);
                for (int i = 0; i < x.length; i++) {
                    int c = i / inner % channels;
                    exactCentered[c] += x[i] * ((double) x[i] - mean[c]);
                    termSize[c] += Math.abs(x[i] * ((double) x[i] - mean[c]));
                }
                for (int c = 0; c < channels; c++) {
                    assertEquals((float) exactMean[c], mean[c], Math.ulp((float) exactMean[c]), "mean of channel " + c);
                    assertEquals(exactCentered[c], centered[c], 1e-6 * termSize[c] + 1e-9,
                            "centered sum of channel " + c + " with guess " + guess[c]);
                }
            }
        }
    }

    /** Misuse gets one clear line: a batch above the graph's, a closed graph, a backend without training kernels. */
    @Test
    void misuseIsRefusedClearly() {
        Layer model = TrainingGraphTest.tiny(24);
        TrainingGraph g = TrainingGraph.build(model, Shape.of(3, 6, 6), backend(), 2);
        double[] x = new double[3 * 108];
        IllegalArgumentException big = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> g.step(x, new int[] {0, 1, 2}, 3));
        org.junit.jupiter.api.Assertions.assertEquals("batch 3; this graph was built for at most 2", big.getMessage());
        g.step(x, new int[] {0, 1}, 2);
        g.close();
        IllegalStateException closed = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> g.step(x, new int[] {0, 1}, 2));
        org.junit.jupiter.api.Assertions.assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TrainingGraph.build(model, Shape.of(3, 6, 6), backend(), 0));
    }

    /** Without the input gradient the first layers skip their transposed convolutions; every parameter's gradient stays the same bits. */
    @Test
    void theInputGradientIsOptional() {
        Layer model = Transforms.binarize(TrainingGraphTest.tiny(25), Transforms.BinarizeOptions.all());
        double[] x = new double[4 * 108];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i * 37 % 101) / 50.0 - 1;
        }
        int[] labels = {0, 1, 2, 3};
        try (TrainingGraph a = TrainingGraph.build(model, Shape.of(3, 6, 6), backend(), 4);
             TrainingGraph b = TrainingGraph.build(model, Shape.of(3, 6, 6), backend(), 4)) {
            b.setInputGradient(false);
            assertEquals(a.step(x, labels, 4), b.step(x, labels, 4));
            for (int i = 0; i < a.parameters().size(); i++) {
                if (a.parameters().get(i).grad() != null) {
                    assertArrayEquals(a.parameters().get(i).grad(), b.parameters().get(i).grad(), a.parameters().get(i).name());
                }
            }
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, b::inputGradient);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("setInputGradient(true)"), e.getMessage());
        }
    }
}
