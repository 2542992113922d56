package org.sepnet.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.ErrorBound;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Data;
import org.sepnet.testing.Seeds;
import org.sepnet.testing.ShapeSweep;

/** The reference convolutions checked against hand-computed values and independent formulas. */
class ReferenceConvTest {
    private static final ReferenceBackend REF = ReferenceBackend.instance();

    static Stream<ConvDesc> sweep() {
        return ShapeSweep.convolutions().stream();
    }

    static Stream<ConvDesc> blocks() {
        return ShapeSweep.residualBlocks().stream();
    }

    private static float[] run(UnaryOp op, Shape in, float[] x) {
        try (op; HostTensor tx = HostTensor.of(in, x); HostTensor ty = HostTensor.allocate(op.outputShape(in))) {
            op.run(tx, ty);
            return ty.toArray();
        }
    }

    @Test
    void handComputedThreeByThree() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] ones = new float[9];
        java.util.Arrays.fill(ones, 1f);
        ConvWeights w = new ConvWeights(1, 1, 3, 3, ones, null);
        ConvDesc same = ConvDesc.builder().channels(1, 1).input(3, 3).kernel(3).pad(1).build();
        assertArrayEquals(new float[] {12, 21, 16, 27, 45, 33, 24, 39, 28}, run(REF.conv2d(same, w, Activation.NONE), same.inputShape(), x));
        ConvDesc strided = same.toBuilder().stride(2).build();
        assertArrayEquals(new float[] {12, 16, 24, 28}, run(REF.conv2d(strided, w, Activation.NONE), strided.inputShape(), x));
        // Pattern: all signs negative except the centre, alpha 0.5, bias 1, ReLU.
        boolean[] neg = {true, true, true, true, false, true, true, true, true};
        PatternWeights p = PatternWeights.pack(1, 1, 3, 3, neg, new float[] {0.5f}, new float[] {1f});
        // Centre output: 0.5 * (5 - (45 - 5)) + 1 = -16.5 -> ReLU 0; corner (0,0): 0.5 * (1 - 11) + 1 = -4 -> 0.
        float[] y = run(REF.patternConv2d(same, p, Activation.NONE), same.inputShape(), x);
        assertArrayEquals(new float[] {-4f, -7.5f, -4f, -8.5f, -16.5f, -9.5f, -4f, -10.5f, -4f}, y);
        y = run(REF.patternConv2d(same, p, Activation.RELU), same.inputShape(), x);
        assertArrayEquals(new float[9], y);
    }

    /** An independent float convolution: explicit im2col matrix per sample and group, then a GEMM, in double. */
    private static double[][] im2colConv(ConvDesc d, float[] x, float[] w, float[] bias) {
        int cpg = d.inChannelsPerGroup();
        int opg = d.outChannelsPerGroup();
        int k = cpg * d.kernelHeight() * d.kernelWidth();
        int pixels = d.outHeight() * d.outWidth();
        double[] y = new double[d.batch() * d.outChannels() * pixels];
        double[] abs = new double[y.length];
        for (int n = 0; n < d.batch(); n++) {
            for (int g = 0; g < d.groups(); g++) {
                double[][] col = new double[k][pixels];
                for (int row = 0; row < k; row++) {
                    int c = row / (d.kernelHeight() * d.kernelWidth());
                    int ky = row / d.kernelWidth() % d.kernelHeight();
                    int kx = row % d.kernelWidth();
                    for (int p = 0; p < pixels; p++) {
                        int iy = p / d.outWidth() * d.strideHeight() - d.padHeight() + ky * d.dilationHeight();
                        int ix = p % d.outWidth() * d.strideWidth() - d.padWidth() + kx * d.dilationWidth();
                        boolean inside = iy >= 0 && iy < d.inHeight() && ix >= 0 && ix < d.inWidth();
                        col[row][p] = inside ? x[((n * d.inChannels() + g * cpg + c) * d.inHeight() + iy) * d.inWidth() + ix] : 0;
                    }
                }
                for (int oo = 0; oo < opg; oo++) {
                    int o = g * opg + oo;
                    for (int p = 0; p < pixels; p++) {
                        double s = bias == null ? 0 : bias[o];
                        double a = bias == null ? 0 : Math.abs(bias[o]);
                        for (int row = 0; row < k; row++) {
                            s += w[o * k + row] * col[row][p];
                            a += Math.abs(w[o * k + row] * col[row][p]);
                        }
                        y[(n * d.outChannels() + o) * pixels + p] = s;
                        abs[(n * d.outChannels() + o) * pixels + p] = a;
                    }
                }
            }
        }
        return new double[][] {y, abs};
    }

    /** |a − b| ≤ 1 ulp of b + 1e-12·S: both sides accumulate in double and round once. */
    private static void assertDoubleClose(float[] got, double[] exact, double[] abs, String name) {
        for (int i = 0; i < got.length; i++) {
            double bound = Math.ulp((float) exact[i]) + 1e-12 * abs[i];
            assertTrue(Math.abs(got[i] - exact[i]) <= bound, "index " + i + ": " + got[i] + " vs " + exact[i] + " " + Seeds.replay(name));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sweep")
    void floatConvolutionEqualsIm2colGemm(ConvDesc d) {
        String name = "im2col_" + d.problem();
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        float[] x = Data.uniform((int) d.inputShape().size(), r);
        ConvWeights w = Data.weights(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, r);
        double[][] expected = im2colConv(d, x, w.weights(), w.bias());
        assertDoubleClose(run(REF.conv2d(d, w, Activation.NONE), d.inputShape(), x), expected[0], expected[1], name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sweep")
    void patternConvolutionEqualsFloatConvolutionOnAlphaB(ConvDesc d) {
        String name = "pattern_vs_float_" + d.problem();
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        float[] x = Data.uniform((int) d.inputShape().size(), r);
        PatternWeights p = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, r);
        ConvWeights asFloat = p.toConvWeights();
        double[][] expected = im2colConv(d, x, asFloat.weights(), asFloat.bias());
        float[] pattern = run(REF.patternConv2d(d, p, Activation.NONE), d.inputShape(), x);
        float[] dense = run(REF.conv2d(d, asFloat, Activation.NONE), d.inputShape(), x);
        assertDoubleClose(pattern, expected[0], expected[1], name);
        assertDoubleClose(dense, expected[0], expected[1], name);
        float[] relu = run(REF.patternConv2d(d, p, Activation.RELU), d.inputShape(), x);
        for (int i = 0; i < relu.length; i++) {
            assertTrue(relu[i] == Math.max(pattern[i], 0f), "ReLU at " + i + " " + Seeds.replay(name));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blocks")
    void residualBlockEqualsPatternPlusPointwise(ConvDesc k) {
        String name = "prb_composition_" + k.problem();
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        int g1 = k.inChannels() % 2 == 0 && k.outChannels() % 2 == 0 ? 2 : 1;
        PrbDesc d = PrbDesc.of(k, g1);
        float[] x = Data.uniform((int) k.inputShape().size(), r);
        PatternWeights p = Data.pattern(k.outChannels(), k.inChannelsPerGroup(), k.kernelHeight(), k.kernelWidth(), true, r);
        ConvWeights w1 = Data.weights(k.outChannels(), d.pointwise().inChannelsPerGroup(), 1, 1, true, r);
        float[] fused = run(REF.patternResidualBlock(d, p, w1, Activation.NONE), k.inputShape(), x);
        float[] a = run(REF.patternConv2d(k, p, Activation.NONE), k.inputShape(), x);
        float[] b = run(REF.pointwiseConv2d(d.pointwise(), w1, Activation.NONE), k.inputShape(), x);
        float[] abs = run(REF.patternResidualBlock(d, p.absolute(), w1.absolute(), Activation.NONE), k.inputShape(), Data.abs(x));
        float[] sum = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            sum[i] = a[i] + b[i];
        }
        // Three roundings (two branches and their sum) against one: within gamma_5 * S.
        ErrorBound.Result res = ErrorBound.compare(sum, fused, abs, 1);
        assertTrue(res.passed(), res + " " + Seeds.replay(name));
    }
}
