package org.sepnet.pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.testing.Seeds;

/** Each convention of the storage format, one test each. */
class PatternWeightsTest {
    private static PatternWeights single(int o, int c, int kh, int kw, int negO, int negC, int negY, int negX) {
        boolean[] neg = new boolean[o * c * kh * kw];
        neg[((negO * c + negC) * kh + negY) * kw + negX] = true;
        float[] alpha = new float[o];
        java.util.Arrays.fill(alpha, 1f);
        return PatternWeights.pack(o, c, kh, kw, neg, alpha, null);
    }

    @Test
    void bitOneMeansNegative() {
        PatternWeights p = single(1, 1, 3, 3, 0, 0, 0, 0);
        assertEquals(1, p.bits()[0]);
        assertTrue(p.isNegative(0, 0, 0, 0));
        assertEquals(-1, p.sign(0, 0, 0, 0));
        assertEquals(1, p.sign(0, 0, 0, 1));
    }

    @Test
    void signsAreRowMajorOverChannelRowColumnAndLeastSignificantBitFirst() {
        // (c=1, y=2, x=0) in a 3x3 filter with 2 channels: i = (1*3 + 2)*3 + 0 = 15.
        assertEquals(1 << 15, single(1, 2, 3, 3, 0, 1, 2, 0).bits()[0]);
        // (c=0, y=0, x=2): i = 2.
        assertEquals(1 << 2, single(1, 2, 3, 3, 0, 0, 0, 2).bits()[0]);
        // Bit 31 is the last bit of word 0; i = 32 is bit 0 of word 1 (c=3, y=1, x=2 in 3x3 with 4 channels: 27+3+2).
        PatternWeights p = single(1, 4, 3, 3, 0, 3, 1, 2);
        assertArrayEquals(new int[] {0, 1}, p.bits());
        p = single(1, 4, 3, 3, 0, 3, 1, 1);
        assertArrayEquals(new int[] {1 << 31, 0}, p.bits());
    }

    @ParameterizedTest(name = "c={0} k={1}: {2} words per filter")
    @CsvSource({"1,3,1", "3,3,1", "31,3,9", "32,3,9", "33,3,10", "1,5,1", "31,5,25", "32,5,25", "33,5,26", "64,3,18", "65,3,19"})
    void eachFilterRowIsPaddedToWholeWords(int c, int k, int words) {
        assertEquals(words, PatternWeights.wordsPerFilter(c, k, k));
        // The last sign of filter 0 and the first of filter 1 land in different rows.
        PatternWeights p = single(2, c, k, k, 1, 0, 0, 0);
        assertEquals(words, p.wordsPerFilter());
        assertEquals(2 * words, p.bits().length);
        assertEquals(1, p.bits()[words], "filter 1 starts at word " + words);
        for (int i = 0; i < words; i++) {
            assertEquals(0, p.bits()[i]);
        }
    }

    @ParameterizedTest(name = "c={0} k={1}")
    @CsvSource({"1,3", "3,3", "31,3", "32,3", "33,3", "1,5", "33,5", "96,3"})
    void unusedBitsAreZeroAndSignsRoundTrip(int c, int k) {
        String name = "roundtrip_c" + c + "_k" + k;
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        int o = 3;
        boolean[] neg = new boolean[o * c * k * k];
        for (int i = 0; i < neg.length; i++) {
            neg[i] = true; // all negative: every used bit set, so any set padding bit would show
        }
        neg[r.nextInt(neg.length)] = false;
        float[] alpha = {0.5f, 1f, 2f};
        PatternWeights p = PatternWeights.pack(o, c, k, k, neg, alpha, null);
        int used = c * k * k % 32;
        if (used != 0) {
            int last = p.bits()[p.wordsPerFilter() - 1];
            assertEquals(0, last & (-1 << used), "padding bits of filter 0 " + Seeds.replay(name));
        }
        ConvWeights w = p.toConvWeights();
        for (int f = 0; f < o; f++) {
            for (int ci = 0; ci < c; ci++) {
                for (int y = 0; y < k; y++) {
                    for (int x = 0; x < k; x++) {
                        boolean n = neg[((f * c + ci) * k + y) * k + x];
                        assertEquals(n, p.isNegative(f, ci, y, x), Seeds.replay(name));
                        assertEquals(n ? -alpha[f] : alpha[f], w.weight(f, ci, y, x), Seeds.replay(name));
                    }
                }
            }
        }
    }

    @Test
    void rejectsSetPaddingBitsAsCorrupt() {
        int[] bits = {1 << 9}; // 1 channel 3x3 uses bits 0..8
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PatternWeights(1, 1, 3, 3, bits, new float[] {1}, null));
        assertTrue(e.getMessage().contains("padding bits 9..31") && e.getMessage().contains("0x00000200"), e.getMessage());
    }

    @Test
    void rejectsWrongArrayLengthsAndNonFiniteAlpha() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PatternWeights(2, 33, 3, 3, new int[19], new float[2], null));
        assertTrue(e.getMessage().contains("19 words") && e.getMessage().contains("expected 20"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PatternWeights(2, 1, 3, 3, new int[2], new float[3], null));
        assertTrue(e.getMessage().contains("alpha has 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PatternWeights(1, 1, 3, 3, new int[1], new float[] {Float.POSITIVE_INFINITY}, null));
        assertTrue(e.getMessage().contains("alpha[0] is Infinity"), e.getMessage());
    }

    @Test
    void signBitMatchesIeeeSignSoOneXorAppliesIt() {
        PatternWeights p = single(1, 1, 3, 3, 0, 0, 1, 1);
        float x = 0.75f;
        for (int i = 0; i < 9; i++) {
            int bit = p.bits()[0] >>> i & 1;
            float applied = Float.intBitsToFloat(Float.floatToRawIntBits(x) ^ (bit << 31));
            assertEquals(p.sign(0, 0, i / 3, i % 3) * x, applied);
        }
    }

    @Test
    void codesAreThePapersPerSliceView() {
        // Slice (o=1, c=2) of a 3x3 filter: negatives at (0,1) and (2,2) give code bits 1 and 8.
        int o = 2;
        int c = 3;
        boolean[] neg = new boolean[o * c * 9];
        neg[((1 * c + 2) * 3 + 0) * 3 + 1] = true;
        neg[((1 * c + 2) * 3 + 2) * 3 + 2] = true;
        neg[((0 * c + 2) * 3 + 0) * 3 + 0] = true;
        PatternWeights p = PatternWeights.pack(o, c, 3, 3, neg, new float[] {1, 1}, null);
        assertEquals((1L << 1) | (1L << 8), p.code(1, 2));
        assertEquals(1L, p.code(0, 2));
        assertEquals(0L, p.code(1, 0));
        assertEquals(o * c, p.paperParameterCount());
    }

    @Test
    void storedBytesCountWordsAlphaAndBias() {
        PatternWeights p = PatternWeights.pack(4, 33, 3, 3, new boolean[4 * 33 * 9], new float[4], new float[4]);
        assertEquals(4L * (4 * 10 + 4 + 4), p.storedBytes());
    }
}
