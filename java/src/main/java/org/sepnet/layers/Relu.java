package org.sepnet.layers;

import org.sepnet.tensor.Shape;

/** max(x, 0); fused into the preceding convolution, block or sum where there is one. */
public final class Relu extends Layer {
    public Relu(String name) {
        super(name);
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.relu(this);
    }

    @Override
    public String type() {
        return "relu";
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }
}
