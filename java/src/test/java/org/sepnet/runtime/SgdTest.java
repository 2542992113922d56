package org.sepnet.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.BuildInfo;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.data.FashionMnist;
import org.sepnet.data.ImageSet;
import org.sepnet.data.Normalization;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Linear;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Sequential;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

/** The optimizer's update rule and decay policy, the schedules, and SGD learning Fashion-MNIST images on the native backend. */
class SgdTest {
    private static final int EPOCHS = 8;

    @Test
    void momentumAndDecayAsWrittenOnTrainableArraysOnly() {
        Parameter w = new Parameter("l", "weights", new double[] {1, 2}, false);
        Parameter b = new Parameter("l", "bias", new double[] {3}, false);
        Parameter frozen = new Parameter("k", "weights", new double[] {5}, false);
        Parameter signs = new Parameter("l", "signs", new double[] {1, -1}, true);
        frozen.setTrainable(false);
        Sgd sgd = new Sgd(List.of(w, b, frozen, signs), 0.9, 0.1);
        for (Parameter p : List.of(w, b, frozen)) {
            java.util.Arrays.fill(p.grad(), 0);
        }
        w.grad()[0] = 0.5;
        w.grad()[1] = -1;
        b.grad()[0] = 2;
        frozen.grad()[0] = 7;
        sgd.step(0.5);
        assertArrayEquals(new double[] {0.7, 2.4}, w.value(), 1e-12);   // v = g + 0.1·w
        assertArrayEquals(new double[] {2}, b.value(), 1e-12);          // biases do not decay
        sgd.step(0.5);
        assertArrayEquals(new double[] {0.145, 3.14}, w.value(), 1e-12); // v = 0.9·v + g + 0.1·w
        assertArrayEquals(new double[] {5}, frozen.value());
        assertArrayEquals(new double[] {1, -1}, signs.value());
        assertTrue(Sgd.decays(w) && !Sgd.decays(b));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(), 1, 0));
        assertThrows(IllegalArgumentException.class, () -> sgd.step(Double.NaN));
    }

    @Test
    void schedules() {
        Schedule cosine = Schedule.cosine(1, 10);
        assertEquals(1, cosine.rate(0, 0, 4), 1e-12);
        assertEquals(0.5, cosine.rate(5, 0, 4), 1e-12);
        assertEquals((1 + Math.cos(Math.PI * 9.75 / 10)) / 2, cosine.rate(9, 3, 4), 1e-12);
        Schedule step = Schedule.step(0.1, 0.1, 3);
        assertEquals(0.1, step.rate(2, 3, 4), 1e-12);
        assertEquals(0.01, step.rate(3, 0, 4), 1e-12);
        Schedule warm = Schedule.constant(1).afterWarmup(2);
        assertEquals(1 / 8.0, warm.rate(0, 0, 4), 1e-12);
        assertEquals(1, warm.rate(1, 3, 4), 1e-12);
        assertEquals(1, warm.rate(2, 0, 4), 1e-12);
        assertEquals(0.5, Schedule.cosine(1, 10).afterWarmup(1).rate(6, 0, 4), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Schedule.cosine(0, 10));
    }

    /** A small CNN on 1,024 Fashion-MNIST training images: SGD halves the loss in 8 epochs and fits most of them. */
    @Test
    void sgdLearnsFashionMnistImages() throws IOException {
        Assumptions.assumeTrue(BuildInfo.built("native.library"), () -> "native library not built: " + BuildInfo.skipReason("native"));
        Assumptions.assumeTrue(FashionMnist.present(FashionMnist.DEBIAN), "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        ImageSet all = FashionMnist.train(FashionMnist.DEBIAN);
        Normalization norm = all.statistics();
        ImageSet set = all.limit(1024);
        SplittableRandom r = new SplittableRandom(3);
        float[] ones = {1, 1, 1, 1, 1, 1, 1, 1};
        float[] ones16 = new float[16];
        java.util.Arrays.fill(ones16, 1);
        Layer model = new Sequential("cnn", List.of(
                new Conv2d("c1", ConvSpec.same(1, 8, 3, 1, 1), ConvWeights.random(8, 1, 3, 3, false, 1)),
                new BatchNorm("b1", new BatchNormParams(ones, new float[8], new float[8], ones, 1e-5f)), new Relu("r1"),
                Pool2d.max("p1", 2, 2, 0, false),
                new Conv2d("c2", ConvSpec.same(8, 16, 3, 1, 1), ConvWeights.random(16, 8, 3, 3, false, 2)),
                new BatchNorm("b2", new BatchNormParams(ones16, new float[16], new float[16], ones16, 1e-5f)), new Relu("r2"),
                Pool2d.globalAvg("gap"), new Linear("fc", ConvWeights.random(10, 16, 1, 1, true, 3))));
        int batch = 64;
        Shape in = set.imageShape();
        int size = (int) in.size();
        try (TrainingGraph g = TrainingGraph.build(model, in, NativeBackend.instance(), batch)) {
            g.setInputGradient(false);
            Sgd sgd = new Sgd(g.parameters(), 0.9, 5e-4);
            Schedule rate = Schedule.cosine(0.2, EPOCHS);
            int steps = set.size() / batch;
            double[] x = new double[batch * size];
            float[] f = new float[batch * size];
            int[] labels = new int[batch];
            double firstEpoch = 0;
            double lastEpoch = 0;
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < set.size(); i++) {
                order.add(i);
            }
            for (int epoch = 0; epoch < EPOCHS; epoch++) {
                java.util.Collections.shuffle(order, new java.util.Random(epoch));
                double sum = 0;
                for (int s = 0; s < steps; s++) {
                    for (int j = 0; j < batch; j++) {
                        int i = order.get(s * batch + j);
                        set.pixels(i, f, j * size);
                        labels[j] = set.label(i);
                    }
                    norm.apply(f, 0, batch, size);
                    for (int k = 0; k < f.length; k++) {
                        x[k] = f[k];
                    }
                    sum += g.step(x, labels, batch);
                    sgd.step(rate.rate(epoch, s, steps));
                }
                if (epoch == 0) {
                    firstEpoch = sum / steps;
                }
                lastEpoch = sum / steps;
            }
            int right = 0;
            for (int s = 0; s < steps; s++) {
                for (int j = 0; j < batch; j++) {
                    set.pixels(s * batch + j, f, j * size);
                    labels[j] = set.label(s * batch + j);
                }
                norm.apply(f, 0, batch, size);
                for (int k = 0; k < f.length; k++) {
                    x[k] = f[k];
                }
                double[] logits = g.predict(x, batch);
                for (int j = 0; j < batch; j++) {
                    int best = 0;
                    for (int c = 1; c < 10; c++) {
                        if (logits[j * 10 + c] > logits[j * 10 + best]) {
                            best = c;
                        }
                    }
                    right += best == labels[j] ? 1 : 0;
                }
            }
            double accuracy = right / (double) (steps * batch);
            System.out.printf("Fashion-MNIST 1024 images, %d epochs: mean loss %.3f -> %.3f, accuracy %.3f%n", EPOCHS, firstEpoch, lastEpoch, accuracy);
            assertTrue(lastEpoch < 0.5 * firstEpoch, "mean loss " + firstEpoch + " -> " + lastEpoch);
            assertTrue(accuracy > 0.6, "accuracy on the training images " + accuracy);
        }
    }
}
