package org.sepnet.bench.peers;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemset;
import static org.bytedeco.cuda.global.cudnn.*;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A cuDNN handle with the descriptors and device buffers created for it, all released by
 * {@link #close()} in reverse order. Buffers come from the runtime API on the device's primary
 * context (the one the CUDA backend uses); work runs on the legacy default stream.
 */
final class CudnnResources implements AutoCloseable {
    final cudnnContext handle = new cudnnContext();
    final FloatPointer one = new FloatPointer(1f);
    final FloatPointer zero = new FloatPointer(0f);
    private final List<Pointer> device = new ArrayList<>();
    private final List<Runnable> destroy = new ArrayList<>();

    CudnnResources() {
        check(cudnnCreate(handle), "cudnnCreate");
        destroy.add(() -> cudnnDestroy(handle));
    }

    /** A float NCHW tensor descriptor. */
    cudnnTensorStruct tensor(int n, int c, int h, int w) {
        cudnnTensorStruct t = new cudnnTensorStruct();
        check(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor");
        destroy.add(() -> cudnnDestroyTensorDescriptor(t));
        check(cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w),
                "cudnnSetTensor4dDescriptor(" + n + ", " + c + ", " + h + ", " + w + ")");
        return t;
    }

    /** An activation descriptor: ReLU, or identity. */
    cudnnActivationStruct activation(boolean relu) {
        cudnnActivationStruct a = new cudnnActivationStruct();
        check(cudnnCreateActivationDescriptor(a), "cudnnCreateActivationDescriptor");
        destroy.add(() -> cudnnDestroyActivationDescriptor(a));
        check(cudnnSetActivationDescriptor(a, relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY, CUDNN_NOT_PROPAGATE_NAN,
                0.0), "cudnnSetActivationDescriptor");
        return a;
    }

    /** Runs {@code r} when these resources are closed (before what was registered earlier). */
    void onClose(Runnable r) {
        destroy.add(r);
    }

    /** Zeroed device memory (at least 4 bytes). */
    Pointer alloc(long bytes) {
        Pointer p = new Pointer();
        checkCuda(cudaMalloc(p, Math.max(bytes, 4)), "cudaMalloc(" + bytes + ")");
        device.add(p);
        // Zeroed: an output doubles as cuDNN's z input (scaled by 0), which must not hold NaN.
        checkCuda(cudaMemset(p, 0, Math.max(bytes, 4)), "cudaMemset");
        return p;
    }

    /** A device copy of {@code values}. */
    Pointer upload(float[] values) {
        Pointer p = alloc((long) values.length * Float.BYTES);
        copy(values, p);
        return p;
    }

    /** Copies {@code values} to the device memory at {@code to}. */
    static void copy(float[] values, Pointer to) {
        FloatPointer h = new FloatPointer(values);
        checkCuda(cudaMemcpy(to, h, (long) values.length * Float.BYTES, cudaMemcpyHostToDevice), "cudaMemcpy");
        h.close();
    }

    /** The first {@code floats} floats at {@code from}, on the host. */
    static float[] download(Pointer from, long floats) {
        float[] out = new float[Math.toIntExact(floats)];
        FloatPointer h = new FloatPointer(out.length);
        checkCuda(cudaMemcpy(h, from, floats * Float.BYTES, cudaMemcpyDeviceToHost), "cudaMemcpy");
        h.get(out);
        h.close();
        return out;
    }

    @Override
    public void close() {
        for (int i = destroy.size() - 1; i >= 0; i--) {
            destroy.get(i).run();
        }
        destroy.clear();
        for (Pointer p : device) {
            cudaFree(p);
        }
        device.clear();
        one.close();
        zero.close();
    }

    static void check(int status, String call) {
        if (status != CUDNN_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + cudnnGetErrorString(status).getString() + " (" + status + ")");
        }
    }

    static void checkCuda(int status, String call) {
        if (status != 0) {
            throw new IllegalStateException(call + " failed: " + cudaGetErrorString(status).getString() + " (" + status + ")");
        }
    }
}
