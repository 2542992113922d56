package org.sepnet.ops;

import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/** An op with one input and one output tensor. */
public interface UnaryOp extends Op {
    /** The output shape for an input of shape {@code input}; throws if the input is not accepted. */
    Shape outputShape(Shape input);

    /** Computes {@code output} from {@code input}; both must live where this op's backend computes. */
    void run(Tensor input, Tensor output);
}
