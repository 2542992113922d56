package org.sepnet.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Int8WeightsTest {
    @Test
    void symmetricPerChannelScalesAndRounding() {
        ConvWeights w = new ConvWeights(2, 1, 1, 3, new float[] {1.27f, -0.636f, 0.001f, 0, 0, 0}, new float[] {5, 6});
        Int8Weights q = Int8Weights.quantize(w);
        assertEquals(0.01f, q.scales()[0], 1e-7f);
        assertEquals(0f, q.scales()[1], "a zero channel gets scale 0");
        assertArrayEquals(new byte[] {127, -64, 0, 0, 0, 0}, q.values());
        ConvWeights d = q.dequantized();
        assertEquals(1.27f, d.weight(0, 0, 0, 0), 1e-6f);
        assertEquals(-0.64f, d.weight(0, 0, 0, 1), 1e-6f);
        assertArrayEquals(new float[] {5, 6}, d.bias(), "bias stays float");
        assertEquals(6 + 8 + 8, q.bytes());
    }

    @Test
    void errorIsAtMostHalfAStep() {
        ConvWeights w = ConvWeights.random(8, 5, 3, 3, false, 3);
        Int8Weights q = Int8Weights.quantize(w);
        ConvWeights d = q.dequantized();
        for (int o = 0; o < 8; o++) {
            float s = q.scales()[o];
            for (int c = 0; c < 5; c++) {
                for (int y = 0; y < 3; y++) {
                    for (int x = 0; x < 3; x++) {
                        assertTrue(Math.abs(w.weight(o, c, y, x) - d.weight(o, c, y, x)) <= s / 2 + 1e-7, "o " + o);
                    }
                }
            }
        }
        Int8Weights back = Int8Weights.of(8, 5, 3, 3, q.values(), q.scales(), null);
        assertEquals(d, back.dequantized(), "stored values rebuild the same weights");
    }

    @Test
    void rejectsInvalidStoredValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8Weights.of(1, 1, 1, 2, new byte[] {0, -128}, new float[] {1}, null));
        assertTrue(e.getMessage().contains("-128"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Weights.of(1, 1, 1, 2, new byte[] {0, 1}, new float[] {-1}, null));
        assertTrue(e.getMessage().contains("scale[0] is -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Weights.of(2, 1, 1, 2, new byte[3], new float[2], null));
        assertTrue(e.getMessage().contains("3 values"), e.getMessage());
    }
}
