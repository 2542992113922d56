package org.sepnet.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/** Kernel parameters for {@link CudaContext#launch}: each a pointer to the parameter's value. */
final class Args {
    private Args() {}

    /** A device tensor's address. */
    static Pointer of(CudaTensor t) {
        return Pointer.to(t.pointer());
    }

    /** An uploaded array's address, or a null device pointer for {@code null}. */
    static Pointer of(DeviceArray a) {
        return DeviceArray.arg(a);
    }

    /** A null device pointer (an absent optional array). */
    static Pointer none() {
        return Pointer.to(new CUdeviceptr());
    }

    static Pointer i32(int v) {
        return Pointer.to(new int[] {v});
    }

    /** A struct of 32-bit ints passed by value (ConvParams, PoolParams). */
    static Pointer struct(int[] fields) {
        return Pointer.to(fields);
    }

    /** Blocks of {@code block} threads for a grid-stride loop over {@code count} elements. */
    static int gridFor(long count, int block) {
        return (int) Math.max(1, Math.min((count + block - 1) / block, 1L << 20));
    }
}
