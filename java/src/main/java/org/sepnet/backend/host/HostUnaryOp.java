package org.sepnet.backend.host;

import java.util.function.UnaryOperator;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/** A {@link UnaryOp} on host tensors: checks placement and shapes, then runs a {@link HostKernel}. */
public final class HostUnaryOp implements UnaryOp {
    private final String backend;
    private final String problem;
    private final String implementation;
    private final UnaryOperator<Shape> outputShape;
    private final HostKernel kernel;
    private final Runnable release;
    private boolean closed;

    /**
     * @param backend backend name for error messages
     * @param outputShape output shape for an input shape; throws for inputs the op does not accept
     * @param release frees what the op holds (may be a no-op)
     */
    public HostUnaryOp(String backend, String problem, String implementation, UnaryOperator<Shape> outputShape,
                       HostKernel kernel, Runnable release) {
        this.backend = backend;
        this.problem = problem;
        this.implementation = implementation;
        this.outputShape = outputShape;
        this.kernel = kernel;
        this.release = release;
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
        if (closed) {
            throw new IllegalStateException("op " + implementation + " " + problem + " is closed");
        }
        HostTensor in = HostTensors.require(input, "input", backend);
        HostTensor out = HostTensors.require(output, "output", backend);
        Shape expected = outputShape.apply(in.shape());
        if (!expected.equals(out.shape())) {
            throw new IllegalArgumentException("output shape " + out.shape() + " for input " + in.shape() + " in "
                    + problem + "; expected " + expected);
        }
        kernel.run(in.buffer(), out.buffer(), in.shape().dim(0));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            release.run();
        }
    }

    @Override
    public String toString() {
        return implementation + " " + problem;
    }
}
