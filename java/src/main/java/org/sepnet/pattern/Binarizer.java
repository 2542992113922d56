package org.sepnet.pattern;

import org.sepnet.tensor.ConvWeights;

/**
 * Pattern binarization of float filters: B_o = +1 where W ≥ 0 and −1 where W &lt; 0, with α
 * chosen by {@link Alpha}. The bias, if any, is carried over unchanged.
 *
 * <p>The SEP-Nets authors' fixed-offset script mapped W &gt; 0 to +offset and everything else to
 * −offset; here W = 0 maps to +1 in both modes (exact zeros are rare in trained weights, and one
 * convention for every mode keeps the format simple).
 */
public final class Binarizer {
    private Binarizer() {}

    /** Binarizes with per-filter α = mean |W_o|. */
    public static PatternWeights binarize(ConvWeights w) {
        return binarize(w, Alpha.perFilter());
    }

    /** Binarizes with the given α mode. */
    public static PatternWeights binarize(ConvWeights w, Alpha mode) {
        int o = w.outChannels();
        int size = w.filterSize();
        float[] values = w.weights();
        boolean[] negative = new boolean[values.length];
        float[] alpha = new float[o];
        for (int f = 0; f < o; f++) {
            double sumAbs = 0;
            for (int i = 0; i < size; i++) {
                float v = values[f * size + i];
                negative[f * size + i] = v < 0;
                sumAbs += Math.abs(v);
            }
            alpha[f] = mode instanceof Alpha.Global g ? g.value() : (float) (sumAbs / size);
        }
        return PatternWeights.pack(o, w.inChannelsPerGroup(), w.kh(), w.kw(), negative, alpha, w.bias());
    }
}
