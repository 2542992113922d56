package org.sepnet.runtime;

import java.util.function.DoubleSupplier;

/**
 * Checks one coordinate of an analytic gradient against central differences of the loss,
 * (L(p + h) − L(p − h))/2h, robustly for networks with ReLU and max-pooling kinks: the step runs
 * down a ladder (1e-4 to 1e-8); the coordinate passes at the first step that agrees within the
 * bound, fails only where two successive steps agree with each other (the difference has
 * converged) but not with the analytic value, and is left undecided where no two steps agree (a
 * kink or rounding at every scale: an untrained network's loss can bend within 1e-5).
 */
public final class FiniteDifference {
    private static final double[] STEPS = {1e-4, 1e-5, 1e-6, 1e-7, 1e-8};

    private FiniteDifference() {}

    /**
     * @param numeric the central difference judged (or the closest one, when undecided)
     * @param error |numeric − analytic| / (1 + |numeric|)
     * @param decided whether the differences converged (passed or failed), false when undecided
     */
    public record Result(double numeric, double error, boolean decided, boolean ok) {}

    /** Checks {@code analytic} = ∂loss/∂p[i]; {@code p[i]} is restored. */
    public static Result check(double[] p, int i, double analytic, DoubleSupplier loss, double bound) {
        if (!Double.isFinite(analytic)) {
            return new Result(Double.NaN, Double.POSITIVE_INFINITY, true, false);
        }
        double[] num = new double[STEPS.length];
        double saved = p[i];
        try {
            for (int k = 0; k < STEPS.length; k++) {
                p[i] = saved + STEPS[k];
                double up = loss.getAsDouble();
                p[i] = saved - STEPS[k];
                double down = loss.getAsDouble();
                num[k] = (up - down) / (2 * STEPS[k]);
                double err = error(num[k], analytic);
                if (err <= bound) {
                    return new Result(num[k], err, true, true);
                }
            }
        } finally {
            p[i] = saved;
        }
        Result closest = null;
        for (int k = 0; k + 1 < STEPS.length; k++) {
            if (error(num[k + 1], num[k]) <= bound) {
                double err = error(num[k + 1], analytic);
                if (closest == null || err < closest.error()) {
                    closest = new Result(num[k + 1], err, true, false);
                }
            }
        }
        if (closest != null) {
            return closest;
        }
        int best = 0;
        for (int k = 1; k < STEPS.length; k++) {
            best = error(num[k], analytic) < error(num[best], analytic) ? k : best;
        }
        return new Result(num[best], error(num[best], analytic), false, true);
    }

    private static double error(double numeric, double analytic) {
        double e = Math.abs(numeric - analytic) / (1 + Math.abs(numeric));
        return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
    }
}
