package org.sepnet.backend.cpu;

import java.util.function.UnaryOperator;
import org.sepnet.backend.host.HostUnaryOp;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A native op handle as a {@link UnaryOp}. The handle (which keeps its context's thread pool alive)
 * is destroyed by {@link #close()} once no run is in progress, or by the garbage collector if the
 * op is never closed.
 */
final class NativeOp implements UnaryOp {
    private final HostUnaryOp op;
    private final String reason;

    /**
     * Wraps {@code handle}, which must be non-zero.
     *
     * @param outputShape the descriptor's output-shape function (validates inputs)
     * @param bytes the least the handle holds (its weights), for the collector's accounting; the
     *              library's own measurement counts where larger
     */
    NativeOp(long handle, String problem, UnaryOperator<Shape> outputShape, long bytes) {
        String name = NativeKernels.sepnet_op_name(handle);
        this.reason = NativeKernels.sepnet_op_reason(handle);
        this.op = new HostUnaryOp(NativeBackend.NAME, problem, name, outputShape, (x, y, n) ->
                NativeBackend.check(NativeKernels.sepnet_op_run(handle, x, y, n), name, problem),
                Math.max(bytes, NativeKernels.sepnet_op_bytes(handle)),
                () -> NativeKernels.sepnet_op_destroy(handle));
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
    }

    @Override
    public String toString() {
        return op.toString();
    }
}
