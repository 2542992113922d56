package org.sepnet.layers;

import java.util.List;
import org.sepnet.tensor.Shape;

/** Layers applied one after another. */
public final class Sequential extends Layer {
    private final List<Layer> layers;

    public Sequential(String name, List<? extends Layer> layers) {
        super(name);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("sequence " + name + " is empty; expected at least one layer");
        }
        this.layers = List.copyOf(layers);
    }

    public List<Layer> layers() {
        return layers;
    }

    @Override
    public List<Layer> children() {
        return layers;
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.sequential(this);
    }

    @Override
    public String type() {
        return "sequential";
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape s = input;
        for (Layer l : layers) {
            s = l.outputShape(s);
        }
        return s;
    }
}
