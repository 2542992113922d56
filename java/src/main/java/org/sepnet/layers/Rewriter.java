package org.sepnet.layers;

import java.util.ArrayList;
import java.util.List;

/**
 * A graph rewrite: containers are rebuilt around their rewritten children; layers without weights
 * (ReLU, pooling, softmax) stay as they are; each layer with weights must be handled, so a new
 * kind of weighted layer cannot pass through a transform unnoticed. {@link #inShortcut()} says
 * whether the layer being visited sits in a residual's shortcut.
 */
abstract class Rewriter implements Layer.Visitor<Layer> {
    private int shortcutDepth;

    /** Whether the layer being visited is inside a residual shortcut. */
    final boolean inShortcut() {
        return shortcutDepth > 0;
    }

    final Layer apply(Layer l) {
        return l.accept(this);
    }

    @Override
    public Layer sequential(Sequential s) {
        List<Layer> out = new ArrayList<>();
        for (Layer child : s.layers()) {
            append(out, apply(child));
        }
        return new Sequential(s.name(), out);
    }

    /** Adds a rewritten child to the sequence built so far (a rewrite may merge it into the one before). */
    void append(List<Layer> sequence, Layer rewritten) {
        sequence.add(rewritten);
    }

    @Override
    public Layer residual(Residual r) {
        Layer body = apply(r.body());
        Layer shortcut = null;
        if (r.shortcut() != null) {
            shortcutDepth++;
            try {
                shortcut = apply(r.shortcut());
            } finally {
                shortcutDepth--;
            }
        }
        return r.with(body, shortcut);
    }

    @Override
    public Layer concat(Concat c) {
        List<Layer> out = new ArrayList<>();
        for (Layer b : c.branches()) {
            out.add(apply(b));
        }
        return new Concat(c.name(), out);
    }

    @Override
    public Layer relu(Relu r) {
        return r;
    }

    @Override
    public Layer pool(Pool2d p) {
        return p;
    }

    @Override
    public Layer softmax(Softmax s) {
        return s;
    }
}
