package org.sepnet.backend.reference;

import org.sepnet.ops.PoolDesc;

/**
 * Training twins of the reference layers, in double (see {@link ReferenceConvGrad} for the
 * conventions: NCHW arrays, gradients added to). Batch norm here is the training-mode layer
 * (batch statistics); folded batch norm stays an inference transform.
 */
public final class ReferenceLayerGrad {
    private ReferenceLayerGrad() {}

    /** y = x &lt; 0 ? 0 : x, over {@code count} values. */
    public static void relu(int count, double[] x, double[] y) {
        for (int i = 0; i < count; i++) {
            y[i] = x[i] < 0 ? 0 : x[i];
        }
    }

    /**
     * dx += dy where the ReLU's output is positive. The kink (an output of exactly 0) passes no
     * gradient, as in PyTorch; a NaN output passes NaN·dy.
     */
    public static void reluBackward(int count, double[] y, double[] dy, double[] dx) {
        for (int i = 0; i < count; i++) {
            dx[i] += y[i] > 0 || Double.isNaN(y[i]) ? dy[i] : 0;
        }
    }

    /** Max, average or global pooling as the reference forward computes it; y is overwritten. */
    public static void pool(PoolDesc d, int batch, double[] x, double[] y) {
        walk(d, batch, x, (yi, window, count, argmax, value) -> y[yi] = value);
    }

    /**
     * dx += the pooling's gradient: for max pooling all of dy goes to the first input that holds the
     * maximum in scan order (rows, then columns); for average pooling dy/count to every input in the
     * window (count as the forward divides: with or without the padding).
     */
    public static void poolBackward(PoolDesc d, int batch, double[] x, double[] dy, double[] dx) {
        boolean isMax = d.kind() == PoolDesc.Kind.MAX;
        int iw = d.inWidth();
        walk(d, batch, x, (yi, window, count, argmax, value) -> {
            if (isMax) {
                if (argmax >= 0) {  // a window of padding alone has no input to credit
                    dx[argmax] += dy[yi];
                }
                return;
            }
            for (int iy = window[1]; iy < window[2]; iy++) {
                for (int ix = window[3]; ix < window[4]; ix++) {
                    dx[window[0] + iy * iw + ix] += dy[yi] / count;
                }
            }
        });
    }

    /** One output window: {plane offset, y from, y to, x from, x to}, the divisor, the first maximum's index and the value. */
    @FunctionalInterface
    private interface Window {
        void at(int yi, int[] window, int count, int argmax, double value);
    }

