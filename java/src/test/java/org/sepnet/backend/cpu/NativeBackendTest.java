package org.sepnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.backend.Backend;
import org.sepnet.backend.BuildInfo;
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
import org.sepnet.testing.Conformance;
import org.sepnet.testing.Data;
import org.sepnet.testing.LayerCases;
import org.sepnet.testing.Seeds;
import org.sepnet.testing.ShapeSweep;

/**
 * Every native kernel against the reference on the edge-hitting shapes, on every instruction set
 * this CPU runs, with 1 and 2 threads, and with each pattern algorithm forced (where it runs the
 * problem; NativeChoiceTest checks what it refuses); plus bit-for-bit identity of 1-thread and
 * 2-thread results.
 */
class NativeBackendTest {
    /** A backend configuration under test. */
    record Config(String label, String isa, int threads, PatternAlgorithm algorithm, NativeBackend backend) {}

    private static final List<Config> CONFIGS = new ArrayList<>();

    @BeforeAll
    static void requireLibrary() {
        // A jar built without a C++ compiler has no library: skip, saying why. A jar that has one
        // must load it; failing to is a test failure, not a skip.
        Assumptions.assumeTrue(BuildInfo.built("native.library"),
                () -> "native library not built: " + BuildInfo.skipReason("native"));
        NativeBackend shared = NativeBackend.instance();
        assertTrue(shared.availability().available(), "native library built but unavailable: " + shared.availability().detail());
        List<String> isas = NativeBackend.instructionSets();
        assertTrue(isas.contains("generic"), "the portable kernels are always compiled in: " + isas);
        for (String isa : isas) {
            for (int threads : new int[] {1, 2}) {
                add(isa, threads, PatternAlgorithm.AUTO);
            }
        }
        add(isas.get(0), 1, PatternAlgorithm.XOR);
        add(isas.get(0), 2, PatternAlgorithm.XOR);
        add(isas.get(0), 2, PatternAlgorithm.LOOKUP);
        add(isas.get(0), 2, PatternAlgorithm.GEMM);
        add(isas.get(0), 1, PatternAlgorithm.WINOGRAD);
        add(isas.get(0), 2, PatternAlgorithm.WINOGRAD);
        System.out.println("native configurations under test: " + CONFIGS.stream().map(Config::label).toList());
    }

    private static void add(String isa, int threads, PatternAlgorithm algorithm) {
        String label = isa + "/" + threads + "t/" + algorithm.name().toLowerCase();
        CONFIGS.add(new Config(label, isa, threads, algorithm, NativeBackend.create(threads, isa, algorithm)));
    }

    @AfterAll
    static void closeBackends() {
        CONFIGS.forEach(c -> c.backend().close());
        CONFIGS.clear();
    }

    /** Checks {@code e} on every configuration and requires identical bits for 1 and 2 threads of the same kernels. */
    private static void checkEverywhere(Conformance.Expected e, Function<Backend, UnaryOp> build) {
        // Winograd's error is bounded by 16 times the direct sum's (docs/native-backend.md).
        checkEverywhere(e, build, c -> c.algorithm() == PatternAlgorithm.WINOGRAD ? 16 : 1);
    }

    /** The same with the bound's factor per configuration. */
    private static void checkEverywhere(Conformance.Expected e, Function<Backend, UnaryOp> build, ToIntFunction<Config> factor) {
        Map<String, float[]> byKernels = new HashMap<>();
        for (Config c : CONFIGS) {
            float[] got;
            try {
                got = e.check(c.backend(), build, c.label(), factor.applyAsInt(c));
            } catch (IllegalArgumentException refused) {
                // A forced algorithm refuses a problem it cannot run, saying why; AUTO runs every problem.
                assertNotEquals(PatternAlgorithm.AUTO, c.algorithm(), c.label() + ": " + refused.getMessage());
                assertTrue(refused.getMessage().contains(" algorithm cannot run this problem: "), c.label() + ": " + refused.getMessage());
                continue;
            }
            String kernels = c.isa() + "/" + c.algorithm();
            float[] other = byKernels.putIfAbsent(kernels, got);
            if (other != null) {
                assertArrayEquals(other, got, c.label() + " differs from the other thread count " + Seeds.replay(e.name()));
            }
        }
    }

