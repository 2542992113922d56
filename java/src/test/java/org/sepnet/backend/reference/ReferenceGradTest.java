package org.sepnet.backend.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.runtime.FiniteDifference;
import org.sepnet.testing.Seeds;

/**
 * The reference gradients against central finite differences in double, on small shapes that hit
 * the edges (one channel, odd sizes, groups, depthwise, stride 2, padding, dilation, 1×1, 5×5 and
 * rectangular kernels, ceil-mode and padding-excluding pooling). The loss is L = Σ r·y with a
 * random r, so dL/dy = r. Tolerance: |numeric - analytic| <= 1e-6 (1 + |numeric|) at the first step
 * h (1e-4 down to 1e-8) that meets it: the central difference's truncation error h^2/6 |L'''| is
 * zero for these piecewise-linear losses away from kinks and about 1e-11 for batch norm at 1e-5, and
 * its rounding error about 2^-52 |L| / h <= 1e-9 for |L| <= 100 and h >= 1e-5; 1e-6 leaves margin and
 * still fails a gradient off by one tap (errors of order 1e-1).
 */
class ReferenceGradTest {
    private static final double TOL = 1e-6;
    /** Coordinates checked per array: all of them up to this many, else this many drawn at random. */
    private static final int SAMPLE = 80;

    static List<ConvDesc> convolutions() {
        return List.of(
                ConvDesc.builder().batch(2).channels(3, 4).input(5, 6).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(1).channels(1, 2).input(7, 5).kernel(3).pad(0).stride(2).build(),
                ConvDesc.builder().batch(1).channels(4, 6).input(6, 7).kernel(3).pad(1).groups(2).build(),
                ConvDesc.builder().batch(2).channels(5, 5).input(5, 5).kernel(3).pad(1).depthwise().build(),
                ConvDesc.builder().batch(1).channels(3, 3).input(9, 8).kernel(3).pad(2).dilation(2).build(),
                ConvDesc.builder().batch(1).channels(2, 3).input(7, 7).kernel(5).pad(2).stride(2).build(),
                ConvDesc.builder().batch(2).channels(5, 3).input(4, 3).kernel(1).build(),
                ConvDesc.builder().batch(1).channels(3, 2).input(6, 5).kernel(1, 3).pad(0, 1).build());
    }

