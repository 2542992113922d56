package org.sepnet.layers;

import java.util.List;
import org.sepnet.tensor.Shape;

/** Branches applied to the same input, their outputs concatenated along channels (an inception module). */
public final class Concat extends Layer {
    private final List<Layer> branches;

    public Concat(String name, List<? extends Layer> branches) {
        super(name);
        if (branches.isEmpty()) {
            throw new IllegalArgumentException("concat " + name + " has no branches; expected at least one");
        }
        this.branches = List.copyOf(branches);
    }

    public List<Layer> branches() {
        return branches;
    }

    @Override
    public List<Layer> children() {
        return branches;
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.concat(this);
    }

    @Override
    public String type() {
        return "concat";
    }

    @Override
    public Shape outputShape(Shape input) {
        int channels = 0;
        Shape first = null;
        for (Layer b : branches) {
            Shape s = requireMap(b.outputShape(input), b.name());
            if (first == null) {
                first = s;
            } else if (s.dim(1) != first.dim(1) || s.dim(2) != first.dim(2)) {
                throw new IllegalArgumentException("concat " + name() + ": branch " + b.name() + " gives " + s + " but "
                        + branches.get(0).name() + " gives " + first + "; expected the same height and width");
            }
            channels += s.dim(0);
        }
        return Shape.of(channels, first.dim(1), first.dim(2));
    }
}
