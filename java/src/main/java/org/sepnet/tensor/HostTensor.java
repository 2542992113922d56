package org.sepnet.tensor;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A float32 tensor in off-heap host memory, row-major (NCHW for images), 64-byte aligned.
 *
 * <p>The memory is a direct buffer, so native kernels read it and GPU transfers copy it without an
 * intermediate Java array. {@link #close()} frees it immediately; every access after that throws
 * {@link IllegalStateException} instead of touching freed memory.
 */
public final class HostTensor implements Tensor {
    private final Shape shape;
    private final FloatBuffer data;
    private final Lifetime lifetime;  // shared with the views of this tensor
    private final boolean view;
    private final long offset;  // of a view: where it starts in its tensor, in floats
    @SuppressWarnings("unused")  // keeps a view's tensor reachable: its cleaner must not free the view's memory
    private final HostTensor owner;

    private HostTensor(Shape shape, FloatBuffer data, HostTensor owner, long offset) {
        this.offset = offset;
        this.shape = shape;
        this.data = data;
        this.lifetime = owner.lifetime;
        this.view = true;
        this.owner = owner;
    }

    private HostTensor(Shape shape) {
        this.shape = shape;
        ByteBuffer[] holder = new ByteBuffer[1];
        ByteBuffer bytes = DirectMemory.allocate(shape.size(), holder);
        ByteBuffer raw = holder[0];
        this.data = bytes.asFloatBuffer();
        this.lifetime = new Lifetime(this, "host tensor", shape.size() * Float.BYTES, () -> DirectMemory.free(raw));
        this.view = false;
        this.owner = null;
        this.offset = 0;
    }

    private HostTensor(Shape shape, FloatBuffer data, Runnable release) {
        this.shape = shape;
        this.data = data;
        this.lifetime = new Lifetime(this, "host tensor", shape.size() * Float.BYTES, release == null ? () -> {} : release);
        this.view = false;
        this.owner = null;
        this.offset = 0;
    }

    /**
     * A tensor over memory the caller allocated (for example page-locked memory from a GPU driver):
     * {@code memory} is a direct buffer of at least {@code shape.size()} floats in native byte order,
     * from its position on; {@link #close()} (or the garbage collector, for a tensor never closed)
     * runs {@code release} once, which must not refer to the tensor. The contents are not cleared.
     *
     * @throws IllegalArgumentException when the buffer is not direct or too small
     */
    public static HostTensor wrap(Shape shape, ByteBuffer memory, Runnable release) {
        if (!memory.isDirect()) {
            throw new IllegalArgumentException("a host tensor needs direct (off-heap) memory; got a heap buffer");
        }
        if (memory.remaining() / Float.BYTES < shape.size()) {
            throw new IllegalArgumentException("buffer of " + memory.remaining() + " bytes for shape " + shape + "; expected at least "
                    + shape.size() * Float.BYTES);
        }
        FloatBuffer f = memory.slice().order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer().slice(0, (int) shape.size());
        return new HostTensor(shape, f, release);
    }

    /** A zero-filled tensor. */
    public static HostTensor allocate(Shape shape) {
        return new HostTensor(shape);
    }

    /** A zero-filled tensor of the given dimensions. */
    public static HostTensor allocate(int... dims) {
        return new HostTensor(Shape.of(dims));
    }

    /** A tensor holding a copy of {@code values}, which must have exactly {@code shape.size()} elements. */
    public static HostTensor of(Shape shape, float[] values) {
        HostTensor t = new HostTensor(shape);
        t.copyFrom(values);
        return t;
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public String location() {
        return "host";
    }

    /** Number of elements. */
    public int size() {
        return (int) shape.size();
    }

    /** Element at flat (row-major) index {@code i}. */
    public float get(int i) {
        checkIndex(i);
        enter();
        try {
            return data.get(i);
        } finally {
            lifetime.exit();
        }
    }

    /** Sets the element at flat index {@code i}. */
    public void set(int i, float v) {
        checkIndex(i);
        enter();
        try {
            data.put(i, v);
        } finally {
            lifetime.exit();
        }
    }

    /** Element (n, c, h, w) of an NCHW tensor. */
    public float get(int n, int c, int h, int w) {
        return get(offset(n, c, h, w));
    }

    /** Sets element (n, c, h, w) of an NCHW tensor. */
    public void set(int n, int c, int h, int w, float v) {
        set(offset(n, c, h, w), v);
    }

    /** Sets every element to {@code v}. */
    public void fill(float v) {
        enter();
        try {
            for (int i = 0, s = size(); i < s; i++) {
                data.put(i, v);
            }
        } finally {
            lifetime.exit();
        }
    }

    /**
     * The memory as a float buffer (position 0, limit = size), for kernels and transfers. It is
     * valid only until {@link #close()}; do not keep it beyond the tensor's life. A kernel that
     * another thread's {@code close()} must not pull the memory from under holds a use of
     * {@link #lifetime()} while it reads or writes.
     */
    public FloatBuffer buffer() {
        if (lifetime.isClosed()) {
            throw closed();
        }
        return data;
    }

    /** When this tensor's memory may be freed; views share their tensor's. */
    public Lifetime lifetime() {
        return lifetime;
    }

    @Override
    public void copyFrom(float[] src) {
        checkLength(src.length, "source array");
        enter();
        try {
            data.put(0, src);
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void copyTo(float[] dst) {
        checkLength(dst.length, "destination array");
        enter();
        try {
            data.get(0, dst);
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void copyFrom(HostTensor src) {
        requireSameShape(src);
        src.enter();
        try {
            enter();
            try {
                data.put(0, src.data, 0, size());
            } finally {
                lifetime.exit();
            }
        } finally {
            src.lifetime.exit();
        }
    }

    @Override
    public void copyTo(HostTensor dst) {
        dst.copyFrom(this);
    }

    @Override
    public HostTensor narrowBatch(int batch) {
        if (batch < 1 || batch > shape.dim(0)) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + shape.dim(0) + " for tensor " + shape);
        }
        return batch == shape.dim(0) ? this : sliceBatch(0, batch);
    }

    /**
     * A view of samples {@code start .. start + count - 1} (dimension 0) sharing this tensor's memory,
     * as {@link #narrowBatch}; it is 64-byte aligned only where the samples before it are.
     */
    public HostTensor sliceBatch(int start, int count) {
        if (start < 0 || count < 1 || (long) start + count > shape.dim(0)) {
            throw new IllegalArgumentException("samples " + start + ".." + ((long) start + count - 1) + " outside 0.."
                    + (shape.dim(0) - 1) + " for tensor " + shape);
        }
        Shape s = shape.withDim0(count);
        int perSample = (int) (shape.size() / shape.dim(0));
        return new HostTensor(s, buffer().slice(start * perSample, (int) s.size()), view ? owner : this,
                offset + (long) start * perSample);
    }

    /** Whether this tensor and {@code other} share any memory (the same tensor, or overlapping views of one). */
    public boolean overlaps(HostTensor other) {
        return lifetime == other.lifetime && offset < other.offset + other.shape.size()
                && other.offset < offset + shape.size();
    }

    @Override
    public boolean isClosed() {
        return lifetime.isClosed();
    }

    /**
     * Frees the memory, at once or, when another thread is copying or computing on it, as soon as
     * that call returns; idempotent. A view owns no memory: closing it does nothing.
     */
    @Override
    public void close() {
        if (!view) {
            lifetime.close();
        }
    }

    private void enter() {
        if (!lifetime.enter()) {
            throw closed();
        }
    }

    private IllegalStateException closed() {
        return new IllegalStateException("host tensor " + shape + " is closed");
    }

    @Override
    public String toString() {
        if (isClosed()) {
            return "HostTensor" + shape + " (closed)";
        }
        int show = Math.min(size(), 8);
        float[] head = new float[show];
        if (!lifetime.enter()) {
            return "HostTensor" + shape + " (closed)";
        }
        try {
            data.get(0, head);
        } finally {
            lifetime.exit();
        }
        return "HostTensor" + shape + " " + Arrays.toString(head) + (show < size() ? "…" : "");
    }

    private void requireSameShape(Tensor other) {
        if (!other.shape().equals(shape)) {
            throw new IllegalArgumentException(
                    "tensor shape " + other.shape() + " does not match " + shape + "; expected the same shape");
        }
    }

    private void checkLength(int length, String what) {
        if (length != shape.size()) {
            throw new IllegalArgumentException(
                    what + " has " + length + " elements; expected " + shape.size() + " for shape " + shape);
        }
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= shape.size()) {
            throw new IndexOutOfBoundsException("index " + i + " outside [0, " + shape.size() + ") for shape " + shape);
        }
        return i;
    }

    private int offset(int n, int c, int h, int w) {
        shape.requireNchw("tensor");
        if (n < 0 || n >= shape.n() || c < 0 || c >= shape.c() || h < 0 || h >= shape.h() || w < 0 || w >= shape.w()) {
            throw new IndexOutOfBoundsException(
                    "index (" + n + ", " + c + ", " + h + ", " + w + ") outside shape " + shape);
        }
        return ((n * shape.c() + c) * shape.h() + h) * shape.w() + w;
    }
}
