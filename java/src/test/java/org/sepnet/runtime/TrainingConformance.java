package org.sepnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.backend.Backend;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Linear;
import org.sepnet.layers.PatternConv2d;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Transforms;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Data;
import org.sepnet.testing.Seeds;

/**
 * A backend's training kernels against the reference twins (double), through one training step of
 * single-layer models on shapes that hit the edges and of a network with every layer kind: the
 * loss (within 1e-5 relative), ∂L/∂x and every parameter's gradient within {@link Agreement#LAYER}
 * (2e-4 of the array's largest value + 1e-6, + 1e-5 of Σ|terms| where the reference measures them;
 * justified there), the network included: it has few layers.
 */
abstract class TrainingConformance {
    private static final Agreement BOUND = Agreement.LAYER;

    /** The backend under test (the subclass checks that it can run). */
    abstract Backend backend();

    record Case(String name, Layer layer, Shape input, int batch) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static ConvSpec spec(int in, int out, int kh, int kw, int s, int ph, int pw, int d, int g) {
        return new ConvSpec(in, out, kh, kw, s, s, ph, pw, d, d, g);
    }

    static List<Case> layers() {
        SplittableRandom r = new SplittableRandom(11);
        List<Case> cases = new ArrayList<>();
        Object[][] convs = {
            // in, out, kh, kw, stride, ph, pw, dilation, groups, h, w, batch
            {3, 4, 3, 3, 1, 1, 1, 1, 1, 5, 6, 2}, {1, 2, 3, 3, 2, 0, 0, 1, 1, 7, 5, 1}, {4, 6, 3, 3, 1, 1, 1, 1, 2, 6, 7, 1},
            {5, 5, 3, 3, 1, 1, 1, 1, 5, 5, 5, 2}, {3, 3, 3, 3, 1, 2, 2, 2, 1, 9, 8, 1}, {2, 3, 5, 5, 2, 2, 2, 1, 1, 7, 7, 1},
            {5, 3, 1, 1, 1, 0, 0, 1, 1, 4, 3, 2}, {3, 2, 1, 3, 1, 0, 1, 1, 1, 6, 5, 1}, {16, 16, 3, 3, 1, 1, 1, 1, 1, 17, 19, 3},
            {16, 32, 3, 3, 2, 1, 1, 1, 1, 15, 15, 2}, {12, 24, 1, 1, 2, 0, 0, 1, 1, 9, 9, 2}, {24, 24, 3, 3, 1, 1, 1, 1, 24, 11, 13, 2},
            {8, 16, 3, 3, 1, 1, 1, 1, 4, 10, 9, 2}, {3, 17, 3, 3, 1, 0, 0, 1, 1, 23, 21, 1}, {32, 128, 5, 5, 1, 2, 2, 1, 1, 4, 4, 2},
            {6, 5, 5, 5, 1, 2, 2, 1, 1, 9, 7, 2},
            // weight-gradient blocking: uneven channel blocks; planes longer than a pass (1,155 positions);
            // stride 2 with dilation 2 (row phases); stride 2 with output rows of whole vectors and a remainder (the
            // transposed convolution's strided adds)
            {20, 64, 3, 3, 1, 1, 1, 1, 1, 6, 5, 2}, {2, 4, 3, 3, 1, 1, 1, 1, 1, 33, 35, 1}, {4, 4, 3, 3, 2, 2, 2, 2, 1, 11, 9, 2},
            {3, 4, 3, 3, 2, 1, 1, 1, 1, 4, 83, 2},
            // weight gradients with outputs in lanes: groups, 15 outputs of 16 lanes, stride 2 with dilation 2; a 1x1;
            // 3 passes of output rows (8 rows of 16 x 64 outputs per pass)
            {32, 30, 3, 3, 2, 2, 2, 2, 2, 13, 11, 2}, {32, 64, 1, 1, 1, 0, 0, 1, 1, 7, 5, 2}, {16, 64, 3, 3, 1, 1, 1, 1, 1, 20, 16, 2},
        };
        for (Object[] c : convs) {
            int in = (int) c[0], out = (int) c[1], kh = (int) c[2], kw = (int) c[3], g = (int) c[8];
            ConvSpec s = spec(in, out, kh, kw, (int) c[4], (int) c[5], (int) c[6], (int) c[7], g);
            Shape shape = Shape.of(in, (int) c[9], (int) c[10]);
            String geometry = in + "to" + out + "_k" + kh + "x" + kw + "_s" + c[4] + "_p" + c[5] + "x" + c[6] + "_d" + c[7] + "_g" + g + "_"
                    + c[9] + "x" + c[10];
            cases.add(new Case("conv_" + geometry, new Conv2d("conv", s, Data.weights(out, in / g, kh, kw, true, r)), shape, (int) c[11]));
            if (kh * kw > 1) {
                cases.add(new Case("pattern_" + geometry, new PatternConv2d("pattern", s, Data.pattern(out, in / g, kh, kw, true, r)), shape,
                        (int) c[11]));
            }
        }
        Shape map = Shape.of(6, 7, 9);
        cases.add(new Case("prb_6to6_s1", PatternResidualBlock.binarized("prb", ConvSpec.same(6, 6, 3, 1, 1),
                Data.pattern(6, 6, 3, 3, true, r), 2, Data.weights(6, 3, 1, 1, true, r)), map, 3));
        cases.add(new Case("prb_6to8_s2_g2", PatternResidualBlock.binarized("prb", ConvSpec.same(6, 8, 3, 2, 2),
                Data.pattern(8, 3, 3, 3, false, r), 1, Data.weights(8, 6, 1, 1, false, r)), map, 2));
        float[] ones = new float[6];
        java.util.Arrays.fill(ones, 1f);
        cases.add(new Case("batch_norm", new BatchNorm("bn", new BatchNormParams(Data.uniform(6, r), Data.uniform(6, r),
                Data.uniform(6, r), ones, 1e-5f)), map, 4));
        cases.add(new Case("max_pool_3s2p1_ceil", Pool2d.max("pool", 3, 2, 1, true), map, 2));
        cases.add(new Case("max_pool_2s2", Pool2d.max("pool", 2, 2, 0, false), map, 2));
        cases.add(new Case("avg_pool_3s2p1", Pool2d.avg("pool", 3, 2, 1, false), map, 2));
        cases.add(new Case("global_avg", Pool2d.globalAvg("gap"), map, 3));
        cases.add(new Case("fc_378to10", new Linear("fc", Data.weights(10, 378, 1, 1, true, r)), map, 5));
        return cases;
    }

