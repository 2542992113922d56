package org.sepnet.runtime;

import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * An activation of a compiled network: a tensor at the full batch and cached views of it at smaller
 * batches; or, for the network's input, the caller's tensor bound for one forward pass.
 */
final class Value {
    final Shape feature;
    private final Tensor full;
    private final Tensor[] views;
    Tensor bound;

    Value(Shape feature, Tensor full, int maxBatch) {
        this.feature = feature;
        this.full = full;
        this.views = new Tensor[maxBatch + 1];
    }

    /** The activation at batch {@code batch}. */
    Tensor at(int batch) {
        if (full == null) {
            return bound;
        }
        Tensor v = views[batch];
        if (v == null) {
            v = full.narrowBatch(batch);
            views[batch] = v;
        }
        return v;
    }
}
