package org.sepnet.runtime;

/**
 * How closely a float backend's gradients must follow the reference twins' (double). Per array,
 * |backend − reference| ≤ relative · max |reference| + absolute (+ perTerm · Σ|terms| where the
 * reference measured the sums' terms, {@link Parameter#magnitude()}: α's gradient Σ dy·z nearly
 * cancels before a batch norm, which is invariant to its input's scale but for ε, so its value can
 * be 1e-6 of its terms).
 *
 * <p>{@link #LAYER}, one layer on its own: 2e-4 relative + 1e-6 + 1e-5 of the terms. Float sums of
 * n terms err by at most n·2⁻²⁴ relative to Σ|terms| (6e-5 at n = 1000) and by about √n·2⁻²⁴
 * typically; the losses here are of order 1 and gradients of order 1e-4 to 1, and the absolute term
 * covers gradients that are 0 in exact arithmetic (a bias before batch norm), where float leaves
 * the rounding of sums whose terms add up to about 1. A wrong tap, flip, stride or scale errs by
 * order 1.
 *
 * <p>{@link #NETWORK}, every array of a whole network: ten times that. The float forward pass
 * drifts from the double one layer by layer (the whole-network inference checks allow 1e-3 of the
 * largest output for the same reason), and every gradient is a product of those activations:
 * measured up to 5.7e-4 relative on SEP-Net-B small at 3×64×64 (about 60 layers from input to
 * logits) and 2e-4 on its classifier's weights. The layers' own kernels are held to {@link #LAYER}
 * by the conformance tests; a network check catches wiring (a wrong branch, order or shape errs by
 * order 1). See docs/training.md.
 */
public final class Agreement {
    public static final Agreement LAYER = new Agreement(2e-4, 1e-6, 1e-5);
    public static final Agreement NETWORK = new Agreement(2e-3, 1e-5, 1e-4);

    private final double relative;
    private final double absolute;
    private final double perTerm;

    private Agreement(double relative, double absolute, double perTerm) {
        this.relative = relative;
        this.absolute = absolute;
        this.perTerm = perTerm;
    }

    /** The bound relative to an array's largest reference value. */
    public double relative() {
        return relative;
    }

    /**
     * The largest error in units of the bound, times {@link #relative()}: at most relative() when they
     * agree (so it reads as a relative error); {@code magnitude} may be null; NaN fails.
     */
    public double error(double[] actual, double[] expected, double[] magnitude) {
        if (actual.length != expected.length || magnitude != null && magnitude.length != expected.length) {
            throw new IllegalArgumentException(actual.length + " values against " + expected.length);
        }
        double max = 0;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        double scale = relative * max + absolute;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            double bound = scale + (magnitude == null ? 0 : perTerm * magnitude[i]);
            worst = Math.max(worst, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d / bound);
        }
        return worst * relative;
    }

    public boolean agree(double[] actual, double[] expected, double[] magnitude) {
        return error(actual, expected, magnitude) <= relative;
    }
}
