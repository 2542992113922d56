package org.sepnet.backend.host;

import java.util.List;
import org.sepnet.backend.Guard;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;

/** {@link Guard} for host tensors. */
final class HostGuard {
    private HostGuard() {}

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
