package org.sepnet.runtime;

import java.util.Arrays;
import org.sepnet.backend.reference.ReferenceConvGrad;
import org.sepnet.backend.reference.ReferenceLayerGrad;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.Shape;

/**
 * The reference twins in double on the JVM: exact and slow, what finite differences check and
 * what the float kernels are compared with. A pattern layer recomputes z = signs ∗ x in its
 * backward pass (nothing saved); batch norm keeps its normalized input.
 */
final class DoubleKernels implements Kernels<double[]> {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public double[] buffer(double[] old, int batch, Shape feature) {
        long size = batch * feature.size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(batch + " samples of " + feature + " are too many values for one array");
        }
        return old != null && old.length == size ? old : new double[(int) size];
    }

    @Override
    public long bytes(double[] b) {
        return b == null ? 0 : 8L * b.length;
    }

    @Override
    public void upload(double[] src, double[] dst, int count) {
        System.arraycopy(src, 0, dst, 0, count);
    }

    @Override
    public double[] download(double[] b, int count) {
        return Arrays.copyOf(b, count);
    }

    @Override
    public void add(double[] a, double[] b, double[] y, long count, boolean relu) {
        for (int i = 0; i < count; i++) {
            y[i] = a[i] + b[i];
        }
        if (relu) {
            ReferenceLayerGrad.relu((int) count, y, y);
        }
    }

    @Override
    public void relu(double[] x, double[] y, long count) {
        ReferenceLayerGrad.relu((int) count, x, y);
    }

    @Override
    public void reluBackward(double[] y, double[] dy, double[] dx, long count) {
        Arrays.fill(dx, 0, (int) count, 0);
        ReferenceLayerGrad.reluBackward((int) count, y, dy, dx);
    }

    @Override
    public boolean[] passes(double[] y, long count) {
        boolean[] m = new boolean[(int) count];
        for (int i = 0; i < count; i++) {
            m[i] = y[i] > 0 || Double.isNaN(y[i]);
        }
        return m;
    }

    @Override
    public void reluMasked(double[] x, boolean[] mask, double[] y, long count) {
        for (int i = 0; i < count; i++) {
            y[i] = mask[i] ? x[i] : 0;
        }
    }

    @Override
    public void reluBackwardMasked(boolean[] mask, double[] dy, double[] dx, long count) {
        for (int i = 0; i < count; i++) {
            dx[i] = mask[i] ? dy[i] : 0;
        }
    }

    @Override
    public int[] argmax(PoolDesc d, double[] x, int batch) {
        return argmax(d, batch, x);
    }

    /** The first maximum of each window in scan order, a NaN winning: the forward's rule on these values. */
    static int[] argmax(org.sepnet.ops.PoolDesc d, int batch, double[] x) {
        int c = d.channels();
        int ih = d.inHeight();
        int iw = d.inWidth();
        int oh = d.outHeight();
        int ow = d.outWidth();
        int[] arg = new int[batch * c * oh * ow];
        for (int plane = 0; plane < batch * c; plane++) {
            int base = plane * ih * iw;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = oy * d.strideHeight() - d.padHeight();
                int y1 = Math.min(y0 + d.kernelHeight(), ih);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = ox * d.strideWidth() - d.padWidth();
                    int x1 = Math.min(x0 + d.kernelWidth(), iw);
                    int best = -1;
                    for (int iy = Math.max(y0, 0); iy < y1; iy++) {
                        for (int ix = Math.max(x0, 0); ix < x1; ix++) {
                            int i = base + iy * iw + ix;
                            if (best < 0 || x[i] > x[best] || (Double.isNaN(x[i]) && !Double.isNaN(x[best]))) {
                                best = i;
                            }
                        }
                    }
                    arg[(plane * oh + oy) * ow + ox] = best;
                }
            }
        }
        return arg;
    }

    @Override
    public void poolAt(int[] argmax, double[] x, double[] y) {
        for (int i = 0; i < argmax.length; i++) {
            y[i] = argmax[i] < 0 ? Double.NEGATIVE_INFINITY : x[argmax[i]];
        }
    }

    @Override
    public void poolAtBackward(int[] argmax, double[] dy, double[] dx, long inputCount) {
        Arrays.fill(dx, 0, (int) inputCount, 0);
        for (int i = 0; i < argmax.length; i++) {
            if (argmax[i] >= 0) {
                dx[argmax[i]] += dy[i];
            }
        }
    }

    @Override
    public void copyBlocks(double[] src, long srcBlock, long srcOffset, double[] dst, long dstBlock, long dstOffset, long length,
                           int count) {
        for (int i = 0; i < count; i++) {
            System.arraycopy(src, (int) (i * srcBlock + srcOffset), dst, (int) (i * dstBlock + dstOffset), (int) length);
        }
    }

    @Override
    public Conv<double[]> conv(ConvDesc max) {
        return new Conv<>() {
            @Override
            public void forward(double[] x, double[] w, double[] bias, double[] y, int batch) {
                ReferenceConvGrad.conv2d(max.withBatch(batch), batch, x, w, bias, y);
            }

            @Override
            public void backward(double[] x, double[] dy, double[] w, double[] dx, double[] dw, double[] db, int batch) {
                ConvDesc d = max.withBatch(batch);
                if (dx != null) {
                    Arrays.fill(dx, 0);
                    ReferenceConvGrad.conv2dBackwardInput(d, batch, dy, w, dx);
                }
                ReferenceConvGrad.conv2dBackwardWeights(d, batch, x, dy, dw, db);
            }

            @Override
            public long bytes() {
                return 0;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public Pattern<double[]> pattern(ConvDesc max, double[] signs, int[] bits) {
        return new Pattern<>() {
            @Override
            public void forward(double[] x, double[] alpha, double[] bias, double[] y, int batch) {
                ConvDesc d = max.withBatch(batch);
                ReferenceConvGrad.conv2d(d, batch, x, ReferenceConvGrad.scaled(d, signs, alpha), bias, y);
            }

            @Override
            public void backward(double[] x, double[] dy, double[] alpha, double[] dx, double[] dalpha, double[] db, int batch,
                                 java.util.function.Supplier<double[]> magnitude) {
                ConvDesc d = max.withBatch(batch);
                if (dx != null) {
                    Arrays.fill(dx, 0);
                }
                ReferenceConvGrad.patternConv2dBackward(d, batch, x, signs, alpha, dy, dx, dalpha, db);
                double[] z = new double[dy.length];
                ReferenceConvGrad.conv2d(d, batch, x, signs, null, z);
                double[] m = magnitude.get();
                Arrays.fill(m, 0);
                int plane = d.outHeight() * d.outWidth();
                for (int i = 0; i < z.length; i++) {
                    m[i / plane % m.length] += Math.abs(dy[i] * z[i]);
                }
            }

            @Override
            public long bytes() {
                return 0;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public Pool<double[]> pool(PoolDesc max) {
        return new Pool<>() {
            @Override
            public void forward(double[] x, double[] y, int batch) {
                ReferenceLayerGrad.pool(TensorKernels.withBatch(max, batch), batch, x, y);
            }

            @Override
            public void backward(double[] x, double[] dy, double[] dx, int batch) {
                Arrays.fill(dx, 0);
                ReferenceLayerGrad.poolBackward(TensorKernels.withBatch(max, batch), batch, x, dy, dx);
            }
        };
    }

    @Override
    public Fc<double[]> fc(FcDesc max) {
        return new Fc<>() {
            @Override
            public void forward(double[] x, double[] w, double[] bias, double[] y, int batch) {
                ReferenceConvGrad.fullyConnected(max, batch, x, w, bias, y);
            }

            @Override
            public void backward(double[] x, double[] dy, double[] w, double[] dx, double[] dw, double[] db, int batch) {
                Arrays.fill(dx, 0);
                ReferenceConvGrad.fullyConnectedBackward(max, batch, x, w, dy, dx, dw, db);
            }
        };
    }

    @Override
    public Norm<double[]> norm(int channels, int inner, int maxBatch) {
        return new Norm<>() {
            private ReferenceLayerGrad.BatchNormSaved saved;

            @Override
            public void forwardTrain(double[] x, double[] gamma, double[] beta, double eps, double momentum, double[] runningMean,
                                     double[] runningVar, double[] y, int batch) {
                saved = ReferenceLayerGrad.batchNormTrain(batch, channels, inner, x, gamma, beta, eps, momentum, runningMean,
                        runningVar, y);
            }

            @Override
            public void forwardInference(double[] x, double[] gamma, double[] beta, double eps, double[] runningMean,
                                         double[] runningVar, double[] y, int batch) {
                for (int n = 0; n < batch; n++) {
                    for (int c = 0; c < channels; c++) {
                        double s = gamma[c] / Math.sqrt(runningVar[c] + eps);
                        double t = beta[c] - runningMean[c] * s;
                        for (int i = 0; i < inner; i++) {
                            int k = (n * channels + c) * inner + i;
                            y[k] = s * x[k] + t;
                        }
                    }
                }
            }

            @Override
            public void backward(double[] x, double[] dy, double[] gamma, double[] dx, double[] dgamma, double[] dbeta, int batch) {
                Arrays.fill(dx, 0);
                ReferenceLayerGrad.batchNormBackward(batch, channels, inner, saved, gamma, dy, dx, dgamma, dbeta);
            }

            @Override
            public long bytes() {
                return saved == null ? 0 : 8L * (saved.normalized().length + saved.mean().length + saved.invStd().length);
            }
        };
    }

    @Override
    public double softmaxCrossEntropy(double[] logits, int[] labels, int batch, int classes, double[] dz) {
        return ReferenceLayerGrad.softmaxCrossEntropy(batch, classes, logits, labels, dz);
    }

    @Override
    public void close() {}
}
