package org.sepnet.ops;

/**
 * A pattern residual block: a binarized k×k convolution and a float 1×1 convolution read the same
 * input with the same stride and output channels, and their outputs are added:
 * {@code y = PatternConv_k×k(x) + Conv_1×1(x) (+ biases) (ReLU)}.
 *
 * <p>The 1×1 branch has no padding, so the two outputs line up when the k×k branch pads by
 * {@code dilation·(k − 1) / 2}; other paddings are rejected. Its group count may differ from the
 * k×k branch's. Problem string: the k×k problem followed by {@code _prb_pwg<groups of the 1×1>}.
 */
public final class PrbDesc {
    private final ConvDesc pattern;
    private final ConvDesc pointwise;

    private PrbDesc(ConvDesc pattern, ConvDesc pointwise) {
        this.pattern = pattern;
        this.pointwise = pointwise;
    }

    /**
     * @param pattern the k×k branch
     * @param pointwiseGroups groups of the 1×1 branch (1 for a dense 1×1)
     */
    public static PrbDesc of(ConvDesc pattern, int pointwiseGroups) {
        ConvDesc pw;
        try {
            pw = ConvDesc.builder().batch(pattern.batch()).channels(pattern.inChannels(), pattern.outChannels())
                    .input(pattern.inHeight(), pattern.inWidth()).kernel(1)
                    .stride(pattern.strideHeight(), pattern.strideWidth()).groups(pointwiseGroups).build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("1x1 branch of the pattern residual block: " + e.getMessage(), e);
        }
        if (pw.outHeight() != pattern.outHeight() || pw.outWidth() != pattern.outWidth()) {
            throw new IllegalArgumentException("the k×k branch " + pattern.problem() + " gives " + pattern.outHeight() + "x"
                    + pattern.outWidth() + " outputs but the 1×1 branch (same stride, no padding) gives " + pw.outHeight()
                    + "x" + pw.outWidth() + "; expected padding dilation·(k−1)/2 = "
                    + pattern.dilationHeight() * (pattern.kernelHeight() - 1) / 2 + "x"
                    + pattern.dilationWidth() * (pattern.kernelWidth() - 1) / 2 + " on the k×k branch");
        }
        return new PrbDesc(pattern, pw);
    }

    /** The binarized k×k branch. */
    public ConvDesc pattern() {
        return pattern;
    }

    /** The float 1×1 branch. */
    public ConvDesc pointwise() {
        return pointwise;
    }

    /** Multiply-accumulate equivalents of both branches at the full batch. */
    public long macs() {
        return pattern.macs() + pointwise.macs();
    }

    /** This block at another batch size. */
    public PrbDesc withBatch(int batch) {
        return of(pattern.withBatch(batch), pointwise.groups());
    }

    /** Canonical problem string, e.g. {@code n1_g1_ic64oc64_ih28iw28_kh3kw3_sh1sw1_ph1pw1_prb_pwg1}. */
    public String problem() {
        return pattern.problem() + "_prb_pwg" + pointwise.groups();
    }

    @Override
    public String toString() {
        return problem();
    }
}
