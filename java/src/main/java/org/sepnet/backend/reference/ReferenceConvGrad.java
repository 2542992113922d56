package org.sepnet.backend.reference;

import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;

/**
 * Training twins of the reference convolutions, in double throughout: forward passes (for central
 * finite differences) and the gradients every other backend's backward pass is checked against.
 * Arrays are NCHW (activations) and OIHW (weights) as in the forward ops; a gradient array is
 * <em>added to</em>, so the caller zeroes it (or accumulates over branches on purpose).
 *
 * <p>A pattern convolution is y = α·z + b with z = Σ s·x (the signs s = ±1 frozen): its input
 * gradient is the transposed convolution with the weights α·s; dL/dα_o = Σ dL/dy_o · z_o needs no
 * weight-gradient product, only z, which the reference recomputes from x.
 */
public final class ReferenceConvGrad {
    private ReferenceConvGrad() {}

    /** One (output, tap) pair with an in-bounds input: flat output index, tap index within the filter, flat input index. */
    @FunctionalInterface
    private interface Visit {
        void at(int o, int yi, int tap, int xi);
    }

    /** Every (output, tap, input) triple of the convolution {@code d} over {@code batch} samples, padding skipped. */
    private static void forEach(ConvDesc d, int batch, Visit v) {
        int oc = d.outChannels();
        int oh = d.outHeight();
        int ow = d.outWidth();
        int cpg = d.inChannelsPerGroup();
        int kh = d.kernelHeight();
        int kw = d.kernelWidth();
        int ih = d.inHeight();
        int iw = d.inWidth();
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < oc; o++) {
                int g = o / d.outChannelsPerGroup();
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int yi = ((n * oc + o) * oh + oy) * ow + ox;
                        for (int c = 0; c < cpg; c++) {
                            int plane = (n * d.inChannels() + g * cpg + c) * ih;
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * d.strideHeight() - d.padHeight() + ky * d.dilationHeight();
                                if (iy < 0 || iy >= ih) {
                                    continue;
                                }
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * d.strideWidth() - d.padWidth() + kx * d.dilationWidth();
                                    if (ix >= 0 && ix < iw) {
                                        v.at(o, yi, (c * kh + ky) * kw + kx, (plane + iy) * iw + ix);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static int taps(ConvDesc d) {
        return d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth();
    }

    /**
     * y = Σ w·x + bias (bias may be null); y is overwritten. Each output sums its taps in (channel,
     * row, column) order and adds the bias last: the reference forward op rounds exactly this.
     */
    public static void conv2d(ConvDesc d, int batch, double[] x, double[] w, double[] bias, double[] y) {
        int taps = taps(d);
        int plane = d.outHeight() * d.outWidth();
        int size = batch * d.outChannels() * plane;
        java.util.Arrays.fill(y, 0, size, 0);
        forEach(d, batch, (o, yi, t, xi) -> y[yi] += w[o * taps + t] * x[xi]);
        if (bias != null) {
            for (int i = 0; i < size; i++) {
                y[i] += bias[i / plane % d.outChannels()];
            }
        }
    }

    /** dx += Σ w·dy: the transposed convolution. */
    public static void conv2dBackwardInput(ConvDesc d, int batch, double[] dy, double[] w, double[] dx) {
        int taps = taps(d);
        forEach(d, batch, (o, yi, t, xi) -> dx[xi] += w[o * taps + t] * dy[yi]);
    }

    /** dw += Σ x·dy over the batch and positions; dbias += Σ dy (dbias may be null). */
    public static void conv2dBackwardWeights(ConvDesc d, int batch, double[] x, double[] dy, double[] dw, double[] dbias) {
        int taps = taps(d);
        forEach(d, batch, (o, yi, t, xi) -> dw[o * taps + t] += x[xi] * dy[yi]);
        if (dbias != null) {
            biasGradient(d.outChannels(), d.outHeight() * d.outWidth(), batch, dy, dbias);
        }
    }

    /** The signs of a pattern layer as ±1 weights (OIHW), α not applied. */
    public static double[] signs(ConvDesc d, int[] bits) {
        int taps = taps(d);
        int words = (taps + 31) / 32;
        double[] s = new double[d.outChannels() * taps];
        for (int o = 0; o < d.outChannels(); o++) {
            for (int i = 0; i < taps; i++) {
                s[o * taps + i] = (bits[o * words + (i >>> 5)] >>> (i & 31) & 1) != 0 ? -1 : 1;
            }
        }
        return s;
    }

    /** The effective weights α[o]·s of a pattern layer. */
    public static double[] scaled(ConvDesc d, double[] signs, double[] alpha) {
        int taps = taps(d);
        double[] w = new double[signs.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = alpha[i / taps] * signs[i];
        }
        return w;
    }

    /**
     * Gradients of a pattern convolution y = α·z + b, z = Σ s·x: dx += Σ α·s·dy (when dx is not
     * null), dα[o] += Σ dy·z, db[o] += Σ dy (when db is not null). z is recomputed from x.
     */
    public static void patternConv2dBackward(ConvDesc d, int batch, double[] x, double[] signs, double[] alpha, double[] dy,
                                             double[] dx, double[] dalpha, double[] dbias) {
        if (dx != null) {
            conv2dBackwardInput(d, batch, dy, scaled(d, signs, alpha), dx);
        }
        double[] z = new double[dy.length];
        conv2d(d, batch, x, signs, null, z);
        int plane = d.outHeight() * d.outWidth();
        for (int i = 0; i < z.length; i++) {
            dalpha[i / plane % d.outChannels()] += dy[i] * z[i];
        }
        if (dbias != null) {
            biasGradient(d.outChannels(), plane, batch, dy, dbias);
        }
    }

    /** db[o] += Σ dy over samples and positions. */
    public static void biasGradient(int channels, int plane, int batch, double[] dy, double[] dbias) {
        for (int i = 0; i < batch * channels * plane; i++) {
            dbias[i / plane % channels] += dy[i];
        }
    }

    /** y[n, o] = Σ_i w[o, i]·x[n, i] + b[o] (bias may be null); y is overwritten. */
    public static void fullyConnected(FcDesc d, int batch, double[] x, double[] w, double[] bias, double[] y) {
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < d.out(); o++) {
                double acc = bias == null ? 0 : bias[o];
                for (int i = 0; i < d.in(); i++) {
                    acc += w[o * d.in() + i] * x[n * d.in() + i];
                }
                y[n * d.out() + o] = acc;
            }
        }
    }

    /** dx += wᵀ·dy (dx may be null), dw += dy·xᵀ, db += Σ dy (db may be null). */
    public static void fullyConnectedBackward(FcDesc d, int batch, double[] x, double[] w, double[] dy, double[] dx, double[] dw,
                                              double[] dbias) {
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < d.out(); o++) {
                double g = dy[n * d.out() + o];
                for (int i = 0; i < d.in(); i++) {
                    if (dx != null) {
                        dx[n * d.in() + i] += w[o * d.in() + i] * g;
                    }
                    dw[o * d.in() + i] += x[n * d.in() + i] * g;
                }
                if (dbias != null) {
                    dbias[o] += g;
                }
            }
        }
    }
}
