package org.sepnet.bench.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.sepnet.backend.Backend;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.ErrorBound;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * The GPU check's table: every CUDA kernel on layer shapes of ResNet-20, SEP-Nets, GoogLeNet and
 * MobileNet, its output for the first two images compared with the Java reference, its time per
 * call (median of 5 timed loops of at least 20 ms, synchronized), the derived rate
 * (GFLOP/s-equivalent for convolutions, GB/s of tensors read and written for the other layers) and
 * the reference's time on the same problem (one single-threaded run over those images, scaled to
 * the batch) with the speed-up. Prints a markdown table; exits
 * with status 1 when any kernel is outside its error bound or the GPU is unusable.
 *
 * <pre>java -cp … org.sepnet.bench.gpu.GpuCheck [--quick]</pre>
 */
public final class GpuCheck {
    private final CudaBackend gpu = CudaBackend.instance();
    private final ReferenceBackend ref = ReferenceBackend.instance();
    private final List<String> rows = new ArrayList<>();
    private int failures;

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        boolean quick = List.of(args).contains("--quick");
        GpuCheck check = new GpuCheck();
        if (!check.gpu.availability().available()) {
            System.out.println("GPU check: the CUDA backend is unavailable: " + check.gpu.availability().detail());
            System.exit(1);
        }
        if (List.of(args).contains("--transfers")) {
            check.transfers();
            System.exit(check.failures == 0 ? 0 : 1);
        }
        System.out.println("GPU: " + check.gpu.availability().detail());
        System.out.println();
        System.out.println("| kernel | problem | µs | rate | max abs error (worst error/bound) | reference µs | speed-up |");
        System.out.println("|---|---|---:|---:|---|---:|---:|");
        check.runAll(quick);
        System.out.println();
        System.out.println(check.failures == 0 ? "GPU check: every kernel within its error bound"
                : "GPU check: " + check.failures + " kernel(s) outside their error bound");
        System.exit(check.failures == 0 ? 0 : 1);
    }

    private void runAll(boolean quick) {
        int[] batches = quick ? new int[] {1} : new int[] {1, 32};
        List<String> patternShapes = List.of("ic3oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1", "ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1",
                "ic16oc32_ih32iw32_kh3kw3_sh2sw2_ph1pw1", "ic32oc32_ih16iw16_kh3kw3_sh1sw1_ph1pw1",
                "ic32oc64_ih16iw16_kh3kw3_sh2sw2_ph1pw1", "ic64oc64_ih8iw8_kh3kw3_sh1sw1_ph1pw1",
                "ic96oc128_ih28iw28_kh3kw3_sh1sw1_ph1pw1", "ic32oc96_ih28iw28_kh5kw5_sh1sw1_ph2pw2");
        for (int n : batches) {
            for (String s : patternShapes) {
                pattern(ConvDesc.parse("n" + n + "_g1_" + s));
            }
            pattern(ConvDesc.parse("n" + n + "_g4_ic128oc128_ih28iw28_kh3kw3_sh1sw1_ph1pw1"));
            prb(PrbDesc.of(ConvDesc.parse("n" + n + "_g1_ic64oc64_ih28iw28_kh3kw3_sh1sw1_ph1pw1"), 1));
            prb(PrbDesc.of(ConvDesc.parse("n" + n + "_g4_ic128oc128_ih14iw14_kh3kw3_sh1sw1_ph1pw1"), 4));
            conv(ConvDesc.parse("n" + n + "_g1_ic64oc64_ih16iw16_kh3kw3_sh1sw1_ph1pw1"));
            conv(ConvDesc.parse("n" + n + "_g1_ic128oc256_ih28iw28_kh1kw1_sh1sw1_ph0pw0"));
            conv(ConvDesc.parse("n" + n + "_g1_ic512oc512_ih14iw14_kh1kw1_sh1sw1_ph0pw0"));
            conv(ConvDesc.parse("n" + n + "_g128_ic128oc128_ih56iw56_kh3kw3_sh1sw1_ph1pw1"));
            conv(ConvDesc.parse("n" + n + "_g256_ic256oc256_ih28iw28_kh3kw3_sh2sw2_ph1pw1"));
            pattern(ConvDesc.parse("n" + n + "_g128_ic128oc128_ih56iw56_kh3kw3_sh1sw1_ph1pw1"));
            fc(new FcDesc(n, 1024, 1000));
            layers(n);
        }
    }

    private static float[] input(Shape s, long seed) {
        float[] x = new float[(int) s.size()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    private void pattern(ConvDesc d) {
        PatternWeights w = Binarizer.binarize(ConvWeights.random(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(),
                d.kernelWidth(), true, 11));
        unary("pattern " + d.problem(), d.inputShape(), b -> b.patternConv2d(d, w, Activation.RELU),
                b -> b.patternConv2d(d, w.absolute(), Activation.NONE), terms(d), 2.0 * d.macs(), true);
    }

    private void conv(ConvDesc d) {
        ConvWeights w = ConvWeights.random(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, 12);
        unary("conv " + d.problem(), d.inputShape(), b -> b.conv2d(d, w, Activation.RELU),
                b -> b.conv2d(d, w.absolute(), Activation.NONE), terms(d), 2.0 * d.macs(), true);
    }

    private void prb(PrbDesc p) {
        ConvDesc d = p.pattern();
        PatternWeights w = Binarizer.binarize(ConvWeights.random(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(),
                d.kernelWidth(), true, 13));
        ConvWeights w1 = ConvWeights.random(d.outChannels(), p.pointwise().inChannelsPerGroup(), 1, 1, false, 14);
        unary("prb " + p.problem(), d.inputShape(), b -> b.patternResidualBlock(p, w, w1, Activation.RELU),
                b -> b.patternResidualBlock(p, w.absolute(), w1.absolute(), Activation.NONE),
                terms(d) + p.pointwise().inChannelsPerGroup() + 1, 2.0 * p.macs(), true);
    }

    private void fc(FcDesc f) {
        ConvWeights w = ConvWeights.random(f.out(), f.in(), 1, 1, true, 15);
        unary("fc " + f.problem(), Shape.of(f.batch(), f.in()), b -> b.fullyConnected(f, w, Activation.NONE),
                b -> b.fullyConnected(f, w.absolute(), Activation.NONE), f.in() + 1, 2.0 * f.macs(), true);
    }

    private void layers(int n) {
        Shape s = Shape.nchw(n, 64, 56, 56);
        int c = s.c();
        SplittableRandom r = new SplittableRandom(16);
        float[] g = new float[c];
        float[] beta = new float[c];
        float[] mean = new float[c];
        float[] var = new float[c];
        for (int i = 0; i < c; i++) {
            g[i] = (float) r.nextDouble(0.5, 1.5);
            beta[i] = (float) r.nextDouble(-1, 1);
            mean[i] = (float) r.nextDouble(-1, 1);
            var[i] = (float) r.nextDouble(0.5, 2);
        }
        BatchNormParams p = new BatchNormParams(g, beta, mean, var, 1e-5f);
        double[] scale = p.scale();
        float[] absBeta = new float[c];
        for (int i = 0; i < c; i++) {
            absBeta[i] = (float) (Math.abs(beta[i]) + Math.abs(mean[i] * scale[i]));
        }
        BatchNormParams abs = new BatchNormParams(g, absBeta, new float[c], var, 1e-5f);
        double bytes = 2.0 * s.size() * Float.BYTES;
        unary("batchnorm+relu " + s.toDimsString(), s, b -> b.batchNorm(s, p, Activation.RELU),
                b -> b.batchNorm(s, abs, Activation.NONE), 4, bytes, false);
        unary("relu " + s.toDimsString(), s, b -> b.activation(s, Activation.RELU), b -> b.activation(s, Activation.NONE), 0,
                bytes, false);
        PoolDesc max = PoolDesc.max(n, 64, 112, 112, 3, 2, 1);
        Shape pin = Shape.nchw(n, 64, 112, 112);
        unary("pool " + max.problem(), pin, b -> b.pool(max), b -> b.pool(max), 9,
                (pin.size() + max.outputShape(pin).size()) * (double) Float.BYTES, false);
        PoolDesc gap = PoolDesc.global(PoolDesc.Kind.AVG, n, 1024, 7, 7);
        Shape gin = Shape.nchw(n, 1024, 7, 7);
        unary("pool " + gap.problem(), gin, b -> b.pool(gap), b -> b.pool(gap), 49, gin.size() * (double) Float.BYTES, false);
        Shape cls = Shape.of(n, 1000);
        unary("softmax " + cls.toDimsString(), cls, b -> b.softmax(cls), b -> b.softmax(cls), 1000,
                2.0 * cls.size() * Float.BYTES, false);
        add(s);
    }

    private static long terms(ConvDesc d) {
        return (long) d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 1;
    }

    /** Checks and times one op; {@code work} is FLOPs (flops = true) or bytes moved. */
    private void unary(String what, Shape in, Function<Backend, UnaryOp> build, Function<Backend, UnaryOp> buildAbs, long terms,
                       double work, boolean flops) {
        float[] x = input(in, what.hashCode());
        float[] ax = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            ax[i] = Math.abs(x[i]);
        }
        String kernel = "?";
        try (UnaryOp op = build.apply(gpu); Tensor tx = gpu.allocate(in); Tensor ty = gpu.allocate(op.outputShape(in))) {
            kernel = op.implementation();
            tx.copyFrom(x);
            float[] poison = new float[(int) ty.shape().size()];
            java.util.Arrays.fill(poison, Float.NaN);
            ty.copyFrom(poison);
            op.run(tx, ty);
            gpu.synchronize();
            float[] got = ty.toArray();
            // The reference runs on the first image or two (it is slow; every image runs the same code).
            int images = Math.min(in.dim(0), 2);
            Shape refIn = in.withDim0(images);
            float[] rx = java.util.Arrays.copyOf(x, (int) refIn.size());
            float[] rax = java.util.Arrays.copyOf(ax, rx.length);
            got = java.util.Arrays.copyOf(got, (int) (got.length / in.dim(0) * images));
            float[] expected;
            float[] absSum;
            long refNanos;
            try (UnaryOp r = build.apply(ref); UnaryOp ra = buildAbs.apply(ref); HostTensor hx = HostTensor.of(refIn, rx);
                 HostTensor hax = HostTensor.of(refIn, rax); HostTensor hy = HostTensor.allocate(r.outputShape(refIn))) {
                long t0 = System.nanoTime();
                r.run(hx, hy);
                refNanos = (System.nanoTime() - t0) / images * in.dim(0);
                expected = hy.toArray();
                ra.run(hax, hy);
                absSum = hy.toArray();
            }
            ErrorBound.Result res = ErrorBound.compare(got, expected, absSum, terms);
            double us = time(() -> op.run(tx, ty));
            row(kernel, what, us, work, flops, res, refNanos / 1e3);
        } catch (RuntimeException e) {
            failures++;
            System.out.println("| " + kernel + " | " + what + " | FAILED: " + e.getMessage().replace('|', '/') + " | | | | |");
        }
    }

    private void add(Shape s) {
        float[] a = input(s, 21);
        float[] b = input(s, 22);
        try (BinaryOp op = gpu.add(s, Activation.RELU); BinaryOp r = ref.add(s, Activation.RELU);
             Tensor ta = gpu.allocate(s); Tensor tb = gpu.allocate(s); Tensor ty = gpu.allocate(s);
             HostTensor ha = HostTensor.of(s, a); HostTensor hb = HostTensor.of(s, b); HostTensor hy = HostTensor.allocate(s)) {
            ta.copyFrom(a);
            tb.copyFrom(b);
            op.run(ta, tb, ty);
            gpu.synchronize();
            float[] got = ty.toArray();
            long t0 = System.nanoTime();
            r.run(ha, hb, hy);
            double refUs = (System.nanoTime() - t0) / 1e3;
            float[] expected = hy.toArray();
            int bad = 0;
            for (int i = 0; i < got.length; i++) {
                bad += Float.compare(got[i], expected[i]) != 0 ? 1 : 0;
            }
            ErrorBound.Result res = new ErrorBound.Result(got.length, bad, 0, 0, 0, 0, 0);
            double us = time(() -> op.run(ta, tb, ty));
            row(op.implementation(), "add+relu " + s.toDimsString(), us, 3.0 * s.size() * Float.BYTES, false, res, refUs);
        }
    }

    /**
     * Host↔device copies of a CIFAR batch (32×3×32×32) and an ImageNet batch (32×3×224×224), from and
     * to Java arrays, ordinary (pageable) host tensors and page-locked host tensors
     * ({@link CudaBackend#allocateHost}), each checked for exactness: one table row per copy.
     */
    private void transfers() {
        System.out.println("| copy | shape | µs | GB/s | exact |");
        System.out.println("|---|---|---:|---:|---|");
        for (Shape s : List.of(Shape.nchw(32, 3, 32, 32), Shape.nchw(32, 3, 224, 224))) {
            float[] v = input(s, 5);
            float[] back = new float[v.length];
            try (Tensor d = gpu.allocate(s); HostTensor h = HostTensor.of(s, v); HostTensor h2 = HostTensor.allocate(s);
                 HostTensor p = gpu.allocateHost(s); HostTensor p2 = gpu.allocateHost(s)) {
                p.copyFrom(v);
                double bytes = s.size() * 4.0;
                transferRow("float[] to device", s, time(() -> d.copyFrom(v)), bytes, true);
                transferRow("device to float[]", s, time(() -> d.copyTo(back)), bytes, java.util.Arrays.equals(v, back));
                transferRow("HostTensor to device", s, time(() -> d.copyFrom(h)), bytes, true);
                transferRow("device to HostTensor", s, time(() -> d.copyTo(h2)), bytes, java.util.Arrays.equals(v, h2.toArray()));
                transferRow("page-locked HostTensor to device", s, time(() -> d.copyFrom(p)), bytes, true);
                transferRow("device to page-locked HostTensor", s, time(() -> d.copyTo(p2)), bytes,
                        java.util.Arrays.equals(v, p2.toArray()));
            }
        }
    }

    private void transferRow(String what, Shape s, double us, double bytes, boolean exact) {
        if (!exact) {
            failures++;
        }
        System.out.printf("| %s | %s | %.1f | %.2f | %s |%n", what, s, us, bytes / us / 1e3, exact ? "yes" : "**NO**");
    }

    /** Median µs per call of 5 loops, each at least 20 ms, after a warm-up. */
    private double time(Runnable call) {
        for (int i = 0; i < 5; i++) {
            call.run();
        }
        gpu.synchronize();
        int iterations = 1;
        while (true) {
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                call.run();
            }
            gpu.synchronize();
            long dt = System.nanoTime() - t0;
            if (dt >= 20_000_000L || iterations >= 1 << 20) {
                break;
            }
            iterations *= 2;
        }
        double[] us = new double[5];
        for (int k = 0; k < us.length; k++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                call.run();
            }
            gpu.synchronize();
            us[k] = (System.nanoTime() - t0) / 1e3 / iterations;
        }
        java.util.Arrays.sort(us);
        return us[2];
    }

    private void row(String kernel, String what, double us, double work, boolean flops, ErrorBound.Result res, double refUs) {
        String rate = flops ? String.format("%.1f GFLOP/s", work / us / 1e3) : String.format("%.1f GB/s", work / us / 1e3);
        String err = res.passed() ? String.format("%.3g (%.3f)", res.maxAbsError(), res.maxRatio())
                : "**" + res.bad() + " of " + res.count() + " outside the bound**";
        if (!res.passed()) {
            failures++;
        }
        String line = String.format("| %s | %s | %.2f | %s | %s | %.0f | %.0fx |", kernel, what, us, rate, err, refUs, refUs / us);
        rows.add(line);
        System.out.println(line);
    }
}
