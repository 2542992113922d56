package org.sepnet.pattern;

import java.util.Arrays;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.FilterShape;
import org.sepnet.tensor.Filters;

/**
 * The weights of a binarized (pattern) convolution: packed sign bits, one float α per output
 * filter and an optional bias. The convolution computes {@code y[o] = α[o] · (B[o] ∗ x) + bias[o]}
 * with {@code B[o]} ∈ {+1, −1}.
 *
 * <h2>Storage format</h2>
 * <ul>
 *   <li>Filters are OIHW: filter {@code o} has {@code c × kh × kw} signs, {@code c} = input channels
 *       of its group ({@code inChannelsPerGroup}).</li>
 *   <li>Sign {@code (o, c, y, x)} is bit {@code i = (c·kh + y)·kw + x} of filter {@code o}'s row:
 *       word {@code o·wordsPerFilter + i / 32}, bit {@code i % 32} of that 32-bit word, counted
 *       from the least significant bit.</li>
 *   <li>Bit value 1 means <b>negative</b> (−1), 0 means +1: the IEEE-754 sign bit, so a kernel
 *       applies a sign with one XOR.</li>
 *   <li>Each filter's row is padded to a whole word: {@code wordsPerFilter = ⌈c·kh·kw / 32⌉}; the
 *       padding bits are 0 (a row with a set padding bit is rejected as corrupt).</li>
 *   <li>{@code alpha} has one finite float per output filter; {@code bias}, when present, too.</li>
 * </ul>
 * The paper's view, one k×k code per (output, input) slice, is {@link #code(int, int)}: the
 * slice's {@code kh·kw} sign bits in the same order and polarity, bit {@code y·kw + x}.
 */
public final class PatternWeights implements Filters {
    private final FilterShape shape;
    private final int wordsPerFilter;
    private final int[] bits;
    private final float[] alpha;
    private final float[] bias;

    /**
     * @param bits {@code outChannels * wordsPerFilter(inChannelsPerGroup, kh, kw)} packed words
     * @param alpha one value per output filter
     * @param bias one value per output filter, or {@code null}
     */
    public PatternWeights(int outChannels, int inChannelsPerGroup, int kh, int kw, int[] bits, float[] alpha, float[] bias) {
        FilterShape shape = new FilterShape(outChannels, inChannelsPerGroup, kh, kw);
        long filterBits = shape.filterSize();
        long words = (filterBits + 31) / 32;
        long expected = words * outChannels;
        if (expected > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("pattern weights " + shape.dims() + " are too large");
        }
        if (bits == null || bits.length != expected) {
            throw new IllegalArgumentException("bits has " + (bits == null ? "no" : bits.length) + " words; expected "
                    + expected + " (" + outChannels + " filters × " + words + " words for " + filterBits + " signs each)");
        }
        if (alpha == null || alpha.length != outChannels) {
            throw new IllegalArgumentException("alpha has " + (alpha == null ? "no" : alpha.length) + " values; expected " + outChannels + " (one per output filter)");
        }
        if (bias != null && bias.length != outChannels) {
            throw new IllegalArgumentException("bias has " + bias.length + " values; expected " + outChannels + " (one per output filter)");
        }
        for (int o = 0; o < outChannels; o++) {
            if (!Float.isFinite(alpha[o])) {
                throw new IllegalArgumentException("alpha[" + o + "] is " + alpha[o] + "; expected a finite value");
            }
            if (bias != null && !Float.isFinite(bias[o])) {
                throw new IllegalArgumentException("bias[" + o + "] is " + bias[o] + "; expected a finite value");
            }
        }
        int used = (int) (filterBits % 32);
        if (used != 0) {
            int padMask = -1 << used;
            for (int o = 0; o < outChannels; o++) {
                int last = bits[(int) (o * words + words - 1)];
                if ((last & padMask) != 0) {
                    throw new IllegalArgumentException(String.format(
                            "filter %d: padding bits %d..31 of its last word are 0x%08x; expected 0 (corrupt bit rows)",
                            o, used, last & padMask));
                }
            }
        }
        this.shape = shape;
        this.wordsPerFilter = (int) words;
        this.bits = bits.clone();
        this.alpha = alpha.clone();
        this.bias = bias == null ? null : bias.clone();
    }

    /**
     * Packs signs: {@code negative[i]} for OIHW index {@code i} (true = −1) into the storage format.
     */
    public static PatternWeights pack(int outChannels, int inChannelsPerGroup, int kh, int kw,
                                      boolean[] negative, float[] alpha, float[] bias) {
        FilterShape shape = new FilterShape(outChannels, inChannelsPerGroup, kh, kw);
        int filterBits = (int) shape.filterSize();
        if (negative.length != shape.size()) {
            throw new IllegalArgumentException("negative has " + negative.length + " signs; expected " + shape.size() + " for " + shape.dims());
        }
        int words = wordsPerFilter(inChannelsPerGroup, kh, kw);
        int[] bits = new int[outChannels * words];
        for (int o = 0; o < outChannels; o++) {
            for (int i = 0; i < filterBits; i++) {
                if (negative[o * filterBits + i]) {
                    bits[o * words + (i >>> 5)] |= 1 << (i & 31);
                }
            }
        }
        return new PatternWeights(outChannels, inChannelsPerGroup, kh, kw, bits, alpha, bias);
    }

