package org.sepnet.testing;

import java.util.SplittableRandom;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;

/** Random test data. */
public final class Data {
    private Data() {}

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
