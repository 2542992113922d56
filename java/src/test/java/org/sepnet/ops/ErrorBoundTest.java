package org.sepnet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErrorBoundTest {
    @Test
    void gammaFollowsHigham() {
        double u = Math.scalb(1.0, -24);
        assertEquals(10 * u / (1 - 10 * u), ErrorBound.gamma(10), 1e-22);
        assertThrows(IllegalArgumentException.class, () -> ErrorBound.gamma(1L << 24));
    }

    @Test
    void passesRoundingAndCatchesAMissingTerm() {
        // 100 terms of 0.01 in float: the fp32 sum differs from the exact 1.0 by rounding only.
        float s = 0;
        for (int i = 0; i < 100; i++) {
            s += 0.01f;
        }
        float[] ref = {1.0f};
        float[] abs = {1.0f};
        assertTrue(ErrorBound.compare(new float[] {s}, ref, abs, 100).passed());
        // Missing one term: off by 0.01, far outside gamma_104 * 1.0 = 6.2e-6.
        ErrorBound.Result r = ErrorBound.compare(new float[] {0.99f}, ref, abs, 100);
        assertFalse(r.passed());
        assertEquals(1, r.bad());
        assertTrue(r.maxRatio() > 1000, "ratio " + r.maxRatio());
    }

    @Test
    void nonFiniteOutputsFailAndAreCounted() {
        ErrorBound.Result r = ErrorBound.compare(new float[] {1f, Float.NaN, 0f}, new float[] {1f, 2f, 0f},
                new float[] {1f, 2f, 1f}, 4);
        assertFalse(r.passed());
        assertEquals(1, r.nonFinite());
        assertEquals(1, r.worstIndex());
        assertEquals(1, r.zeros());
    }
}
