package org.sepnet.backend.host;

import java.nio.FloatBuffer;
import java.util.List;
import org.sepnet.backend.Checks;
import org.sepnet.ops.BinaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/** A {@link BinaryOp} on host tensors of one shape. */
public final class HostBinaryOp implements BinaryOp {
    /** The kernel: {@code out = f(a, b)} over {@code count} values. */
    @FunctionalInterface
    public interface Kernel {
        void run(FloatBuffer a, FloatBuffer b, FloatBuffer out, int count);
    }

    private final String backend;
    private final Shape maxShape;
    private final String implementation;
    private final Kernel kernel;
    private final Lifetime lifetime;
    private final String label;

    /** An op whose kernel (which must not refer to the op) holds what {@code release} frees. */
    public HostBinaryOp(String backend, Shape maxShape, String implementation, Kernel kernel, Runnable release) {
        this.backend = backend;
        this.maxShape = maxShape;
        this.implementation = implementation;
        this.kernel = kernel;
        this.label = implementation + " " + problem();
        this.lifetime = new Lifetime(this, "op", 0, release);
    }

    public HostBinaryOp(String backend, Shape maxShape, String implementation, Kernel kernel) {
        this(backend, maxShape, implementation, kernel, () -> {});
    }

    @Override
    public String problem() {
        return "add_" + maxShape.toDimsString();
    }

    @Override
    public String implementation() {
        return implementation;
    }

    @Override
    public void run(Tensor a, Tensor b, Tensor output) {
        if (lifetime.isClosed()) {
            throw new IllegalStateException("op " + implementation + " " + problem() + " is closed");
        }
        HostTensor ha = HostTensors.require(a, "first input", backend);
        HostTensor hb = HostTensors.require(b, "second input", backend);
        HostTensor ho = HostTensors.require(output, "output", backend);
        Checks.requireFits(maxShape, ha.shape(), "first input");
        Checks.requireShape(ha.shape(), hb.shape(), "second input");
        Checks.requireShape(ha.shape(), ho.shape(), "output");
        HostGuard.run(lifetime, label, List.of(ha, hb), ho,
                () -> kernel.run(ha.buffer(), hb.buffer(), ho.buffer(), ha.size()));
    }

    @Override
    public void close() {
        lifetime.close();
    }
}
