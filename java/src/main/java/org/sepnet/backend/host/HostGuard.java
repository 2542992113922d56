package org.sepnet.backend.host;

import java.util.List;
import org.sepnet.backend.Guard;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;

/** {@link Guard} for host tensors. */
final class HostGuard {
    private HostGuard() {}

    static void run(Lifetime op, String opName, List<HostTensor> inputs, HostTensor output, Runnable kernel) {
        int n = inputs.size();
        Lifetime[] lifetimes = new Lifetime[n + 1];
        String[] names = new String[n + 1];
        for (int i = 0; i < n; i++) {
            HostTensor in = inputs.get(i);
            if (in.overlaps(output)) {
                throw Guard.aliased(opName, i, n, in.shape());
            }
            lifetimes[i] = in.lifetime();
            names[i] = "input tensor " + in.shape();
        }
        lifetimes[n] = output.lifetime();
        names[n] = "output tensor " + output.shape();
        Guard.run(op, opName, lifetimes, names, kernel);
    }
}
