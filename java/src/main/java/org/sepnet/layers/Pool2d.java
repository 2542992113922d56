package org.sepnet.layers;

import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.Shape;

/** Max or average pooling, or global pooling to 1×1 (see {@link PoolDesc} for the size rules). */
public final class Pool2d extends Layer {
    private final PoolDesc.Kind kind;
    private final int kernel;
    private final int stride;
    private final int pad;
    private final boolean ceilMode;
    private final boolean global;

    private Pool2d(String name, PoolDesc.Kind kind, int kernel, int stride, int pad, boolean ceilMode, boolean global) {
        super(name);
        this.kind = kind;
        this.kernel = kernel;
        this.stride = stride;
        this.pad = pad;
        this.ceilMode = ceilMode;
        this.global = global;
    }

    /** Max pooling; {@code ceilMode} uses Caffe's output size. */
    public static Pool2d max(String name, int kernel, int stride, int pad, boolean ceilMode) {
        return new Pool2d(name, PoolDesc.Kind.MAX, kernel, stride, pad, ceilMode, false);
    }

    /** Average pooling (padding counted in the divisor). */
    public static Pool2d avg(String name, int kernel, int stride, int pad, boolean ceilMode) {
        return new Pool2d(name, PoolDesc.Kind.AVG, kernel, stride, pad, ceilMode, false);
    }

    /** Global average pooling to [C, 1, 1]. */
    public static Pool2d globalAvg(String name) {
        return global(name, PoolDesc.Kind.AVG);
    }

    /** Global max or average pooling to [C, 1, 1]. */
    public static Pool2d global(String name, PoolDesc.Kind kind) {
        return new Pool2d(name, kind, 0, 0, 0, false, true);
    }

    public PoolDesc.Kind kind() {
        return kind;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public int pad() {
        return pad;
    }

    public boolean ceilMode() {
        return ceilMode;
    }

    public boolean isGlobal() {
        return global;
    }

    /** The descriptor for a batch and an input feature map. */
    public PoolDesc desc(int batch, Shape input) {
        requireMap(input, name());
        try {
            if (global) {
                return PoolDesc.global(kind, batch, input.dim(0), input.dim(1), input.dim(2));
            }
            PoolDesc d = PoolDesc.of(kind, Shape.nchw(batch, input.dim(0), input.dim(1), input.dim(2)), kernel, kernel,
                    stride, stride, pad, pad, ceilMode, true);
            return d;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer " + name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.pool(this);
    }

    @Override
    public String type() {
        String k = kind == PoolDesc.Kind.MAX ? "max" : "avg";
        return global ? "global_" + k + "_pool" : k + "_pool" + kernel + "x" + kernel;
    }

    @Override
    public Shape outputShape(Shape input) {
        PoolDesc d = desc(1, input);
        return Shape.of(d.channels(), d.outHeight(), d.outWidth());
    }
}