    private static void walk(PoolDesc d, int batch, double[] x, Window out) {
        int c = d.channels();
        int ih = d.inHeight();
        int iw = d.inWidth();
        int oh = d.outHeight();
        int ow = d.outWidth();
        boolean max = d.kind() == PoolDesc.Kind.MAX;
        int[] w = new int[5];
        for (int n = 0; n < batch; n++) {
            for (int ch = 0; ch < c; ch++) {
                int plane = (n * c + ch) * ih * iw;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * d.strideHeight() - d.padHeight();
                    int y1 = Math.min(y0 + d.kernelHeight(), ih + d.padHeight());
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * d.strideWidth() - d.padWidth();
                        int x1 = Math.min(x0 + d.kernelWidth(), iw + d.padWidth());
                        w[0] = plane;
                        w[1] = Math.max(y0, 0);
                        w[2] = Math.min(y1, ih);
                        w[3] = Math.max(x0, 0);
                        w[4] = Math.min(x1, iw);
                        double acc = max ? Double.NEGATIVE_INFINITY : 0;
                        int argmax = -1;
                        for (int iy = w[1]; iy < w[2]; iy++) {
                            for (int ix = w[3]; ix < w[4]; ix++) {
                                double v = x[plane + iy * iw + ix];
                                if (!max) {
                                    acc += v;
                                } else if (argmax < 0 || v > acc || (Double.isNaN(v) && !Double.isNaN(acc))) {
                                    acc = v;
                                    argmax = plane + iy * iw + ix;
                                }
                            }
                        }
                        int count = d.countIncludePad() ? (y1 - y0) * (x1 - x0) : (w[2] - w[1]) * (w[4] - w[3]);
                        out.at(((n * c + ch) * oh + oy) * ow + ox, w, count, argmax, max ? acc : acc / count);
                    }
                }
            }
        }
    }

    /** What a training-mode batch norm keeps from its forward pass for the backward one. */
    public record BatchNormSaved(double[] mean, double[] invStd, double[] normalized) {}

    /**
     * Training-mode batch norm over dimension 1: per channel, the batch mean and the biased
     * variance over samples and positions normalize x; y = γ·x̂ + β. The running statistics move
     * by {@code momentum} towards the batch's (the unbiased variance, as PyTorch and Caffe do).
     */
    public static BatchNormSaved batchNormTrain(int batch, int channels, int inner, double[] x, double[] gamma, double[] beta,
                                                double eps, double momentum, double[] runningMean, double[] runningVar, double[] y) {
        int m = batch * inner;
        double[] mean = new double[channels];
        double[] invStd = new double[channels];
        double[] xhat = new double[batch * channels * inner];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int n = 0; n < batch; n++) {
                for (int i = 0; i < inner; i++) {
                    sum += x[(n * channels + c) * inner + i];
                }
            }
            double mu = sum / m;
            double sq = 0;
            for (int n = 0; n < batch; n++) {
                for (int i = 0; i < inner; i++) {
                    double v = x[(n * channels + c) * inner + i] - mu;
                    sq += v * v;
                }
            }
            double var = sq / m;
            mean[c] = mu;
            invStd[c] = 1 / Math.sqrt(var + eps);
            for (int n = 0; n < batch; n++) {
                for (int i = 0; i < inner; i++) {
                    int k = (n * channels + c) * inner + i;
                    xhat[k] = (x[k] - mu) * invStd[c];
                    y[k] = gamma[c] * xhat[k] + beta[c];
                }
            }
            if (runningMean != null) {
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mu;
                runningVar[c] = (1 - momentum) * runningVar[c] + momentum * (m > 1 ? sq / (m - 1) : var);
            }
        }
        return new BatchNormSaved(mean, invStd, xhat);
    }

    /**
     * dx += γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) per channel; dγ += Σ dy·x̂; dβ += Σ dy.
     */
    public static void batchNormBackward(int batch, int channels, int inner, BatchNormSaved saved, double[] gamma, double[] dy,
                                         double[] dx, double[] dgamma, double[] dbeta) {
        int m = batch * inner;
        double[] xhat = saved.normalized();
        for (int c = 0; c < channels; c++) {
            double sumDy = 0;
            double sumDyX = 0;
            for (int n = 0; n < batch; n++) {
                for (int i = 0; i < inner; i++) {
                    int k = (n * channels + c) * inner + i;
                    sumDy += dy[k];
                    sumDyX += dy[k] * xhat[k];
                }
            }
            dgamma[c] += sumDyX;
            dbeta[c] += sumDy;
            double scale = gamma[c] * saved.invStd()[c];
            for (int n = 0; n < batch; n++) {
                for (int i = 0; i < inner; i++) {
                    int k = (n * channels + c) * inner + i;
                    dx[k] += scale * (dy[k] - sumDy / m - xhat[k] * sumDyX / m);
                }
            }
        }
    }

    /**
     * The mean over the batch of −log softmax(z)[label], and its gradient dz = (softmax(z) −
     * onehot(label)) / batch (written to dz, which may be null).
     *
     * @throws IllegalArgumentException for a label outside 0..classes-1
     */
    public static double softmaxCrossEntropy(int batch, int classes, double[] z, int[] labels, double[] dz) {
        double loss = 0;
        for (int n = 0; n < batch; n++) {
            int label = labels[n];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " of sample " + n + "; expected 0 to " + (classes - 1));
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                max = Math.max(max, z[n * classes + k]);
            }
            double sum = 0;
            for (int k = 0; k < classes; k++) {
                sum += Math.exp(z[n * classes + k] - max);
            }
            double logSum = max + Math.log(sum);
            loss += logSum - z[n * classes + label];
            if (dz != null) {
                for (int k = 0; k < classes; k++) {
                    double p = Math.exp(z[n * classes + k] - logSum);
                    dz[n * classes + k] = (p - (k == label ? 1 : 0)) / batch;
                }
            }
        }
        return loss / batch;
    }

    /**
     * The gradient of a channel concatenation, for input {@code part}: its channels' share of dy
     * (dy is [n, total, plane], the input [n, channels, plane] starting at channel {@code offset}),
     * added to dx.
     */
    public static void concatBackward(int batch, int total, int plane, int offset, int channels, double[] dy, double[] dx) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < plane; i++) {
                    dx[(n * channels + c) * plane + i] += dy[(n * total + offset + c) * plane + i];
                }
            }
        }
    }
}