    private static double[] images(int count, SplittableRandom r) {
        double[] x = new double[count];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);  // values a float holds exactly: both sides see the same input
        }
        return x;
    }

    /** One step on both graphs; every gradient and the loss within the bound. Returns the backend graph's gradients. */
    static List<double[]> compare(String name, Layer model, Shape input, int batch, Backend backend) {
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        double[] x = images((int) (batch * input.size()), r);
        TrainingGraph ref = TrainingGraph.build(model, input);
        int classes = (int) ref.outputShape().size();
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = r.nextInt(classes);
        }
        List<double[]> grads = new ArrayList<>();
        try (TrainingGraph nat = TrainingGraph.build(model, input, backend, batch + 1)) {
            double loss = nat.stepRecording(x, labels, batch);
            double refLoss = ref.stepFollowing(nat, x, labels, batch);
            assertEquals(refLoss, loss, 1e-5 * Math.max(1, Math.abs(refLoss)), name + ": loss " + Seeds.replay(name));
            double e = BOUND.error(nat.inputGradient(), ref.inputGradient(), null);
            if (!(e <= BOUND.relative())) {
                fail(name + ": input gradient off by " + e + " of its largest value; bound " + BOUND.relative() + " " + Seeds.replay(name));
            }
            grads.add(nat.inputGradient());
            for (int i = 0; i < ref.parameters().size(); i++) {
                Parameter p = ref.parameters().get(i);
                Parameter q = nat.parameters().get(i);
                assertEquals(p.name(), q.name());
                if (p.grad() == null) {
                    continue;
                }
                double pe = BOUND.error(q.grad(), p.grad(), p.magnitude());
                if (!(pe <= BOUND.relative())) {
                    fail(name + ": " + p.name() + " gradient off by " + pe + " of its largest value; bound " + BOUND.relative() + " "
                            + Seeds.replay(name));
                }
                grads.add(q.grad().clone());
            }
        }
        return grads;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void everyLayerMatchesTheReference(Case c) {
        compare(c.name(), new Sequential("model", List.of(c.layer())), c.input(), c.batch(), backend());
    }

    /**
     * A pattern convolution followed by a batch norm (which a backend may run fused): stride 1 and 2, with and
     * without bias; one step's gradients, then after three steps the running statistics and inference-mode logits.
     */
    @Test
    void aPatternConvolutionAndItsBatchNormMatchTheReference() {
        SplittableRandom r = new SplittableRandom(31);
        for (int stride : new int[] {1, 2}) {
            for (boolean bias : new boolean[] {false, true}) {
                String name = "pattern_bn_s" + stride + (bias ? "_bias" : "");
                float[] ones = new float[6];
                java.util.Arrays.fill(ones, 1f);
                Layer model = new Sequential("model", List.of(
                        new PatternConv2d("pc", ConvSpec.same(4, 6, 3, stride, 1), Data.pattern(6, 4, 3, 3, bias, r)),
                        new BatchNorm("bn", new BatchNormParams(Data.uniform(6, r), Data.uniform(6, r), Data.uniform(6, r), ones, 1e-5f)),
                        Pool2d.globalAvg("gap"), new Linear("fc", Data.weights(3, 6, 1, 1, true, r))));
                Shape input = Shape.of(4, 7, 9);
                compare(name, model, input, 3, backend());
                SplittableRandom d = new SplittableRandom(Seeds.of(name));
                double[] x = images((int) (3 * input.size()), d);
                int[] labels = {0, 2, 1};
                TrainingGraph ref = TrainingGraph.build(model, input);
                try (TrainingGraph nat = TrainingGraph.build(model, input, backend(), 3)) {
                    for (int step = 0; step < 3; step++) {
                        assertEquals(ref.step(x, labels, 3), nat.step(x, labels, 3), 1e-4, name + ": loss of step " + step);
                    }
                    double e = Agreement.NETWORK.error(nat.predict(x, 3), ref.predict(x, 3), null);
                    assertTrue(e <= Agreement.NETWORK.relative(), name + ": inference logits off by " + e + " " + Seeds.replay(name));
                }
            }
        }
    }

    @Test
    void aNetworkWithEveryLayerKindMatchesTheReference() {
        compare("train_network_float", TrainingGraphTest.tiny(21), Shape.of(3, 6, 6), 4, backend());
        compare("train_network_binarized", Transforms.binarize(TrainingGraphTest.tiny(22), Transforms.BinarizeOptions.all()),
                Shape.of(3, 6, 6), 4, backend());
    }

    /** Plain SGD on 8 images of 4 classes on the backend's kernels: the loss falls below 0.05, float and with frozen signs. */
    @Test
    void aTinyNetworkOverfitsAFewImages() {
        for (boolean binarized : new boolean[] {false, true}) {
            Layer model = binarized ? Transforms.binarize(TrainingGraphTest.tiny(7), Transforms.BinarizeOptions.all())
                    : TrainingGraphTest.tiny(7);
            try (TrainingGraph g = TrainingGraph.build(model, Shape.of(3, 6, 6), backend(), 8)) {
                double[] x = images(8 * 108, new SplittableRandom(Seeds.of("train_overfit_backend")));
                int[] labels = {0, 1, 2, 3, 0, 1, 2, 3};
                double[] loss = TrainingGraphTest.sgd(g, x, labels, 8, 0.1, 1500, 0.05);
                assertTrue(loss[1] < 0.05, (binarized ? "binarized" : "float") + ": loss " + loss[0] + " -> " + loss[1] + " "
                        + Seeds.replay("train_overfit_backend"));
            }
        }
    }
}
