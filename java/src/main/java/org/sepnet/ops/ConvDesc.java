package org.sepnet.ops;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sepnet.tensor.FilterShape;
import org.sepnet.tensor.Filters;
import org.sepnet.tensor.Shape;

/**
 * A 2-D convolution problem: batch, channels, input size, kernel, stride, zero padding, dilation
 * and groups. Immutable and validated on construction; build one with {@link #builder()} or
 * {@link #parse(String)}.
 *
 * <p>Output size: {@code oh = ⌊(ih + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1} (the same for width).
 * Groups split input and output channels into {@code groups} equal parts; {@code groups = ic}
 * is depthwise.
 *
 * <p>Canonical problem string: {@code n1_g4_ic64oc128_ih28iw28_kh3kw3_sh1sw1_ph1pw1}, with
 * {@code _dh2dw2} appended when the dilation is not 1.
 */
public record ConvDesc(int batch, int groups, int inChannels, int outChannels, int inHeight, int inWidth, int kernelHeight,
                       int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth, int dilationHeight,
                       int dilationWidth) {
    /** Largest value accepted for any single dimension. */
    public static final int MAX_DIM = 1 << 20;

    private static final Pattern PROBLEM = Pattern.compile(
            "n(\\d+)_g(\\d+)_ic(\\d+)oc(\\d+)_ih(\\d+)iw(\\d+)_kh(\\d+)kw(\\d+)_sh(\\d+)sw(\\d+)_ph(\\d+)pw(\\d+)(?:_dh(\\d+)dw(\\d+))?");

    /** Validates every value, naming the first one out of range; prefer {@link #builder()}. */
    public ConvDesc {
        requireRange("batch", batch, 1);
        requireRange("groups", groups, 1);
        requireRange("input channels", inChannels, 1);
        requireRange("output channels", outChannels, 1);
        requireRange("input height", inHeight, 1);
        requireRange("input width", inWidth, 1);
        requireRange("kernel height", kernelHeight, 1);
        requireRange("kernel width", kernelWidth, 1);
        requireRange("stride height", strideHeight, 1);
        requireRange("stride width", strideWidth, 1);
        requireRange("padding height", padHeight, 0);
        requireRange("padding width", padWidth, 0);
        requireRange("dilation height", dilationHeight, 1);
        requireRange("dilation width", dilationWidth, 1);
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("groups " + groups + " must divide input channels " + inChannels
                    + " and output channels " + outChannels + "; expected a common divisor");
        }
        long effH = extent(kernelHeight, dilationHeight);
        long effW = extent(kernelWidth, dilationWidth);
        if (effH > inHeight + 2L * padHeight || effW > inWidth + 2L * padWidth) {
            throw new IllegalArgumentException("kernel " + kernelHeight + "x" + kernelWidth + " (dilation " + dilationHeight + "x"
                    + dilationWidth + ", extent " + effH + "x" + effW + ") does not fit input " + inHeight + "x" + inWidth
                    + " padded by " + padHeight + "x" + padWidth + "; expected an extent of at most " + (inHeight + 2L * padHeight)
                    + "x" + (inWidth + 2L * padWidth));
        }
        long oh = (inHeight + 2L * padHeight - effH) / strideHeight + 1;
        long ow = (inWidth + 2L * padWidth - effW) / strideWidth + 1;
        requireElements("input", (long) batch * inChannels * inHeight * inWidth);
        requireElements("output", batch * outChannels * oh * ow);
        requireElements("weights", (long) outChannels * (inChannels / groups) * kernelHeight * kernelWidth);
    }

    private static long extent(int kernel, int dilation) {
        return (long) dilation * (kernel - 1) + 1;
    }

    /** A builder with batch 1, stride 1, padding 0, dilation 1 and 1 group. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses a canonical problem string such as {@code n1_g4_ic64oc128_ih28iw28_kh3kw3_sh1sw1_ph1pw1}
     * (optionally {@code _dh2dw2}).
     */
    public static ConvDesc parse(String problem) {
        Matcher m = PROBLEM.matcher(problem.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + problem + "' is not a convolution problem string; expected the form "
                    + "n1_g4_ic64oc128_ih28iw28_kh3kw3_sh1sw1_ph1pw1 (optionally _dh2dw2)");
        }
        int[] v = new int[14];
        for (int i = 0; i < 14; i++) {
            String g = m.group(i + 1);
            if (g == null) {
                v[i] = 1;
                continue;
            }
            try {
                v[i] = Integer.parseInt(g);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + problem + "': value " + g + " is out of range");
            }
        }
        return builder().batch(v[0]).groups(v[1]).channels(v[2], v[3]).input(v[4], v[5]).kernel(v[6], v[7])
                .stride(v[8], v[9]).pad(v[10], v[11]).dilation(v[12], v[13]).build();
    }

    public int outHeight() {
        return (int) ((inHeight + 2L * padHeight - extent(kernelHeight, dilationHeight)) / strideHeight + 1);
    }

    public int outWidth() {
        return (int) ((inWidth + 2L * padWidth - extent(kernelWidth, dilationWidth)) / strideWidth + 1);
    }

    /** Input channels per group. */
    public int inChannelsPerGroup() {
        return inChannels / groups;
    }

    /** Output channels per group. */
    public int outChannelsPerGroup() {
        return outChannels / groups;
    }

    /** Whether every input channel is its own group ({@code groups = ic}). */
    public boolean isDepthwise() {
        return groups == inChannels && groups > 1;
    }

    /** Whether this is a 1×1 convolution without padding or dilation effects. */
    public boolean isPointwise() {
        return kernelHeight == 1 && kernelWidth == 1 && padHeight == 0 && padWidth == 0;
    }

    /** Input shape at the full batch. */
    public Shape inputShape() {
        return Shape.nchw(batch, inChannels, inHeight, inWidth);
    }

    /** Output shape at the full batch. */
    public Shape outputShape() {
        return Shape.nchw(batch, outChannels, outHeight(), outWidth());
    }

    /** Multiply-accumulates at the full batch: {@code n·oc·oh·ow·(ic/groups)·kh·kw}. */
    public long macs() {
        return (long) batch * outChannels * outHeight() * outWidth() * inChannelsPerGroup() * kernelHeight * kernelWidth;
    }

    /** This problem at another batch size. */
    public ConvDesc withBatch(int batch) {
        return toBuilder().batch(batch).build();
    }

    /** A builder preset to this problem. */
    public Builder toBuilder() {
        return builder().batch(batch).groups(groups).channels(inChannels, outChannels).input(inHeight, inWidth)
                .kernel(kernelHeight, kernelWidth).stride(strideHeight, strideWidth).pad(padHeight, padWidth)
                .dilation(dilationHeight, dilationWidth);
    }

    /** The filters this problem takes: OIHW {@code [oc, ic / groups, kh, kw]}. */
    public FilterShape filterShape() {
        return new FilterShape(outChannels, inChannelsPerGroup(), kernelHeight, kernelWidth);
    }

    /** Throws unless {@code w} has this problem's OIHW dimensions. */
    public void requireWeights(Filters w) {
        if (!w.shape().equals(filterShape())) {
            throw new IllegalArgumentException("weights " + w.dims() + " do not match " + problem() + "; expected " + filterShape().dims());
        }
    }

    /** Output shape for an input shape; the input must be NCHW with this problem's C, H, W and a batch of 1..{@link #batch()}. */
    public Shape outputShape(Shape input) {
        requireInput(input);
        return Shape.nchw(input.n(), outChannels, outHeight(), outWidth());
    }

    /** Throws unless {@code input} is NCHW with this problem's C, H, W and a batch of 1..{@link #batch()}. */
    public void requireInput(Shape input) {
        input.requireNchw("input");
        if (input.c() != inChannels || input.h() != inHeight || input.w() != inWidth || input.n() > batch) {
            throw new IllegalArgumentException("input shape " + input + " does not fit " + problem() + "; expected [1.."
                    + batch + ", " + inChannels + ", " + inHeight + ", " + inWidth + "]");
        }
    }

    /** Canonical problem string. */
    public String problem() {
        String s = "n" + batch + "_g" + groups + "_ic" + inChannels + "oc" + outChannels + "_ih" + inHeight + "iw" + inWidth
                + "_kh" + kernelHeight + "kw" + kernelWidth + "_sh" + strideHeight + "sw" + strideWidth + "_ph" + padHeight + "pw"
                + padWidth;
        return dilationHeight == 1 && dilationWidth == 1 ? s : s + "_dh" + dilationHeight + "dw" + dilationWidth;
    }

    @Override
    public String toString() {
        return problem();
    }

    private static void requireRange(String name, int v, int min) {
        if (v < min || v > MAX_DIM) {
            throw new IllegalArgumentException(name + " is " + v + "; expected " + min + " to " + MAX_DIM);
        }
    }

    private static void requireElements(String what, long count) {
        if (count > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException(what + " would have " + count + " elements; expected at most "
                    + Integer.MAX_VALUE / 4 + " (split the batch)");
        }
    }

    /** Builds a {@link ConvDesc}; {@link #channels}, {@link #input} and {@link #kernel} are required. */
    public static final class Builder {
        private int n = 1;
        private int groups = 1;
        private static final int UNSET = Integer.MIN_VALUE;  // not a value anyone passes: -1 is reported as -1
        private int ic = UNSET;
        private int oc = UNSET;
        private int ih = UNSET;
        private int iw = UNSET;
        private int kh = UNSET;
        private int kw = UNSET;
        private int sh = 1;
        private int sw = 1;
        private int ph;
        private int pw;
        private int dh = 1;
        private int dw = 1;
        private boolean depthwise;

        private Builder() {}

        public Builder batch(int batch) {
            this.n = batch;
            return this;
        }

        public Builder channels(int in, int out) {
            this.ic = in;
            this.oc = out;
            return this;
        }

        public Builder input(int height, int width) {
            this.ih = height;
            this.iw = width;
            return this;
        }

        public Builder kernel(int size) {
            return kernel(size, size);
        }

        public Builder kernel(int height, int width) {
            this.kh = height;
            this.kw = width;
            return this;
        }

        public Builder stride(int s) {
            return stride(s, s);
        }

        public Builder stride(int height, int width) {
            this.sh = height;
            this.sw = width;
            return this;
        }

        public Builder pad(int p) {
            return pad(p, p);
        }

        public Builder pad(int height, int width) {
            this.ph = height;
            this.pw = width;
            return this;
        }

        public Builder dilation(int d) {
            return dilation(d, d);
        }

        public Builder dilation(int height, int width) {
            this.dh = height;
            this.dw = width;
            return this;
        }

        public Builder groups(int g) {
            this.groups = g;
            this.depthwise = false;
            return this;
        }

        /** One group per input channel (set at {@link #build()} from the input channels). */
        public Builder depthwise() {
            this.depthwise = true;
            return this;
        }

        public ConvDesc build() {
            if (ic == UNSET || oc == UNSET) {
                throw new IllegalArgumentException("channels are not set; call channels(in, out)");
            }
            if (ih == UNSET || iw == UNSET) {
                throw new IllegalArgumentException("input size is not set; call input(height, width)");
            }
            if (kh == UNSET || kw == UNSET) {
                throw new IllegalArgumentException("kernel size is not set; call kernel(size) or kernel(height, width)");
            }
            if (depthwise) {
                groups = ic;
            }
            return new ConvDesc(n, groups, ic, oc, ih, iw, kh, kw, sh, sw, ph, pw, dh, dw);
        }
    }
}
