package org.sepnet.backend.reference;

import java.nio.FloatBuffer;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;

/**
 * Reference convolutions: direct loops in the order of the definition, each output accumulated in
 * double and rounded to float once. Zero padding is skipped rather than read.
 */
public final class ReferenceConv {
    private ReferenceConv() {}

    /** y = act(Σ w·x + bias) over each output's receptive field in its group. Weights OIHW. */
    public static void conv2d(ConvDesc d, int batch, FloatBuffer x, float[] w, float[] bias, Activation act, FloatBuffer y) {
        int oc = d.outChannels();
        int oh = d.outHeight();
        int ow = d.outWidth();
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < oc; o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = floatDot(d, x, w, n, o, oy, ox);
                        if (bias != null) {
                            acc += bias[o];
                        }
                        y.put(((n * oc + o) * oh + oy) * ow + ox, (float) act.apply(acc));
                    }
                }
            }
        }
    }

    /**
     * y = act(α[o]·Σ s·x + bias) with s = −1 where bit (c·kh + ky)·kw + kx of filter o's row is
     * set, +1 otherwise (the {@link org.sepnet.pattern.PatternWeights} format).
     */
    public static void patternConv2d(ConvDesc d, int batch, FloatBuffer x, int[] bits, float[] alpha, float[] bias,
                                     Activation act, FloatBuffer y) {
        int oc = d.outChannels();
        int oh = d.outHeight();
        int ow = d.outWidth();
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < oc; o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = alpha[o] * signDot(d, x, bits, n, o, oy, ox);
                        if (bias != null) {
                            acc += bias[o];
                        }
                        y.put(((n * oc + o) * oh + oy) * ow + ox, (float) act.apply(acc));
                    }
                }
            }
        }
    }

    /** Pattern residual block: y = act(α[o]·Σ s·x + Σ w₁·x + bias). */
    public static void patternResidualBlock(PrbDesc d, int batch, FloatBuffer x, int[] bits, float[] alpha,
                                            float[] pointwise, float[] bias, Activation act, FloatBuffer y) {
        ConvDesc p = d.pattern();
        ConvDesc q = d.pointwise();
        int oc = p.outChannels();
        int oh = p.outHeight();
        int ow = p.outWidth();
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < oc; o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = alpha[o] * signDot(p, x, bits, n, o, oy, ox) + floatDot(q, x, pointwise, n, o, oy, ox);
                        if (bias != null) {
                            acc += bias[o];
                        }
                        y.put(((n * oc + o) * oh + oy) * ow + ox, (float) act.apply(acc));
                    }
                }
            }
        }
    }

    /** Weight of tap {@code i = (c·kh + ky)·kw + kx} of filter {@code o}. */
    @FunctionalInterface
    private interface Tap {
        double weight(int o, int i);
    }

    private static double floatDot(ConvDesc d, FloatBuffer x, float[] w, int n, int o, int oy, int ox) {
        int taps = d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth();
        return dot(d, x, (f, i) -> w[f * taps + i], n, o, oy, ox);
    }

    private static double signDot(ConvDesc d, FloatBuffer x, int[] bits, int n, int o, int oy, int ox) {
        int words = (d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 31) / 32;
        return dot(d, x, (f, i) -> (bits[f * words + (i >>> 5)] >>> (i & 31) & 1) != 0 ? -1.0 : 1.0, n, o, oy, ox);
    }

    /** Σ over the receptive field of output (n, o, oy, ox) of weight·x, skipping zero padding. */
    private static double dot(ConvDesc d, FloatBuffer x, Tap tap, int n, int o, int oy, int ox) {
        int cpg = d.inChannelsPerGroup();
        int g = o / d.outChannelsPerGroup();
        int kh = d.kernelHeight();
        int kw = d.kernelWidth();
        int ih = d.inHeight();
        int iw = d.inWidth();
        double acc = 0;
        for (int c = 0; c < cpg; c++) {
            int plane = (n * d.inChannels() + g * cpg + c) * ih;
            for (int ky = 0; ky < kh; ky++) {
                int iy = oy * d.strideHeight() - d.padHeight() + ky * d.dilationHeight();
                if (iy < 0 || iy >= ih) {
                    continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                    int ix = ox * d.strideWidth() - d.padWidth() + kx * d.dilationWidth();
                    if (ix < 0 || ix >= iw) {
                        continue;
                    }
                    acc += tap.weight(o, (c * kh + ky) * kw + kx) * x.get((plane + iy) * iw + ix);
                }
            }
        }
        return acc;
    }
}
