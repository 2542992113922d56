package org.sepnet.layers;

import org.sepnet.ops.BatchNormParams;
import org.sepnet.tensor.Shape;

/**
 * Inference batch normalization over channels (dimension 0 of the feature shape). When it follows a
 * convolution, {@link Folding} folds it into that convolution's weights and bias (or into α).
 */
public final class BatchNorm extends Layer {
    private final BatchNormParams params;

    public BatchNorm(String name, BatchNormParams params) {
        super(name);
        this.params = params;
    }

    /** Identity statistics: γ = 1, β = 0, μ = 0, σ² = 1, ε = 1e-5. */
    public static BatchNorm identity(String name, int channels) {
        float[] ones = new float[channels];
        java.util.Arrays.fill(ones, 1f);
        return new BatchNorm(name, new BatchNormParams(ones, new float[channels], new float[channels], ones, 1e-5f));
    }

    public BatchNormParams params() {
        return params;
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.batchNorm(this);
    }

    @Override
    public String type() {
        return "bn";
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.dim(0) != params.channels()) {
            throw new IllegalArgumentException("layer " + name() + " normalizes " + params.channels() + " channels; got input " + input);
        }
        return input;
    }

    /** γ and β per channel (running statistics are not counted). */
    @Override
    public long paperParams() {
        return 2L * params.channels();
    }

    @Override
    public long storedParams() {
        return 4L * params.channels();
    }

    @Override
    public long bytes() {
        return 16L * params.channels();
    }
}
