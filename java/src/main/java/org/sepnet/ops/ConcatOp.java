package org.sepnet.ops;

import java.util.List;
import org.sepnet.tensor.Tensor;

/** Concatenation of NCHW tensors along the channel axis. */
public interface ConcatOp extends Op {
    /** Writes the inputs, in order, into consecutive channel ranges of {@code output}. */
    void run(List<? extends Tensor> inputs, Tensor output);
}
