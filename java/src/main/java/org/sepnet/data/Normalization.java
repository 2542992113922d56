package org.sepnet.data;

import java.util.Arrays;

/**
 * Per-channel input normalization, x' = (x − mean[c]) / std[c], with the statistics of a training
 * set ({@link ImageSet#statistics()}), so evaluation and inference apply exactly what training did.
 */
public record Normalization(float[] mean, float[] std) {
    public Normalization {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException(mean.length + " means and " + std.length + " deviations; expected one of each per channel");
        }
        for (int c = 0; c < std.length; c++) {
            if (!(std[c] > 0) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("channel " + c + ": mean " + mean[c] + ", deviation " + std[c]
                        + "; expected finite values and a positive deviation");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    public int channels() {
        return mean.length;
    }

    /** Normalizes {@code count} images of {@code channels() × plane} values in place, from {@code offset}. */
    public void apply(float[] x, int offset, int count, int plane) {
        int channels = mean.length;
        for (int n = 0; n < count; n++) {
            for (int c = 0; c < channels; c++) {
                int base = offset + (n * channels + c) * plane;
                float m = mean[c];
                float s = std[c];
                for (int j = 0; j < plane; j++) {
                    x[base + j] = (x[base + j] - m) / s;
                }
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
