package org.sepnet.bench.gpu;

import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.bench.Case;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.ErrorBound;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/**
 * The GPU benchmarks' correctness guard: the first image's output against the reference. Strict FP32
 * implementations must lie within the rigorous float bound γ_{K+4}·S (S = the op on |x| with
 * absolute weights); TF32 rounds both operands to 10 explicit mantissa bits (relative error 2⁻¹¹
 * each), so it is held to (2⁻⁹ + γ_{K+4})·S instead.
 */
final class GpuVerify {
    private GpuVerify() {}

    /** Maximum TF32 error, relative to S, on top of the float bound. */
    static final double TF32_RELATIVE = 1.0 / 512;

    static ErrorBound.Result check(String what, Case c, ConvWeights w, PatternWeights pw, ConvWeights w1, Shape in,
                                   float[] input, float[] got, boolean tf32) {
        ReferenceBackend ref = ReferenceBackend.instance();
        ConvDesc d = c.conv();
        // The first image (the reference is slow, and every image runs the same code).
        Shape in1 = in.withDim0(1);
        input = java.util.Arrays.copyOf(input, (int) in1.size());
        got = java.util.Arrays.copyOf(got, got.length / d.batch());
        in = in1;
        long terms = (long) d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 1;
        UnaryOp op;
        UnaryOp abs;
        switch (c.op()) {
            case "pattern" -> {
                op = ref.patternConv2d(d, pw, Activation.RELU);
                abs = ref.patternConv2d(d, pw.absolute(), Activation.NONE);
            }
            case "conv" -> {
                op = ref.conv2d(d, w, Activation.RELU);
                abs = ref.conv2d(d, w.absolute(), Activation.NONE);
            }
            default -> {
                op = ref.patternResidualBlock(c.prb(), pw, w1, Activation.RELU);
                abs = ref.patternResidualBlock(c.prb(), pw.absolute(), w1.absolute(), Activation.NONE);
                terms += d.inChannels() / c.prb().pointwise().groups() + 1;
            }
        }
        float[] absInput = new float[input.length];
        for (int i = 0; i < input.length; i++) {
            absInput[i] = Math.abs(input[i]);
        }
        try (op; abs; HostTensor x = HostTensor.of(in, input); HostTensor ax = HostTensor.of(in, absInput);
             HostTensor y = HostTensor.allocate(op.outputShape(in))) {
            op.run(x, y);
            float[] expected = y.toArray();
            abs.run(ax, y);
            float[] absSum = y.toArray();
            if (tf32) {
                double gamma = ErrorBound.gamma(terms + 4);
                int bad = 0;
                int worst = -1;
                double worstExcess = 0;
                for (int i = 0; i < got.length; i++) {
                    double bound = (TF32_RELATIVE + gamma) * absSum[i];
                    double err = Math.abs((double) got[i] - expected[i]);
                    if (!(err <= bound)) {
                        bad++;
                        if (worst < 0 || !(err - bound <= worstExcess)) {
                            worst = i;
                            worstExcess = err - bound;
                        }
                    }
                }
                if (bad > 0) {
                    throw new IllegalStateException(what + " does not match the reference within the TF32 bound: " + bad + " of "
                            + got.length + " outputs outside; worst at " + worst + ": got " + got[worst] + ", reference "
                            + expected[worst]);
                }
                return ErrorBound.compare(got, expected, absSum, terms);
            }
            ErrorBound.Result r = ErrorBound.compare(got, expected, absSum, terms);
            if (!r.passed()) {
                throw new IllegalStateException(what + " does not match the reference: " + r);
            }
            return r;
        }
    }
}
