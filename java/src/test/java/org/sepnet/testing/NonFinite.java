package org.sepnet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.sepnet.backend.Backend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.ops.Activation;
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
import org.sepnet.tensor.Tensor;

/**
 * The NaN/Inf contract (docs/reliability.md): IEEE propagation as the reference computes it. Each
 * op runs on three inputs (all NaN; a few NaNs; a few +Inf and -Inf among ordinary values) and must
 * give NaN exactly where the reference gives NaN, the same infinity where it gives one, and a
 * finite value elsewhere, within 1e-3 of the reference relative to the output's largest finite
 * magnitude (precision is the ordinary conformance tests' business; this checks where non-finite
 * values go).
 */
public final class NonFinite {
    private NonFinite() {}

    /** An op to check: its name (the seed stream), input shape and how to build it on a backend. */
    public record Case(String name, Shape input, Function<Backend, UnaryOp> build) {}

    /** A pattern and a float convolution of {@code d}, with bias and ReLU fused. */
    public static List<Case> convolutions(ConvDesc d) {
        SplittableRandom r = new SplittableRandom(Seeds.of("nonfinite_conv_" + d.problem()));
        PatternWeights p = Data.pattern(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, r);
        ConvWeights w = Data.weights(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, r);
        return List.of(new Case("pattern_" + d.problem(), d.inputShape(), b -> b.patternConv2d(d, p, Activation.RELU)),
                new Case("conv_" + d.problem(), d.inputShape(), b -> b.conv2d(d, w, Activation.RELU)));
    }

    /** A fused residual block on {@code k} with its 1×1 branch in {@code pointwiseGroups} groups, ReLU fused. */
    public static Case residualBlock(ConvDesc k, int pointwiseGroups) {
        PrbDesc d = PrbDesc.of(k, pointwiseGroups);
        SplittableRandom r = new SplittableRandom(Seeds.of("nonfinite_prb_" + d.problem()));
        PatternWeights p = Data.pattern(k.outChannels(), k.inChannelsPerGroup(), k.kernelHeight(), k.kernelWidth(), true, r);
        ConvWeights w = Data.weights(k.outChannels(), k.inChannels() / pointwiseGroups, 1, 1, false, r);
        return new Case("prb_" + d.problem(), k.inputShape(), b -> b.patternResidualBlock(d, p, w, Activation.RELU));
    }

    /** Every pooling of {@link LayerCases}, its batch norms with ReLU, a fully connected layer with ReLU, ReLU and softmax. */
    public static List<Case> layers() {
        List<Case> out = new java.util.ArrayList<>();
        for (PoolDesc d : LayerCases.poolings()) {
            out.add(new Case("pool_" + d.problem(), LayerCases.POOL_INPUT, b -> b.pool(d)));
        }
        for (LayerCases.BatchNorm bn : LayerCases.batchNorms("nonfinite_bn")) {
            out.add(new Case("bn_" + bn.shape(), bn.shape(), b -> b.batchNorm(bn.shape(), bn.params(), Activation.RELU)));
        }
        FcDesc fc = new FcDesc(3, 70, 10);
        ConvWeights w = Data.weights(10, 70, 1, 1, true, new SplittableRandom(Seeds.of("nonfinite_fc")));
        out.add(new Case("fc", Shape.of(3, 70), b -> b.fullyConnected(fc, w, Activation.RELU)));
        Shape s = Shape.of(4, 300);
        out.add(new Case("relu", s, b -> b.activation(s, Activation.RELU)));
        out.add(new Case("softmax", s, b -> b.softmax(s)));
        return out;
    }

    /** {@link #check(String, Shape, Function, Backend, String)} for a case. */
    public static void check(Case c, Backend backend, String label) {
        check(c.name(), c.input(), c.build(), backend, label);
    }

    /** Element-wise sum with ReLU of {@code shape}: the three inputs plus an ordinary second operand, against IEEE arithmetic. */
    public static void checkAdd(Backend backend, Shape shape) {
        float[] other = Data.uniform((int) shape.size(), new SplittableRandom(Seeds.of("nonfinite_add")));
        for (float[] x : inputs("add", shape)) {
            try (BinaryOp add = backend.add(shape, Activation.RELU); Tensor dx = backend.allocate(shape);
                 Tensor dy = backend.allocate(shape); Tensor out = backend.allocate(shape)) {
                dx.copyFrom(x);
                dy.copyFrom(other);
                add.run(dx, dy, out);
                backend.synchronize();
                float[] want = new float[x.length];
                for (int i = 0; i < x.length; i++) {
                    want[i] = Activation.RELU.apply(x[i] + other[i]);
                }
                compare(want, out.toArray(), backend.name() + " add");
            }
        }
    }

    /** The three inputs for a case, drawn from the seed stream {@code name}. */
    public static List<float[]> inputs(String name, Shape input) {
        SplittableRandom r = new SplittableRandom(Seeds.of("nonfinite_" + name));
        int size = (int) input.size();
        float[] allNan = new float[size];
        java.util.Arrays.fill(allNan, Float.NaN);
        float[] someNan = Data.uniform(size, r);
        float[] someInf = Data.uniform(size, r);
        int marks = Math.max(1, size / 97);
        for (int i = 0; i < marks; i++) {
            someNan[r.nextInt(size)] = Float.NaN;
            someInf[r.nextInt(size)] = i % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        }
        return List.of(allNan, someNan, someInf);
    }

    /** Checks the op {@code build} makes on {@code backend} against the reference's on the three inputs. */
    public static void check(String name, Shape input, Function<Backend, UnaryOp> build, Backend backend, String label) {
        List<float[]> xs = inputs(name, input);
        String[] kinds = {"all NaN", "some NaN", "some Inf"};
        try (UnaryOp ref = build.apply(ReferenceBackend.instance()); UnaryOp op = build.apply(backend)) {
            Shape out = ref.outputShape(input);
            for (int k = 0; k < xs.size(); k++) {
                float[] want;
                float[] got;
                try (HostTensor hx = HostTensor.of(input, xs.get(k)); HostTensor hy = HostTensor.allocate(out)) {
                    ref.run(hx, hy);
                    want = hy.toArray();
                }
                try (Tensor x = backend.allocate(input); Tensor y = backend.allocate(out)) {
                    x.copyFrom(xs.get(k));
                    op.run(x, y);
                    backend.synchronize();
                    got = y.toArray();
                }
                compare(want, got, label + " " + op.implementation() + " " + name + ", " + kinds[k] + " input");
            }
        }
    }

    /** Element by element: the same class (NaN, +Inf, -Inf, finite), finite values close. */
    public static void compare(float[] want, float[] got, String what) {
        float scale = 0;
        for (float v : want) {
            if (Float.isFinite(v)) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < want.length; i++) {
            float w = want[i];
            float g = got[i];
            boolean same = Float.isNaN(w) ? Float.isNaN(g)
                    : Float.isInfinite(w) ? g == w
                    : Float.isFinite(g) && Math.abs(g - w) <= 1e-3f * Math.max(1f, scale);
            if (!same) {
                fail(what + ": output " + i + " is " + g + "; the reference gives " + w + " " + Seeds.replay("nonfinite_"
                        + what));
            }
        }
    }
}
