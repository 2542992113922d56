package org.sepnet.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Page-locked host memory through which host↔device copies travel: two halves of up to
 * {@link #HALF_BYTES} each, so that copying one chunk between Java memory and the pinned half
 * overlaps the DMA of the other. Copies run on the legacy default stream, which orders them after
 * (and before) the work of every blocking stream of the context, as the synchronous copies did, and
 * return once the data has arrived. Allocated on first use; one per backend or executor; thread-safe.
 */
final class PinnedStaging implements AutoCloseable {
    /** Bytes per half of the buffer: larger copies go in chunks of this size. */
    static final long HALF_BYTES = 4L << 20;
    /** The legacy default stream (handle 0). */
    private static final CUstream LEGACY = new CUstream();

    private final CudaContext ctx;
    private Pointer host;
    private long halfBytes;
    private FloatBuffer[] halves;
    private boolean closed;

    PinnedStaging(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** Copies {@code count} floats of {@code src} (from its position) to {@code dst}. */
    synchronized void toDevice(CUdeviceptr dst, FloatBuffer src, long count) {
        ensure(count * Float.BYTES);
        ctx.makeCurrent();
        long chunk = halfBytes / Float.BYTES;
        int base = src.position();
        boolean pending = false;
        int h = 0;
        for (long off = 0; off < count; off += chunk, h ^= 1) {
            int n = (int) Math.min(chunk, count - off);
            FloatBuffer half = halves[h].clear();
            half.put(src.duplicate().position(base + (int) off).limit(base + (int) off + n));
            if (pending) {
                JCudaDriver.cuStreamSynchronize(LEGACY);  // the other half's DMA (issued before this fill) is done
            }
            JCudaDriver.cuMemcpyHtoDAsync(dst.withByteOffset(off * Float.BYTES), host.withByteOffset(h * halfBytes),
                    (long) n * Float.BYTES, LEGACY);
            pending = true;
        }
        JCudaDriver.cuStreamSynchronize(LEGACY);
    }

    /** Copies {@code count} floats from {@code src} into {@code dst} (from its position). */
    synchronized void toHost(FloatBuffer dst, CUdeviceptr src, long count) {
        ensure(count * Float.BYTES);
        ctx.makeCurrent();
        long chunk = halfBytes / Float.BYTES;
        int base = dst.position();
        long chunks = (count + chunk - 1) / chunk;
        issueToHost(src, 0, chunk, count);
        for (long i = 0; i < chunks; i++) {
            JCudaDriver.cuStreamSynchronize(LEGACY);  // chunk i has arrived
            if (i + 1 < chunks) {
                issueToHost(src, i + 1, chunk, count);  // into the other half, while chunk i is copied out
            }
            long off = i * chunk;
            int n = (int) Math.min(chunk, count - off);
            FloatBuffer half = halves[(int) (i & 1)].clear().limit(n);
            dst.duplicate().position(base + (int) off).put(half);
        }
    }

    private void issueToHost(CUdeviceptr src, long i, long chunk, long count) {
        long off = i * chunk;
        long n = Math.min(chunk, count - off);
        JCudaDriver.cuMemcpyDtoHAsync(host.withByteOffset((i & 1) * halfBytes), src.withByteOffset(off * Float.BYTES),
                n * Float.BYTES, LEGACY);
    }

    /** Bytes of pinned memory held now (both halves). */
    synchronized long pinnedBytes() {
        return host == null ? 0 : 2 * halfBytes;
    }

    private void ensure(long bytes) {
        if (closed) {
            throw new IllegalStateException("the CUDA executor owning this transfer buffer is closed");
        }
        long want = Math.min(HALF_BYTES, Math.max(64, (bytes + 63) / 64 * 64));
        if (host != null && halfBytes >= want) {
            return;
        }
        free();
        ctx.makeCurrent();
        Pointer p = new Pointer();
        JCudaDriver.cuMemAllocHost(p, 2 * want);
        host = p;
        halfBytes = want;
        ByteBuffer all = p.getByteBuffer(0, 2 * want).order(ByteOrder.nativeOrder());
        halves = new FloatBuffer[] {
            all.duplicate().order(ByteOrder.nativeOrder()).position(0).limit((int) want).slice().order(ByteOrder.nativeOrder()).asFloatBuffer(),
            all.duplicate().order(ByteOrder.nativeOrder()).position((int) want).limit((int) (2 * want)).slice()
                    .order(ByteOrder.nativeOrder()).asFloatBuffer()};
    }

    private void free() {
        if (host != null) {
            ctx.makeCurrent();
            JCudaDriver.cuMemFreeHost(host);
            host = null;
            halves = null;
            halfBytes = 0;
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            free();
        }
    }
}
