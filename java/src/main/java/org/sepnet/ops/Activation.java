package org.sepnet.ops;

/** Activation fused into an op's epilogue. */
public enum Activation {
    /** Identity. */
    NONE,
    /** max(x, 0). */
    RELU;

    /** Applies the activation to one value. */
    public float apply(float v) {
        return this == RELU && v < 0 ? 0f : v;
    }

    /** Applies the activation to one value. */
    public double apply(double v) {
        return this == RELU && v < 0 ? 0.0 : v;
    }
}
