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
public record PoolDesc(Kind kind, int batch, int channels, int inHeight, int inWidth, int kernelHeight, int kernelWidth,
                       int strideHeight, int strideWidth, int padHeight, int padWidth, boolean ceilMode, boolean countIncludePad,
                       boolean global) {
    /** Pooling kind. */
    public enum Kind {
        MAX, AVG
    }

    /** Validates every value, naming the first one out of range; prefer the factories. */
    public PoolDesc {
        if (kind == null) {
            throw new IllegalArgumentException("pooling kind is null; expected MAX or AVG");
        }
        positive("batch", batch);
        positive("channels", channels);
        positive("input height", inHeight);
        positive("input width", inWidth);
        positive("kernel height", kernelHeight);
        positive("kernel width", kernelWidth);
        positive("stride height", strideHeight);
        positive("stride width", strideWidth);
        if (padHeight < 0 || padWidth < 0 || padHeight >= kernelHeight || padWidth >= kernelWidth) {
            throw new IllegalArgumentException("padding " + padHeight + "x" + padWidth + " with kernel " + kernelHeight + "x"
                    + kernelWidth + "; expected 0 <= padding < kernel");
        }
        if (kernelHeight > inHeight + 2 * padHeight || kernelWidth > inWidth + 2 * padWidth) {
            throw new IllegalArgumentException("pooling window " + kernelHeight + "x" + kernelWidth + " does not fit input " + inHeight
                    + "x" + inWidth + " padded by " + padHeight + "x" + padWidth);
        }
        if ((long) batch * channels * inHeight * inWidth > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("input [" + batch + ", " + channels + ", " + inHeight + ", " + inWidth
                    + "] is too large; split the batch");
        }
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
        return new PoolDesc(kind, batch, channels, inHeight, inWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight,
                padWidth, true, countIncludePad, global);
    }

    /** This problem averaging over real input values only. */
    public PoolDesc excludingPadding() {
        return new PoolDesc(kind, batch, channels, inHeight, inWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight,
                padWidth, ceilMode, false, global);
    }

    public int outHeight() {
        return outSize(inHeight, kernelHeight, strideHeight, padHeight, ceilMode);
    }

    public int outWidth() {
        return outSize(inWidth, kernelWidth, strideWidth, padWidth, ceilMode);
    }

    /** Output shape for an NCHW input with this problem's C, H, W and a batch of 1..{@link #batch()}. */
    public Shape outputShape(Shape input) {
        input.requireNchw("pooling input");
        if (input.c() != channels || input.h() != inHeight || input.w() != inWidth || input.n() > batch) {
            throw new IllegalArgumentException("input shape " + input + " does not fit " + problem() + "; expected [1.."
                    + batch + ", " + channels + ", " + inHeight + ", " + inWidth + "]");
        }
        return Shape.nchw(input.n(), channels, outHeight(), outWidth());
    }

    /** Canonical problem string. */
    public String problem() {
        String base = "n" + batch + "_c" + channels + "_ih" + inHeight + "iw" + inWidth;
        String k = kind == Kind.MAX ? "max" : "avg";
        if (global) {
            return base + "_global_" + k;
        }
        return base + "_kh" + kernelHeight + "kw" + kernelWidth + "_sh" + strideHeight + "sw" + strideWidth + "_ph" + padHeight + "pw"
                + padWidth + "_" + k
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
