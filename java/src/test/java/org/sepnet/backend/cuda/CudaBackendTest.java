package org.sepnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import org.sepnet.testing.Conformance;
import org.sepnet.testing.Data;
import org.sepnet.testing.RequiresGpu;
import org.sepnet.testing.Seeds;
import org.sepnet.testing.ShapeSweep;

/** The CUDA kernels against the reference. Skipped, with the reason, where no usable GPU is present. */
@RequiresGpu
class CudaBackendTest {
    private static CudaBackend backend;

    @BeforeAll
    static void gpu() {
        backend = CudaBackend.instance();
        System.out.println("GPU tests on " + backend.availability().detail());
    }

    static Stream<Arguments> patternCases() {
        return ShapeSweep.convolutions().stream().flatMap(d -> Stream.of(
                Arguments.of(d, true, Activation.RELU), Arguments.of(d, false, Activation.NONE)));
    }

    @ParameterizedTest(name = "{0} bias={1} {2}")
    @MethodSource("patternCases")
    void patternConvolutionMatchesReference(ConvDesc d, boolean bias, Activation act) {
        String name = "cuda_pattern_" + d.problem() + "_" + bias + "_" + act;
        PatternWeights w = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), bias,
                new SplittableRandom(Seeds.of(name + "_w")));
        Conformance.check(name, backend, b -> b.patternConv2d(d, w, act), b -> b.patternConv2d(d, w.absolute(), Activation.NONE),
                d.inputShape(), (long) d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 1);
    }

    static Stream<ConvDesc> blocks() {
        return ShapeSweep.residualBlocks().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blocks")
    void residualBlockMatchesReference(ConvDesc k) {
        String name = "cuda_prb_" + k.problem();
        int g1 = k.groups() > 1 ? k.groups() : 1;
        PrbDesc d = PrbDesc.of(k, g1);
        SplittableRandom r = new SplittableRandom(Seeds.of(name + "_w"));
        PatternWeights p = Data.pattern(k.outChannels(), k.inChannelsPerGroup(), k.kernelHeight(), k.kernelWidth(), true, r);
        ConvWeights w1 = Data.weights(k.outChannels(), d.pointwise().inChannelsPerGroup(), 1, 1, true, r);
        long terms = (long) k.inChannelsPerGroup() * k.kernelHeight() * k.kernelWidth() + d.pointwise().inChannelsPerGroup() + 2;
        Conformance.check(name, backend, b -> b.patternResidualBlock(d, p, w1, Activation.RELU),
                b -> b.patternResidualBlock(d, p.absolute(), w1.absolute(), Activation.NONE), k.inputShape(), terms);
    }

    @Test
    void hostFallbackOpsMatchReference() {
        ConvDesc d = ConvDesc.builder().batch(2).channels(8, 12).input(9, 9).kernel(3).pad(1).groups(4).build();
        ConvWeights w = Data.weights(12, 2, 3, 3, true, new SplittableRandom(5));
        Conformance.check("cuda_fallback_conv", backend, b -> b.conv2d(d, w, Activation.RELU),
                b -> b.conv2d(d, w.absolute(), Activation.NONE), d.inputShape(), 2 * 9 + 1);
        try (UnaryOp op = backend.conv2d(d, w, Activation.NONE)) {
            assertEquals("cuda-fallback:reference", op.implementation());
        }
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
            }
        }
    }
}
