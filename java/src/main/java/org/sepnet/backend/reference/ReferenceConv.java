package org.sepnet.backend.reference;

import java.nio.FloatBuffer;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;

/**
 * Reference convolutions on float tensors: the double computations of {@link ReferenceConvGrad}
 * (direct loops in the order of the definition, zero padding skipped rather than read), each
 * output rounded to float once, after the activation.
 */
public final class ReferenceConv {
    private ReferenceConv() {}

    /** y = act(Σ w·x + bias) over each output's receptive field in its group. Weights OIHW. */
    public static void conv2d(ConvDesc d, int batch, FloatBuffer x, float[] w, float[] bias, Activation act, FloatBuffer y) {
        double[] acc = new double[outputs(d, batch)];
        ReferenceConvGrad.conv2d(d, batch, input(d, batch, x), toDouble(w), bias == null ? null : toDouble(bias), acc);
        store(acc, act, y);
    }

    /**
     * y = act(α[o]·Σ s·x + bias) with s = −1 where bit (c·kh + ky)·kw + kx of filter o's row is
     * set, +1 otherwise (the {@link org.sepnet.pattern.PatternWeights} format).
     */
    public static void patternConv2d(ConvDesc d, int batch, FloatBuffer x, int[] bits, float[] alpha, float[] bias,
                                     Activation act, FloatBuffer y) {
        double[] z = new double[outputs(d, batch)];
        ReferenceConvGrad.conv2d(d, batch, input(d, batch, x), ReferenceConvGrad.signs(d, bits), null, z);
        int plane = d.outHeight() * d.outWidth();
        for (int i = 0; i < z.length; i++) {
            int o = i / plane % d.outChannels();
            z[i] = alpha[o] * z[i] + (bias == null ? 0 : bias[o]);
        }
        store(z, act, y);
    }

    /** Pattern residual block: y = act(α[o]·Σ s·x + Σ w₁·x + bias). */
    public static void patternResidualBlock(PrbDesc d, int batch, FloatBuffer x, int[] bits, float[] alpha,
                                            float[] pointwise, float[] bias, Activation act, FloatBuffer y) {
        ConvDesc p = d.pattern();
        double[] in = input(p, batch, x);
        double[] z = new double[outputs(p, batch)];
        double[] q = new double[z.length];
        ReferenceConvGrad.conv2d(p, batch, in, ReferenceConvGrad.signs(p, bits), null, z);
        ReferenceConvGrad.conv2d(d.pointwise(), batch, in, toDouble(pointwise), null, q);
        int plane = p.outHeight() * p.outWidth();
        for (int i = 0; i < z.length; i++) {
            int o = i / plane % p.outChannels();
            z[i] = alpha[o] * z[i] + q[i] + (bias == null ? 0 : bias[o]);
        }
        store(z, act, y);
    }

    private static int outputs(ConvDesc d, int batch) {
        return batch * d.outChannels() * d.outHeight() * d.outWidth();
    }

    private static double[] input(ConvDesc d, int batch, FloatBuffer x) {
        double[] v = new double[batch * d.inChannels() * d.inHeight() * d.inWidth()];
        for (int i = 0; i < v.length; i++) {
            v[i] = x.get(i);
        }
        return v;
    }

    static double[] toDouble(float[] f) {
        double[] v = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            v[i] = f[i];
        }
        return v;
    }

    private static void store(double[] acc, Activation act, FloatBuffer y) {
        for (int i = 0; i < acc.length; i++) {
            y.put(i, (float) act.apply(acc[i]));
        }
    }
}
