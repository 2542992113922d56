package org.sepnet.backend.cpu;

import java.lang.ref.Cleaner;
import java.util.function.UnaryOperator;
import org.sepnet.backend.host.HostUnaryOp;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A native op handle as a {@link UnaryOp}. The handle is destroyed by {@link #close()}, or by a
 * cleaner if the op becomes unreachable unclosed.
 */
final class NativeOp implements UnaryOp {
    private static final Cleaner CLEANER = Cleaner.create();

    private final HostUnaryOp op;
    private final String reason;
    private final Cleaner.Cleanable cleanable;

    /**
     * Wraps {@code handle}, which must be non-zero.
     *
     * @param outputShape the descriptor's output-shape function (validates inputs)
     */
    NativeOp(long handle, String problem, UnaryOperator<Shape> outputShape) {
        String name = NativeKernels.sepnet_op_name(handle);
        this.reason = NativeKernels.sepnet_op_reason(handle);
        Destroy destroy = new Destroy(handle);
        this.op = new HostUnaryOp(NativeBackend.NAME, problem, name, outputShape, (x, y, n) ->
                NativeBackend.check(NativeKernels.sepnet_op_run(handle, x, y, n), name, problem), destroy);
        this.cleanable = CLEANER.register(this, destroy);
    }

    /** Destroys a native handle once. Holds no reference to the op, so the cleaner can run. */
    private static final class Destroy implements Runnable {
        private long handle;

        Destroy(long handle) {
            this.handle = handle;
        }

        @Override
        public synchronized void run() {
            if (handle != 0) {
                NativeKernels.sepnet_op_destroy(handle);
                handle = 0;
            }
        }
    }

    @Override
    public String problem() {
        return op.problem();
    }

    @Override
    public String implementation() {
        return op.implementation();
    }

    @Override
    public String reason() {
        return reason;
    }

    @Override
    public Shape outputShape(Shape input) {
        return op.outputShape(input);
    }

    @Override
    public void run(Tensor input, Tensor output) {
        op.run(input, output);
    }

    @Override
    public void close() {
        op.close();
        cleanable.clean();
    }

    @Override
    public String toString() {
        return op.toString();
    }
}
