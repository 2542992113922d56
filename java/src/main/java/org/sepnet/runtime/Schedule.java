package org.sepnet.runtime;

/**
 * A learning-rate schedule over a run of {@code epochs} epochs of {@code steps} steps each: the rate
 * at step s of epoch e (both from 0). Warm-up rises linearly from base/steps·1 to the base rate over
 * its epochs, then the schedule proper runs over the remaining ones.
 */
public interface Schedule {
    double rate(int epoch, int step, int steps);

    /** The base rate throughout (after warm-up). */
    static Schedule constant(double base) {
        check(base);
        return (e, s, n) -> base;
    }

    /** base·γ^⌊e / every⌋: the authors' Caffe "step" policy by epochs. */
    static Schedule step(double base, double gamma, int every) {
        check(base);
        if (every < 1 || !(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("step every " + every + " epochs by " + gamma + "; expected at least 1 epoch and 0 < γ ≤ 1");
        }
        return (e, s, n) -> base * Math.pow(gamma, e / every);
    }

    /** Cosine from base to 0 over {@code epochs}, by step: base·(1 + cos(π·t))/2, t the fraction of the run done. */
    static Schedule cosine(double base, int epochs) {
        check(base);
        if (epochs < 1) {
            throw new IllegalArgumentException("cosine over " + epochs + " epochs; expected at least 1");
        }
        return (e, s, n) -> base * (1 + Math.cos(Math.PI * (e + (double) s / n) / epochs)) / 2;
    }

    /** This schedule after {@code epochs} epochs of linear warm-up (the schedule's epochs start after them). */
    default Schedule afterWarmup(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("warm-up of " + epochs + " epochs; expected at least 0");
        }
        Schedule after = this;
        return (e, s, n) -> e < epochs ? after.rate(0, 0, n) * (e * (double) n + s + 1) / ((double) epochs * n)
                : after.rate(e - epochs, s, n);
    }

    private static void check(double base) {
        if (!(base > 0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("learning rate " + base + "; expected a finite value above 0");
        }
    }
}
