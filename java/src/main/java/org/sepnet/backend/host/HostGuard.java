package org.sepnet.backend.host;

import java.util.List;
import org.sepnet.backend.Guard;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;

/** {@link Guard} for host tensors. */
final class HostGuard {
    private HostGuard() {}

    /** One input, one output: the common case, without the arrays of the general one (it runs on every op call). */
    static void run(Lifetime op, String opName, HostTensor input, HostTensor output, HostKernel kernel) {
        if (input.overlaps(output)) {
            throw Guard.aliased(opName, 0, 1, input.shape());
        }
        if (!op.enter()) {
            throw new IllegalStateException("op " + opName + " is closed");
        }
        try {
            Lifetime in = input.lifetime();
            if (!in.enter()) {
                throw new IllegalStateException("input tensor " + input.shape() + " of op " + opName + " is closed");
            }
            try {
                Lifetime out = output.lifetime();
                if (!out.enter()) {
                    throw new IllegalStateException("output tensor " + output.shape() + " of op " + opName + " is closed");
                }
                try {
                    kernel.run(input.buffer(), output.buffer(), input.shape().dim(0));
                } finally {
                    out.exit();
                }
            } finally {
                in.exit();
            }
        } finally {
            op.exit();
        }
    }

    static void run(Lifetime op, String opName, List<HostTensor> inputs, HostTensor output, Runnable kernel) {
        int n = inputs.size();
        Lifetime[] lifetimes = new Lifetime[n + 1];
        Shape[] shapes = new Shape[n + 1];
        for (int i = 0; i < n; i++) {
            HostTensor in = inputs.get(i);
            if (in.overlaps(output)) {
                throw Guard.aliased(opName, i, n, in.shape());
            }
            lifetimes[i] = in.lifetime();
            shapes[i] = in.shape();
        }
        lifetimes[n] = output.lifetime();
        shapes[n] = output.shape();
        Guard.run(op, opName, lifetimes, shapes, kernel);
    }
}
