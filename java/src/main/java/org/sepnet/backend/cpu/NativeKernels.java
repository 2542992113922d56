package org.sepnet.backend.cpu;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code native/include/sepnet_native.h} (see there for the contract). The build
 * (CMake, then JavaCPP's Builder) links the JNI glue with the kernels into
 * {@code libjniNativeKernels.so} under {@code org/sepnet/backend/cpu/linux-x86_64/}. Tensor buffers
 * must be direct and are passed by address; weight arrays are copied once, when an op is created.
 * Use through {@link NativeBackend}, which loads this class only after checking that the library is
 * present.
 */
@Platform(value = "linux-x86_64", include = "sepnet_native.h", link = "sepnet_native")
final class NativeKernels {
    static {
        Loader.load();
    }

    private NativeKernels() {}

    static native int sepnet_native_abi_version();

    static native @Cast("const char*") String sepnet_native_cpu_features();

    static native @Cast("const char*") String sepnet_native_isas();

    static native @Cast("const char*") String sepnet_last_error();

    static native long sepnet_context_create(int threads, String isa);

    static native void sepnet_context_destroy(long ctx);

    static native long sepnet_context_retain(long ctx);

    static native @Cast("const char*") String sepnet_context_isa(long ctx);

    static native int sepnet_context_threads(long ctx);

    static native long sepnet_conv_create(long ctx, @Cast("const int32_t*") int[] problem,
            @Cast("const float*") float[] weights, @Cast("const float*") float[] bias, int relu);

    static native long sepnet_pattern_conv_create(long ctx, @Cast("const int32_t*") int[] problem,
            @Cast("const uint32_t*") int[] bits, @Cast("const float*") float[] alpha, @Cast("const float*") float[] bias,
            int relu, int algorithm);

    static native long sepnet_prb_create(long ctx, @Cast("const int32_t*") int[] problem,
            @Cast("const uint32_t*") int[] bits, @Cast("const float*") float[] alpha, @Cast("const float*") float[] w1,
            int groups1, @Cast("const float*") float[] bias, int relu, int algorithm);

    static native long sepnet_fc_create(long ctx, int batch, int in, int out, @Cast("const float*") float[] w,
            @Cast("const float*") float[] bias, int relu);

    static native long sepnet_pool_create(long ctx, int max, @Cast("const int32_t*") int[] geometry, int countIncludePad);

    static native long sepnet_affine_create(long ctx, int batch, int channels, long inner,
            @Cast("const float*") float[] scale, @Cast("const float*") float[] shift, int relu);

    static native int sepnet_op_run(long op, @Cast("const float*") FloatBuffer x, FloatBuffer y, int batch);

    static native @Cast("const char*") String sepnet_op_name(long op);

    static native @Cast("const char*") String sepnet_op_reason(long op);

    static native @Cast("const char*") String sepnet_native_conv_ranking();

    static native void sepnet_op_destroy(long op);

    static native long sepnet_op_bytes(long op);

    static native double sepnet_measure_peak_gflops(long ctx, int millis);

    static native int sepnet_add(long ctx, @Cast("const float*") FloatBuffer a, @Cast("const float*") FloatBuffer b,
            FloatBuffer y, long n, int relu);

    static native int sepnet_relu(long ctx, @Cast("const float*") FloatBuffer x, FloatBuffer y, long n);

    static native int sepnet_softmax(long ctx, @Cast("const float*") FloatBuffer x, FloatBuffer y, int rows, int cols);

    static native int sepnet_copy_blocks(long ctx, @Cast("const float*") FloatBuffer src, FloatBuffer dst, int count,
            long srcBlock, long dstBlock, long dstOffset);

    static native long sepnet_conv_train_create(long ctx, @Cast("const int32_t*") int[] problem);

    static native int sepnet_conv_train_forward(long op, @Cast("const float*") FloatBuffer x, @Cast("const float*") float[] w,
            @Cast("const float*") float[] bias, FloatBuffer y, int batch);

    static native int sepnet_conv_train_backward_data(long op, @Cast("const float*") FloatBuffer dy,
            @Cast("const float*") float[] w, FloatBuffer dx, int batch);

    static native int sepnet_conv_train_backward_weights(long op, @Cast("const float*") FloatBuffer x,
            @Cast("const float*") FloatBuffer dy, float[] dw, float[] db, int batch);

    static native int sepnet_pool_backward(long ctx, int max, @Cast("const int32_t*") int[] geometry, int countIncludePad,
            @Cast("const float*") FloatBuffer x, @Cast("const float*") FloatBuffer dy, FloatBuffer dx, int batch);

    static native int sepnet_channel_sums(long ctx, @Cast("const float*") FloatBuffer a, @Cast("const float*") FloatBuffer mask,
            @Cast("const float*") FloatBuffer b, @Cast("const float*") float[] shift, int batch, int channels, long inner,
            double[] sumA, double[] sumAb);

    static native int sepnet_channel_affine(long ctx, @Cast("const float*") FloatBuffer a, @Cast("const float*") FloatBuffer mask,
            @Cast("const float*") FloatBuffer b, @Cast("const float*") float[] scaleA, @Cast("const float*") float[] scaleB,
            @Cast("const float*") float[] shift, int relu, FloatBuffer y, int batch, int channels, long inner);

    static native int sepnet_relu_backward(long ctx, @Cast("const float*") FloatBuffer y, @Cast("const float*") FloatBuffer dy,
            FloatBuffer dx, long n);

    static native int sepnet_fc_train_forward(long ctx, @Cast("const float*") FloatBuffer x, @Cast("const float*") float[] w,
            @Cast("const float*") float[] bias, FloatBuffer y, int batch, int in, int out);

    static native int sepnet_fc_train_backward(long ctx, @Cast("const float*") FloatBuffer x, @Cast("const float*") float[] w,
            @Cast("const float*") FloatBuffer dy, FloatBuffer dx, float[] dw, float[] db, int batch, int in, int out);
}
