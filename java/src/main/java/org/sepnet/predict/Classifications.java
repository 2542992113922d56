package org.sepnet.predict;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One image's classes, most probable first: each with its index, label and softmax probability,
 * and the raw logits they came from. A NaN logit gives NaN probabilities and ranks last.
 */
public final class Classifications {
    /** One class: its index in the model's output, its name, and its probability. */
    public record Classification(int index, String label, double probability) {}

    private final List<Classification> ranked;
    private final float[] logits;

    Classifications(float[] logits, List<String> labels) {
        this.logits = logits.clone();
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        List<Classification> all = new ArrayList<>(logits.length);
        for (int i = 0; i < logits.length; i++) {
            all.add(new Classification(i, i < labels.size() ? labels.get(i) : String.valueOf(i), e[i] / sum));
        }
        // Higher logit first, ties to the lower index, NaN last: the order Evaluation ranks by.
        all.sort(Comparator.comparingDouble((Classification c) -> Float.isNaN(logits[c.index()]) ? Double.NEGATIVE_INFINITY
                : logits[c.index()]).reversed().thenComparingInt(Classification::index));
        this.ranked = List.copyOf(all);
    }

    /** The most probable class. */
    public Classification best() {
        return ranked.get(0);
    }

    /** The {@code k} most probable classes (all of them when k is larger), most probable first. */
    public List<Classification> topK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k " + k + "; expected at least 1");
        }
        return ranked.subList(0, Math.min(k, ranked.size()));
    }

    /** Every class, most probable first. */
    public List<Classification> all() {
        return ranked;
    }

    /** The model's raw outputs for this image, by class index. */
    public float[] logits() {
        return logits.clone();
    }

    @Override
    public String toString() {
        Classification b = best();
        return String.format("%s (%.4f)", b.label(), b.probability());
    }
}
