package org.sepnet.runtime;

import org.sepnet.backend.TrainOps;
import org.sepnet.tensor.Tensor;

/**
 * Training-mode batch norm from per-channel sums and affine maps (see {@link TrainOps}): statistics
 * in double from one pass ({@link #statistics}). Backward:
 * ∂L/∂x = A·dy + B·x + C per channel, with A = γ·σ⁻¹, B = −γ·σ⁻³·Σ dy·(x − μ)/M, C = −A·Σ dy/M − B·μ
 * (M = batch × positions), the usual formula γσ⁻¹(dy − mean(dy) − x̂·mean(dy·x̂)) expanded.
 */
final class TensorNorm implements Kernels.Norm<Tensor> {
    private final TrainOps ops;
    private final int channels;
    private final int inner;
    private final double[] mean;
    private final double[] invStd;

    TensorNorm(TrainOps ops, int channels, int inner) {
        this.ops = ops;
        this.channels = channels;
        this.inner = inner;
        this.mean = new double[channels];
        this.invStd = new double[channels];
    }

    @Override
    public void forwardTrain(Tensor x, double[] gamma, double[] beta, double eps, double momentum, double[] runningMean,
                             double[] runningVar, Tensor y, int batch) {
        forwardTrain(x, gamma, beta, eps, momentum, runningMean, runningVar, false, y, batch);
    }

    @Override
    public boolean fusesRelu() {
        return ops.fusesRelu();
    }

    @Override
    public void forwardRelu(Tensor x, double[] gamma, double[] beta, double eps, boolean training, double momentum,
                            double[] runningMean, double[] runningVar, Tensor y, int batch) {
        if (training) {
            forwardTrain(x, gamma, beta, eps, momentum, runningMean, runningVar, true, y, batch);
        } else {
            forwardInference(x, gamma, beta, eps, runningMean, runningVar, true, y, batch);
        }
    }

    @Override
    public void backwardRelu(Tensor x, Tensor y, Tensor dy, double[] gamma, Tensor dx, double[] dgamma, double[] dbeta, int batch) {
        backward(x, y, dy, gamma, dx, dgamma, dbeta, batch);
    }

    private void forwardTrain(Tensor x, double[] gamma, double[] beta, double eps, double momentum, double[] runningMean,
                              double[] runningVar, boolean relu, Tensor y, int batch) {
        double m = (double) batch * inner;
        double[] sum = new double[channels];
        float[] mu = new float[channels];
        float[] guess = new float[channels];
        for (int c = 0; c < channels; c++) {
            // The running mean, not the last batch's: a step must depend only on what a checkpoint holds.
            guess[c] = (float) runningMean[c];
        }
        double[] centered = statistics(ops, x, guess, batch, channels, inner, mu, sum);
        float[] a = new float[channels];
        float[] b = new float[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = mu[c];
            double var = Math.max(centered[c] / m, 0);
            invStd[c] = 1 / Math.sqrt(var + eps);
            a[c] = (float) (gamma[c] * invStd[c]);
            b[c] = (float) (beta[c] - mean[c] * gamma[c] * invStd[c]);
            moveRunning(runningMean, runningVar, c, mean[c], var, m, momentum);
        }
        affine(x, a, b, relu, y, batch);
    }

    private void affine(Tensor x, float[] a, float[] b, boolean relu, Tensor y, int batch) {
        if (relu) {
            ops.channelAffine(x, null, null, a, null, b, true, y, batch, channels, inner);
        } else {
            ops.channelAffine(x, null, a, null, b, y, batch, channels, inner);
        }
    }

    /** Moves channel c's running statistics by the momentum towards the batch mean and the unbiased variance of M values. */
    static void moveRunning(double[] runningMean, double[] runningVar, int c, double mean, double var, double m, double momentum) {
        runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean;
        double unbiased = m > 1 ? var * m / (m - 1) : var;
        runningVar[c] = (1 - momentum) * runningVar[c] + momentum * unbiased;
    }

