package org.sepnet.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class HostTensorTest {
    @Test
    void allocatesZeroedNativeOrderMemory() {
        try (HostTensor t = HostTensor.allocate(2, 3, 4, 5)) {
            assertEquals(120, t.size());
            assertEquals(ByteOrder.nativeOrder(), t.buffer().order());
            assertTrue(t.buffer().isDirect());
            for (int i = 0; i < t.size(); i++) {
                assertEquals(0f, t.get(i));
            }
        }
    }

    @Test
    void nchwIndexingIsRowMajor() {
        float[] v = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        try (HostTensor t = HostTensor.of(Shape.nchw(2, 3, 4, 5), v)) {
            assertEquals(((1 * 3 + 2) * 4 + 3) * 5 + 4, t.get(1, 2, 3, 4));
            t.set(0, 1, 2, 3, -7f);
            assertEquals(-7f, t.get(((0 * 3 + 1) * 4 + 2) * 5 + 3));
            assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0, 0, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> t.get(120));
        }
    }

    @Test
    void copiesRoundTripAndCheckLengths() {
        float[] v = {1, 2, 3, 4, 5, 6};
        try (HostTensor a = HostTensor.of(Shape.of(2, 3), v); HostTensor b = HostTensor.allocate(2, 3)) {
            b.copyFrom(a);
            assertArrayEquals(v, b.toArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.copyFrom(new float[5]));
            assertTrue(e.getMessage().contains("5 elements") && e.getMessage().contains("expected 6"), e.getMessage());
            try (HostTensor c = HostTensor.allocate(3, 2)) {
                assertThrows(IllegalArgumentException.class, () -> c.copyFrom(a));
            }
        }
    }

    @Test
    void closedTensorRefusesAccessAndCloseIsIdempotent() {
        HostTensor t = HostTensor.allocate(4);
        t.fill(2f);
        t.close();
        t.close();
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.get(0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, t::buffer);
        assertThrows(IllegalStateException.class, () -> t.copyFrom(new float[4]));
    }

    @Test
    void closeReturnsTheMemoryAtOnce() throws InterruptedException {
        java.lang.management.BufferPoolMXBean direct = java.lang.management.ManagementFactory
                .getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        // Buffers leaked by other tests are freed by the garbage collector's cleaner thread at any
        // moment, which moves the JVM-wide counter; settle it first and allow a few attempts.
        System.gc();
        Thread.sleep(50);
        String last = "";
        for (int attempt = 0; attempt < 5; attempt++) {
            long before = direct.getMemoryUsed();
            HostTensor t = HostTensor.allocate(4, 1024, 1024); // 16 MiB
            long during = direct.getMemoryUsed();
            t.close();
            long after = direct.getMemoryUsed();
            // No garbage collection is needed: only an explicit free lowers the count this much.
            if (during - before >= 16L << 20 && during - after >= 16L << 20) {
                return;
            }
            last = before + " -> " + during + " -> " + after;
        }
        org.junit.jupiter.api.Assertions.fail("close() did not return 16 MiB of direct memory: " + last);
    }

    @Test
    void wrapsCallerMemoryAndReleasesItOnce() {
        java.nio.ByteBuffer mem = java.nio.ByteBuffer.allocateDirect(4 * 7 + 8).order(ByteOrder.nativeOrder());
        mem.position(8);  // from the buffer's position on
        int[] released = new int[1];
        HostTensor t = HostTensor.wrap(Shape.of(7), mem, () -> released[0]++);
        t.copyFrom(new float[] {1, 2, 3, 4, 5, 6, 7});
        assertEquals(3f, mem.getFloat(8 + 2 * 4), "writes land in the caller's memory");
        assertEquals(7f, t.narrowBatch(7).get(6));
        t.narrowBatch(3).close();  // a view releases nothing
        assertEquals(0, released[0]);
        t.close();
        t.close();
        assertEquals(1, released[0]);
        assertThrows(IllegalStateException.class, () -> t.get(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HostTensor.wrap(Shape.of(7), java.nio.ByteBuffer.allocate(28), () -> {}));
        assertTrue(e.getMessage().contains("direct"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> HostTensor.wrap(Shape.of(8), java.nio.ByteBuffer.allocateDirect(28), () -> {}));
        assertTrue(e.getMessage().contains("expected at least 32"), e.getMessage());
    }
}
