package org.sepnet.data;

/**
 * Classification accuracy from logits (or probabilities: any scores that rank the classes): top-1
 * and top-5, per-class top-1 and the confusion matrix, accumulated batch by batch. A class ranks
 * above another when its score is greater, or equal with a lower index; a NaN score ranks below
 * every number, so an image whose true class scores NaN is wrong and an image with only NaN scores
 * has no prediction (counted in {@link #unpredicted()}, in no confusion-matrix column).
 */
public final class Evaluation {
    private final int classes;
    private final long[][] confusion;
    private final long[] perClass;
    private long images;
    private long top1;
    private long top5;
    private long unpredicted;

    public Evaluation(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes " + classes + "; expected at least 1");
        }
        this.classes = classes;
        this.confusion = new long[classes][classes];
        this.perClass = new long[classes];
    }

    /** Adds {@code count} images: {@code scores} [count, classes] flat, their true {@code labels}. */
    public void add(float[] scores, int[] labels, int count) {
        if (scores.length < (long) count * classes || labels.length < count) {
            throw new IllegalArgumentException(count + " images need " + (long) count * classes + " scores and " + count + " labels; got "
                    + scores.length + " and " + labels.length);
        }
        for (int n = 0; n < count; n++) {
            int label = labels[n];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " of image " + n + "; expected 0 to " + (classes - 1));
            }
            int base = n * classes;
            float truth = scores[base + label];
            int above = 0;
            int best = -1;
            for (int c = 0; c < classes; c++) {
                float s = scores[base + c];
                if (!Float.isNaN(s) && (best < 0 || s > scores[base + best])) {
                    best = c;
                }
                if (Float.isNaN(truth) ? !Float.isNaN(s) || c < label : s > truth || s == truth && c < label) {
                    above++;
                }
            }
            images++;
            perClass[label]++;
            if (Float.isNaN(truth)) {
                above = Math.max(above, 5);  // never in the top 5
            }
            top1 += above == 0 ? 1 : 0;
            top5 += above < 5 ? 1 : 0;
            if (best < 0) {
                unpredicted++;
            } else {
                confusion[label][best]++;
            }
        }
    }

    public long images() {
        return images;
    }

    /** Share of images whose true class ranks first (0 with no images). */
    public double top1() {
        return images == 0 ? 0 : (double) top1 / images;
    }

    /** Share of images whose true class ranks among the first five (all of them with five classes or fewer). */
    public double top5() {
        return images == 0 ? 0 : (double) top5 / images;
    }

    /** Per true class, the share of its images predicted as it (NaN for a class with no images). */
    public double[] perClass() {
        double[] a = new double[classes];
        for (int c = 0; c < classes; c++) {
            a[c] = perClass[c] == 0 ? Double.NaN : (double) confusion[c][c] / perClass[c];
        }
        return a;
    }

    /** confusion[true][predicted] image counts (a copy). */
    public long[][] confusion() {
        long[][] m = new long[classes][];
        for (int c = 0; c < classes; c++) {
            m[c] = confusion[c].clone();
        }
        return m;
    }

    /** Images with only NaN scores. */
    public long unpredicted() {
        return unpredicted;
    }
}