    static Stream<ConvDesc> sweep() {
        // Plus an output over 1 MiB (written with non-temporal stores), rows of an odd length so that
        // row starts are unaligned; and groups of 32 to 96 outputs, where AVX-512 runs the
        // output-vectorized GEMM: odd sizes, stride 2, 5x5, two groups, a partial last output
        // vector pair (48), a batch, and 300 channels (two channel blocks). And 3x3 pattern layers with
        // 160+ outputs per group, which AUTO runs with the output-vectorized lookup on AVX-512 (and the
        // forced lookup on every shape the output-vectorized kernels take): stride 1 and 2 on odd
        // sizes, 176 outputs (a single output vector after the pairs), dilation 2, two groups, a batch.
        return Stream.concat(ShapeSweep.convolutions().stream(), Stream.of(
                ConvDesc.builder().batch(1).channels(24, 192).input(9, 7).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(2).channels(20, 176).input(11, 13).kernel(3).pad(1).stride(2).build(),
                ConvDesc.builder().batch(1).channels(16, 192).input(10, 10).kernel(3).pad(2).dilation(2).build(),
                ConvDesc.builder().batch(1).channels(40, 384).input(5, 6).kernel(3).pad(1).groups(2).build(),
                // 5x5, which the forced lookup runs output-vectorized on AVX-512 (AUTO from 64 outputs): odd
                // sizes, 48 outputs (a single vector after the pair), two groups, dilation 2 with stride 2.
                ConvDesc.builder().batch(2).channels(19, 48).input(11, 9).kernel(5).pad(2).build(),
                ConvDesc.builder().batch(1).channels(24, 128).input(7, 7).kernel(5).pad(2).groups(2).build(),
                ConvDesc.builder().batch(1).channels(12, 32).input(15, 14).kernel(5).pad(4).dilation(2).stride(2).build(),
                ConvDesc.builder().batch(1).channels(3, 32).input(190, 190).kernel(3).pad(1).stride(2).build(),
                ConvDesc.builder().batch(1).channels(40, 64).input(9, 11).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(3).channels(24, 96).input(13, 10).kernel(5).pad(2).stride(2).build(),
                ConvDesc.builder().batch(2).channels(20, 64).input(7, 9).kernel(3).pad(1).groups(2).build(),
                ConvDesc.builder().batch(1).channels(17, 48).input(6, 6).kernel(3).pad(1).stride(2).build(),
                // 3x3 stride 2 on the output-vectorized lookup, whose row tables are built from the input
                // rows (8 columns a load, masked at the rows' ends): rows of whole loads (16 wide, AUTO
                // takes the lookup there), a row shorter than one load (5 wide), no padding on an odd
                // width, padding 2 and padding differing per dimension.
                ConvDesc.builder().batch(2).channels(24, 64).input(16, 16).kernel(3).pad(1).stride(2).build(),
                ConvDesc.builder().batch(1).channels(16, 32).input(7, 5).kernel(3).pad(1).stride(2).build(),
                ConvDesc.builder().batch(1).channels(16, 64).input(12, 17).kernel(3).pad(0).stride(2).build(),
                ConvDesc.builder().batch(1).channels(20, 64).input(9, 20).kernel(3).pad(2).stride(2).build(),
                // 3x3 stride 1 with 16 outputs, rows of whole vectors (no scalar remainder): Winograd's input copy
                // finds NaN and Inf in its vector loop.
                ConvDesc.builder().batch(2).channels(8, 16).input(6, 32).kernel(3).pad(1).build(),
                // and rows of 27 and 13 (tile rows ending in part of a vector: masked stores of the output transform)
                ConvDesc.builder().batch(2).channels(8, 16).input(5, 27).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(1).channels(16, 32).input(7, 13).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(1).channels(16, 64).input(10, 11).kernel(3).pad(2, 1).stride(2).build(),
                ConvDesc.builder().batch(1).channels(300, 32).input(15, 15).kernel(3).pad(1).build(),
                // 1x1 at stride 1 read straight from the input planes: several channel blocks, a partial
                // last tile (position-major GEMM, which copies it) and the output-vectorized GEMM, a batch;
                // groups on a plane of whole vectors (one full tile, read in place).
                ConvDesc.builder().batch(2).channels(150, 24).input(40, 41).kernel(1).build(),
                ConvDesc.builder().batch(1).channels(130, 96).input(37, 35).kernel(1).build(),
                ConvDesc.builder().batch(2).channels(96, 64).input(16, 24).kernel(1).groups(4).build(),
                // 3x3 stride 1 with outputs per group a multiple of 16, which the Winograd kernels take:
                // odd output sizes (a last tile half outside), 16 outputs (one vector), 80 (a GEMM call
                // of 4 vectors and one of 1), no padding, padding 2, a batch, a plane split into bands.
                ConvDesc.builder().batch(3).channels(7, 16).input(13, 11).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(1).channels(12, 80).input(10, 9).kernel(3).pad(0).build(),
                ConvDesc.builder().batch(2).channels(9, 32).input(5, 7).kernel(3).pad(2).build(),
                ConvDesc.builder().batch(1).channels(8, 16).input(70, 67).kernel(3).pad(1).build(),
                // Stride 2, whose rows AVX-512 splits a vector at a time: widths
                // 16, 32, 48 and 64 (one, two, three half vectors, two pairs), padding 0, 1 and 2 (the
                // even elements go to the other column phase when the padding is odd), the output-
                // vectorized GEMM (whole-row tiles) and the position-major one (tiles starting and
                // ending inside a row), an odd height.
                ConvDesc.builder().batch(2).channels(8, 16).input(32, 32).kernel(3).pad(1).stride(2).build(),
                ConvDesc.builder().batch(1).channels(12, 64).input(15, 16).kernel(3).pad(0).stride(2).build(),
                ConvDesc.builder().batch(1).channels(5, 32).input(48, 48).kernel(3).pad(2).stride(2).build(),
                ConvDesc.builder().batch(2).channels(16, 32).input(21, 64).kernel(3).pad(1).stride(2).build(),
                // and rows not a multiple of 16 long, whose last vector writes zeros past the row (into
                // the next plane row with no padding, and into padding with some).
                ConvDesc.builder().batch(2).channels(6, 32).input(13, 14).kernel(3).pad(0).stride(2).build(),
                ConvDesc.builder().batch(1).channels(9, 48).input(28, 28).kernel(3).pad(1).stride(2).build(),
                // and planes of more than one position-major tile (up to 1024 positions): tiles
                // starting and ending inside rows of whole vectors (64 wide) and of gather2 (48 wide).
                ConvDesc.builder().batch(1).channels(8, 16).input(67, 64).kernel(3).pad(1).stride(2).build(),
                ConvDesc.builder().batch(2).channels(5, 16).input(90, 48).kernel(3).pad(2).stride(2).build()));
    }

