package org.sepnet.backend.reference;

import java.nio.FloatBuffer;
import org.sepnet.ops.Activation;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;

/** Reference kernels for the non-convolution layers, in double where they accumulate. */
public final class ReferenceLayers {
    private ReferenceLayers() {}

    /** y = act(scale[c]·x + shift[c]) for channel c = dimension 1; {@code inner} values per (n, c). */
    public static void batchNorm(int batch, int channels, int inner, double[] scale, double[] shift, Activation act,
                                 FloatBuffer x, FloatBuffer y) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int base = (n * channels + c) * inner;
                for (int i = 0; i < inner; i++) {
                    y.put(base + i, (float) act.apply(scale[c] * x.get(base + i) + shift[c]));
                }
            }
        }
    }

    /** y = act(x). */
    public static void activation(int count, Activation act, FloatBuffer x, FloatBuffer y) {
        for (int i = 0; i < count; i++) {
            y.put(i, act.apply(x.get(i)));
        }
    }

    /** out = act(a + b). */
    public static void add(int count, Activation act, FloatBuffer a, FloatBuffer b, FloatBuffer out) {
        for (int i = 0; i < count; i++) {
            out.put(i, (float) act.apply((double) a.get(i) + b.get(i)));
        }
    }

    /** Max or average pooling per {@link PoolDesc}: {@link ReferenceLayerGrad#pool} rounded to float. */
    public static void pool(PoolDesc d, int batch, FloatBuffer x, FloatBuffer y) {
        double[] in = new double[batch * d.channels() * d.inHeight() * d.inWidth()];
        for (int i = 0; i < in.length; i++) {
            in[i] = x.get(i);
        }
        double[] out = new double[batch * d.channels() * d.outHeight() * d.outWidth()];
        ReferenceLayerGrad.pool(d, batch, in, out);
        for (int i = 0; i < out.length; i++) {
            y.put(i, (float) out[i]);
        }
    }

    /** y[n, o] = act(Σ_i w[o, i]·x[n, i] + b[o]). */
    public static void fullyConnected(FcDesc d, int batch, FloatBuffer x, float[] w, float[] bias, Activation act,
                                      FloatBuffer y) {
        int in = d.in();
        int out = d.out();
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < out; o++) {
                double acc = bias == null ? 0 : bias[o];
                for (int i = 0; i < in; i++) {
                    acc += (double) w[o * in + i] * x.get(n * in + i);
                }
                y.put(n * out + o, (float) act.apply(acc));
            }
        }
    }

    /** y[n, :] = exp(x[n, :] − max) / Σ exp(x[n, :] − max). */
    public static void softmax(int batch, int classes, FloatBuffer x, FloatBuffer y) {
        for (int n = 0; n < batch; n++) {
            int base = n * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < classes; i++) {
                max = Math.max(max, x.get(base + i));
            }
            double sum = 0;
            for (int i = 0; i < classes; i++) {
                sum += Math.exp(x.get(base + i) - max);
            }
            for (int i = 0; i < classes; i++) {
                y.put(base + i, (float) (Math.exp(x.get(base + i) - max) / sum));
            }
        }
    }
}
