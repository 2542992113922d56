package org.sepnet.tensor;

import java.util.Arrays;

/**
 * An immutable tensor shape: 1 to 8 positive dimensions, row-major (C order). Four-dimensional
 * shapes are read as NCHW (batch, channels, height, width).
 */
public final class Shape {
    /** Most dimensions a shape may have. */
    public static final int MAX_RANK = 8;

    private final int[] dims;
    private final long size;

    private Shape(int[] dims) {
        if (dims.length < 1 || dims.length > MAX_RANK) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(dims) + " has rank " + dims.length
                            + "; expected 1 to " + MAX_RANK + " dimensions");
        }
        long s = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(dims) + ": dimension " + i + " is " + dims[i]
                                + "; expected a positive size");
            }
            s = Math.multiplyExact(s, dims[i]);
        }
        this.dims = dims;
        this.size = s;
    }

    /** A shape with the given dimensions (copied). */
    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    /** An NCHW shape. */
    public static Shape nchw(int n, int c, int h, int w) {
        return new Shape(new int[] {n, c, h, w});
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code i}. */
    public int dim(int i) {
        if (i < 0 || i >= dims.length) {
            throw new IllegalArgumentException(
                    "dimension index " + i + " out of range for shape " + this + " (rank " + dims.length + ")");
        }
        return dims[i];
    }

    /** All dimensions (a copy). */
    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    /** Batch size of an NCHW shape. */
    public int n() {
        return nchwDim(0);
    }

    /** Channels of an NCHW shape. */
    public int c() {
        return nchwDim(1);
    }

    /** Height of an NCHW shape. */
    public int h() {
        return nchwDim(2);
    }

    /** Width of an NCHW shape. */
    public int w() {
        return nchwDim(3);
    }

    /** Throws unless this is a rank-4 (NCHW) shape; {@code what} names the tensor in the message. */
    public Shape requireNchw(String what) {
        if (dims.length != 4) {
            throw new IllegalArgumentException(
                    what + " has shape " + this + "; expected a rank-4 NCHW shape [n, c, h, w]");
        }
        return this;
    }

    /** This (feature) shape with a batch dimension of {@code n} in front: [n, dims…]. */
    public Shape withBatch(int n) {
        int[] d = new int[dims.length + 1];
        d[0] = n;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return new Shape(d);
    }

    /** This shape with dimension 0 replaced (e.g. a smaller batch). */
    public Shape withDim0(int first) {
        int[] d = dims.clone();
        d[0] = first;
        return new Shape(d);
    }

    private int nchwDim(int i) {
        requireNchw("tensor");
        return dims[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** {@code 2x3x32x32}: the dimensions as used in problem strings. */
    public String toDimsString() {
        StringBuilder b = new StringBuilder();
        for (int d : dims) {
            b.append(b.length() == 0 ? "" : "x").append(d);
        }
        return b.toString();
    }

    /** {@code [2, 3, 32, 32]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
