package org.sepnet.layers;

/**
 * A visitor of leaf layers, for code that walks {@link Layer#leaves()}: every leaf type must be
 * handled; containers are never passed to it (they throw).
 */
public abstract class LeafVisitor<R> implements Layer.Visitor<R> {
    @Override
    public final R sequential(Sequential s) {
        throw notALeaf(s);
    }

    @Override
    public final R residual(Residual r) {
        throw notALeaf(r);
    }

    @Override
    public final R concat(Concat c) {
        throw notALeaf(c);
    }

    private static IllegalStateException notALeaf(Layer l) {
        return new IllegalStateException(l + " is a container; a leaf visitor takes the leaves of a graph (Layer.leaves())");
    }
}
