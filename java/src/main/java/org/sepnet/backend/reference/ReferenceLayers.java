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

    /** Max or average pooling per {@link PoolDesc}. */
    public static void pool(PoolDesc d, int batch, FloatBuffer x, FloatBuffer y) {
        int c = d.channels();
        int ih = d.inHeight();
        int iw = d.inWidth();
        int oh = d.outHeight();
        int ow = d.outWidth();
        boolean max = d.kind() == PoolDesc.Kind.MAX;
        for (int n = 0; n < batch; n++) {
            for (int ch = 0; ch < c; ch++) {
                int plane = (n * c + ch) * ih * iw;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * d.strideHeight() - d.padHeight();
                    int y1 = Math.min(y0 + d.kernelHeight(), ih + d.padHeight());
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * d.strideWidth() - d.padWidth();
                        int x1 = Math.min(x0 + d.kernelWidth(), iw + d.padWidth());
                        int padded = (y1 - y0) * (x1 - x0);
                        double acc = max ? Double.NEGATIVE_INFINITY : 0;
                        int real = 0;
                        for (int iy = Math.max(y0, 0); iy < Math.min(y1, ih); iy++) {
                            for (int ix = Math.max(x0, 0); ix < Math.min(x1, iw); ix++) {
                                double v = x.get(plane + iy * iw + ix);
                                acc = max ? Math.max(acc, v) : acc + v;
                                real++;
                            }
                        }
                        double out = max ? acc : acc / (d.countIncludePad() ? padded : real);
                        y.put(((n * c + ch) * oh + oy) * ow + ox, (float) out);
                    }
                }
            }
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
