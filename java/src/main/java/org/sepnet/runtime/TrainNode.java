package org.sepnet.runtime;

import java.util.List;
import org.sepnet.tensor.Shape;

/**
 * A node of a {@link TrainingGraph}: a forward pass that keeps what its backward pass needs, and a
 * backward pass that adds its parameters' gradients and returns ∂L/∂input. Buffers hold
 * [batch, feature…] on the graph's {@link Kernels}; each node keeps its own (outputs, gradients),
 * reused while the batch stays.
 */
abstract class TrainNode<B> {
    /** Training (batch statistics, running statistics updated by {@code momentum}) or inference. */
    record Mode(boolean training, double momentum) {}

    protected final Kernels<B> k;
    protected final Shape in;
    protected final Shape out;

    TrainNode(Kernels<B> k, Shape in, Shape out) {
        this.k = k;
        this.in = in;
        this.out = out;
    }

    abstract B forward(B x, int batch, Mode mode);

    /** y = ReLU(x) (x may be y) by this graph's own decisions, recorded or replayed ones; returns the mask when one was used. */
    boolean[] relu(Decisions d, B x, B y, long count) {
        if (d.mode() == Decisions.Mode.REPLAY) {
            boolean[] mask = d.take(count);
            k.reluMasked(x, mask, y, count);
            return mask;
        }
        k.relu(x, y, count);
        if (d.mode() == Decisions.Mode.RECORD) {
            d.add(k.passes(y, count));
        }
        return null;
    }

    /** dx = dy where the ReLU passed: by {@code mask} when one was replayed, else by its output y. */
    void reluBackward(boolean[] mask, B y, B dy, B dx, long count) {
        if (mask != null) {
            k.reluBackwardMasked(mask, dy, dx, count);
        } else {
            k.reluBackward(y, dy, dx, count);
        }
    }

    abstract B backward(B dy, int batch);

    /**
     * Whether {@link #backward} must return ∂L/∂input (true by default). The graph's first layers are
     * told not to when nobody asks for the input's gradient: their transposed convolutions are skipped
     * and backward returns null. Nodes that cannot skip it compute it anyway.
     */
    void needInputGradient(boolean needed) {}

    /** Bytes of the buffers this node keeps between steps: activations saved for backward, outputs, gradients. */
    long savedBytes() {
        return 0;
    }

    long bytes(List<B> buffers) {
        long b = 0;
        for (B x : buffers) {
            b += k.bytes(x);
        }
        return b;
    }

    /** Layers in order. */
    static final class Chain<B> extends TrainNode<B> {
        private final List<TrainNode<B>> nodes;

        Chain(Kernels<B> k, Shape in, Shape out, List<TrainNode<B>> nodes) {
            super(k, in, out);
            this.nodes = nodes;
        }

        @Override
        B forward(B x, int batch, Mode mode) {
            B v = x;
            for (TrainNode<B> n : nodes) {
                v = n.forward(v, batch, mode);
            }
            return v;
        }

        @Override
        B backward(B dy, int batch) {
            B g = dy;
            for (int i = nodes.size() - 1; i >= 0; i--) {
                g = nodes.get(i).backward(g, batch);
            }
            return g;
        }

        @Override
        long savedBytes() {
            return nodes.stream().mapToLong(TrainNode::savedBytes).sum();
        }

        @Override
        void needInputGradient(boolean needed) {
            if (!nodes.isEmpty()) {
                nodes.get(0).needInputGradient(needed);
            }
        }
    }

    /** y = ReLU?(body(x) + shortcut(x)), the shortcut the identity when null. */
    static final class Sum<B> extends TrainNode<B> {
        private final TrainNode<B> body;
        private final TrainNode<B> shortcut;
        private final boolean relu;
        private final Decisions decisions;
        private boolean[] mask;
        private boolean needDx = true;
        private B y;
        private B g;
        private B dx;

        Sum(Kernels<B> k, Shape in, Shape out, TrainNode<B> body, TrainNode<B> shortcut, boolean relu, Decisions decisions) {
            super(k, in, out);
            this.decisions = decisions;
            this.body = body;
            this.shortcut = shortcut;
            this.relu = relu;
        }

