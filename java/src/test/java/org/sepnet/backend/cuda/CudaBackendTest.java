package org.sepnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.backend.Backend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import org.sepnet.testing.Conformance;
import org.sepnet.testing.Data;
import org.sepnet.testing.LayerCases;
import org.sepnet.testing.RequiresGpu;
import org.sepnet.testing.Seeds;
import org.sepnet.testing.ShapeSweep;

/**
 * Every CUDA kernel against the reference on the edge-hitting shapes (outputs poisoned with NaN
 * first; with {@code -Dsepnet.cuda.sync=true}, set by the build, every launch is synchronized so an
 * error names its kernel). Skipped, with the reason, where no usable GPU is present.
 */
@RequiresGpu
class CudaBackendTest {
    private static CudaBackend backend;

    @BeforeAll
    static void gpu() {
        backend = CudaBackend.instance();
        System.out.println("GPU tests on " + backend.availability().detail());
    }

    private static long convTerms(ConvDesc d) {
        return (long) d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 1;
    }

    private static void check(String name, Function<Backend, UnaryOp> build, Function<Backend, UnaryOp> buildAbsolute,
                              Shape input, long terms) {
        Conformance.check(name, backend, build, buildAbsolute, input, terms);
    }

    static Stream<ConvDesc> sweep() {
        return Stream.concat(ShapeSweep.convolutions().stream(), Stream.of(
                // More than one 64-output tile, a partial last tile, K over many 16-tap steps.
                ConvDesc.builder().batch(2).channels(70, 130).input(9, 7).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(1).channels(300, 100).input(5, 5).kernel(1).build(),
                // Group convolutions whose groups hold 16 and 48 outputs.
                ConvDesc.builder().batch(2).channels(32, 64).input(8, 8).kernel(3).pad(1).groups(4).build(),
                ConvDesc.builder().batch(1).channels(96, 96).input(6, 9).kernel(3).pad(1).stride(2).groups(2).build(),
                // Depthwise with a channel multiplier: not the depthwise kernel, the direct one.
                ConvDesc.builder().batch(1).channels(8, 24).input(7, 7).kernel(3).pad(1).groups(8).build(),
                // Long K over a tiny image: split across blocks.
                ConvDesc.builder().batch(1).channels(200, 72).input(3, 5).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(3).channels(96, 40).input(6, 6).kernel(5).pad(2).stride(2).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sweep")
    void patternConvolution(ConvDesc d) {
        for (boolean bias : new boolean[] {true, false}) {
            Activation act = bias ? Activation.RELU : Activation.NONE;
            String name = "cuda_pattern_" + d.problem() + "_" + bias;
            PatternWeights w = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), bias,
                    new SplittableRandom(Seeds.of(name + "_w")));
            check(name, b -> b.patternConv2d(d, w, act), b -> b.patternConv2d(d, w.absolute(), Activation.NONE), d.inputShape(),
                    convTerms(d));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sweep")
    void floatConvolution(ConvDesc d) {
        String name = "cuda_conv_" + d.problem();
        ConvWeights w = Data.weights(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true,
                new SplittableRandom(Seeds.of(name + "_w")));
        check(name, b -> b.conv2d(d, w, Activation.RELU), b -> b.conv2d(d, w.absolute(), Activation.NONE), d.inputShape(),
                convTerms(d));
        if (d.isPointwise() && d.strideHeight() == 1 && d.strideWidth() == 1) {
            check(name + "_pw", b -> b.pointwiseConv2d(d, w, Activation.NONE), b -> b.pointwiseConv2d(d, w.absolute(), Activation.NONE),
                    d.inputShape(), convTerms(d));
        }
    }

    static Stream<Arguments> blocks() {
        Stream<Arguments> sweep = ShapeSweep.residualBlocks().stream().flatMap(d -> {
            Stream.Builder<Arguments> s = Stream.builder();
            s.add(Arguments.of(d, 1));
            if (d.groups() > 1) {
                s.add(Arguments.of(d, d.groups()));
            } else if (d.inChannels() % 2 == 0 && d.outChannels() % 2 == 0) {
                s.add(Arguments.of(d, 2));
            }
            return s.build();
        });
        // Pattern groups finer than the 1x1 branch's; and groupings that do not nest (2 and 3).
        ConvDesc g4 = ConvDesc.builder().batch(2).channels(24, 48).input(9, 9).kernel(3).pad(1).groups(4).build();
        ConvDesc g2 = ConvDesc.builder().batch(1).channels(12, 18).input(7, 8).kernel(3).pad(1).stride(2).groups(2).build();
        ConvDesc wide = ConvDesc.builder().batch(2).channels(40, 130).input(8, 8).kernel(3).pad(1).build();
        // K split across blocks, a split straddling the k x k / 1 x 1 boundary; few outputs per group (direct kernel).
        ConvDesc deep = ConvDesc.builder().batch(1).channels(130, 64).input(4, 4).kernel(3).pad(1).build();
        ConvDesc sep = ConvDesc.builder().batch(2).channels(16, 8).input(14, 14).kernel(3).pad(1).groups(4).build();
        return Stream.concat(sweep, Stream.of(Arguments.of(g4, 2), Arguments.of(g2, 3), Arguments.of(wide, 1),
                Arguments.of(deep, 1), Arguments.of(deep, 2), Arguments.of(sep, 4), Arguments.of(sep, 2)));
    }

    @ParameterizedTest(name = "{0} pointwise groups {1}")
    @MethodSource("blocks")
    void residualBlock(ConvDesc k, int pointwiseGroups) {
        String name = "cuda_prb_" + k.problem() + "_" + pointwiseGroups;
        PrbDesc d = PrbDesc.of(k, pointwiseGroups);
        SplittableRandom r = new SplittableRandom(Seeds.of(name + "_w"));
        PatternWeights p = Data.pattern(k.outChannels(), k.inChannelsPerGroup(), k.kernelHeight(), k.kernelWidth(), true, r);
        ConvWeights w1 = Data.weights(k.outChannels(), d.pointwise().inChannelsPerGroup(), 1, 1, pointwiseGroups == 1, r);
        Activation act = pointwiseGroups == 1 ? Activation.RELU : Activation.NONE;
        long terms = convTerms(k) + d.pointwise().inChannelsPerGroup() + 1;
        check(name, b -> b.patternResidualBlock(d, p, w1, act),
                b -> b.patternResidualBlock(d, p.absolute(), w1.absolute(), Activation.NONE), k.inputShape(), terms);
    }

    @Test
    void residualBlockAtSmallerBatchThanBuiltFor() {
        ConvDesc k = ConvDesc.builder().batch(4).channels(20, 24).input(9, 9).kernel(3).pad(1).groups(4).build();
        PrbDesc d = PrbDesc.of(k, 2);
        SplittableRandom r = new SplittableRandom(Seeds.of("cuda_prb_small_batch"));
        PatternWeights p = Data.pattern(24, 5, 3, 3, true, r);
        ConvWeights w1 = Data.weights(24, 10, 1, 1, true, r);
        check("cuda_prb_small_batch", b -> b.patternResidualBlock(d, p, w1, Activation.RELU),
                b -> b.patternResidualBlock(d, p.absolute(), w1.absolute(), Activation.NONE), k.inputShape().withDim0(3),
                5 * 9 + 10 + 2);
    }

    @Test
    void fullyConnected() {
        int[][] cases = {{1, 64, 10}, {3, 1000, 37}, {2, 5, 3}, {4, 17, 4}, {70, 33, 130}, {1, 1024, 1000}};
        for (int[] c : cases) {
            FcDesc d = new FcDesc(c[0], c[1], c[2]);
            String name = "cuda_fc_" + d.problem();
            ConvWeights w = Data.weights(c[2], c[1], 1, 1, true, new SplittableRandom(Seeds.of(name + "_w")));
            check(name, b -> b.fullyConnected(d, w, Activation.RELU), b -> b.fullyConnected(d, w.absolute(), Activation.NONE),
                    Shape.nchw(c[0], c[1], 1, 1), c[1] + 1);
        }
    }

    @Test
    void pooling() {
        for (PoolDesc d : LayerCases.poolings()) {
            Function<Backend, UnaryOp> build = b -> b.pool(d);
            check("cuda_pool_" + d.problem(), build, build, LayerCases.POOL_INPUT, (long) d.kernelHeight() * d.kernelWidth());
        }
        PoolDesc big = PoolDesc.global(PoolDesc.Kind.AVG, 3, 17, 33, 35);
        check("cuda_pool_" + big.problem(), b -> b.pool(big), b -> b.pool(big), Shape.nchw(3, 17, 33, 35), 33 * 35);
    }

    @Test
    void batchNorm() {
        for (LayerCases.BatchNorm bn : LayerCases.batchNorms("cuda_bn_")) {
            // Scale and shift are rounded to float once (2 more roundings than the reference's double).
            check("cuda_bn_" + bn.shape(), b -> b.batchNorm(bn.shape(), bn.params(), Activation.RELU),
                    b -> b.batchNorm(bn.shape(), bn.absolute(), Activation.NONE), bn.shape(), 4);
        }
    }

    @Test
    void softmaxAndActivation() {
        for (Shape s : new Shape[] {Shape.of(3, 1000), Shape.of(2, 7)}) {
            Function<Backend, UnaryOp> softmax = b -> b.softmax(s);
            check("cuda_softmax_" + s, softmax, softmax, s, s.dim(1));
        }
        Shape big = Shape.nchw(2, 3, 150, 150);
        check("cuda_relu", b -> b.activation(big, Activation.RELU), b -> b.activation(big, Activation.NONE), big, 0);
    }

    @Test
    void addAndConcatAreExact() {
        Shape s = Shape.nchw(2, 3, 70, 90);
        Shape s2 = Shape.nchw(2, 5, 70, 90);
        SplittableRandom r = new SplittableRandom(Seeds.of("cuda_add_concat"));
        float[] a = Data.uniform((int) s.size(), r);
        float[] b = Data.uniform((int) s.size(), r);
        float[] c = Data.uniform((int) s2.size(), r);
        float[][] got = new float[2][];
        float[][] expected = new float[2][];
        for (Backend backend : new Backend[] {ReferenceBackend.instance(), CudaBackendTest.backend}) {
            float[][] out = backend == ReferenceBackend.instance() ? expected : got;
            try (BinaryOp add = backend.add(s, Activation.RELU);
                 ConcatOp cat = backend.concat(List.of(s, s2));
                 Tensor ta = backend.allocate(s);
                 Tensor tb = backend.allocate(s);
                 Tensor tc = backend.allocate(s2);
                 Tensor sum = backend.allocate(s);
                 Tensor joined = backend.allocate(Shape.nchw(2, 8, 70, 90))) {
                ta.copyFrom(a);
                tb.copyFrom(b);
                tc.copyFrom(c);
                add.run(ta, tb, sum);
                cat.run(List.of(ta, tc), joined);
                backend.synchronize();
                out[0] = sum.toArray();
                out[1] = joined.toArray();
                if (backend != ReferenceBackend.instance()) {
                    assertEquals("cuda:add", add.implementation());
                    assertEquals("cuda:copy_channels", cat.implementation());
                }
            }
        }
        assertArrayEquals(expected[0], got[0], "add " + Seeds.replay("cuda_add_concat"));
        assertArrayEquals(expected[1], got[1], "concat " + Seeds.replay("cuda_add_concat"));
    }

    @Test
    void implementationNamesSayWhatRuns() {
        ConvDesc small = ConvDesc.builder().channels(16, 16).input(8, 8).kernel(3).pad(1).build();
        ConvDesc wide = ConvDesc.builder().channels(16, 64).input(8, 8).kernel(3).pad(1).build();
        ConvDesc dw = ConvDesc.builder().channels(16, 16).input(8, 8).kernel(3).pad(1).depthwise().build();
        ConvDesc group4 = ConvDesc.builder().channels(16, 8).input(8, 8).kernel(3).pad(1).groups(4).build();
        ConvDesc group2 = ConvDesc.builder().channels(12, 18).input(7, 8).kernel(3).pad(1).groups(2).build();
        SplittableRandom r = new SplittableRandom(1);
        try (UnaryOp a = backend.patternConv2d(small, Data.pattern(16, 16, 3, 3, false, r), Activation.NONE);
             UnaryOp b = backend.conv2d(wide, Data.weights(64, 16, 3, 3, false, r), Activation.NONE);
             UnaryOp c = backend.patternConv2d(dw, Data.pattern(16, 1, 3, 3, false, r), Activation.NONE);
             UnaryOp d = backend.conv2d(dw, Data.weights(16, 1, 3, 3, false, r), Activation.NONE);
             UnaryOp e = backend.patternResidualBlock(PrbDesc.of(wide, 1), Data.pattern(64, 16, 3, 3, false, r),
                     Data.weights(64, 16, 1, 1, false, r), Activation.NONE);
             UnaryOp f = backend.patternResidualBlock(PrbDesc.of(group4, 4), Data.pattern(8, 4, 3, 3, false, r),
                     Data.weights(8, 4, 1, 1, false, r), Activation.NONE);
             UnaryOp g = backend.patternConv2d(group4, Data.pattern(8, 4, 3, 3, false, r), Activation.NONE);
             UnaryOp h = backend.conv2d(group4, Data.weights(8, 4, 3, 3, false, r), Activation.NONE);
             UnaryOp k = backend.patternResidualBlock(PrbDesc.of(group2, 3), Data.pattern(18, 6, 3, 3, false, r),
                     Data.weights(18, 4, 1, 1, false, r), Activation.NONE)) {
            assertEquals("cuda:conv_gemm_pattern_m16", a.implementation());
            assertEquals("cuda:conv_gemm_float_m64", b.implementation());
            assertEquals("cuda:depthwise3_pattern", c.implementation());
            assertEquals("cuda:depthwise3_float", d.implementation());
            assertEquals("cuda:conv_gemm_prb_m64", e.implementation());
            assertEquals("cuda:conv_direct_prb", f.implementation(), "2 outputs per group: the direct kernel");
            assertEquals("cuda:conv_direct_pattern", g.implementation());
            assertEquals("cuda:conv_direct_float", h.implementation());
            assertEquals("cuda:prb_conv2d", k.implementation(), "groupings 2 and 3 do not nest: one thread per output");
        }
    }

    @Test
    void opsFreeTheirDeviceMemory() {
        ConvDesc d = ConvDesc.builder().channels(256, 256).input(16, 16).kernel(3).pad(1).build();
        ConvWeights w = Data.weights(256, 256, 3, 3, true, new SplittableRandom(8));
        backend.synchronize();
        long before = freeBytes();
        for (int i = 0; i < 20; i++) {
            try (UnaryOp op = backend.conv2d(d, w, Activation.NONE); Tensor x = backend.allocate(d.inputShape());
                 Tensor y = backend.allocate(d.outputShape())) {
                op.run(x, y);
            }
        }
        backend.synchronize();
        long after = freeBytes();
        // 20 ops of 2.4 MB of weights and 0.5 MB of tensors each: a systematic leak would take 56 MB;
        // the driver's own page bookkeeping may move free memory by a few MB.
        assertTrue(before - after < (8 << 20), "free device memory fell by " + (before - after) + " bytes over 20 ops");
    }

    private static long freeBytes() {
        backend.context().makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return free[0];
    }

    @Test
    void tensorsRoundTripAndRefuseHostTensors() {
        float[] v = Data.uniform(1000, new SplittableRandom(6));
        try (Tensor t = backend.allocate(Shape.of(10, 100)); HostTensor h = HostTensor.allocate(10, 100)) {
            assertArrayEquals(new float[1000], t.toArray(), "allocate zero-fills");
            t.copyFrom(v);
            t.copyTo(h);
            assertArrayEquals(v, h.toArray());
            ConvDesc d = ConvDesc.builder().channels(1, 1).input(10, 100).kernel(3).pad(1).build();
            try (UnaryOp op = backend.patternConv2d(d, Data.pattern(1, 1, 3, 3, false, new SplittableRandom(7)), Activation.NONE);
                 HostTensor hx = HostTensor.allocate(d.inputShape()); HostTensor hy = HostTensor.allocate(d.outputShape())) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.run(hx, hy));
                assertTrue(e.getMessage().contains("device tensors"), e.getMessage());
                try (Tensor dx = backend.allocate(d.inputShape()); Tensor wrong = backend.allocate(Shape.nchw(1, 1, 10, 99))) {
                    e = assertThrows(IllegalArgumentException.class, () -> op.run(dx, wrong));
                    assertTrue(e.getMessage().contains("expected [1, 1, 10, 100]"), e.getMessage());
                }
            }
        }
    }

    @Test
    void closedOpsAndTensorsRefuseToRun() {
        ConvDesc d = ConvDesc.builder().channels(4, 4).input(5, 5).kernel(3).pad(1).build();
        UnaryOp op = backend.patternConv2d(d, Data.pattern(4, 4, 3, 3, false, new SplittableRandom(9)), Activation.NONE);
        List<Tensor> ts = new ArrayList<>();
        ts.add(backend.allocate(d.inputShape()));
        ts.add(backend.allocate(d.outputShape()));
        op.close();
        assertThrows(IllegalStateException.class, () -> op.run(ts.get(0), ts.get(1)));
        try (UnaryOp live = backend.patternConv2d(d, Data.pattern(4, 4, 3, 3, false, new SplittableRandom(9)), Activation.NONE)) {
            ts.get(0).close();
            assertThrows(IllegalStateException.class, () -> live.run(ts.get(0), ts.get(1)));
        }
        ts.get(1).close();
    }
}
