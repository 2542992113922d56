package org.sepnet.ops;

/**
 * Inference batch normalization of {@code channels} channels:
 * {@code y = γ·(x − μ) / √(σ² + ε) + β}, per channel (dimension 1 of the input).
 */
public final class BatchNormParams {
    private final float[] gamma;
    private final float[] beta;
    private final float[] mean;
    private final float[] variance;
    private final float epsilon;

    public BatchNormParams(float[] gamma, float[] beta, float[] mean, float[] variance, float epsilon) {
        int c = gamma.length;
        check("beta", beta, c);
        check("mean", mean, c);
        check("variance", variance, c);
        if (c < 1) {
            throw new IllegalArgumentException("batch norm has no channels; expected at least one");
        }
        for (int i = 0; i < c; i++) {
            if (!Float.isFinite(gamma[i]) || !Float.isFinite(beta[i]) || !Float.isFinite(mean[i])) {
                throw new IllegalArgumentException("batch norm channel " + i + ": gamma " + gamma[i] + ", beta " + beta[i]
                        + ", mean " + mean[i] + "; expected finite values");
            }
            if (!(variance[i] >= 0) || !Float.isFinite(variance[i])) {
                throw new IllegalArgumentException("batch norm variance[" + i + "] is " + variance[i] + "; expected a finite value >= 0");
            }
        }
        if (!(epsilon >= 0) || !Float.isFinite(epsilon) || (epsilon == 0 && hasZero(variance))) {
            throw new IllegalArgumentException("batch norm epsilon is " + epsilon
                    + "; expected a finite value >= 0, and > 0 when a variance is 0");
        }
        this.gamma = gamma.clone();
        this.beta = beta.clone();
        this.mean = mean.clone();
        this.variance = variance.clone();
        this.epsilon = epsilon;
    }

    public int channels() {
        return gamma.length;
    }

    public float[] gamma() {
        return gamma.clone();
    }

    public float[] beta() {
        return beta.clone();
    }

    public float[] mean() {
        return mean.clone();
    }

    public float[] variance() {
        return variance.clone();
    }

    public float epsilon() {
        return epsilon;
    }

    /** Per-channel scale γ/√(σ²+ε), computed in double. */
    public double[] scale() {
        double[] s = new double[gamma.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = gamma[i] / Math.sqrt((double) variance[i] + epsilon);
        }
        return s;
    }

    /** Per-channel shift β − μ·γ/√(σ²+ε), computed in double. */
    public double[] shift() {
        double[] s = scale();
        double[] t = new double[s.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = beta[i] - mean[i] * s[i];
        }
        return t;
    }

    private static void check(String name, float[] a, int c) {
        if (a.length != c) {
            throw new IllegalArgumentException("batch norm " + name + " has " + a.length + " values; expected " + c + " (one per channel, as gamma)");
        }
    }

    private static boolean hasZero(float[] v) {
        for (float x : v) {
            if (x == 0) {
                return true;
            }
        }
        return false;
    }
}
