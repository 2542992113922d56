package org.sepnet.backend;

import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;

/**
 * How every backend runs an op: the op and its tensors are held open for the length of the call,
 * so that another thread closing any of them frees nothing under the kernel (see {@link Lifetime}),
 * and an output that shares memory with an input is refused: no op computes in place.
 */
public final class Guard {
    private Guard() {}

    /**
     * Runs {@code kernel} while {@code op} and every one of {@code tensors} (the inputs, then the
     * output, of the given shapes) are entered; throws {@link IllegalStateException} naming the
     * first that is closed. Messages are only built on failure: this runs on every op call.
     */
    public static void run(Lifetime op, String opName, Lifetime[] tensors, Shape[] shapes, Runnable kernel) {
        if (!op.enter()) {
            throw new IllegalStateException("op " + opName + " is closed");
        }
        int entered = 0;
        try {
            for (; entered < tensors.length; entered++) {
                if (!tensors[entered].enter()) {
                    throw new IllegalStateException((entered == tensors.length - 1 ? "output" : "input") + " tensor "
                            + shapes[entered] + " of op " + opName + " is closed");
                }
            }
            kernel.run();
        } finally {
            for (int i = 0; i < entered; i++) {
                tensors[i].exit();
            }
            op.exit();
        }
    }

    /** The error for an output that shares memory with input {@code index} of {@code inputs}. */
    public static IllegalArgumentException aliased(String opName, int index, int inputs, Shape input) {
        return new IllegalArgumentException("the output of " + opName + " shares memory with its "
                + (inputs == 1 ? "input" : "input " + index) + " " + input
                + "; ops do not compute in place: give it a separate output tensor");
    }
}
