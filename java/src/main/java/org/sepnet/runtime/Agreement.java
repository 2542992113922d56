package org.sepnet.runtime;

/**
 * How closely a float backend's gradients must follow the reference twins' (double): per array,
 * max |backend − reference| ≤ {@link #RELATIVE} · max |reference| + {@link #ABSOLUTE}. Float sums of
 * n terms err by at most n·2⁻²⁴ relative to Σ|terms| (6e-5 at n = 1000) and by about √n·2⁻²⁴
 * typically, compounded over a network's depth; the losses here are of order 1 and gradients of
 * order 1e-4 to 1, and the absolute term covers gradients that are 0 in exact arithmetic (a bias or
 * an α before batch norm), where float leaves the rounding of sums whose terms add up to about 1.
 * A wrong tap, flip, stride or scale gives errors of order 1. See docs/training.md.
 */
public final class Agreement {
    public static final double RELATIVE = 2e-4;
    public static final double ABSOLUTE = 1e-6;
    /** About 170 roundings of 2⁻²⁴: √n·2⁻²⁴ for n up to 3·10⁴ terms. */
    public static final double PER_TERM = 1e-5;

    private Agreement() {}

    /** max |actual − expected| / (max |expected| + ABSOLUTE / RELATIVE): at most {@link #RELATIVE} when they agree (NaN fails). */
    public static double error(double[] actual, double[] expected) {
        return error(actual, expected, null);
    }

    /**
     * The largest error in units of the bound, times {@link #RELATIVE} (so at most RELATIVE when they
     * agree, as without magnitudes); {@code magnitude} may be null.
     */
    public static double error(double[] actual, double[] expected, double[] magnitude) {
        if (actual.length != expected.length || magnitude != null && magnitude.length != expected.length) {
            throw new IllegalArgumentException(actual.length + " values against " + expected.length);
        }
        double max = 0;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        double scale = RELATIVE * max + ABSOLUTE;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            double bound = scale + (magnitude == null ? 0 : PER_TERM * magnitude[i]);
            worst = Math.max(worst, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d / bound);
        }
        return worst * RELATIVE;
    }

    public static boolean agree(double[] actual, double[] expected, double[] magnitude) {
        return error(actual, expected, magnitude) <= RELATIVE;
    }
}
