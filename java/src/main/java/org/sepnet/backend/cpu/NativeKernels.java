package org.sepnet.backend.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code native/include/sepnet_native.h}. The build (CMake, then JavaCPP's
 * Builder) links the JNI glue with the kernels into {@code libjniNativeKernels.so} under
 * {@code org/sepnet/backend/cpu/linux-x86_64/}. Buffers must be direct; they are passed by address,
 * without copies. Use through {@link NativeBackend}, which loads this class only after checking
 * that the library is present.
 */
@Platform(value = "linux-x86_64", include = "sepnet_native.h", link = "sepnet_native")
public final class NativeKernels {
    static {
        Loader.load();
    }

    private NativeKernels() {}

    /** ABI version of the loaded library. */
    public static native int sepnet_native_abi_version();

    /** CPU features detected at run time. */
    public static native @Cast("const char*") String sepnet_native_cpu_features();

    /** See {@code sepnet_pattern_conv2d} in {@code sepnet_native.h}. */
    public static native int sepnet_pattern_conv2d(
            @Cast("const float*") FloatBuffer x, @Cast("const uint32_t*") IntBuffer bits,
            @Cast("const float*") FloatBuffer alpha, @Cast("const float*") FloatBuffer bias, FloatBuffer y,
            @Cast("const int32_t*") int[] problem, int relu);

    /** See {@code sepnet_prb_conv2d} in {@code sepnet_native.h}. */
    public static native int sepnet_prb_conv2d(
            @Cast("const float*") FloatBuffer x, @Cast("const uint32_t*") IntBuffer bits,
            @Cast("const float*") FloatBuffer alpha, @Cast("const float*") FloatBuffer w1,
            @Cast("const float*") FloatBuffer bias, FloatBuffer y, @Cast("const int32_t*") int[] problem,
            int groups1, int relu);
}
