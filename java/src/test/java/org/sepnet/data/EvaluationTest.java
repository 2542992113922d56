package org.sepnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Top-1, top-5, per-class accuracy and the confusion matrix on hand-made scores, ties and NaN included. */
class EvaluationTest {
    @Test
    void countsAsRanked() {
        Evaluation e = new Evaluation(6);
        float nan = Float.NaN;
        float[] scores = {
            9, 1, 2, 3, 4, 5,        // label 0: first
            9, 8, 7, 6, 5, 4,        // label 5: sixth (not in the top 5)
            1, 1, 1, 1, 1, 1,        // label 2: tied with 0 and 1 ranked first by index: third
            0, 9, 9, 0, 0, 0,        // label 2: tied with 1, which has the lower index: second
            nan, nan, nan, nan, nan, nan, // label 3: no prediction
            5, nan, 4, 3, 2, 1,      // label 1: its score is NaN: wrong everywhere
        };
        e.add(scores, new int[] {0, 5, 2, 2, 3, 1}, 6);
        assertEquals(6, e.images());
        assertEquals(1 / 6.0, e.top1(), 1e-12);
        assertEquals(3 / 6.0, e.top5(), 1e-12);
        assertEquals(1, e.unpredicted());
        long[][] m = e.confusion();
        assertEquals(1, m[0][0]);
        assertEquals(1, m[5][0]);
        assertEquals(1, m[2][0]);
        assertEquals(1, m[2][1]);
        assertEquals(1, m[1][0]);
        assertArrayEquals(new double[] {1, 0, 0, 0, Double.NaN, 0}, e.perClass(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> e.add(new float[6], new int[] {6}, 1));
        assertThrows(IllegalArgumentException.class, () -> e.add(new float[5], new int[] {0}, 1));
    }
}