    /**
     * Per channel: μ = Σx/M rounded to float (into {@code mean}), Σx (into {@code sum}) and the
     * returned C = Σ x·(x − μ), M·σ² up to μ's rounding. One pass gives Σx and S = Σ x·(x − K) for a
     * guess K of the mean (the running mean), and C = S + (K − μ)·Σx exactly;
     * S's float partial sums err by about 2⁻²⁴·(|μ| + σ)(|μ − K| + σ)·M, so where that factor
     * exceeds 100·σ² (a poor guess, or σ = 0) a second pass with K = μ computes C directly.
     */
    static double[] statistics(TrainOps ops, Tensor x, float[] guess, int batch, int channels, long inner, float[] mean,
                               double[] sum) {
        double m = (double) batch * inner;
        double[] s = new double[channels];
        ops.channelSums(x, x, guess, batch, channels, inner, sum, s);
        double[] centered = new double[channels];
        boolean again = false;
        for (int c = 0; c < channels; c++) {
            mean[c] = (float) (sum[c] / m);
            centered[c] = s[c] + ((double) guess[c] - mean[c]) * sum[c];
            double var = centered[c] / m;
            double sigma = Math.sqrt(Math.max(var, 0));
            double factor = (Math.abs(mean[c]) + sigma) * (Math.abs(mean[c] - (double) guess[c]) + sigma);
            again |= !(factor <= 100 * var);
        }
        if (again) {
            ops.channelSums(x, x, mean, batch, channels, inner, sum, centered);
        }
        return centered;
    }

    @Override
    public void forwardInference(Tensor x, double[] gamma, double[] beta, double eps, double[] runningMean, double[] runningVar,
                                 Tensor y, int batch) {
        forwardInference(x, gamma, beta, eps, runningMean, runningVar, false, y, batch);
    }

    private void forwardInference(Tensor x, double[] gamma, double[] beta, double eps, double[] runningMean, double[] runningVar,
                                  boolean relu, Tensor y, int batch) {
        float[] a = new float[channels];
        float[] b = new float[channels];
        for (int c = 0; c < channels; c++) {
            double s = gamma[c] / Math.sqrt(runningVar[c] + eps);
            a[c] = (float) s;
            b[c] = (float) (beta[c] - runningMean[c] * s);
        }
        affine(x, a, b, relu, y, batch);
    }

    @Override
    public void backward(Tensor x, Tensor dy, double[] gamma, Tensor dx, double[] dgamma, double[] dbeta, int batch) {
        backward(x, null, dy, gamma, dx, dgamma, dbeta, batch);
    }

    /** The backward pass, of the ReLU's too when {@code reluOut} (its output) is not null. */
    private void backward(Tensor x, Tensor reluOut, Tensor dy, double[] gamma, Tensor dx, double[] dgamma, double[] dbeta, int batch) {
        double m = (double) batch * inner;
        double[] sumDy = new double[channels];
        double[] sumDyX = new double[channels];
        float[] mu = TensorKernels.floats(mean);
        if (reluOut == null) {
            ops.channelSums(dy, x, mu, batch, channels, inner, sumDy, sumDyX);
        } else {
            ops.channelSums(dy, reluOut, x, mu, batch, channels, inner, sumDy, sumDyX);
        }
        float[] a = new float[channels];
        float[] b = new float[channels];
        float[] c0 = new float[channels];
        for (int c = 0; c < channels; c++) {
            double s = invStd[c];
            dgamma[c] += s * sumDyX[c];
            dbeta[c] += sumDy[c];
            double ac = gamma[c] * s;
            double bc = -gamma[c] * s * s * s * sumDyX[c] / m;
            a[c] = (float) ac;
            b[c] = (float) bc;
            c0[c] = (float) (-ac * sumDy[c] / m - bc * mean[c]);
        }
        if (reluOut == null) {
            ops.channelAffine(dy, x, a, b, c0, dx, batch, channels, inner);
        } else {
            ops.channelAffine(dy, reluOut, x, a, b, c0, false, dx, batch, channels, inner);
        }
    }

    @Override
    public long bytes() {
        return 16L * channels;
    }
}
