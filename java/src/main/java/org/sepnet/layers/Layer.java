package org.sepnet.layers;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.tensor.Shape;

/**
 * A layer of a network graph: a name, a type, shape inference and its counts. Layers are immutable
 * and hold their weights on the Java heap; {@code org.sepnet.runtime.Network} compiles them for a
 * backend.
 *
 * <p>The hierarchy is sealed: code that handles every kind of layer does so through a
 * {@link Visitor}, so a new kind of layer is a compile error in each place that must handle it.
 */
public abstract sealed class Layer
        permits Sequential, Residual, Concat, Conv2d, PatternConv2d, PatternResidualBlock, BatchNorm, Relu, Pool2d, Linear,
        Softmax {
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

    /** The leaf layers under this one (itself for a leaf), depth first. */
    public List<Layer> leaves() {
        List<Layer> out = new ArrayList<>();
        collectLeaves(this, out);
        return out;
    }

    private static void collectLeaves(Layer l, List<Layer> out) {
        List<Layer> children = l.children();
        if (children.isEmpty()) {
            out.add(l);
        }
        for (Layer c : children) {
            collectLeaves(c, out);
        }
    }

    /** Calls the visitor's method for this layer's type. */
    public abstract <R> R accept(Visitor<R> v);

    /**
     * One method per kind of layer. A {@link SepModule} is a residual with an identity skip: its
     * method defaults to {@link #residual}.
     */
    public interface Visitor<R> {
        R sequential(Sequential s);

        R residual(Residual r);

        default R sepModule(SepModule m) {
            return residual(m);
        }

        R concat(Concat c);

        R conv(Conv2d c);

        R patternConv(PatternConv2d p);

        R block(PatternResidualBlock b);

        R batchNorm(BatchNorm bn);

        R relu(Relu r);

        R pool(Pool2d p);

        R linear(Linear f);

        R softmax(Softmax s);
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
