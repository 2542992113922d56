package org.sepnet.backend.cuda;

import java.util.List;
import java.util.function.UnaryOperator;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A one-input op that launches CUDA kernels: checks that both tensors are open device tensors of
 * the right shapes, then hands them to its launcher while holding them open. Owns the weights
 * uploaded for it and frees them on {@link #close()} (after a launch in progress on another thread
 * returns), or by the garbage collector if never closed.
 */
final class CudaKernelOp implements UnaryOp {
    /** Queues the op's kernels for an input and output whose shapes were checked. */
    @FunctionalInterface
    interface Launcher {
        void launch(CudaTensor input, CudaTensor output);
    }

    private final CudaBackend backend;
    private final String kernel;
    private final String problem;
    private final UnaryOperator<Shape> outputShape;
    private final Launcher launcher;
    private final Lifetime lifetime;
    private final String label;

    CudaKernelOp(CudaBackend backend, String kernel, String problem, UnaryOperator<Shape> outputShape,
                 List<DeviceArray> owned, Launcher launcher) {
        this.backend = backend;
        this.kernel = kernel;
        this.problem = problem;
        this.outputShape = outputShape;
        this.launcher = launcher;
        this.label = "cuda:" + kernel + " " + problem;
        this.lifetime = backend.opLifetime(this, owned);
    }

    @Override
    public String problem() {
        return problem;
    }

    @Override
    public String implementation() {
        return "cuda:" + kernel;
    }

    @Override
    public Shape outputShape(Shape input) {
        return outputShape.apply(input);
    }

    @Override
    public void run(Tensor input, Tensor output) {
        if (lifetime.isClosed()) {
            throw new IllegalStateException("op " + implementation() + " " + problem + " is closed");
        }
        CudaTensor in = backend.requireDevice(input, "input");
        CudaTensor out = backend.requireDevice(output, "output");
        Shape expected = outputShape.apply(in.shape());
        if (!expected.equals(out.shape())) {
            throw new IllegalArgumentException("output shape " + out.shape() + " for input " + in.shape() + " in " + problem
                    + "; expected " + expected);
        }
        backend.guarded(lifetime, label, new CudaTensor[] {in}, out, () -> {
            launcher.launch(in, out);
            backend.afterLaunch(kernel, problem);
        });
    }

    @Override
    public void close() {
        lifetime.close();
    }
}
