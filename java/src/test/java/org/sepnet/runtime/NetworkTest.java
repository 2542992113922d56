package org.sepnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.PatternConv2d;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import org.sepnet.testing.Data;
import org.sepnet.testing.Outputs;
import org.sepnet.testing.Seeds;

/**
 * Whole networks: every zoo model (float and binarized) on every available backend against the
 * reference backend, within {@link Outputs#TOLERANCE} (the kernels themselves are checked exactly
 * against the rigorous bound in the backend tests); batch-norm folding; binarized layers against
 * float layers holding α·B.
 */
class NetworkTest {

    static Stream<Arguments> models() {
        List<Arguments> out = new ArrayList<>();
        for (String name : Zoo.names()) {
            out.add(Arguments.of(name, false));
            out.add(Arguments.of(name, true));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} binarized={1}")
    @MethodSource("models")
    void everyModelAgreesWithTheReferenceOnEveryBackend(String name, boolean binarize) {
        Model m = Zoo.build(name, 11);
        if (binarize) {
            m = m.with(Transforms.binarize(m.graph(), Zoo.authorsBinarization(name)), "+b");
        }
        int batch = name.startsWith("resnet") ? 2 : 1;
        float[] x = Data.uniform((int) (batch * m.input().size()), new SplittableRandom(Seeds.of(name)));
        float[] expected = Outputs.run(m, ReferenceBackend.instance(), batch, x, batch);
        for (Backend b : Backends.available()) {
            if (b == ReferenceBackend.instance()) {
                continue;
            }
            // Built for a larger batch than it runs: the views of smaller batches are exercised too.
            Outputs.assertClose(expected, Outputs.run(m, b, batch + 1, x, batch), name + " on " + b.name() + " " + Seeds.replay(name));
        }
    }

    /** conv → BN → ReLU compiled (BN folded into the conv) against the three reference ops one by one. */
    @Test
    void batchNormFoldsExactly() {
        String name = "fold";
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        ConvSpec spec = ConvSpec.same(13, 21, 3, 1, 1);
        ConvWeights w = Data.weights(21, 13, 3, 3, true, r);
        float[] gamma = Data.uniform(21, r);
        float[] beta = Data.uniform(21, r);
        float[] mean = Data.uniform(21, r);
        float[] var = Data.abs(Data.uniform(21, r));
        BatchNorm bn = new BatchNorm("bn", new org.sepnet.ops.BatchNormParams(gamma, beta, mean, var, 1e-3f));
        PatternWeights pw = Data.pattern(21, 13, 3, 3, true, r);
        ConvWeights w1 = Data.weights(21, 13, 1, 1, true, r);
        List<Layer> folded = List.of(new Conv2d("conv", spec, w), new PatternConv2d("pconv", spec, pw),
                PatternResidualBlock.binarized("prb", spec, pw, 1, w1), PatternResidualBlock.raw("raw", spec, w, 1, w1));
        Shape in = Shape.of(13, 9, 11);
        float[] x = Data.uniform((int) in.size() * 2, r);
        ReferenceBackend ref = ReferenceBackend.instance();
        ConvDesc d = spec.desc(2, 9, 11);
        for (Layer layer : folded) {
            Sequential s = new Sequential("s", List.of(layer, bn, new Relu("relu")));
            float[] got = Outputs.run(new Model("m", "", s, in), ref, 2, x, 2);
            // Unfused: the layer's op, then batch norm and ReLU as separate ops.
            UnaryOp first = layer instanceof Conv2d ? ref.conv2d(d, w, Activation.NONE)
                    : layer instanceof PatternConv2d ? ref.patternConv2d(d, pw, Activation.NONE)
                    : layer == folded.get(2) ? ref.patternResidualBlock(org.sepnet.ops.PrbDesc.of(d, 1), pw, w1, Activation.NONE)
                    : null;
            float[] expected;
            try (HostTensor tx = HostTensor.of(Shape.nchw(2, 13, 9, 11), x); HostTensor t1 = HostTensor.allocate(d.outputShape());
                 HostTensor t2 = HostTensor.allocate(d.outputShape());
                 UnaryOp norm = ref.batchNorm(d.outputShape(), bn.params(), Activation.RELU)) {
                if (first != null) {
                    first.run(tx, t1);
                    first.close();
                } else {
                    try (UnaryOp k = ref.conv2d(d, w, Activation.NONE); UnaryOp p = ref.pointwiseConv2d(org.sepnet.ops.PrbDesc.of(d, 1).pointwise(), w1, Activation.NONE);
                         HostTensor t3 = HostTensor.allocate(d.outputShape())) {
                        k.run(tx, t1);
                        p.run(tx, t3);
                        for (int i = 0; i < t1.size(); i++) {
                            t1.set(i, t1.get(i) + t3.get(i));
                        }
                    }
                }
                norm.run(t1, t2);
                expected = t2.toArray();
            }
            // Folding changes only roundings: s·(Σ w·x) versus Σ (s·w)·x, each side a handful of roundings.
            double scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], 1e-5 * scale, layer.type() + " index " + i + " " + Seeds.replay(name));
            }
        }
    }

    /** A binarized network equals the same network with each pattern layer replaced by a float layer holding α·B. */
    @Test
    void binarizedNetworkEqualsFloatNetworkOnAlphaB() {
        Model m = Zoo.build("resnet20", 5);
        Layer b = Transforms.binarize(m.graph(), Transforms.BinarizeOptions.all());
        Layer asFloat = Transforms.map(b, l -> l instanceof PatternConv2d p ? new Conv2d(p.name(), p.spec(), p.weights().toConvWeights()) : l);
        float[] x = Data.uniform(2 * 3 * 32 * 32, new SplittableRandom(Seeds.of("alphaB")));
        float[] expected = Outputs.run(new Model("f", "", asFloat, m.input()), ReferenceBackend.instance(), 2, x, 2);
        for (Backend backend : Backends.available()) {
            Outputs.assertClose(expected, Outputs.run(new Model("b", "", b, m.input()), backend, 2, x, 2), "alpha*B on " + backend.name());
        }
    }

    @Test
    void quantizedModelRunsWithItsDequantizedWeights() {
        Model m = Zoo.build("resnet20", 6);
        Layer q = Transforms.quantize8(m.graph());
        float[] x = Data.uniform(3 * 32 * 32, new SplittableRandom(Seeds.of("int8")));
        float[] fp = Outputs.run(m, ReferenceBackend.instance(), 1, x, 1);
        float[] int8 = Outputs.run(new Model("q", "", q, m.input()), ReferenceBackend.instance(), 1, x, 1);
        double scale = 0;
        double err = 0;
        for (int i = 0; i < fp.length; i++) {
            scale = Math.max(scale, Math.abs(fp[i]));
            err = Math.max(err, Math.abs(fp[i] - int8[i]));
        }
        // 8-bit weights move the logits by a few percent at most on this random network, and not by nothing.
        assertTrue(err < 0.05 * scale && err > 0, "int8 logits differ by " + err + " of " + scale);
    }

    @Test
    void forwardChecksItsInputAndPlansEveryOp() {
        Model m = Zoo.build("resnet20", 1);
        try (Network net = Network.compile(m.graph(), m.input(), ReferenceBackend.instance(), 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(HostTensor.allocate(3, 3, 32, 32)));
            assertTrue(e.getMessage().contains("[1..2, 3, 32, 32]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> net.forward(HostTensor.allocate(1, 3, 32, 31)));
            assertEquals(Shape.of(10), net.outputShape());
            // 21 convolutions (19 + 2 projection shortcuts; BN and ReLU fused), 9 residual sums, pooling, fully connected.
            assertEquals(21 + 9 + 2, net.plan().size(), String.join("\n", net.plan()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Network.compile(m.graph(), Shape.of(1, 32, 32), ReferenceBackend.instance(), 1));
        assertTrue(e.getMessage().contains("layer conv1 expects 3 input channels"), e.getMessage());
    }

    @Test
    void profileTimesEveryPlannedOpAndLeavesTheOutputAsForwardDoes() {
        Model m = Zoo.build("resnet20", 1);
        try (Network net = Network.compile(m.graph(), m.input(), Backends.select().backend(), 2);
             HostTensor x = HostTensor.of(Shape.of(2, 3, 32, 32), Data.uniform(2 * 3 * 32 * 32, new SplittableRandom(7)));
             HostTensor y = HostTensor.allocate(2, 10);
             Tensor in = net.backend().allocate(Shape.of(2, 3, 32, 32))) {
            in.copyFrom(x);
            net.forward(in).copyTo(y);
            float[] expected = y.toArray();
            List<Network.OpTime> ops = net.profile(in, 3);
            assertEquals(net.plan(), ops.stream().map(Network.OpTime::op).toList(), "one time per op, in plan order");
            assertTrue(ops.stream().allMatch(o -> o.micros() > 0), ops.toString());
            net.forward(in).copyTo(y);
            assertTrue(java.util.Arrays.equals(expected, y.toArray()), "the profiled passes compute what forward does");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.profile(in, 0));
            assertTrue(e.getMessage().contains("repetitions is 0"), e.getMessage());
        }
    }

    /** Any number of host images, run maxBatch at a time, give what one pass over all of them gives. */
    @Test
    void forwardOnHostTensorsStreamsAnyNumberOfImages() {
        Model m = Zoo.build("resnet20", 3);
        float[] x = Data.uniform(7 * 3 * 32 * 32, new SplittableRandom(Seeds.of("stream")));
        for (Backend backend : Backends.available()) {
            float[] whole = Outputs.run(m, backend, 7, x, 7);
            try (Network net = Network.compile(m.graph(), m.input(), backend, 3);
                 HostTensor in = HostTensor.of(Shape.of(7, 3, 32, 32), x);
                 HostTensor out = HostTensor.allocate(7, 10)) {
                out.fill(Float.NaN);
                net.forward(in, out);
                Outputs.assertClose(whole, out.toArray(), "7 images in batches of 3 on " + backend.name());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(in, HostTensor.allocate(6, 10)));
                assertTrue(e.getMessage().contains("[7, 10]"), e.getMessage());
            }
        }
    }
}
