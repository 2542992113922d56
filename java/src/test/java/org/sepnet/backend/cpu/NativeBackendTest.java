package org.sepnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.backend.BuildInfo;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.testing.Conformance;
import org.sepnet.testing.Data;
import org.sepnet.testing.Seeds;
import org.sepnet.testing.ShapeSweep;
import org.junit.jupiter.api.Assumptions;

/** The native kernels against the reference on the edge-hitting shape sweep. */
class NativeBackendTest {
    private static NativeBackend backend;

    @BeforeAll
    static void requireLibrary() {
        // A jar built without a C++ compiler has no library: skip, saying why. A jar that has one
        // must load it; failing to is a test failure, not a skip.
        Assumptions.assumeTrue(BuildInfo.built("native.library"),
                () -> "native library not built: " + BuildInfo.skipReason("native"));
        backend = NativeBackend.instance();
        assertTrue(backend.availability().available(), "native library built but unavailable: " + backend.availability().detail());
    }

    static Stream<Arguments> patternCases() {
        return ShapeSweep.convolutions().stream().flatMap(d -> Stream.of(
                Arguments.of(d, true, Activation.RELU), Arguments.of(d, false, Activation.NONE)));
    }

    static Stream<Arguments> blockCases() {
        return ShapeSweep.residualBlocks().stream().flatMap(d -> {
            int g = d.groups();
            Stream.Builder<Arguments> s = Stream.builder();
            s.add(Arguments.of(d, 1, Activation.RELU));
            if (g > 1) {
                s.add(Arguments.of(d, g, Activation.NONE));
            } else if (d.inChannels() % 2 == 0 && d.outChannels() % 2 == 0) {
                s.add(Arguments.of(d, 2, Activation.NONE));
            }
            return s.build();
        });
    }

    @ParameterizedTest(name = "{0} bias={1} {2}")
    @MethodSource("patternCases")
    void patternConvolutionMatchesReference(ConvDesc d, boolean bias, Activation act) {
        String name = "native_pattern_" + d.problem() + "_" + bias + "_" + act;
        PatternWeights w = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), bias,
                new java.util.SplittableRandom(Seeds.of(name + "_w")));
        Conformance.check(name, backend, b -> b.patternConv2d(d, w, act), b -> b.patternConv2d(d, w.absolute(), Activation.NONE),
                d.inputShape(), (long) d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 1);
    }

    @ParameterizedTest(name = "{0} pointwise groups={1} {2}")
    @MethodSource("blockCases")
    void residualBlockMatchesReference(ConvDesc k, int pointwiseGroups, Activation act) {
        String name = "native_prb_" + k.problem() + "_" + pointwiseGroups + "_" + act;
        PrbDesc d = PrbDesc.of(k, pointwiseGroups);
        java.util.SplittableRandom r = new java.util.SplittableRandom(Seeds.of(name + "_w"));
        PatternWeights p = Data.pattern(k.outChannels(), k.inChannelsPerGroup(), k.kernelHeight(), k.kernelWidth(), true, r);
        ConvWeights w1 = Data.weights(k.outChannels(), d.pointwise().inChannelsPerGroup(), 1, 1, act == Activation.RELU, r);
        long terms = (long) k.inChannelsPerGroup() * k.kernelHeight() * k.kernelWidth() + d.pointwise().inChannelsPerGroup() + 2;
        Conformance.check(name, backend, b -> b.patternResidualBlock(d, p, w1, act),
                b -> b.patternResidualBlock(d, p.absolute(), w1.absolute(), Activation.NONE), k.inputShape(), terms);
    }

    @Test
    void runsSmallerBatchesThanBuiltFor() {
        ConvDesc d = ConvDesc.builder().batch(4).channels(5, 6).input(7, 7).kernel(3).pad(1).build();
        PatternWeights w = Data.pattern(6, 5, 3, 3, true, new java.util.SplittableRandom(1));
        Conformance.check("native_small_batch", backend, b -> b.patternConv2d(d, w, Activation.NONE),
                b -> b.patternConv2d(d, w.absolute(), Activation.NONE), d.inputShape().withDim0(2), 46);
    }

    @Test
    void namesItsImplementationsAndRejectsBadShapes() {
        ConvDesc d = ConvDesc.builder().channels(4, 4).input(5, 5).kernel(3).pad(1).build();
        PatternWeights w = Data.pattern(4, 4, 3, 3, false, new java.util.SplittableRandom(2));
        try (UnaryOp op = backend.patternConv2d(d, w, Activation.NONE);
             HostTensor x = HostTensor.allocate(d.inputShape());
             HostTensor wrong = HostTensor.allocate(1, 4, 4, 4)) {
            assertEquals("native:pattern_conv_direct_xor", op.implementation());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.run(x, wrong));
            assertTrue(e.getMessage().contains("expected [1, 4, 5, 5]"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.patternConv2d(d, Data.pattern(4, 4, 5, 5, false, new java.util.SplittableRandom(3)), Activation.NONE));
        assertTrue(e.getMessage().contains("do not match"), e.getMessage());
        try (UnaryOp op = backend.conv2d(d, ConvWeights.random(4, 4, 3, 3, false, 1), Activation.NONE)) {
            assertEquals("reference", op.implementation(), "ops without a native kernel say they run the reference");
        }
    }
}
