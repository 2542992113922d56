package org.sepnet.backend.host;

import java.util.function.UnaryOperator;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A {@link UnaryOp} on host tensors: checks placement and shapes, then runs a {@link HostKernel}
 * while holding the op and both tensors open ({@link HostGuard}). What the op holds is released when it
 * is closed and no run is in progress, or by the garbage collector if it is never closed.
 */
public final class HostUnaryOp implements UnaryOp {
    private final String backend;
    private final String problem;
    private final String implementation;
    private final UnaryOperator<Shape> outputShape;
    private final HostKernel kernel;
    private final Lifetime lifetime;
    private final String label;

    /**
     * @param backend backend name for error messages
     * @param outputShape output shape for an input shape; throws for inputs the op does not accept
     * @param kernel the computation; it must not refer to this op
     * @param bytes memory the op holds outside the Java heap (0 for none)
     * @param release frees that memory (may be a no-op); it must not refer to this op
     */
    public HostUnaryOp(String backend, String problem, String implementation, UnaryOperator<Shape> outputShape,
                       HostKernel kernel, long bytes, Runnable release) {
        this.backend = backend;
        this.problem = problem;
        this.implementation = implementation;
        this.outputShape = outputShape;
        this.kernel = kernel;
        this.label = implementation + " " + problem;
        this.lifetime = new Lifetime(this, "op", bytes, release);
    }

    /** An op that holds nothing outside the Java heap. */
    public HostUnaryOp(String backend, String problem, String implementation, UnaryOperator<Shape> outputShape,
                       HostKernel kernel) {
        this(backend, problem, implementation, outputShape, kernel, 0, () -> {});
    }

    @Override
    public String problem() {
        return problem;
    }

    @Override
    public String implementation() {
        return implementation;
    }

    @Override
    public Shape outputShape(Shape input) {
        return outputShape.apply(input);
    }

    @Override
    public void run(Tensor input, Tensor output) {
        if (lifetime.isClosed()) {
            throw new IllegalStateException("op " + this + " is closed");
        }
        HostTensor in = HostTensors.require(input, "input", backend);
        HostTensor out = HostTensors.require(output, "output", backend);
        Shape expected = outputShape.apply(in.shape());
        if (!expected.equals(out.shape())) {
            throw new IllegalArgumentException("output shape " + out.shape() + " for input " + in.shape() + " in "
                    + problem + "; expected " + expected);
        }
        HostGuard.run(lifetime, label, in, out, kernel);
    }

    /** Releases what the op holds, at once or when a run in progress on another thread returns; idempotent. */
    @Override
    public void close() {
        lifetime.close();
    }

    @Override
    public String toString() {
        return label;
    }
}