    /** 32-bit words per filter row: {@code ⌈inChannelsPerGroup·kh·kw / 32⌉}. */
    public static int wordsPerFilter(int inChannelsPerGroup, int kh, int kw) {
        return (int) (((long) inChannelsPerGroup * kh * kw + 31) / 32);
    }

    @Override
    public FilterShape shape() {
        return shape;
    }

    /** 32-bit words per filter row. */
    public int wordsPerFilter() {
        return wordsPerFilter;
    }

    /** Whether sign (o, c, y, x) is negative (bit = 1). */
    public boolean isNegative(int o, int c, int y, int x) {
        checkIndex(o, c, y, x);
        int i = (c * kh() + y) * kw() + x;
        return (bits[o * wordsPerFilter + (i >>> 5)] >>> (i & 31) & 1) != 0;
    }

    /** Sign (o, c, y, x) as +1 or −1. */
    public int sign(int o, int c, int y, int x) {
        return isNegative(o, c, y, x) ? -1 : 1;
    }

    /**
     * The paper's view: the k×k code of slice (output {@code o}, input channel {@code c} of the
     * group), bit {@code y·kw + x} set where the sign is negative. Needs {@code kh·kw ≤ 64}.
     */
    public long code(int o, int c) {
        if (kh() * kw() > 64) {
            throw new IllegalStateException("a " + kh() + "x" + kw() + " slice has " + kh() * kw() + " signs; codes hold at most 64");
        }
        checkIndex(o, c, 0, 0);
        long code = 0;
        int base = c * kh() * kw();
        for (int j = 0; j < kh() * kw(); j++) {
            int i = base + j;
            if ((bits[o * wordsPerFilter + (i >>> 5)] >>> (i & 31) & 1) != 0) {
                code |= 1L << j;
            }
        }
        return code;
    }

    /** Packed sign words (a copy). */
    public int[] bits() {
        return bits.clone();
    }

    /** α per output filter (a copy). */
    public float[] alpha() {
        return alpha.clone();
    }

    /** α of output filter {@code o}. */
    public float alpha(int o) {
        return alpha[o];
    }

    /** The bias (a copy), or {@code null}. */
    public float[] bias() {
        return bias == null ? null : bias.clone();
    }

    /** Whether a bias is present. */
    public boolean hasBias() {
        return bias != null;
    }

    /** These signs and α with another bias ({@code null} for none). */
    public PatternWeights withBias(float[] newBias) {
        return new PatternWeights(outChannels(), inChannelsPerGroup(), kh(), kw(), bits, alpha, newBias);
    }

    /** These signs with other α values. */
    public PatternWeights withAlpha(float[] newAlpha) {
        return new PatternWeights(outChannels(), inChannelsPerGroup(), kh(), kw(), bits, newAlpha, bias);
    }

    /**
     * All signs +1, α and bias replaced by their absolute values: evaluated on |x| this gives the
     * absolute sum that bounds the rounding error of the convolution (see
     * {@link org.sepnet.ops.ErrorBound}).
     */
    public PatternWeights absolute() {
        float[] a = new float[outChannels()];
        for (int o = 0; o < outChannels(); o++) {
            a[o] = Math.abs(alpha[o]);
        }
        float[] b = null;
        if (bias != null) {
            b = new float[outChannels()];
            for (int o = 0; o < outChannels(); o++) {
                b[o] = Math.abs(bias[o]);
            }
        }
        return new PatternWeights(outChannels(), inChannelsPerGroup(), kh(), kw(), new int[bits.length], a, b);
    }

    /** The equivalent float weights α[o]·B[o] (OIHW) with the same bias. */
    public ConvWeights toConvWeights() {
        int filterBits = inChannelsPerGroup() * kh() * kw();
        float[] w = new float[outChannels() * filterBits];
        for (int o = 0; o < outChannels(); o++) {
            for (int i = 0; i < filterBits; i++) {
                boolean neg = (bits[o * wordsPerFilter + (i >>> 5)] >>> (i & 31) & 1) != 0;
                w[o * filterBits + i] = neg ? -alpha[o] : alpha[o];
            }
        }
        return new ConvWeights(outChannels(), inChannelsPerGroup(), kh(), kw(), w, bias);
    }

    /** Parameters by the paper's rule: one per binarized k×k slice ({@code outChannels·inChannelsPerGroup}); α not counted. */
    public long paperParameterCount() {
        return (long) outChannels() * inChannelsPerGroup();
    }

    /** Bytes as stored: sign words, α and bias, 4 bytes each. */
    public long storedBytes() {
        return 4L * (bits.length + alpha.length + (bias == null ? 0 : bias.length));
    }

    @Override
    public String toString() {
        return "PatternWeights " + dims() + ", " + wordsPerFilter + " words/filter" + (bias != null ? " + bias" : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PatternWeights p && p.shape.equals(shape) && Arrays.equals(p.bits, bits) && Arrays.equals(p.alpha, alpha)
                && Arrays.equals(p.bias, bias);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(bits) + Arrays.hashCode(alpha)) + Arrays.hashCode(bias);
    }

    private void checkIndex(int o, int c, int y, int x) {
        if (o < 0 || o >= outChannels() || c < 0 || c >= inChannelsPerGroup() || y < 0 || y >= kh() || x < 0 || x >= kw()) {
            throw new IndexOutOfBoundsException("sign (" + o + ", " + c + ", " + y + ", " + x + ") outside " + dims());
        }
    }

}