    static Stream<Arguments> blocks() {
        // Plus blocks with 32+ outputs per group: 1x1 branch in 1, 2, 4 and 8 groups (the last finer
        // than the k x k's 4), stride 2, a batch.
        ConvDesc wide = ConvDesc.builder().batch(2).channels(40, 64).input(9, 11).kernel(3).pad(1).build();
        ConvDesc grouped = ConvDesc.builder().batch(1).channels(64, 128).input(8, 9).kernel(3).pad(1).stride(2).groups(4).build();
        Stream<Arguments> ov = Stream.of(Arguments.of(wide, 1), Arguments.of(wide, 2), Arguments.of(grouped, 4),
                Arguments.of(grouped, 8));
        return Stream.concat(ov, ShapeSweep.residualBlocks().stream().flatMap(d -> {
            Stream.Builder<Arguments> s = Stream.builder();
            s.add(Arguments.of(d, 1));
            if (d.groups() > 1) {
                s.add(Arguments.of(d, d.groups()));
            } else if (d.inChannels() % 2 == 0 && d.outChannels() % 2 == 0) {
                s.add(Arguments.of(d, 2));
            }
            return s.build();
        }));
    }

    private static long convTerms(ConvDesc d) {
        return (long) d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 1;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sweep")
    void patternConvolution(ConvDesc d) {
        for (boolean bias : new boolean[] {true, false}) {
            Activation act = bias ? Activation.RELU : Activation.NONE;
            String name = "native_pattern_" + d.problem() + "_" + bias;
            PatternWeights w = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), bias,
                    new SplittableRandom(Seeds.of(name + "_w")));
            Function<Backend, UnaryOp> build = b -> b.patternConv2d(d, w, act);
            checkEverywhere(Conformance.reference(name, build, b -> b.patternConv2d(d, w.absolute(), Activation.NONE),
                    d.inputShape(), convTerms(d)), build);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sweep")
    void floatConvolution(ConvDesc d) {
        String name = "native_conv_" + d.problem();
        ConvWeights w = Data.weights(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true,
                new SplittableRandom(Seeds.of(name + "_w")));
        Function<Backend, UnaryOp> build = b -> b.conv2d(d, w, Activation.RELU);
        if (!winogradShape(d)) {
            checkEverywhere(Conformance.reference(name, build, b -> b.conv2d(d, w.absolute(), Activation.NONE), d.inputShape(),
                    convTerms(d)), build);
            return;
        }
        // AVX-512 runs these with Winograd's F(2x2, 3x3). With float weights its terms are bounded by
        // 16 times the window's |x| times the largest |w| of the filter, not by the direct sum
        // (docs/native-backend.md): the bound's sum uses each filter's largest |w| for every weight.
        ConvWeights maxima = filterMaxima(w);
        checkEverywhere(Conformance.reference(name, build, b -> b.conv2d(d, maxima, Activation.NONE), d.inputShape(),
                convTerms(d)), build, c -> c.isa().equals("avx512") ? 16 : 1);
    }

    /** Whether the native backend's AVX-512 kernels run this float convolution with Winograd (WinogradOp). */
    private static boolean winogradShape(ConvDesc d) {
        return d.kernelHeight() == 3 && d.kernelWidth() == 3 && d.strideHeight() == 1 && d.strideWidth() == 1
                && d.dilationHeight() == 1 && d.dilationWidth() == 1 && d.padHeight() <= 2 && d.padWidth() <= 2
                && (d.outChannels() / d.groups()) % 16 == 0;
    }

    /** Each filter's weights all set to its largest |w|, and |bias|. */
    private static ConvWeights filterMaxima(ConvWeights w) {
        float[] all = w.weights();
        int size = w.filterSize();
        for (int o = 0; o < w.outChannels(); o++) {
            float max = 0f;
            for (int i = 0; i < size; i++) {
                max = Math.max(max, Math.abs(all[o * size + i]));
            }
            java.util.Arrays.fill(all, o * size, (o + 1) * size, max);
        }
        return new ConvWeights(w.outChannels(), w.inChannelsPerGroup(), w.kh(), w.kw(), all, w.absolute().bias());
    }

    @ParameterizedTest(name = "{0} pointwise groups {1}")
    @MethodSource("blocks")
    void residualBlock(ConvDesc k, int pointwiseGroups) {
        String name = "native_prb_" + k.problem() + "_" + pointwiseGroups;
        PrbDesc d = PrbDesc.of(k, pointwiseGroups);
        SplittableRandom r = new SplittableRandom(Seeds.of(name + "_w"));
        PatternWeights p = Data.pattern(k.outChannels(), k.inChannelsPerGroup(), k.kernelHeight(), k.kernelWidth(), true, r);
        ConvWeights w1 = Data.weights(k.outChannels(), d.pointwise().inChannelsPerGroup(), 1, 1, pointwiseGroups == 1, r);
        Activation act = pointwiseGroups == 1 ? Activation.RELU : Activation.NONE;
        Function<Backend, UnaryOp> build = b -> b.patternResidualBlock(d, p, w1, act);
        long terms = convTerms(k) + d.pointwise().inChannelsPerGroup() + 1;
        checkEverywhere(Conformance.reference(name, build,
                b -> b.patternResidualBlock(d, p.absolute(), w1.absolute(), Activation.NONE), k.inputShape(), terms), build);
    }

    @Test
    void residualBlockAtSmallerBatchThanBuiltFor() {
        ConvDesc k = ConvDesc.builder().batch(4).channels(20, 24).input(9, 9).kernel(3).pad(1).groups(4).build();
        PrbDesc d = PrbDesc.of(k, 2);
        SplittableRandom r = new SplittableRandom(Seeds.of("prb_small_batch"));
        PatternWeights p = Data.pattern(24, 5, 3, 3, true, r);
        ConvWeights w1 = Data.weights(24, 10, 1, 1, true, r);
        Function<Backend, UnaryOp> build = b -> b.patternResidualBlock(d, p, w1, Activation.RELU);
        checkEverywhere(Conformance.reference("prb_small_batch", build,
                b -> b.patternResidualBlock(d, p.absolute(), w1.absolute(), Activation.NONE), k.inputShape().withDim0(3),
                5 * 9 + 10 + 2), build);
    }

    @Test
    void threadCountsAboveTwo() {
        // The pool hands each thread a contiguous share of a loop's items first: with 3 and 5 threads
        // shares are uneven or empty (a single unit, fewer units than threads, 7 samples). Every item
        // must run once, and the bits must equal one thread's with the same kernels.
        String isa = CONFIGS.get(0).isa();
        NativeBackend one = CONFIGS.stream().filter(c -> c.isa().equals(isa) && c.threads() == 1
                && c.algorithm() == PatternAlgorithm.AUTO).findFirst().orElseThrow().backend();
        List<ConvDesc> shapes = List.of(
                ConvDesc.builder().batch(1).channels(4, 8).input(3, 3).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(1).channels(16, 64).input(9, 9).kernel(3).pad(1).stride(2).build(),
                ConvDesc.builder().batch(7).channels(12, 32).input(10, 11).kernel(3).pad(1).build(),
                ConvDesc.builder().batch(7).channels(24, 64).input(16, 16).kernel(3).pad(1).stride(2).build());
        for (int threads : new int[] {3, 5}) {
            try (NativeBackend many = NativeBackend.create(threads, isa, PatternAlgorithm.AUTO)) {
                for (ConvDesc d : shapes) {
                    String name = "native_threads_" + threads + "_" + d.problem();
                    PatternWeights w = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), 3, 3, true,
                            new SplittableRandom(Seeds.of(name + "_w")));
                    Function<Backend, UnaryOp> build = b -> b.patternConv2d(d, w, Activation.RELU);
                    Conformance.Expected e = Conformance.reference(name, build,
                            b -> b.patternConv2d(d, w.absolute(), Activation.NONE), d.inputShape(), convTerms(d));
                    float[] got = e.check(many, build, isa + "/" + threads + "t/auto");
                    assertArrayEquals(e.check(one, build, isa + "/1t/auto"), got,
                            threads + " threads differ from 1 " + Seeds.replay(e.name()));
                }
            }
        }
    }

    @Test
    void patternConvolutionAtSmallerBatchThanBuiltFor() {
        // Built for 5 images, run on 3: the Winograd op puts several small planes in one unit (5 with
        // 1 thread, 2 with 2), so its last unit is partial.
        ConvDesc d = ConvDesc.builder().batch(5).channels(12, 32).input(8, 8).kernel(3).pad(1).build();
        PatternWeights w = Data.pattern(32, 12, 3, 3, true, new SplittableRandom(Seeds.of("pattern_small_batch_w")));
        Function<Backend, UnaryOp> build = b -> b.patternConv2d(d, w, Activation.RELU);
        checkEverywhere(Conformance.reference("pattern_small_batch", build, b -> b.patternConv2d(d, w.absolute(), Activation.NONE),
                d.inputShape().withDim0(3), convTerms(d)), build);
    }

    @Test
    void fullyConnected() {
        int[][] cases = {{1, 64, 10}, {3, 1000, 37}, {2, 5, 3}, {4, 17, 4}};
        for (int[] c : cases) {
            FcDesc d = new FcDesc(c[0], c[1], c[2]);
            String name = "native_fc_" + d.problem();
            ConvWeights w = Data.weights(c[2], c[1], 1, 1, true, new SplittableRandom(Seeds.of(name + "_w")));
            Function<Backend, UnaryOp> build = b -> b.fullyConnected(d, w, Activation.RELU);
            checkEverywhere(Conformance.reference(name, build, b -> b.fullyConnected(d, w.absolute(), Activation.NONE),
                    Shape.nchw(c[0], c[1], 1, 1), c[1] + 1), build);
        }
    }

    @Test
    void pooling() {
        for (PoolDesc d : LayerCases.poolings()) {
            Function<Backend, UnaryOp> build = b -> b.pool(d);
            checkEverywhere(Conformance.reference("native_pool_" + d.problem(), build, build, LayerCases.POOL_INPUT,
                    (long) d.kernelHeight() * d.kernelWidth()), build);
        }
    }

    @Test
    void batchNorm() {
        for (LayerCases.BatchNorm bn : LayerCases.batchNorms("bn_")) {
            Function<Backend, UnaryOp> build = b -> b.batchNorm(bn.shape(), bn.params(), Activation.RELU);
            checkEverywhere(Conformance.reference("native_bn_" + bn.shape(), build,
                    b -> b.batchNorm(bn.shape(), bn.absolute(), Activation.NONE), bn.shape(), 2), build);
        }
    }

    @Test
    void softmaxAndActivation() {
        Shape s = Shape.of(3, 1000);
        Function<Backend, UnaryOp> softmax = b -> b.softmax(s);
        checkEverywhere(Conformance.reference("native_softmax", softmax, softmax, s, 1000), softmax);
        Shape big = Shape.nchw(2, 3, 150, 150); // more than one 16K-float work item
        Function<Backend, UnaryOp> relu = b -> b.activation(big, Activation.RELU);
        checkEverywhere(Conformance.reference("native_relu", relu, b -> b.activation(big, Activation.NONE), big, 0), relu);
    }

    @Test
    void addAndConcatAreExact() {
        Shape s = Shape.nchw(2, 3, 70, 90);
        SplittableRandom r = new SplittableRandom(Seeds.of("add_concat"));
        float[] a = Data.uniform((int) s.size(), r);
        float[] b = Data.uniform((int) s.size(), r);
        Shape s2 = Shape.nchw(2, 5, 70, 90);
        float[] c = Data.uniform((int) s2.size(), r);
        float[][] expected = new float[2][];
        ReferenceBackend ref = ReferenceBackend.instance();
        for (int pass = 0; pass <= CONFIGS.size(); pass++) {
            Backend backend = pass == 0 ? ref : CONFIGS.get(pass - 1).backend();
            String label = pass == 0 ? "reference" : CONFIGS.get(pass - 1).label();
            try (BinaryOp add = backend.add(s, Activation.RELU);
                 ConcatOp cat = backend.concat(List.of(s, s2));
                 HostTensor ta = HostTensor.of(s, a);
                 HostTensor tb = HostTensor.of(s, b);
                 HostTensor tc = HostTensor.of(s2, c);
                 HostTensor sum = HostTensor.allocate(s);
                 HostTensor joined = HostTensor.allocate(2, 8, 70, 90)) {
                add.run(ta, tb, sum);
                cat.run(List.of(ta, tc), joined);
                if (pass == 0) {
                    expected[0] = sum.toArray();
                    expected[1] = joined.toArray();
                } else {
                    assertTrue(add.implementation().startsWith("native:"), add.implementation());
                    assertArrayEquals(expected[0], sum.toArray(), label + " add " + Seeds.replay("add_concat"));
                    assertArrayEquals(expected[1], joined.toArray(), label + " concat " + Seeds.replay("add_concat"));
                }
            }
        }
    }

    @Test
    void rejectsBadConfigurationsWithReasons() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeBackend.create(2, "neon", PatternAlgorithm.AUTO));
        assertTrue(e.getMessage().contains("unknown instruction set 'neon'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativeBackend.create(0, "auto", PatternAlgorithm.AUTO));
        assertTrue(e.getMessage().contains("threads is 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PatternAlgorithm.parse("fast"));
        assertTrue(e.getMessage().contains("auto, xor, lookup, gemm or winograd"), e.getMessage());
        if (!NativeBackend.instructionSets().contains("avx512")) {
            e = assertThrows(IllegalArgumentException.class, () -> NativeBackend.create(1, "avx512", PatternAlgorithm.AUTO));
            assertTrue(e.getMessage().contains("cannot run avx512"), e.getMessage());
        }
    }

    @Test
    void opsOutliveTheirBackendAndRejectBadShapes() {
        ConvDesc d = ConvDesc.builder().channels(4, 4).input(5, 5).kernel(3).pad(1).build();
        PatternWeights w = Data.pattern(4, 4, 3, 3, false, new SplittableRandom(4));
        NativeBackend b = NativeBackend.create(2, "auto", PatternAlgorithm.AUTO);
        UnaryOp op = b.patternConv2d(d, w, Activation.NONE);
        b.close();
        try (op; HostTensor x = HostTensor.allocate(d.inputShape()); HostTensor y = HostTensor.allocate(d.outputShape());
             HostTensor wrong = HostTensor.allocate(1, 4, 4, 4)) {
            x.fill(1f);
            op.run(x, y);
            assertFalse(y.get(0) == 0f && y.get(12) == 0f, "op ran after its backend was closed");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.run(x, wrong));
            assertTrue(e.getMessage().contains("expected [1, 4, 5, 5]"), e.getMessage());
        }
        assertThrows(IllegalStateException.class, () -> op.run(HostTensor.allocate(d.inputShape()), HostTensor.allocate(d.outputShape())));
    }
}
