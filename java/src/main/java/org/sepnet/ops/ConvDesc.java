package org.sepnet.ops;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
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
public final class ConvDesc {
    /** Largest value accepted for any single dimension. */
    public static final int MAX_DIM = 1 << 20;

    private static final Pattern PROBLEM = Pattern.compile(
            "n(\\d+)_g(\\d+)_ic(\\d+)oc(\\d+)_ih(\\d+)iw(\\d+)_kh(\\d+)kw(\\d+)_sh(\\d+)sw(\\d+)_ph(\\d+)pw(\\d+)(?:_dh(\\d+)dw(\\d+))?");

    private final int n;
    private final int groups;
    private final int ic;
    private final int oc;
    private final int ih;
    private final int iw;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final int ph;
    private final int pw;
    private final int dh;
    private final int dw;
    private final int oh;
    private final int ow;

    private ConvDesc(Builder b) {
        requireRange("batch", b.n, 1);
        requireRange("groups", b.groups, 1);
        requireRange("input channels", b.ic, 1);
        requireRange("output channels", b.oc, 1);
        requireRange("input height", b.ih, 1);
        requireRange("input width", b.iw, 1);
        requireRange("kernel height", b.kh, 1);
        requireRange("kernel width", b.kw, 1);
        requireRange("stride height", b.sh, 1);
        requireRange("stride width", b.sw, 1);
        requireRange("padding height", b.ph, 0);
        requireRange("padding width", b.pw, 0);
        requireRange("dilation height", b.dh, 1);
        requireRange("dilation width", b.dw, 1);
        if (b.ic % b.groups != 0 || b.oc % b.groups != 0) {
            throw new IllegalArgumentException("groups " + b.groups + " must divide input channels " + b.ic
                    + " and output channels " + b.oc + "; expected a common divisor");
        }
        long effH = (long) b.dh * (b.kh - 1) + 1;
        long effW = (long) b.dw * (b.kw - 1) + 1;
        if (effH > b.ih + 2L * b.ph || effW > b.iw + 2L * b.pw) {
            throw new IllegalArgumentException("kernel " + b.kh + "x" + b.kw + " (dilation " + b.dh + "x" + b.dw
                    + ", extent " + effH + "x" + effW + ") does not fit input " + b.ih + "x" + b.iw + " padded by "
                    + b.ph + "x" + b.pw + "; expected an extent of at most " + (b.ih + 2L * b.ph) + "x" + (b.iw + 2L * b.pw));
        }
        this.n = b.n;
        this.groups = b.groups;
        this.ic = b.ic;
        this.oc = b.oc;
        this.ih = b.ih;
        this.iw = b.iw;
        this.kh = b.kh;
        this.kw = b.kw;
        this.sh = b.sh;
        this.sw = b.sw;
        this.ph = b.ph;
        this.pw = b.pw;
        this.dh = b.dh;
        this.dw = b.dw;
        this.oh = (int) ((ih + 2L * ph - effH) / sh + 1);
        this.ow = (int) ((iw + 2L * pw - effW) / sw + 1);
        requireElements("input", (long) n * ic * ih * iw);
        requireElements("output", (long) n * oc * oh * ow);
        requireElements("weights", (long) oc * (ic / groups) * kh * kw);
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

    public int batch() {
        return n;
    }

    public int groups() {
        return groups;
    }

    public int inChannels() {
        return ic;
    }

    public int outChannels() {
        return oc;
    }

    public int inHeight() {
        return ih;
    }

    public int inWidth() {
        return iw;
    }

    public int kernelHeight() {
        return kh;
    }

    public int kernelWidth() {
        return kw;
    }

    public int strideHeight() {
        return sh;
    }

    public int strideWidth() {
        return sw;
    }

    public int padHeight() {
        return ph;
    }

    public int padWidth() {
        return pw;
    }

    public int dilationHeight() {
        return dh;
    }

    public int dilationWidth() {
        return dw;
    }

    public int outHeight() {
        return oh;
    }

    public int outWidth() {
        return ow;
    }

    /** Input channels per group. */
    public int inChannelsPerGroup() {
        return ic / groups;
    }

    /** Output channels per group. */
    public int outChannelsPerGroup() {
        return oc / groups;
    }

    /** Whether every input channel is its own group ({@code groups = ic}). */
    public boolean isDepthwise() {
        return groups == ic && groups > 1;
    }

    /** Whether this is a 1×1 convolution without padding or dilation effects. */
    public boolean isPointwise() {
        return kh == 1 && kw == 1 && ph == 0 && pw == 0;
    }

    /** Input shape at the full batch. */
    public Shape inputShape() {
        return Shape.nchw(n, ic, ih, iw);
    }

    /** Output shape at the full batch. */
    public Shape outputShape() {
        return Shape.nchw(n, oc, oh, ow);
    }

    /** Multiply-accumulates at the full batch: {@code n·oc·oh·ow·(ic/groups)·kh·kw}. */
    public long macs() {
        return (long) n * oc * oh * ow * inChannelsPerGroup() * kh * kw;
    }

    /** This problem at another batch size. */
    public ConvDesc withBatch(int batch) {
        return toBuilder().batch(batch).build();
    }

    /** A builder preset to this problem. */
    public Builder toBuilder() {
        return builder().batch(n).groups(groups).channels(ic, oc).input(ih, iw).kernel(kh, kw).stride(sh, sw)
                .pad(ph, pw).dilation(dh, dw);
    }

    /** The 14-int form used by native kernels: n, c, h, w, o, groups, kh, kw, sh, sw, ph, pw, dh, dw. */
    public int[] toNativeArray(int batch) {
        return new int[] {batch, ic, ih, iw, oc, groups, kh, kw, sh, sw, ph, pw, dh, dw};
    }

    /** Throws unless {@code w} has this problem's OIHW dimensions. */
    public void requireWeights(ConvWeights w) {
        if (w.outChannels() != oc || w.inChannelsPerGroup() != inChannelsPerGroup() || w.kh() != kh || w.kw() != kw) {
            throw new IllegalArgumentException("weights " + w.dims() + " do not match " + problem() + "; expected OIHW ["
                    + oc + ", " + inChannelsPerGroup() + ", " + kh + ", " + kw + "]");
        }
    }

    /** Throws unless {@code w} has this problem's OIHW dimensions. */
    public void requireWeights(PatternWeights w) {
        if (w.outChannels() != oc || w.inChannelsPerGroup() != inChannelsPerGroup() || w.kh() != kh || w.kw() != kw) {
            throw new IllegalArgumentException("pattern weights " + w.dims() + " do not match " + problem() + "; expected OIHW ["
                    + oc + ", " + inChannelsPerGroup() + ", " + kh + ", " + kw + "]");
        }
    }

    /** Output shape for an input shape; the input must be NCHW with this problem's C, H, W and a batch of 1..{@link #batch()}. */
    public Shape outputShape(Shape input) {
        requireInput(input);
        return Shape.nchw(input.n(), oc, oh, ow);
    }

    /** Throws unless {@code input} is NCHW with this problem's C, H, W and a batch of 1..{@link #batch()}. */
    public void requireInput(Shape input) {
        input.requireNchw("input");
        if (input.c() != ic || input.h() != ih || input.w() != iw || input.n() > n) {
            throw new IllegalArgumentException("input shape " + input + " does not fit " + problem() + "; expected [1.."
                    + n + ", " + ic + ", " + ih + ", " + iw + "]");
        }
    }

    /** Canonical problem string. */
    public String problem() {
        String s = "n" + n + "_g" + groups + "_ic" + ic + "oc" + oc + "_ih" + ih + "iw" + iw + "_kh" + kh + "kw" + kw
                + "_sh" + sh + "sw" + sw + "_ph" + ph + "pw" + pw;
        return dh == 1 && dw == 1 ? s : s + "_dh" + dh + "dw" + dw;
    }

    @Override
    public String toString() {
        return problem();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConvDesc d && d.problem().equals(problem());
    }

    @Override
    public int hashCode() {
        return problem().hashCode();
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
        private int ic = -1;
        private int oc = -1;
        private int ih = -1;
        private int iw = -1;
        private int kh = -1;
        private int kw = -1;
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
            if (ic < 0 || oc < 0) {
                throw new IllegalArgumentException("channels are not set; call channels(in, out)");
            }
            if (ih < 0 || iw < 0) {
                throw new IllegalArgumentException("input size is not set; call input(height, width)");
            }
            if (kh < 0 || kw < 0) {
                throw new IllegalArgumentException("kernel size is not set; call kernel(size) or kernel(height, width)");
            }
            if (depthwise) {
                groups = ic;
            }
            return new ConvDesc(this);
        }
    }
}
