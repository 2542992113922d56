package org.sepnet.backend.host;

import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Tensor;

/** Placement checks for host-memory backends. */
public final class HostTensors {
    private HostTensors() {}

    /** {@code t} as a host tensor, or an error naming where it lives and what to do. */
    public static HostTensor require(Tensor t, String what, String backend) {
        if (t instanceof HostTensor h) {
            if (h.isClosed()) {
                throw new IllegalStateException(what + " tensor " + h.shape() + " is closed");
            }
            return h;
        }
        throw new IllegalArgumentException("the " + backend + " backend computes on host tensors; " + what + " "
                + t.shape() + " lives at " + t.location() + ": allocate it with this backend or copy it into a HostTensor");
    }
}
