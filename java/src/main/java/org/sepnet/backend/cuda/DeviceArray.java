package org.sepnet.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** Weights uploaded once: a device copy of an int or float array, freed by {@link #close()}. */
final class DeviceArray implements AutoCloseable {
    private final CudaContext ctx;
    private CUdeviceptr ptr;

    private DeviceArray(CudaContext ctx, Pointer host, long bytes) {
        this.ctx = ctx;
        ctx.makeCurrent();
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, Math.max(bytes, 4));
        JCudaDriver.cuMemcpyHtoD(p, host, bytes);
        this.ptr = p;
    }

    static DeviceArray of(CudaContext ctx, float[] values) {
        return new DeviceArray(ctx, Pointer.to(values), (long) values.length * Float.BYTES);
    }

    static DeviceArray of(CudaContext ctx, int[] values) {
        return new DeviceArray(ctx, Pointer.to(values), (long) values.length * Integer.BYTES);
    }

    /** {@code count} zeroed doubles of device memory (reduction results). */
    static DeviceArray doubles(CudaContext ctx, long count) {
        return new DeviceArray(ctx, count * Double.BYTES);
    }

    /** Copies the first {@code dst.length} floats to the host (after the work that writes them has finished). */
    void copyTo(float[] dst) {
        ctx.makeCurrent();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), ptr, (long) dst.length * Float.BYTES);
    }

    /** Copies the first {@code dst.length} doubles to the host (after the work that writes them has finished). */
    void copyTo(double[] dst) {
        ctx.makeCurrent();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), ptr, (long) dst.length * Double.BYTES);
    }

    /** {@code count} zeroed floats of device memory (a workspace). */
    static DeviceArray floats(CudaContext ctx, long count) {
        return new DeviceArray(ctx, count * Float.BYTES);
    }

    private DeviceArray(CudaContext ctx, long bytes) {
        this.ctx = ctx;
        ctx.makeCurrent();
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, Math.max(bytes, 4));
        JCudaDriver.cuMemsetD32(p, 0, Math.max(bytes, 4) / 4);
        this.ptr = p;
    }

    /** A device copy of {@code values}, or {@code null} for a {@code null} array. */
    static DeviceArray ofNullable(CudaContext ctx, float[] values) {
        return values == null ? null : of(ctx, values);
    }

    /** Kernel argument pointing at this array, or at a null device pointer when {@code a} is null. */
    static Pointer arg(DeviceArray a) {
        return Pointer.to(a == null ? new CUdeviceptr() : a.ptr);
    }

    @Override
    public void close() {
        if (ptr != null) {
            ctx.makeCurrent();
            JCudaDriver.cuMemFree(ptr);
            ptr = null;
        }
    }
}
