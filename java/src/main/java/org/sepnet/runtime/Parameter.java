package org.sepnet.runtime;

/**
 * One learnable array of a {@link TrainingGraph}: its layer, kind ({@code weights}, {@code bias},
 * {@code alpha}, {@code gamma}, {@code beta}, {@code pointwise}, or {@code signs}), values and the
 * gradient of the last backward pass. Pattern signs are listed, always frozen and without a
 * gradient: refining trains everything around them.
 */
public final class Parameter {
    private final String layer;
    private final String kind;
    private final double[] value;
    private final double[] grad;
    private final boolean alwaysFrozen;
    private boolean trainable;
    private double[] magnitude;

    Parameter(String layer, String kind, double[] value, boolean alwaysFrozen) {
        this.layer = layer;
        this.kind = kind;
        this.value = value;
        this.grad = alwaysFrozen ? null : new double[value.length];
        this.alwaysFrozen = alwaysFrozen;
        this.trainable = !alwaysFrozen;
    }

    /** The name of the layer it belongs to. */
    public String layer() {
        return layer;
    }

    public String kind() {
        return kind;
    }

    /** {@code layer/kind}, e.g. {@code stage1.0.conv1/alpha}. */
    public String name() {
        return layer + "/" + kind;
    }

    /** The values, live: an optimizer updates them in place. */
    public double[] value() {
        return value;
    }

    /** ∂L/∂value of the last backward pass (zeros before any); null for pattern signs. */
    public double[] grad() {
        return grad;
    }

    /**
     * For each gradient value of the last backward pass on the reference, Σ|terms| of the sum that
     * gave it, where the reference measures it (α: Σ|dy·z|), else null: the scale of a float
     * backend's rounding of that sum, which cancellation can leave far above the value itself.
     */
    public double[] magnitude() {
        return magnitude;
    }

    /** {@link #magnitude()}'s array, created on first use, for a reference kernel to fill. */
    double[] magnitudeToFill() {
        if (magnitude == null) {
            magnitude = new double[value.length];
        }
        return magnitude;
    }

    public boolean trainable() {
        return trainable;
    }

    /** Whether it can never train (pattern signs). */
    public boolean alwaysFrozen() {
        return alwaysFrozen;
    }

    /**
     * Freezes or unfreezes it.
     *
     * @throws IllegalArgumentException when unfreezing pattern signs
     */
    public void setTrainable(boolean trainable) {
        if (trainable && alwaysFrozen) {
            throw new IllegalArgumentException(name() + " holds pattern signs, which stay frozen; refine trains alpha, biases and the"
                    + " float layers around them");
        }
        this.trainable = trainable;
    }

    @Override
    public String toString() {
        return name() + " [" + value.length + "]" + (trainable ? "" : " frozen");
    }
}
