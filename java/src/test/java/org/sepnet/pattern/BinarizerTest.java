package org.sepnet.pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.testing.Seeds;

class BinarizerTest {
    @Test
    void signsFollowWeightsWithZeroPositive() {
        ConvWeights w = new ConvWeights(1, 1, 2, 2, new float[] {0.5f, -0.25f, 0f, -0f}, null);
        PatternWeights p = Binarizer.binarize(w);
        assertEquals(1, p.sign(0, 0, 0, 0));
        assertEquals(-1, p.sign(0, 0, 0, 1));
        assertEquals(1, p.sign(0, 0, 1, 0), "W = 0 maps to +1");
        assertEquals(1, p.sign(0, 0, 1, 1), "W = -0.0 is not < 0, so +1");
    }

    @Test
    void perFilterAlphaIsTheMeanAbsoluteValue() {
        ConvWeights w = new ConvWeights(2, 1, 1, 3, new float[] {1, -2, 3, -0.5f, 0.25f, 0.25f}, new float[] {7, 8});
        PatternWeights p = Binarizer.binarize(w);
        assertEquals(2f, p.alpha(0));
        assertEquals((float) (1.0 / 3), p.alpha(1));
        assertEquals(7f, p.bias()[0], "bias carried over");
    }

    @Test
    void globalAlphaIsUsedForEveryFilter() {
        ConvWeights w = ConvWeights.random(5, 4, 3, 3, false, Seeds.of("global"));
        PatternWeights p = Binarizer.binarize(w, Alpha.global(0.09f));
        for (int o = 0; o < 5; o++) {
            assertEquals(0.09f, p.alpha(o));
        }
        assertEquals(Binarizer.binarize(w).bits().length, p.bits().length);
        assertTrue(java.util.Arrays.equals(Binarizer.binarize(w).bits(), p.bits()), "same signs in both modes");
    }

    @Test
    void perFilterAlphaMinimisesTheError() {
        String name = "alpha_optimal";
        ConvWeights w = ConvWeights.random(16, 31, 3, 3, false, Seeds.of(name));
        PatternWeights best = Binarizer.binarize(w);
        for (int o = 0; o < 16; o++) {
            double e = QuantizationError.filterError(w, best, o);
            for (double d : new double[] {-0.1, -0.01, -0.001, 0.001, 0.01, 0.1}) {
                float[] alpha = best.alpha();
                alpha[o] *= (float) (1 + d);
                double perturbed = QuantizationError.filterError(w, best.withAlpha(alpha), o);
                assertTrue(perturbed > e, "filter " + o + ": alpha*(1" + (d > 0 ? "+" : "") + d + ") gives " + perturbed
                        + ", not above " + e + " " + Seeds.replay(name));
            }
            // Closed form for the optimum: ||W||^2 - n*alpha^2.
            double norm = 0;
            for (int c = 0; c < 31; c++) {
                for (int y = 0; y < 3; y++) {
                    for (int x = 0; x < 3; x++) {
                        norm += (double) w.weight(o, c, y, x) * w.weight(o, c, y, x);
                    }
                }
            }
            double a = best.alpha(o);
            assertEquals(norm - 31 * 9 * a * a, e, 1e-6 * norm, Seeds.replay(name));
        }
    }

    @Test
    void quantizationErrorStatisticsByKernelSize() {
        // W = [1, -3] as one 1x1 filter of two channels: alpha = 2, error (1-2)^2 + (-3+2)^2 = 2.
        ConvWeights w1 = new ConvWeights(1, 2, 1, 1, new float[] {1, -3}, null);
        // Two 1-channel 3x3 filters: all 1 (error 0), and [2 x 1, 7 x 0]: alpha = 2/9.
        float[] v = new float[18];
        java.util.Arrays.fill(v, 0, 9, 1f);
        v[9] = 2;
        ConvWeights w3 = new ConvWeights(2, 1, 3, 3, v, null);
        QuantizationError q = new QuantizationError().add(w1, Alpha.perFilter()).add(w3, Alpha.perFilter());
        List<QuantizationError.Row> rows = q.rows();
        assertEquals(2, rows.size());
        QuantizationError.Row r1 = rows.get(0);
        assertEquals("1x1", r1.kernel());
        assertEquals(1, r1.filters());
        assertEquals(2.0, r1.meanFilterError(), 1e-12);
        assertEquals(1.0, r1.meanSquaredError(), 1e-12);
        assertEquals(1.0, r1.meanKernelError(), 1e-12, "a 1x1 kernel is one weight");
        assertEquals(0.2, r1.relativeError(), 1e-12);
        QuantizationError.Row r3 = rows.get(1);
        assertEquals("3x3", r3.kernel());
        double a = (float) (2.0 / 9);
        double e2 = (2 - a) * (2 - a) + 8 * a * a;
        assertEquals(e2 / 2, r3.meanFilterError(), 1e-6);
        assertEquals(e2 / 18, r3.meanSquaredError(), 1e-6);
        assertEquals(e2 / 2, r3.meanKernelError(), 1e-6, "two 3x3 kernels (one input channel each)");
        assertEquals(e2 / (9 + 4), r3.relativeError(), 1e-6);
    }

    @Test
    void alphaModesParseAndValidate() {
        assertEquals(Alpha.perFilter(), Alpha.parse("per-filter"));
        assertEquals(Alpha.global(0.09f), Alpha.parse("global:0.09"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Alpha.parse("global:x"));
        assertTrue(e.getMessage().contains("'x' is not a number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Alpha.parse("mean"));
        assertTrue(e.getMessage().contains("per-filter or global:X"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Alpha.global(-1));
        assertTrue(e.getMessage().contains("-1.0"), e.getMessage());
    }

    @Test
    void mismatchedWeightsAreRejected() {
        ConvWeights w = ConvWeights.random(2, 3, 3, 3, false, 1);
        PatternWeights p = Binarizer.binarize(ConvWeights.random(2, 3, 5, 5, false, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QuantizationError().add(w, p));
        assertTrue(e.getMessage().contains("do not match"), e.getMessage());
    }
}
