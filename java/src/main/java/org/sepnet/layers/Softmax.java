package org.sepnet.layers;

import org.sepnet.tensor.Shape;

/** Softmax over all values of a sample. */
public final class Softmax extends Layer {
    public Softmax(String name) {
        super(name);
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.softmax(this);
    }

    @Override
    public String type() {
        return "softmax";
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }
}
