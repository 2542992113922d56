package org.sepnet.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Float convolution weights in OIHW order, {@code [outChannels, inChannelsPerGroup, kh, kw]}, with
 * an optional bias of {@code outChannels} values. A fully connected layer is the 1×1 case with
 * {@code inChannelsPerGroup} = input features. Arrays are copied in and out; instances are
 * immutable.
 */
public final class ConvWeights implements Filters {
    private final FilterShape shape;
    private final float[] weights;
    private final float[] bias;

    /**
     * @param weights OIHW values, {@code outChannels * inChannelsPerGroup * kh * kw} of them
     * @param bias {@code outChannels} values, or {@code null} for none
     */
    public ConvWeights(int outChannels, int inChannelsPerGroup, int kh, int kw, float[] weights, float[] bias) {
        FilterShape shape = new FilterShape(outChannels, inChannelsPerGroup, kh, kw);
        long expected = shape.size();
        if (weights == null || weights.length != expected) {
            throw new IllegalArgumentException("weights has " + (weights == null ? "no" : weights.length)
                    + " values; expected " + expected + " for " + shape.dims());
        }
        if (bias != null && bias.length != outChannels) {
            throw new IllegalArgumentException("bias has " + bias.length + " values; expected " + outChannels + " (one per output channel)");
        }
        requireFinite("weights", weights);
        if (bias != null) {
            requireFinite("bias", bias);
        }
        this.shape = shape;
        this.weights = weights.clone();
        this.bias = bias == null ? null : bias.clone();
    }

    /**
     * Random weights, uniform in ±sqrt(3 / fan-in) (unit output variance for unit input variance),
     * and a bias uniform in ±0.1 when {@code withBias}. Deterministic for a given seed.
     */
    public static ConvWeights random(int outChannels, int inChannelsPerGroup, int kh, int kw, boolean withBias, long seed) {
        return random(outChannels, inChannelsPerGroup, kh, kw, withBias, seed, 1.0);
    }

    /** {@link #random} with the weights scaled by {@code gain} (√2 keeps the variance through a ReLU). */
    public static ConvWeights random(int outChannels, int inChannelsPerGroup, int kh, int kw, boolean withBias, long seed,
                                     double gain) {
        SplittableRandom r = new SplittableRandom(seed);
        long count = (long) outChannels * inChannelsPerGroup * kh * kw;
        if (count > Integer.MAX_VALUE - 8 || count < 1) {
            throw new IllegalArgumentException("weights of OIHW [" + outChannels + ", " + inChannelsPerGroup + ", " + kh + ", " + kw + "] do not fit an array");
        }
        float[] w = new float[(int) count];
        double limit = gain * Math.sqrt(3.0 / ((long) inChannelsPerGroup * kh * kw));
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((r.nextDouble() * 2 - 1) * limit);
        }
        float[] b = null;
        if (withBias) {
            b = new float[outChannels];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) ((r.nextDouble() * 2 - 1) * 0.1);
            }
        }
        return new ConvWeights(outChannels, inChannelsPerGroup, kh, kw, w, b);
    }

    @Override
    public FilterShape shape() {
        return shape;
    }

    /** Values per output filter: {@code inChannelsPerGroup * kh * kw}. */
    public int filterSize() {
        return (int) shape.filterSize();
    }

    /** Weight (o, c, y, x). */
    public float weight(int o, int c, int y, int x) {
        return weights[((o * shape.inChannelsPerGroup() + c) * shape.kh() + y) * shape.kw() + x];
    }

    /** All weights, OIHW (a copy). */
    public float[] weights() {
        return weights.clone();
    }

    /** The bias (a copy), or {@code null}. */
    public float[] bias() {
        return bias == null ? null : bias.clone();
    }

    /** Whether a bias is present. */
    public boolean hasBias() {
        return bias != null;
    }

    /** These weights with another bias ({@code null} for none). */
    public ConvWeights withBias(float[] newBias) {
        return new ConvWeights(outChannels(), inChannelsPerGroup(), kh(), kw(), weights, newBias);
    }

    /** |weights| and |bias|: evaluated on |x| this gives the absolute sum that bounds rounding errors. */
    public ConvWeights absolute() {
        float[] w = new float[weights.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.abs(weights[i]);
        }
        float[] b = null;
        if (bias != null) {
            b = new float[bias.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = Math.abs(bias[i]);
            }
        }
        return new ConvWeights(outChannels(), inChannelsPerGroup(), kh(), kw(), w, b);
    }

    @Override
    public String toString() {
        return "ConvWeights " + dims() + (bias != null ? " + bias" : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConvWeights c && c.shape.equals(shape) && Arrays.equals(c.weights, weights) && Arrays.equals(c.bias, bias);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(weights) + Arrays.hashCode(bias);
    }

    static void requireFinite(String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + values[i] + "; expected a finite value");
            }
        }
    }
}
