package org.sepnet.tensor;

/**
 * The shape of a convolution's filters in OIHW order: {@code outChannels} filters of
 * {@code inChannelsPerGroup × kh × kw} values (a fully connected layer: {@code [out, in, 1, 1]}).
 */
public record FilterShape(int outChannels, int inChannelsPerGroup, int kh, int kw) {
    /** Rejects a dimension below 1, naming it. */
    public FilterShape {
        requirePositive("outChannels", outChannels);
        requirePositive("inChannelsPerGroup", inChannelsPerGroup);
        requirePositive("kh", kh);
        requirePositive("kw", kw);
    }

    /** Values per output filter: {@code inChannelsPerGroup · kh · kw}. */
    public long filterSize() {
        return (long) inChannelsPerGroup * kh * kw;
    }

    /** Values of all filters. */
    public long size() {
        return outChannels * filterSize();
    }

    /** {@code OIHW [o, c, kh, kw]}. */
    public String dims() {
        return "OIHW [" + outChannels + ", " + inChannelsPerGroup + ", " + kh + ", " + kw + "]";
    }

    private static void requirePositive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " is " + v + "; expected a positive value");
        }
    }
}
