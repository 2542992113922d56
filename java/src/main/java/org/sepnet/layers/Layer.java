package org.sepnet.layers;

import java.util.List;
import org.sepnet.tensor.Shape;

/**
 * A layer of a network graph: a name, a type, shape inference and its counts. Layers are immutable
 * and hold their weights on the Java heap; {@link Network} compiles them for a backend.
 */
public abstract class Layer {
    private final String name;

    protected Layer(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("layer name is empty; expected a name");
        }
        this.name = name;
    }

    /** The layer's name, unique within its network by convention (e.g. {@code stage2.block1.conv1}). */
    public String name() {
        return name;
    }

    /** A short type name, e.g. {@code conv3x3}, {@code pattern_conv3x3}, {@code prb3x3}, {@code bn}. */
    public abstract String type();

    /** The output feature shape for an input feature shape; throws naming the mismatch. */
    public abstract Shape outputShape(Shape input);

    /** Direct children of a container; empty for a leaf. */
    public List<Layer> children() {
        return List.of();
    }

    /**
     * Parameters by the paper's rule, for this layer alone (containers: 0): conv weights without
     * bias, one per binarized k×k slice, 2 per batch-norm channel, classifier weights without bias.
     */
    public long paperParams() {
        return 0;
    }

    /** Every number this layer stores (a sign bit, a scale, a bias and a float weight each count 1). */
    public long storedParams() {
        return 0;
    }

    /** Bytes of this layer's weights as this library stores them. */
    public long bytes() {
        return 0;
    }

    /** Multiply-accumulates per sample for an input feature shape (binarized k×k terms count 1 each). */
    public long macs(Shape input) {
        return 0;
    }

    @Override
    public String toString() {
        return type() + " " + name;
    }

    static Shape requireMap(Shape s, String layer) {
        if (s.rank() != 3) {
            throw new IllegalArgumentException("layer " + layer + " needs a feature map [C, H, W]; got " + s);
        }
        return s;
    }
}
