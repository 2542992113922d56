package org.sepnet.backend.cuda;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import org.sepnet.testing.Data;
import org.sepnet.testing.LayerCases;
import org.sepnet.testing.NonFinite;
import org.sepnet.testing.RequiresGpu;
import org.sepnet.testing.Seeds;

/** The NaN/Inf contract (see {@link NonFinite}) on every CUDA kernel, on the CUDA conformance sweep. */
@RequiresGpu
class CudaNonFiniteTest {
    static Stream<ConvDesc> convolutions() {
        return CudaBackendTest.sweep();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void patternAndFloatConvolutions(ConvDesc d) {
        CudaBackend b = CudaBackend.instance();
        SplittableRandom r = new SplittableRandom(Seeds.of("nonfinite_conv_" + d.problem()));
        PatternWeights p = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, r);
        ConvWeights w = Data.weights(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, r);
        NonFinite.check("pattern_" + d.problem(), d.inputShape(), x -> x.patternConv2d(d, p, Activation.RELU), b, "cuda");
        NonFinite.check("conv_" + d.problem(), d.inputShape(), x -> x.conv2d(d, w, Activation.RELU), b, "cuda");
    }

    static Stream<Arguments> blocks() {
        return CudaBackendTest.blocks();
    }

    @ParameterizedTest(name = "{0} 1x1 in {1} groups")
    @MethodSource("blocks")
    void residualBlocks(ConvDesc k, int pointwiseGroups) {
        PrbDesc d = PrbDesc.of(k, pointwiseGroups);
        SplittableRandom r = new SplittableRandom(Seeds.of("nonfinite_prb_" + d.problem()));
        PatternWeights p = Data.pattern(k.outChannels(), k.inChannelsPerGroup(), k.kernelHeight(), k.kernelWidth(), true, r);
        ConvWeights w = Data.weights(k.outChannels(), k.inChannels() / pointwiseGroups, 1, 1, false, r);
        NonFinite.check("prb_" + d.problem(), k.inputShape(), x -> x.patternResidualBlock(d, p, w, Activation.RELU),
                CudaBackend.instance(), "cuda");
    }

    @Test
    void layers() {
        CudaBackend b = CudaBackend.instance();
        for (PoolDesc d : LayerCases.poolings()) {
            NonFinite.check("pool_" + d.problem(), LayerCases.POOL_INPUT, x -> x.pool(d), b, "cuda");
        }
        for (LayerCases.BatchNorm bn : LayerCases.batchNorms("nonfinite_bn")) {
            BatchNormParams params = bn.params();
            NonFinite.check("bn_" + bn.shape(), bn.shape(), x -> x.batchNorm(bn.shape(), params, Activation.RELU), b, "cuda");
        }
        FcDesc fc = new FcDesc(3, 70, 10);
        ConvWeights w = Data.weights(10, 70, 1, 1, true, new SplittableRandom(Seeds.of("nonfinite_fc")));
        NonFinite.check("fc", Shape.of(3, 70), x -> x.fullyConnected(fc, w, Activation.RELU), b, "cuda");
        Shape s = Shape.of(4, 300);
        NonFinite.check("relu", s, x -> x.activation(s, Activation.RELU), b, "cuda");
        NonFinite.check("softmax", s, x -> x.softmax(s), b, "cuda");
        float[] other = Data.uniform((int) s.size(), new SplittableRandom(Seeds.of("nonfinite_add")));
        for (float[] x : NonFinite.inputs("add", s)) {
            try (BinaryOp add = b.add(s, Activation.RELU); Tensor dx = b.allocate(s); Tensor dy = b.allocate(s);
                 Tensor out = b.allocate(s)) {
                dx.copyFrom(x);
                dy.copyFrom(other);
                add.run(dx, dy, out);
                float[] want = new float[x.length];
                for (int i = 0; i < x.length; i++) {
                    want[i] = Activation.RELU.apply(x[i] + other[i]);
                }
                NonFinite.compare(want, out.toArray(), "cuda add");
            }
        }
    }
}
