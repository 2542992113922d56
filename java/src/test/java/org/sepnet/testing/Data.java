package org.sepnet.testing;

import java.util.SplittableRandom;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;

/** Random test data. */
public final class Data {
    private Data() {}

    /** {@code count} 8×8 gray images of 8-bit pixels, back to back, and their labels. */
    public record Squares(byte[] pixels, byte[] labels) {}

    /**
     * Images a small network learns in a few epochs: noise below 80, plus a bright 3×3 square at the
     * top left, the centre or the bottom right by class (0, 1, 2). A horizontal flip moves the square
     * to another class's place, so train on them without flips.
     */
    public static Squares squares(int count, SplittableRandom r) {
        byte[] pixels = new byte[count * 64];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int c = r.nextInt(3);
            labels[i] = (byte) c;
            for (int j = 0; j < 64; j++) {
                pixels[i * 64 + j] = (byte) r.nextInt(80);
            }
            for (int y = 2 * c + 1; y < 2 * c + 4; y++) {
                for (int x = 2 * c + 1; x < 2 * c + 4; x++) {
                    pixels[i * 64 + y * 8 + x] = (byte) (180 + r.nextInt(76));
                }
            }
        }
        return new Squares(pixels, labels);
    }

    /** Uniform values in [−1, 1). */
    public static float[] uniform(int count, SplittableRandom r) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** Random float weights, with a bias when {@code bias}. */
    public static ConvWeights weights(int o, int c, int kh, int kw, boolean bias, SplittableRandom r) {
        return ConvWeights.random(o, c, kh, kw, bias, r.nextLong());
    }

    /** Random binarized weights (random signs and α), with a bias when {@code bias}. */
    public static PatternWeights pattern(int o, int c, int kh, int kw, boolean bias, SplittableRandom r) {
        return Binarizer.binarize(weights(o, c, kh, kw, bias, r));
    }

    /** Element-wise absolute values. */
    public static float[] abs(float[] v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }
}
