package org.sepnet.pattern;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sepnet.tensor.ConvWeights;

/**
 * Quantization error of pattern binarization, the paper's analysis: for each filter
 * E_o = ‖W_o − α_o·B_o‖²_F, aggregated per kernel size.
 *
 * <p>Add every (float, binarized) pair of a network with {@link #add}, then read one {@link Row}
 * per kernel size from {@link #rows()}.
 */
public final class QuantizationError {
    private final Map<String, double[]> byKernel = new TreeMap<>();

    /**
     * One kernel size's statistics.
     *
     * @param kernel {@code "3x3"}
     * @param filters output filters seen
     * @param weights weights seen
     * @param meanFilterError mean over filters of ‖W_o − α_o·B_o‖² (the paper's E)
     * @param meanKernelError ‖W − αB‖² / (weights / (kh·kw)): mean over the 2-D k×k kernels (one
     *                        input channel of one filter each); for 1×1 the same as per weight
     * @param meanSquaredError ‖W − αB‖² / weights: mean squared error per weight
     * @param relativeError ‖W − αB‖² / ‖W‖² over all filters of this size
     */
    public record Row(String kernel, long filters, long weights, double meanFilterError, double meanKernelError,
                      double meanSquaredError, double relativeError) {}

    /** ‖W_o − α_o·B_o‖² of filter {@code o}. */
    public static double filterError(ConvWeights w, PatternWeights p, int o) {
        requireMatching(w, p);
        double e = 0;
        int c = w.inChannelsPerGroup();
        for (int ci = 0; ci < c; ci++) {
            for (int y = 0; y < w.kh(); y++) {
                for (int x = 0; x < w.kw(); x++) {
                    double d = w.weight(o, ci, y, x) - (double) p.alpha(o) * p.sign(o, ci, y, x);
                    e += d * d;
                }
            }
        }
        return e;
    }

    /** Adds every filter of a layer: its float weights and their binarized form. */
    public QuantizationError add(ConvWeights w, PatternWeights p) {
        requireMatching(w, p);
        double[] acc = byKernel.computeIfAbsent(w.kh() + "x" + w.kw(), k -> new double[] {0, 0, 0, 0, w.kh() * w.kw()});
        for (int o = 0; o < w.outChannels(); o++) {
            double norm = 0;
            for (int ci = 0; ci < w.inChannelsPerGroup(); ci++) {
                for (int y = 0; y < w.kh(); y++) {
                    for (int x = 0; x < w.kw(); x++) {
                        double v = w.weight(o, ci, y, x);
                        norm += v * v;
                    }
                }
            }
            acc[0] += 1;
            acc[1] += w.filterSize();
            acc[2] += filterError(w, p, o);
            acc[3] += norm;
        }
        return this;
    }

    /** Binarizes {@code w} with {@code mode} and adds it. */
    public QuantizationError add(ConvWeights w, Alpha mode) {
        return add(w, Binarizer.binarize(w, mode));
    }

    /** One row per kernel size, ordered by name. */
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, double[]> e : byKernel.entrySet()) {
            double[] a = e.getValue();
            rows.add(new Row(e.getKey(), (long) a[0], (long) a[1], a[2] / a[0], a[2] / (a[1] / a[4]), a[2] / a[1],
                    a[3] == 0 ? 0 : a[2] / a[3]));
        }
        return rows;
    }

    private static void requireMatching(ConvWeights w, PatternWeights p) {
        if (w.outChannels() != p.outChannels() || w.inChannelsPerGroup() != p.inChannelsPerGroup()
                || w.kh() != p.kh() || w.kw() != p.kw()) {
            throw new IllegalArgumentException("pattern weights " + p.dims() + " do not match float weights " + w.dims());
        }
    }
}
