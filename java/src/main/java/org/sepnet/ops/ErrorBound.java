package org.sepnet.ops;

/**
 * Compares an implementation's output with the reference under a rigorous float32 error bound.
 *
 * <p>An fp32 sum of K terms, in any order, differs from the exact sum by at most
 * γ_K·Σ|terms| with γ_K = K·u / (1 − K·u), u = 2⁻²⁴ (Higham, <i>Accuracy and Stability of
 * Numerical Algorithms</i>, §4.2); the final scaling by α, the bias add and the rounding of the
 * double reference add a few more u·|value|. So for each output the allowed error is
 * {@code γ_{K+4}·S}, where S is the same op evaluated on |x| and |weights| (the "absolute sum",
 * which the reference computes). A fused multiply-add only lowers the error, so the bound holds for
 * FMA paths too; TF32 or FP16 paths need a looser, named bound.
 */
public final class ErrorBound {
    private static final double U = 0x1p-24;

    private ErrorBound() {}

    /** γ_n = n·u / (1 − n·u). */
    public static double gamma(long n) {
        double nu = n * U;
        if (nu >= 1) {
            throw new IllegalArgumentException("gamma(" + n + ") is undefined: n·u >= 1");
        }
        return nu / (1 - nu);
    }

    /**
     * The comparison of {@code got} with {@code ref}.
     *
     * @param terms K, the number of products summed per output
     * @param absSum S per output (same length as ref)
     */
    public static Result compare(float[] got, float[] ref, float[] absSum, long terms) {
        if (got.length != ref.length || ref.length != absSum.length) {
            throw new IllegalArgumentException("lengths differ: got " + got.length + ", reference " + ref.length
                    + ", absolute sums " + absSum.length);
        }
        double g = gamma(terms + 4);
        double maxAbs = 0;
        double maxRatio = 0;
        int worst = -1;
        int bad = 0;
        int nonFinite = 0;
        int zeros = 0;
        for (int i = 0; i < ref.length; i++) {
            if (got[i] == 0f) {
                zeros++;
            }
            if (!Float.isFinite(got[i])) {
                nonFinite++;
                bad++;
                if (maxRatio != Double.POSITIVE_INFINITY) {
                    worst = i;
                    maxRatio = Double.POSITIVE_INFINITY;
                }
                continue;
            }
            double err = Math.abs((double) got[i] - ref[i]);
            // The smallest representable allowance: one ulp of the reference value.
            double bound = Math.max(g * absSum[i], Math.ulp(ref[i]));
            double ratio = err / bound;
            if (err > bound) {
                bad++;
            }
            if (err > maxAbs) {
                maxAbs = err;
            }
            if (ratio > maxRatio) {
                maxRatio = ratio;
                worst = i;
            }
        }
        return new Result(ref.length, bad, nonFinite, zeros, maxAbs, maxRatio, worst);
    }

    /**
     * @param count outputs compared
     * @param bad outputs outside the bound (non-finite ones included)
     * @param nonFinite NaN or infinite outputs (an untouched poisoned output is NaN)
     * @param zeros outputs exactly 0
     * @param maxAbsError largest |got − ref|
     * @param maxRatio largest |got − ref| / bound (≤ 1 passes)
     * @param worstIndex where maxRatio occurred
     */
    public record Result(int count, int bad, int nonFinite, int zeros, double maxAbsError, double maxRatio, int worstIndex) {
        /** Whether every output is within its bound. */
        public boolean passed() {
            return bad == 0;
        }
    }
}
