package org.sepnet.tensor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Off-heap memory for host tensors: 64-byte aligned direct buffers (one AVX-512 register, one
 * cache line) that can be freed at once instead of waiting for the garbage collector.
 */
final class DirectMemory {
    /** Alignment of every allocation, in bytes. */
    static final int ALIGNMENT = 64;
    /** Most float elements one host tensor can hold (a direct buffer is indexed by int). */
    static final long MAX_FLOATS = (Integer.MAX_VALUE - 2 * ALIGNMENT) / Float.BYTES;

    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;

    static {
        Method m = null;
        Object u = null;
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field f = unsafeClass.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            u = f.get(null);
            m = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Without jdk.unsupported the memory is still freed, by the garbage collector.
            m = null;
            u = null;
        }
        INVOKE_CLEANER = m;
        UNSAFE = u;
    }

    private DirectMemory() {}

    /** A zeroed, aligned, native-order buffer of {@code floats} floats; the returned slice is owned by {@code raw[0]}. */
    static ByteBuffer allocate(long floats, ByteBuffer[] raw) {
        if (floats > MAX_FLOATS) {
            throw new IllegalArgumentException(
                    "a host tensor of " + floats + " floats is too large; at most " + MAX_FLOATS + " fit one buffer");
        }
        int bytes = (int) (floats * Float.BYTES);
        // alignedSlice moves the start up and the end down to multiples of ALIGNMENT, so allocate
        // the size rounded up plus one alignment unit of slack.
        int rounded = (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        ByteBuffer whole = ByteBuffer.allocateDirect(rounded + ALIGNMENT);
        raw[0] = whole;
        ByteBuffer aligned = whole.alignedSlice(ALIGNMENT);
        aligned.limit(bytes);
        return aligned.slice().order(ByteOrder.nativeOrder());
    }

    /** Frees a buffer returned as {@code raw[0]} by {@link #allocate}; it must not be used afterwards. */
    static void free(ByteBuffer raw) {
        if (INVOKE_CLEANER == null || raw == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, raw);
        } catch (ReflectiveOperationException e) {
            // Left to the garbage collector.
        }
    }
}
