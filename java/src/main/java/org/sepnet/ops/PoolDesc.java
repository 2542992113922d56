package org.sepnet.ops;

import org.sepnet.tensor.Shape;

/**
 * A 2-D pooling problem: max or average over kh×kw windows with stride and zero padding, or global
 * pooling over the whole plane.
 *
 * <p>Output size: {@code ⌊(ih + 2·ph − kh) / sh⌋ + 1}, or with {@code ceilMode} (Caffe's rule)
 * {@code ⌈(ih + 2·ph − kh) / sh⌉ + 1}, less one if the last window would start in the bottom
 * padding. Padding never wins a max. Average pooling divides by the window's size clipped to the
 * padded input ({@code countIncludePad}, as Caffe and PyTorch by default) or by the number of real
 * input values in the window.
 *
 * <p>Problem string: {@code n1_c64_ih32iw32_kh3kw3_sh2sw2_ph1pw1_max} (+ {@code _ceil},
 * + {@code _xpad} for averages that exclude padding), or {@code n1_c64_ih8iw8_global_avg}.
 */
public final class PoolDesc {
    /** Pooling kind. */
    public enum Kind {
        MAX, AVG
    }

    private final Kind kind;
    private final int n;
    private final int c;
    private final int ih;
    private final int iw;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final int ph;
    private final int pw;
    private final boolean ceilMode;
    private final boolean countIncludePad;
    private final boolean global;
    private final int oh;
    private final int ow;

    private PoolDesc(Kind kind, int n, int c, int ih, int iw, int kh, int kw, int sh, int sw, int ph, int pw,
                     boolean ceilMode, boolean countIncludePad, boolean global) {
        positive("batch", n);
        positive("channels", c);
        positive("input height", ih);
        positive("input width", iw);
        positive("kernel height", kh);
        positive("kernel width", kw);
        positive("stride height", sh);
        positive("stride width", sw);
        if (ph < 0 || pw < 0 || ph >= kh || pw >= kw) {
            throw new IllegalArgumentException("padding " + ph + "x" + pw + " with kernel " + kh + "x" + kw
                    + "; expected 0 <= padding < kernel");
        }
        if (kh > ih + 2 * ph || kw > iw + 2 * pw) {
            throw new IllegalArgumentException("pooling window " + kh + "x" + kw + " does not fit input " + ih + "x" + iw
                    + " padded by " + ph + "x" + pw);
        }
        if ((long) n * c * ih * iw > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("input [" + n + ", " + c + ", " + ih + ", " + iw + "] is too large; split the batch");
        }
        this.kind = kind;
        this.n = n;
        this.c = c;
        this.ih = ih;
        this.iw = iw;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.ph = ph;
        this.pw = pw;
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
        this.global = global;
        this.oh = outSize(ih, kh, sh, ph, ceilMode);
        this.ow = outSize(iw, kw, sw, pw, ceilMode);
    }

    private static int outSize(int in, int k, int s, int p, boolean ceil) {
        int span = in + 2 * p - k;
        int out = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && p > 0 && (long) (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    /** Max pooling, floor mode. */
    public static PoolDesc max(int n, int c, int ih, int iw, int kernel, int stride, int pad) {
        return new PoolDesc(Kind.MAX, n, c, ih, iw, kernel, kernel, stride, stride, pad, pad, false, true, false);
    }

    /** Average pooling, floor mode, padding counted in the divisor. */
    public static PoolDesc avg(int n, int c, int ih, int iw, int kernel, int stride, int pad) {
        return new PoolDesc(Kind.AVG, n, c, ih, iw, kernel, kernel, stride, stride, pad, pad, false, true, false);
    }

    /** Global pooling of each plane to 1×1. */
    public static PoolDesc global(Kind kind, int n, int c, int ih, int iw) {
        return new PoolDesc(kind, n, c, ih, iw, ih, iw, 1, 1, 0, 0, false, true, true);
    }

    /** General form. */
    public static PoolDesc of(Kind kind, Shape input, int kh, int kw, int sh, int sw, int ph, int pw,
                              boolean ceilMode, boolean countIncludePad) {
        input.requireNchw("pooling input");
        return new PoolDesc(kind, input.n(), input.c(), input.h(), input.w(), kh, kw, sh, sw, ph, pw, ceilMode,
                countIncludePad, false);
    }

    /** This problem with Caffe's ceil-mode output size. */
    public PoolDesc withCeilMode() {
        return new PoolDesc(kind, n, c, ih, iw, kh, kw, sh, sw, ph, pw, true, countIncludePad, global);
    }

    /** This problem averaging over real input values only. */
    public PoolDesc excludingPadding() {
        return new PoolDesc(kind, n, c, ih, iw, kh, kw, sh, sw, ph, pw, ceilMode, false, global);
    }

    public Kind kind() {
        return kind;
    }

    public int batch() {
        return n;
    }

    public int channels() {
        return c;
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

    public boolean ceilMode() {
        return ceilMode;
    }

    public boolean countIncludePad() {
        return countIncludePad;
    }

    public boolean isGlobal() {
        return global;
    }

    public int outHeight() {
        return oh;
    }

    public int outWidth() {
        return ow;
    }

    /** Output shape for an NCHW input with this problem's C, H, W and a batch of 1..{@link #batch()}. */
    public Shape outputShape(Shape input) {
        input.requireNchw("pooling input");
        if (input.c() != c || input.h() != ih || input.w() != iw || input.n() > n) {
            throw new IllegalArgumentException("input shape " + input + " does not fit " + problem() + "; expected [1.."
                    + n + ", " + c + ", " + ih + ", " + iw + "]");
        }
        return Shape.nchw(input.n(), c, oh, ow);
    }

    /** Canonical problem string. */
    public String problem() {
        String base = "n" + n + "_c" + c + "_ih" + ih + "iw" + iw;
        String k = kind == Kind.MAX ? "max" : "avg";
        if (global) {
            return base + "_global_" + k;
        }
        return base + "_kh" + kh + "kw" + kw + "_sh" + sh + "sw" + sw + "_ph" + ph + "pw" + pw + "_" + k
                + (ceilMode ? "_ceil" : "") + (kind == Kind.AVG && !countIncludePad ? "_xpad" : "");
    }

    @Override
    public String toString() {
        return problem();
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " is " + v + "; expected a positive value");
        }
    }
}
