package org.sepnet.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConvWeightsTest {
    @Test
    void indexesOihw() {
        float[] w = new float[2 * 3 * 2 * 2];
        for (int i = 0; i < w.length; i++) {
            w[i] = i;
        }
        ConvWeights cw = new ConvWeights(2, 3, 2, 2, w, null);
        assertEquals(((1 * 3 + 2) * 2 + 1) * 2 + 0, cw.weight(1, 2, 1, 0));
        assertEquals(12, cw.filterSize());
    }

    @Test
    void rejectsWrongLengthsAndNonFiniteValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConvWeights(2, 3, 3, 3, new float[53], null));
        assertTrue(e.getMessage().contains("53") && e.getMessage().contains("expected 54"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ConvWeights(2, 1, 1, 1, new float[2], new float[3]));
        assertTrue(e.getMessage().contains("bias has 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ConvWeights(1, 1, 1, 2, new float[] {0, Float.NaN}, null));
        assertTrue(e.getMessage().contains("weights[1] is NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ConvWeights(0, 1, 1, 1, new float[0], null));
        assertTrue(e.getMessage().contains("outChannels is 0"), e.getMessage());
    }

    @Test
    void randomIsDeterministicAndScaledByFanIn() {
        ConvWeights a = ConvWeights.random(8, 16, 3, 3, true, 7);
        assertEquals(a, ConvWeights.random(8, 16, 3, 3, true, 7));
        double limit = Math.sqrt(3.0 / (16 * 9));
        for (float v : a.weights()) {
            assertTrue(Math.abs(v) <= limit, "weight " + v + " beyond ±" + limit);
        }
    }
}
