package org.sepnet.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
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
import org.sepnet.ops.Activation;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Data;
import org.sepnet.testing.LayerCases;
import org.sepnet.testing.NonFinite;
import org.sepnet.testing.Seeds;

/**
 * The NaN/Inf contract on every native kernel: each algorithm (forced, on the best instruction set
 * and the portable one) on the native conformance sweep, with ReLU fused, and every other op.
 */
class NativeNonFiniteTest {
    private static final List<NativeBackend> BACKENDS = new ArrayList<>();

    @BeforeAll
    static void backends() {
        Assumptions.assumeTrue(BuildInfo.built("native.library"), () -> "native library not built: " + BuildInfo.skipReason("native"));
        List<String> isas = NativeBackend.instructionSets();
        for (PatternAlgorithm a : PatternAlgorithm.values()) {
            BACKENDS.add(NativeBackend.create(2, isas.get(0), a));
        }
        BACKENDS.add(NativeBackend.create(1, "generic", PatternAlgorithm.AUTO));
    }

    @AfterAll
    static void close() {
        BACKENDS.forEach(NativeBackend::close);
        BACKENDS.clear();
    }

    private static void everywhere(String name, Shape input, Function<Backend, UnaryOp> build) {
        for (NativeBackend b : BACKENDS) {
            try {
                NonFinite.check(name, input, build, b, b.availability().detail());
            } catch (IllegalArgumentException refused) {
                // a forced algorithm that cannot run this problem (NativeChoiceTest checks the reasons)
                if (!refused.getMessage().contains(" algorithm cannot run this problem: ")) {
                    throw refused;
                }
            }
        }
    }

    static Stream<ConvDesc> convolutions() {
        return NativeBackendTest.sweep();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void patternAndFloatConvolutions(ConvDesc d) {
        SplittableRandom r = new SplittableRandom(Seeds.of("nonfinite_conv_" + d.problem()));
        PatternWeights p = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, r);
        ConvWeights w = Data.weights(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, r);
        everywhere("pattern_" + d.problem(), d.inputShape(), b -> b.patternConv2d(d, p, Activation.RELU));
        everywhere("conv_" + d.problem(), d.inputShape(), b -> b.conv2d(d, w, Activation.RELU));
    }

    static Stream<Arguments> blocks() {
        return NativeBackendTest.blocks();
    }

    @ParameterizedTest(name = "{0} 1x1 in {1} groups")
    @MethodSource("blocks")
    void residualBlocks(ConvDesc k, int pointwiseGroups) {
        PrbDesc d = PrbDesc.of(k, pointwiseGroups);
        SplittableRandom r = new SplittableRandom(Seeds.of("nonfinite_prb_" + d.problem()));
        PatternWeights p = Data.pattern(k.outChannels(), k.inChannelsPerGroup(), k.kernelHeight(), k.kernelWidth(), true, r);
        ConvWeights w = Data.weights(k.outChannels(), k.inChannels() / pointwiseGroups, 1, 1, false, r);
        everywhere("prb_" + d.problem(), k.inputShape(), b -> b.patternResidualBlock(d, p, w, Activation.RELU));
    }

    @Test
    void layers() {
        for (PoolDesc d : LayerCases.poolings()) {
            everywhere("pool_" + d.problem(), LayerCases.POOL_INPUT, b -> b.pool(d));
        }
        for (LayerCases.BatchNorm bn : LayerCases.batchNorms("nonfinite_bn")) {
            BatchNormParams params = bn.params();
            everywhere("bn_" + bn.shape(), bn.shape(), b -> b.batchNorm(bn.shape(), params, Activation.RELU));
        }
        FcDesc fc = new FcDesc(3, 70, 10);
        ConvWeights w = Data.weights(10, 70, 1, 1, true, new SplittableRandom(Seeds.of("nonfinite_fc")));
        everywhere("fc", Shape.of(3, 70), b -> b.fullyConnected(fc, w, Activation.RELU));
        Shape s = Shape.of(4, 300);
        everywhere("relu", s, b -> b.activation(s, Activation.RELU));
        everywhere("softmax", s, b -> b.softmax(s));
        List<float[]> xs = NonFinite.inputs("add", s);
        float[] y = Data.uniform((int) s.size(), new SplittableRandom(Seeds.of("nonfinite_add")));
        for (Backend b : List.<Backend>of(org.sepnet.backend.reference.ReferenceBackend.instance(), BACKENDS.get(0))) {
            for (float[] x : xs) {
                try (BinaryOp add = b.add(s, Activation.RELU); HostTensor hx = HostTensor.of(s, x); HostTensor hy = HostTensor.of(s, y);
                     HostTensor out = HostTensor.allocate(s)) {
                    add.run(hx, hy, out);
                    float[] want = new float[x.length];
                    for (int i = 0; i < x.length; i++) {
                        want[i] = Activation.RELU.apply(x[i] + y[i]);
                    }
                    NonFinite.compare(want, out.toArray(), b.name() + " add");
                }
            }
        }
    }
}