    private static double[] uniform(int n, SplittableRandom r) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble() * 2 - 1;
        }
        return v;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /**
     * Compares {@code analytic}, the gradient of {@code loss} with respect to {@code p}, with central
     * differences ({@link FiniteDifference}: a ladder of steps from 1e-4 down, so that a ReLU or
     * max-pooling kink within one step does not fail a right gradient); at most one coordinate in
     * ten may be left undecided.
     */
    private static void check(String what, double[] p, double[] analytic, DoubleSupplier loss, SplittableRandom r) {
        int count = Math.min(p.length, SAMPLE);
        int undecided = 0;
        for (int k = 0; k < count; k++) {
            int i = p.length <= SAMPLE ? k : r.nextInt(p.length);
            FiniteDifference.Result res = FiniteDifference.check(p, i, analytic[i], loss, TOL);
            if (!res.ok()) {
                fail(what + ": coordinate " + i + " has gradient " + analytic[i] + "; finite differences give " + res.numeric() + " "
                        + Seeds.replay(what));
            }
            undecided += res.decided() ? 0 : 1;
        }
        if (undecided > count / 10) {
            fail(what + ": " + undecided + " of " + count + " coordinates undecided " + Seeds.replay(what));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void floatConvolutionWithReLU(ConvDesc d) {
        String name = "grad_conv_" + d.problem();
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        int n = d.batch();
        double[] x = uniform((int) d.inputShape().size(), r);
        double[] w = uniform(d.outChannels() * d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth(), r);
        double[] b = uniform(d.outChannels(), r);
        double[] proj = uniform((int) d.outputShape().size(), r);
        double[] y = new double[proj.length];
        DoubleSupplier loss = () -> {
            ReferenceConvGrad.conv2d(d, n, x, w, b, y);
            ReferenceLayerGrad.relu(y.length, y, y);
            return dot(proj, y);
        };
        loss.getAsDouble();
        double[] dy = new double[y.length];
        ReferenceLayerGrad.reluBackward(y.length, y, proj, dy);
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[b.length];
        ReferenceConvGrad.conv2dBackwardInput(d, n, dy, w, dx);
        ReferenceConvGrad.conv2dBackwardWeights(d, n, x, dy, dw, db);
        check(name + " input", x, dx, loss, r);
        check(name + " weights", w, dw, loss, r);
        check(name + " bias", b, db, loss, r);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void patternConvolution(ConvDesc d) {
        String name = "grad_pattern_" + d.problem();
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        int n = d.batch();
        int taps = d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth();
        int[] bits = new int[d.outChannels() * ((taps + 31) / 32)];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = r.nextInt();
        }
        double[] s = ReferenceConvGrad.signs(d, bits);
        double[] x = uniform((int) d.inputShape().size(), r);
        double[] alpha = uniform(d.outChannels(), r);
        double[] b = uniform(d.outChannels(), r);
        double[] proj = uniform((int) d.outputShape().size(), r);
        double[] y = new double[proj.length];
        DoubleSupplier loss = () -> {
            ReferenceConvGrad.conv2d(d, n, x, ReferenceConvGrad.scaled(d, s, alpha), b, y);
            return dot(proj, y);
        };
        double[] dx = new double[x.length];
        double[] dalpha = new double[alpha.length];
        double[] db = new double[b.length];
        ReferenceConvGrad.patternConv2dBackward(d, n, x, s, alpha, proj, dx, dalpha, db);
        check(name + " input", x, dx, loss, r);
        check(name + " alpha", alpha, dalpha, loss, r);
        check(name + " bias", b, db, loss, r);
    }

    /** The fused block's gradients are its two branches' on the same input, summed: checked as one function. */
    @Test
    void patternResidualBlock() {
        ConvDesc k = ConvDesc.builder().batch(2).channels(4, 6).input(5, 6).kernel(3).pad(1).stride(2).groups(2).build();
        for (int groups1 : new int[] {1, 2}) {
            PrbDesc d = PrbDesc.of(k, groups1);
            ConvDesc q = d.pointwise();
            String name = "grad_prb_" + d.problem();
            SplittableRandom r = new SplittableRandom(Seeds.of(name));
            int[] bits = new int[k.outChannels()];
            for (int i = 0; i < bits.length; i++) {
                bits[i] = r.nextInt();
            }
            double[] s = ReferenceConvGrad.signs(k, bits);
            double[] x = uniform((int) k.inputShape().size(), r);
            double[] alpha = uniform(k.outChannels(), r);
            double[] w1 = uniform(q.outChannels() * q.inChannelsPerGroup(), r);
            double[] proj = uniform((int) k.outputShape().size(), r);
            double[] y = new double[proj.length];
            double[] y1 = new double[proj.length];
            DoubleSupplier loss = () -> {
                ReferenceConvGrad.conv2d(k, 2, x, ReferenceConvGrad.scaled(k, s, alpha), null, y);
                ReferenceConvGrad.conv2d(q, 2, x, w1, null, y1);
                return dot(proj, y) + dot(proj, y1);
            };
            double[] dx = new double[x.length];
            double[] dalpha = new double[alpha.length];
            double[] dw1 = new double[w1.length];
            ReferenceConvGrad.patternConv2dBackward(k, 2, x, s, alpha, proj, dx, dalpha, null);
            ReferenceConvGrad.conv2dBackwardInput(q, 2, proj, w1, dx);
            ReferenceConvGrad.conv2dBackwardWeights(q, 2, x, proj, dw1, null);
            check(name + " input", x, dx, loss, r);
            check(name + " alpha", alpha, dalpha, loss, r);
            check(name + " pointwise", w1, dw1, loss, r);
        }
    }

    @Test
    void fullyConnected() {
        FcDesc d = new FcDesc(3, 7, 5);
        SplittableRandom r = new SplittableRandom(Seeds.of("grad_fc"));
        double[] x = uniform(21, r);
        double[] w = uniform(35, r);
        double[] b = uniform(5, r);
        double[] proj = uniform(15, r);
        double[] y = new double[15];
        DoubleSupplier loss = () -> {
            ReferenceConvGrad.fullyConnected(d, 3, x, w, b, y);
            return dot(proj, y);
        };
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[b.length];
        ReferenceConvGrad.fullyConnectedBackward(d, 3, x, w, proj, dx, dw, db);
        check("grad_fc input", x, dx, loss, r);
        check("grad_fc weights", w, dw, loss, r);
        check("grad_fc bias", b, db, loss, r);
    }

    @Test
    void pooling() {
        List<PoolDesc> pools = List.of(PoolDesc.max(2, 3, 7, 6, 3, 2, 1), PoolDesc.max(1, 2, 7, 7, 3, 2, 0).withCeilMode(),
                PoolDesc.avg(2, 3, 7, 6, 3, 2, 1), PoolDesc.avg(1, 2, 6, 5, 3, 1, 1).excludingPadding(),
                PoolDesc.avg(1, 2, 7, 7, 2, 2, 0).withCeilMode(), PoolDesc.global(PoolDesc.Kind.AVG, 2, 3, 5, 4),
                PoolDesc.global(PoolDesc.Kind.MAX, 2, 3, 5, 4));
        for (PoolDesc d : pools) {
            String name = "grad_pool_" + d.problem();
            SplittableRandom r = new SplittableRandom(Seeds.of(name));
            double[] x = uniform(d.batch() * d.channels() * d.inHeight() * d.inWidth(), r);
            double[] proj = uniform(d.batch() * d.channels() * d.outHeight() * d.outWidth(), r);
            double[] y = new double[proj.length];
            DoubleSupplier loss = () -> {
                ReferenceLayerGrad.pool(d, d.batch(), x, y);
                return dot(proj, y);
            };
            double[] dx = new double[x.length];
            ReferenceLayerGrad.poolBackward(d, d.batch(), x, proj, dx);
            check(name, x, dx, loss, r);
        }
    }

    @Test
    void batchNormInTrainingMode() {
        int n = 3;
        int c = 4;
        int inner = 5;
        SplittableRandom r = new SplittableRandom(Seeds.of("grad_bn"));
        double[] x = uniform(n * c * inner, r);
        double[] gamma = uniform(c, r);
        double[] beta = uniform(c, r);
        double[] proj = uniform(x.length, r);
        double[] y = new double[x.length];
        DoubleSupplier loss = () -> {
            ReferenceLayerGrad.batchNormTrain(n, c, inner, x, gamma, beta, 1e-5, 0.1, null, null, y);
            return dot(proj, y);
        };
        ReferenceLayerGrad.BatchNormSaved saved = ReferenceLayerGrad.batchNormTrain(n, c, inner, x, gamma, beta, 1e-5, 0.1, null, null, y);
        double[] dx = new double[x.length];
        double[] dgamma = new double[c];
        double[] dbeta = new double[c];
        ReferenceLayerGrad.batchNormBackward(n, c, inner, saved, gamma, proj, dx, dgamma, dbeta);
        check("grad_bn input", x, dx, loss, r);
        check("grad_bn gamma", gamma, dgamma, loss, r);
        check("grad_bn beta", beta, dbeta, loss, r);

        // Running statistics: momentum 0.1 towards the batch mean and unbiased variance.
        double[] runMean = {0, 0, 0, 0};
        double[] runVar = {1, 1, 1, 1};
        ReferenceLayerGrad.batchNormTrain(n, c, inner, x, gamma, beta, 1e-5, 0.1, runMean, runVar, y);
        double mean0 = 0;
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < inner; i++) {
                mean0 += x[s * c * inner + i];
            }
        }
        mean0 /= n * inner;
        double sq = 0;
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < inner; i++) {
                sq += Math.pow(x[s * c * inner + i] - mean0, 2);
            }
        }
        assertEquals(0.1 * mean0, runMean[0], 1e-15);
        assertEquals(0.9 + 0.1 * sq / (n * inner - 1), runVar[0], 1e-15);
    }

    @Test
    void softmaxCrossEntropy() {
        SplittableRandom r = new SplittableRandom(Seeds.of("grad_ce"));
        double[] z = uniform(4 * 7, r);
        for (int i = 0; i < z.length; i++) {
            z[i] *= 5;
        }
        int[] labels = {0, 6, 3, 3};
        double[] dz = new double[z.length];
        double l = ReferenceLayerGrad.softmaxCrossEntropy(4, 7, z, labels, dz);
        check("grad_ce", z, dz, () -> ReferenceLayerGrad.softmaxCrossEntropy(4, 7, z, labels, null), r);
        double direct = 0;
        for (int n = 0; n < 4; n++) {
            double sum = 0;
            for (int k = 0; k < 7; k++) {
                sum += Math.exp(z[n * 7 + k]);
            }
            direct += -Math.log(Math.exp(z[n * 7 + labels[n]]) / sum);
        }
        assertEquals(direct / 4, l, 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceLayerGrad.softmaxCrossEntropy(4, 7, z, new int[] {0, 7, 0, 0}, null));
        assertEquals("label 7 of sample 1; expected 0 to 6", e.getMessage());
    }

    @Test
    void concatenationSplitsTheGradient() {
        SplittableRandom r = new SplittableRandom(Seeds.of("grad_concat"));
        double[] dy = uniform(2 * 5 * 3, r);  // [2, 5, 3]: inputs of 2 and 3 channels
        double[] da = new double[2 * 2 * 3];
        double[] db = new double[2 * 3 * 3];
        ReferenceLayerGrad.concatBackward(2, 5, 3, 0, 2, dy, da);
        ReferenceLayerGrad.concatBackward(2, 5, 3, 2, 3, dy, db);
        assertEquals(dy[5 * 3 + 1], da[2 * 3 + 1]);
        assertEquals(dy[5 * 3 + 2 * 3 + 4], db[3 * 3 + 4]);
        assertEquals(dy[4 * 3 + 2], db[2 * 3 + 2]);
    }
}
