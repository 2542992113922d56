package org.sepnet.tensor;

/** Weights of convolution filters: their dimensions, read from their {@link FilterShape}. */
public interface Filters {
    /** The filters' shape. */
    FilterShape shape();

    default int outChannels() {
        return shape().outChannels();
    }

    default int inChannelsPerGroup() {
        return shape().inChannelsPerGroup();
    }

    default int kh() {
        return shape().kh();
    }

    default int kw() {
        return shape().kw();
    }

    /** {@code OIHW [o, c, kh, kw]}. */
    default String dims() {
        return shape().dims();
    }
}
