package org.sepnet.ops;

import org.sepnet.tensor.Tensor;

/** An op with two inputs of the same shape and one output of that shape. */
public interface BinaryOp extends Op {
    /** Computes {@code output} from {@code a} and {@code b}. */
    void run(Tensor a, Tensor b, Tensor output);
}
