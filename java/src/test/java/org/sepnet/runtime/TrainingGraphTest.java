package org.sepnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Concat;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Linear;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Residual;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.layers.Transforms;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Data;
import org.sepnet.testing.Seeds;

/**
 * The training graph: its gradients against finite differences through a whole network (every
 * layer kind, float and binarized), its inference pass against the compiled {@link Network}, the
 * frozen/trainable contract, and a tiny network that must overfit a few images.
 */
class TrainingGraphTest {
    private static final Shape INPUT = Shape.of(3, 6, 6);

    /** Every layer kind: conv + BN + ReLU, a residual with a fused block, a concat with pooling, global pooling, FC, softmax. */
    static Layer tiny(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] ones = new float[8];
        java.util.Arrays.fill(ones, 1f);
        Layer stem = new Conv2d("stem", ConvSpec.same(3, 8, 3, 1, 1), Data.weights(8, 3, 3, 3, true, r));
        Layer bn = new BatchNorm("stem.bn", new BatchNormParams(Data.uniform(8, r), Data.uniform(8, r), Data.uniform(8, r), ones, 1e-5f));
        Layer block = PatternResidualBlock.raw("res.block", ConvSpec.same(8, 8, 3, 1, 2), Data.weights(8, 4, 3, 3, true, r), 1,
                Data.weights(8, 8, 1, 1, false, r));
        Layer res = new Residual("res", new Sequential("res.body", List.of(block, new Relu("res.relu"),
                new Conv2d("res.conv", ConvSpec.same(8, 8, 3, 1, 1), Data.weights(8, 8, 3, 3, false, r)))), null, true);
        Layer cat = new Concat("cat", List.of(new Conv2d("cat.a", ConvSpec.pointwise(8, 4, 1, 1), Data.weights(4, 8, 1, 1, true, r)),
                Pool2d.max("cat.b", 3, 1, 1, false)));
        return new Sequential("tiny", List.of(stem, bn, new Relu("stem.relu"), res, cat, Pool2d.avg("pool", 2, 2, 0, false),
                Pool2d.globalAvg("gap"), new Linear("fc", Data.weights(4, 12, 1, 1, true, r)), new Softmax("prob")));
    }

    private static double[] images(int n, SplittableRandom r) {
        double[] x = new double[(int) (n * INPUT.size())];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextDouble() * 2 - 1;
        }
        return x;
    }

    /** Every parameter's gradient (up to 12 coordinates each) against central differences of the loss (FiniteDifference, bound 1e-5). */
    private static void checkGradients(Layer model, String name) {
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        TrainingGraph g = TrainingGraph.build(model, INPUT);
        double[] x = images(3, r);
        int[] labels = {0, 3, 1};
        g.step(x, labels, 3);
        int decided = 0;
        for (Parameter p : g.parameters()) {
            if (p.alwaysFrozen()) {
                continue;
            }
            double[] analytic = p.grad().clone();
            for (int k = 0; k < Math.min(12, p.value().length); k++) {
                int i = r.nextInt(p.value().length);
                FiniteDifference.Result res = FiniteDifference.check(p.value(), i, analytic[i], () -> g.loss(x, labels, 3), 1e-5);
                if (!res.ok()) {
                    fail(name + ": " + p.name() + "[" + i + "] has gradient " + analytic[i] + "; finite differences give " + res.numeric()
                            + " " + Seeds.replay(name));
                }
                decided += res.decided() ? 1 : 0;
            }
        }
        assertTrue(decided >= 80, "decided " + decided + " coordinates");
    }

    @Test
    void gradientsThroughAFloatNetwork() {
        checkGradients(tiny(1), "train_float");
    }

    @Test
    void gradientsThroughABinarizedNetworkWithFrozenSigns() {
        Layer b = Transforms.binarize(tiny(2), Transforms.BinarizeOptions.all());
        TrainingGraph g = TrainingGraph.build(b, INPUT);
        assertTrue(g.parameters().stream().anyMatch(p -> p.kind().equals("alpha")), g.parameters().toString());
        assertTrue(g.parameters().stream().filter(p -> p.kind().equals("signs")).allMatch(p -> !p.trainable() && p.grad() == null));
        checkGradients(b, "train_binarized");
    }

    /** Inference mode (running statistics) gives what the compiled network gives on the reference backend. */
    @Test
    void inferenceMatchesTheCompiledNetwork() {
        for (Layer model : List.of(tiny(3), Transforms.binarize(tiny(4), Transforms.BinarizeOptions.all()))) {
            SplittableRandom r = new SplittableRandom(Seeds.of("train_predict"));
            double[] x = images(2, r);
            double[] logits = TrainingGraph.build(model, INPUT).predict(x, 2);
            float[] xf = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                xf[i] = (float) x[i];
            }
            // The network ends in the softmax the training graph leaves out: compare probabilities.
            try (Network net = Network.compile(model, INPUT, ReferenceBackend.instance(), 2);
                 HostTensor in = HostTensor.of(INPUT.withBatch(2), xf)) {
                float[] probs = net.forward(in).toArray();
                for (int n = 0; n < 2; n++) {
                    double max = Double.NEGATIVE_INFINITY;
                    double sum = 0;
                    for (int k = 0; k < 4; k++) {
                        max = Math.max(max, logits[n * 4 + k]);
                    }
                    for (int k = 0; k < 4; k++) {
                        sum += Math.exp(logits[n * 4 + k] - max);
                    }
                    for (int k = 0; k < 4; k++) {
                        assertEquals(Math.exp(logits[n * 4 + k] - max) / sum, probs[n * 4 + k], 1e-5, "image " + n + " class " + k);
                    }
                }
            }
        }
    }

    @Test
    void freezingByNameAndTheSignsThatNeverTrain() {
        TrainingGraph g = TrainingGraph.build(Transforms.binarize(tiny(5), Transforms.BinarizeOptions.all()), INPUT);
        assertEquals(0, g.freeze("nothing*"));
        int frozen = g.freeze("res.*");
        assertTrue(frozen >= 3, "froze " + frozen);
        g.step(images(2, new SplittableRandom(6)), new int[] {1, 2}, 2);
        for (Parameter p : g.parameters()) {
            boolean inRes = p.layer().startsWith("res.");
            assertEquals(!inRes && !p.alwaysFrozen(), p.trainable(), p.name());
            if (inRes && p.grad() != null) {
                for (double v : p.grad()) {
                    assertEquals(0, v, p.name() + " is frozen: no gradient");
                }
            }
        }
        Parameter signs = g.parameters().stream().filter(p -> p.kind().equals("signs")).findFirst().orElseThrow();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> signs.setTrainable(true));
        assertTrue(e.getMessage().contains("holds pattern signs, which stay frozen"), e.getMessage());
        assertTrue(g.memoryBytes() > 0);
    }

    /** Plain SGD (rate 0.1) on 8 images of 4 classes: the loss must fall below 0.05 within 1,500 steps, float and refined (signs frozen). */
    @Test
    void aTinyNetworkOverfitsAFewImages() {
        for (boolean binarized : new boolean[] {false, true}) {
            Layer model = binarized ? Transforms.binarize(tiny(7), Transforms.BinarizeOptions.all()) : tiny(7);
            TrainingGraph g = TrainingGraph.build(model, INPUT);
            double[] x = images(8, new SplittableRandom(Seeds.of("train_overfit")));
            int[] labels = {0, 1, 2, 3, 0, 1, 2, 3};
            double[] loss = sgd(g, x, labels, 8, 0.1, 1500, 0.05);
            double first = loss[0];
            assertTrue(loss[1] < 0.05, (binarized ? "binarized" : "float") + ": loss " + first + " -> " + loss[1]);
        }
    }

    /** Plain SGD at {@code rate} until the loss falls below {@code target} or {@code steps} steps ran: {first loss, last loss}. */
    static double[] sgd(TrainingGraph g, double[] x, int[] labels, int batch, double rate, int steps, double target) {
        double first = g.step(x, labels, batch);
        double loss = first;
        for (int step = 0; step < steps && loss > target; step++) {
            for (Parameter p : g.parameters()) {
                if (p.trainable()) {
                    for (int i = 0; i < p.value().length; i++) {
                        p.value()[i] -= rate * p.grad()[i];
                    }
                }
            }
            loss = g.step(x, labels, batch);
        }
        return new double[] {first, loss};
    }

    /** After training, toLayer() gives a model the inference Network runs as the graph predicts: the values travel back. */
    @Test
    void trainedValuesTravelBackIntoTheLayers() {
        Layer model = Transforms.binarize(tiny(9), Transforms.BinarizeOptions.all());
        TrainingGraph g = TrainingGraph.build(model, INPUT);
        double[] x = images(4, new SplittableRandom(Seeds.of("train_tolayer")));
        int[] labels = {0, 1, 2, 3};
        for (int step = 0; step < 5; step++) {
            g.step(x, labels, 4);
            for (Parameter p : g.parameters()) {
                if (p.trainable()) {
                    for (int i = 0; i < p.value().length; i++) {
                        p.value()[i] -= 0.05 * p.grad()[i];
                    }
                }
            }
        }
        double[] logits = g.predict(x, 4);
        Layer trained = g.toLayer();
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = (float) x[i];
        }
        try (Network net = Network.compile(trained, INPUT, ReferenceBackend.instance(), 4);
             HostTensor in = HostTensor.of(INPUT.withBatch(4), xf)) {
            float[] probs = net.forward(in).toArray();
            double[] before = TrainingGraph.build(model, INPUT).predict(x, 4);
            double moved = 0;
            for (int n = 0; n < 4; n++) {
                double max = Double.NEGATIVE_INFINITY;
                double sum = 0;
                for (int k = 0; k < 4; k++) {
                    max = Math.max(max, logits[n * 4 + k]);
                    moved = Math.max(moved, Math.abs(logits[n * 4 + k] - before[n * 4 + k]));
                }
                for (int k = 0; k < 4; k++) {
                    sum += Math.exp(logits[n * 4 + k] - max);
                }
                for (int k = 0; k < 4; k++) {
                    assertEquals(Math.exp(logits[n * 4 + k] - max) / sum, probs[n * 4 + k], 1e-5, "image " + n + " class " + k);
                }
            }
            assertTrue(moved > 1e-3, "training changed the logits by " + moved);
        }
    }

    /** Buffers are reused across steps: the same step twice gives the same loss and gradients, and holds no more memory. */
    @Test
    void repeatedStepsReuseTheirBuffersExactly() {
        TrainingGraph g = TrainingGraph.build(Transforms.binarize(tiny(10), Transforms.BinarizeOptions.all()), INPUT);
        double[] x = images(3, new SplittableRandom(Seeds.of("train_reuse")));
        int[] labels = {2, 0, 1};
        double first = g.step(x, labels, 3);
        long bytes = g.memoryBytes();
        double[][] grads = g.parameters().stream().filter(p -> p.grad() != null).map(p -> p.grad().clone()).toArray(double[][]::new);
        double[] dx = g.inputGradient();
        g.predict(x, 3);  // an inference pass in between writes the same buffers
        assertEquals(first, g.step(x, labels, 3));
        assertEquals(bytes, g.memoryBytes());
        double[][] again = g.parameters().stream().filter(p -> p.grad() != null).map(p -> p.grad().clone()).toArray(double[][]::new);
        for (int i = 0; i < grads.length; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(grads[i], again[i], "parameter " + i);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(dx, g.inputGradient());
    }

    @Test
    void onlyAFinalSoftmaxIsAllowed() {
        Layer inner = new Sequential("bad", List.of(new Linear("fc", ConvWeights.random(4, 12, 1, 1, true, 1)), new Softmax("mid"),
                new Linear("fc2", ConvWeights.random(4, 4, 1, 1, true, 2))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingGraph.build(inner, Shape.of(12)));
        assertTrue(e.getMessage().contains("layer mid: a softmax inside the network cannot be trained"), e.getMessage());
        assertFalse(TrainingGraph.build(tiny(8), INPUT).parameters().isEmpty());
    }
}
