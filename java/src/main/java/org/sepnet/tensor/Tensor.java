package org.sepnet.tensor;

/**
 * A float32 tensor in row-major (C) order, living where the backend that allocated it computes:
 * host memory for the CPU backends, device memory for CUDA. Tensors are {@link AutoCloseable}:
 * closing frees the memory at once; using a closed tensor throws {@link IllegalStateException}.
 */
public interface Tensor extends AutoCloseable {
    /** The shape. */
    Shape shape();

    /** Where the data lives, e.g. {@code host} or {@code cuda:0}. */
    String location();

    /** Copies {@code src} (exactly {@link Shape#size()} values, row-major) into this tensor. */
    void copyFrom(float[] src);

    /** Copies this tensor into {@code dst} (exactly {@link Shape#size()} values). */
    void copyTo(float[] dst);

    /** Copies a host tensor of the same shape into this tensor. */
    void copyFrom(HostTensor src);

    /** Copies this tensor into a host tensor of the same shape. */
    void copyTo(HostTensor dst);

    /** Copies a tensor of the same shape, wherever it lives, into this tensor. */
    default void copyFrom(Tensor src) {
        if (src instanceof HostTensor h) {
            copyFrom(h);
        } else if (this instanceof HostTensor h) {
            src.copyTo(h);
        } else {
            float[] staging = src.toArray();
            copyFrom(staging);
        }
    }

    /** The contents as a new array. */
    default float[] toArray() {
        long size = shape().size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor " + shape() + " has " + size + " elements; too many for a Java array");
        }
        float[] out = new float[(int) size];
        copyTo(out);
        return out;
    }

    /**
     * A view of the first {@code batch} samples (dimension 0) sharing this tensor's memory; closing
     * the view does nothing, and it is invalid once this tensor is closed.
     */
    Tensor narrowBatch(int batch);

    /** Whether {@link #close()} has been called. */
    boolean isClosed();

    /** Frees the memory; idempotent. */
    @Override
    void close();
}
