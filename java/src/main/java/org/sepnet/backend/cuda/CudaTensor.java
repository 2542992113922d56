package org.sepnet.backend.cuda;

import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A float32 tensor in device memory. Closing frees it (after a copy in progress on another thread
 * returns; the driver's free waits for kernels still using it); a tensor never closed is freed by
 * the garbage collector. Copies to and from the host wait for the work
 * queued before them on every stream of the context and return when the data has arrived; from and
 * to page-locked host tensors ({@link CudaBackend#allocateHost}) they run at full DMA speed.
 */
public final class CudaTensor implements Tensor {
    private final CudaContext ctx;
    private final Shape shape;
    @SuppressWarnings("unused")  // keeps a view's tensor reachable: its cleaner must not free the view's memory
    private final CudaTensor owner;
    private final CUdeviceptr ptr;
    private final Lifetime lifetime;  // shared with views

    private CudaTensor(CudaContext ctx, Shape shape, CudaTensor owner, CUdeviceptr ptr) {
        this.ctx = ctx;
        this.shape = shape;
        this.owner = owner;
        this.ptr = ptr;
        this.lifetime = owner.lifetime;
    }

    CudaTensor(CudaContext ctx, Shape shape) {
        this.owner = null;
        if (shape.size() > Integer.MAX_VALUE / Sizeof.FLOAT) {
            throw new IllegalArgumentException("a device tensor of " + shape.size() + " floats is too large; at most "
                    + Integer.MAX_VALUE / Sizeof.FLOAT + " per tensor");
        }
        this.ctx = ctx;
        this.shape = shape;
        ctx.makeCurrent();
        CUdeviceptr p = new Address();
        JCudaDriver.cuMemAlloc(p, bytes());
        JCudaDriver.cuMemsetD32(p, 0, shape.size());
        this.ptr = p;
        this.lifetime = new Lifetime(this, "device tensor", bytes(), () -> {
            ctx.makeCurrent();
            JCudaDriver.cuMemFree(p);
        });
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public String location() {
        return "cuda:" + ctx.ordinal;
    }

    /** The device pointer; valid until {@link #close()}. */
    CUdeviceptr pointer() {
        if (lifetime.isClosed()) {
            throw new IllegalStateException("device tensor " + shape + " is closed");
        }
        return ptr;
    }

    /** The device this tensor lives on. */
    int ordinal() {
        return ctx.ordinal;
    }

    /** When this tensor's memory may be freed (shared with its views). */
    Lifetime lifetime() {
        return lifetime;
    }

    /** Whether this tensor and {@code other} share memory (views always start where their tensor does). */
    boolean overlaps(CudaTensor other) {
        return lifetime == other.lifetime;
    }

    /** Runs {@code copy} with this tensor held open. */
    private void guarded(Runnable copy) {
        lifetime.enterOrThrow("device tensor " + shape);
        try {
            ctx.makeCurrent();
            copy.run();
        } finally {
            lifetime.exit();
        }
    }

    /**
     * The device address of the first element, for passing this tensor to other CUDA libraries (such
     * as cuDNN) that run on the same device's primary context. Valid until {@link #close()}.
     */
    public long address() {
        return ((Address) pointer()).address();
    }

    /** A device pointer whose address can be read. */
    private static final class Address extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    private long bytes() {
        return shape.size() * Sizeof.FLOAT;
    }

    @Override
    public void copyFrom(float[] src) {
        checkLength(src.length, "source array");
        guarded(() -> JCudaDriver.cuMemcpyHtoD(ptr, Pointer.to(src), bytes()));
    }

    @Override
    public void copyTo(float[] dst) {
        checkLength(dst.length, "destination array");
        guarded(() -> JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), ptr, bytes()));
    }

    @Override
    public void copyFrom(HostTensor src) {
        requireSameShape(src);
        src.lifetime().enterOrThrow("host tensor " + src.shape());
        try {
            guarded(() -> JCudaDriver.cuMemcpyHtoD(ptr, Pointer.to(src.buffer()), bytes()));
        } finally {
            src.lifetime().exit();
        }
    }

    @Override
    public void copyTo(HostTensor dst) {
        requireSameShape(dst);
        dst.lifetime().enterOrThrow("host tensor " + dst.shape());
        try {
            guarded(() -> JCudaDriver.cuMemcpyDtoH(Pointer.to(dst.buffer()), ptr, bytes()));
        } finally {
            dst.lifetime().exit();
        }
    }

    @Override
    public CudaTensor narrowBatch(int batch) {
        if (batch < 1 || batch > shape.dim(0)) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + shape.dim(0) + " for tensor " + shape);
        }
        if (batch == shape.dim(0)) {
            return this;
        }
        // The first samples start where the tensor starts: the same device pointer, a smaller shape.
        return new CudaTensor(ctx, shape.withDim0(batch), owner != null ? owner : this, pointer());
    }

    @Override
    public void copyFrom(Tensor src) {
        if (src instanceof CudaTensor d) {
            requireSameShape(d);
            d.lifetime.enterOrThrow("device tensor " + d.shape);
            try {
                guarded(() -> JCudaDriver.cuMemcpyDtoD(ptr, d.ptr, bytes()));
            } finally {
                d.lifetime.exit();
            }
        } else {
            Tensor.super.copyFrom(src);
        }
    }

    @Override
    public boolean isClosed() {
        return lifetime.isClosed();
    }

    @Override
    public void close() {
        if (owner == null) {  // a view owns no memory
            lifetime.close();
        }
    }

    @Override
    public String toString() {
        return "CudaTensor" + shape + " at " + location() + (isClosed() ? " (closed)" : "");
    }

    private void requireSameShape(Tensor other) {
        if (!other.shape().equals(shape)) {
            throw new IllegalArgumentException("tensor shape " + other.shape() + " does not match " + shape + "; expected the same shape");
        }
    }

    private void checkLength(int length, String what) {
        if (length != shape.size()) {
            throw new IllegalArgumentException(what + " has " + length + " elements; expected " + shape.size() + " for shape " + shape);
        }
    }
}