        @Override
        B forward(B x, int batch, Mode mode) {
            B a = body.forward(x, batch, mode);
            B b = shortcut == null ? x : shortcut.forward(x, batch, mode);
            y = k.buffer(y, batch, out);
            long count = batch * out.size();
            boolean fused = relu && !decisions.active();
            k.add(a, b, y, count, fused);
            mask = relu && !fused ? relu(decisions, y, y, count) : null;
            return y;
        }

        @Override
        B backward(B dy, int batch) {
            B grad = dy;
            if (relu) {
                g = k.buffer(g, batch, out);
                reluBackward(mask, y, dy, g, batch * out.size());
                grad = g;
            }
            B fromBody = body.backward(grad, batch);
            B fromShortcut = shortcut == null ? grad : shortcut.backward(grad, batch);
            if (!needDx) {
                return null;
            }
            dx = k.buffer(dx, batch, in);
            k.add(fromBody, fromShortcut, dx, batch * in.size(), false);
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(java.util.Arrays.asList(y, g, dx)) + body.savedBytes() + (shortcut == null ? 0 : shortcut.savedBytes());
        }

        @Override
        void needInputGradient(boolean needed) {
            needDx = needed;
            body.needInputGradient(needed);
            if (shortcut != null) {
                shortcut.needInputGradient(needed);
            }
        }
    }

    /** Branches on the same input, concatenated along channels. */
    static final class Concat<B> extends TrainNode<B> {
        private final List<TrainNode<B>> branches;
        private final List<Shape> shapes;
        private final int plane;
        private final java.util.ArrayList<B> parts = new java.util.ArrayList<>();
        private boolean needDx = true;
        private B y;
        private B dx;

        Concat(Kernels<B> k, Shape in, Shape out, List<TrainNode<B>> branches, List<Shape> shapes) {
            super(k, in, out);
            this.branches = branches;
            this.shapes = shapes;
            this.plane = out.dim(1) * out.dim(2);
            for (int i = 0; i < branches.size(); i++) {
                parts.add(null);
            }
        }

        @Override
        B forward(B x, int batch, Mode mode) {
            y = k.buffer(y, batch, out);
            long total = out.size();
            long offset = 0;
            for (int b = 0; b < branches.size(); b++) {
                B part = branches.get(b).forward(x, batch, mode);
                long size = shapes.get(b).size();
                k.copyBlocks(part, size, 0, y, total, offset, size, batch);
                offset += size;
            }
            return y;
        }

        @Override
        B backward(B dy, int batch) {
            long total = out.size();
            long offset = 0;
            dx = k.buffer(dx, batch, in);
            for (int b = 0; b < branches.size(); b++) {
                Shape s = shapes.get(b);
                B part = k.buffer(parts.get(b), batch, s);
                parts.set(b, part);
                k.copyBlocks(dy, total, offset, part, s.size(), 0, s.size(), batch);
                B g = branches.get(b).backward(part, batch);
                if (!needDx) {
                    offset += s.size();
                    continue;
                }
                if (b == 0) {
                    k.copyBlocks(g, in.size(), 0, dx, in.size(), 0, in.size(), batch);
                } else {
                    k.add(dx, g, dx, batch * in.size(), false);
                }
                offset += s.size();
            }
            return needDx ? dx : null;
        }

        @Override
        long savedBytes() {
            return k.bytes(y) + k.bytes(dx) + bytes(parts) + branches.stream().mapToLong(TrainNode::savedBytes).sum();
        }

        @Override
        void needInputGradient(boolean needed) {
            needDx = needed;
            branches.forEach(b -> b.needInputGradient(needed));
        }
    }

    /** ReLU. */
    static final class Relu<B> extends TrainNode<B> {
        private final Decisions decisions;
        private boolean[] mask;
        private B y;
        private B dx;

        Relu(Kernels<B> k, Shape in, Decisions decisions) {
            super(k, in, in);
            this.decisions = decisions;
        }

        @Override
        B forward(B x, int batch, Mode mode) {
            y = k.buffer(y, batch, in);
            mask = relu(decisions, x, y, batch * in.size());
            return y;
        }

        @Override
        B backward(B dy, int batch) {
            dx = k.buffer(dx, batch, in);
            reluBackward(mask, y, dy, dx, batch * in.size());
            return dx;
        }

        @Override
        long savedBytes() {
            return k.bytes(y) + k.bytes(dx);
        }
    }
}
