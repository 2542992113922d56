package org.sepnet.layers;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.backend.Backend;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.Op;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A layer graph compiled for one backend and a maximum batch: every op is built (weights packed and
 * uploaded) and every activation allocated once; {@link #forward} runs them in order and allocates
 * nothing. Batch norm after a convolution, pattern convolution or pattern residual block is folded
 * into it ({@link Folding}); a ReLU after a convolution, block, batch norm, fully connected layer or
 * residual sum is fused into it. Not thread-safe: one network per thread.
 */
public final class Network implements AutoCloseable {
    private final Layer model;
    private final Backend backend;
    private final int maxBatch;
    private final Shape inputFeature;
    private final Value input;
    private final Value output;
    private final List<Step> steps = new ArrayList<>();
    private final List<String> stepOps = new ArrayList<>();  // the plan line of each step's op
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final List<String> plan = new ArrayList<>();
    private Tensor hostStagingIn;
    private boolean closed;

    /** A step of the forward pass at a batch size. */
    @FunctionalInterface
    private interface Step {
        void run(int batch);
    }

    /** An activation: a tensor at the full batch and cached views at smaller batches. */
    private final class Value {
        final Shape feature;
        final Tensor full;
        final Tensor[] views;
        Tensor bound;  // the network input: the caller's tensor, bound per forward

        Value(Shape feature, Tensor full) {
            this.feature = feature;
            this.full = full;
            this.views = new Tensor[maxBatch + 1];
        }

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

    private Network(Layer model, Shape inputFeature, Backend backend, int maxBatch) {
        this.model = model;
        this.backend = backend;
        this.maxBatch = maxBatch;
        this.inputFeature = inputFeature;
        this.input = new Value(inputFeature, null);
        Value out;
        try {
            out = compile(model, input, false);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.output = out;
    }

    /**
     * Compiles {@code model} for inputs of feature shape {@code input} ([C, H, W]) on {@code backend},
     * for batches of 1 to {@code maxBatch}.
     *
     * @throws IllegalArgumentException when a layer does not accept its input, naming the layer
     * @throws IllegalStateException when the backend is unavailable
     */
    public static Network compile(Layer model, Shape input, Backend backend, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch is " + maxBatch + "; expected 1 or more");
        }
        model.outputShape(input); // validates the whole graph before anything is allocated
        return new Network(model, input, backend, maxBatch);
    }

    public Layer model() {
        return model;
    }

    public Backend backend() {
        return backend;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** Input feature shape. */
    public Shape inputShape() {
        return inputFeature;
    }

    /** Output feature shape. */
    public Shape outputShape() {
        return output.feature;
    }

    /** One line per op: the layer it came from, its implementation and problem. */
    public List<String> plan() {
        return List.copyOf(plan);
    }

    /**
     * Runs the network on {@code in}, a tensor of this network's backend shaped [n, input feature…]
     * with 1 ≤ n ≤ {@link #maxBatch()}. Returns the output [n, output feature…], owned by the network
     * and valid until the next call.
     */
    public Tensor forward(Tensor in) {
        if (closed) {
            throw new IllegalStateException("network is closed");
        }
        Shape s = in.shape();
        int n = s.dim(0);
        if (s.rank() != inputFeature.rank() + 1 || n < 1 || n > maxBatch || !sameFeature(s)) {
            throw new IllegalArgumentException("input shape " + s + "; expected [1.." + maxBatch + ", "
                    + inputFeature.toString().substring(1));
        }
        input.bound = in;
        for (Step step : steps) {
            step.run(n);
        }
        backend.synchronize();
        input.bound = null;
        return output.at(n);
    }

    /** One op's share of a forward pass: its plan line and the median time it took. */
    public record OpTime(String op, double micros) {}

    /**
     * Times every op of a forward pass on {@code in} (as {@link #forward(Tensor)} takes it): the pass is
     * run {@code repetitions} times after one untimed pass, each op waited for
     * ({@link Backend#synchronize()}) before its clock stops, and each op's median is returned, in
     * plan order. The waits make the sum of the ops somewhat larger than a forward pass on a GPU.
     *
     * @throws IllegalArgumentException when {@code repetitions} is below 1 or the input does not fit
     */
    public List<OpTime> profile(Tensor in, int repetitions) {
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions is " + repetitions + "; expected 1 or more");
        }
        forward(in);  // validates the input and warms every op
        int n = in.shape().dim(0);
        long[][] t = new long[steps.size()][repetitions];
        input.bound = in;
        try {
            for (int r = 0; r < repetitions; r++) {
                for (int i = 0; i < steps.size(); i++) {
                    long t0 = System.nanoTime();
                    steps.get(i).run(n);
                    backend.synchronize();
                    t[i][r] = System.nanoTime() - t0;
                }
            }
        } finally {
            input.bound = null;
        }
        List<OpTime> out = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            long[] v = t[i].clone();
            java.util.Arrays.sort(v);
            double median = repetitions % 2 == 1 ? v[repetitions / 2] : (v[repetitions / 2 - 1] + v[repetitions / 2]) / 2.0;
            out.add(new OpTime(stepOps.get(i), median / 1e3));
        }
        return out;
    }

    /** Runs the network on a host tensor and copies the result into {@code out} (copies to and from the device if needed). */
    public void forward(HostTensor in, HostTensor out) {
        Tensor x = in;
        if (!backend.computesOnHost()) {
            if (hostStagingIn == null) {
                hostStagingIn = backend.allocate(in.shape().withDim0(maxBatch));
                owned.add(hostStagingIn);
            }
            x = hostStagingIn.narrowBatch(in.shape().dim(0));
            x.copyFrom(in);
        }
        Tensor y = forward(x);
        y.copyTo(out);
    }

    private boolean sameFeature(Shape s) {
        for (int i = 0; i < inputFeature.rank(); i++) {
            if (s.dim(i + 1) != inputFeature.dim(i)) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- compilation

    private Value allocate(Shape feature) {
        Tensor t = backend.allocate(batched(feature));
        owned.add(t);
        return new Value(feature, t);
    }

    private <T extends Op> T own(T op, String layer) {
        owned.add(op);
        plan.add(layer + ": " + op.implementation() + " " + op.problem());
        return op;
    }

    /** Adds a step running the op owned last (its plan line labels the step in {@link #profile}). */
    private void addStep(Step step) {
        steps.add(step);
        stepOps.add(plan.get(plan.size() - 1));
    }

    private Value unary(UnaryOp op, Value x, Shape feature) {
        Value y = allocate(feature);
        addStep(n -> op.run(x.at(n), y.at(n)));
        return y;
    }

    /** Compiles one layer; {@code relu} fuses a following ReLU where the layer's op allows it. */
    private Value compile(Layer l, Value x, boolean relu) {
        Activation act = relu ? Activation.RELU : Activation.NONE;
        Shape out = l.outputShape(x.feature);
        if (l instanceof Sequential s) {
            return compileSequence(s.layers(), x);
        }
        if (l instanceof Residual r) {
            Value body = compile(r.body(), x, false);
            Value shortcut = r.shortcut() == null ? x : compile(r.shortcut(), x, false);
            Activation a = r.relu() || relu ? Activation.RELU : Activation.NONE;
            BinaryOp add = own(backend.add(batched(out), a), r.name());
            Value y = allocate(out);
            addStep(n -> add.run(body.at(n), shortcut.at(n), y.at(n)));
            return y;
        }
        if (l instanceof Concat c) {
            List<Value> parts = new ArrayList<>();
            List<Shape> shapes = new ArrayList<>();
            for (Layer b : c.branches()) {
                Value v = compile(b, x, false);
                parts.add(v);
                shapes.add(batched(v.feature));
            }
            ConcatOp op = own(backend.concat(shapes), c.name());
            Value y = allocate(out);
            List<Tensor> scratch = new ArrayList<>(parts.size());
            addStep(n -> {
                scratch.clear();
                for (Value v : parts) {
                    scratch.add(v.at(n));
                }
                op.run(scratch, y.at(n));
            });
            return y;
        }
        if (l instanceof Conv2d c) {
            var d = c.spec().desc(maxBatch, x.feature, c.name());
            UnaryOp op = d.isPointwise() && d.dilationHeight() == 1 && d.dilationWidth() == 1
                    ? backend.pointwiseConv2d(d, c.weights(), act) : backend.conv2d(d, c.weights(), act);
            return unary(own(op, c.name()), x, out);
        }
        if (l instanceof PatternConv2d p) {
            var d = p.spec().desc(maxBatch, x.feature, p.name());
            return unary(own(backend.patternConv2d(d, p.weights(), act), p.name()), x, out);
        }
        if (l instanceof PatternResidualBlock b) {
            return compileBlock(b, x, act, out);
        }
        if (l instanceof BatchNorm bn) {
            return unary(own(backend.batchNorm(batched(x.feature), bn.params(), act), bn.name()), x, out);
        }
        if (l instanceof Relu r) {
            return unary(own(backend.activation(batched(x.feature), Activation.RELU), r.name()), x, out);
        }
        if (l instanceof Pool2d p) {
            return unary(own(backend.pool(p.desc(maxBatch, x.feature)), p.name()), x, out);
        }
        if (l instanceof Linear f) {
            return unary(own(backend.fullyConnected(f.desc(maxBatch), f.weights(), act), f.name()), x, out);
        }
        if (l instanceof Softmax s) {
            return unary(own(backend.softmax(batched(x.feature)), s.name()), x, out);
        }
        throw new IllegalArgumentException("layer " + l.name() + " of type " + l.getClass().getSimpleName() + " cannot be compiled");
    }

    private Value compileBlock(PatternResidualBlock b, Value x, Activation act, Shape out) {
        var d = b.desc(maxBatch, x.feature);
        if (b.isBinarized()) {
            return unary(own(backend.patternResidualBlock(d, b.pattern(), b.pointwise(), act), b.name()), x, out);
        }
        // A raw block: the two float branches, then their sum.
        Value k = unary(own(backend.conv2d(d.pattern(), b.floatKernel(), Activation.NONE), b.name() + ".kxk"), x, out);
        Value p = unary(own(backend.pointwiseConv2d(d.pointwise(), b.pointwise(), Activation.NONE), b.name() + ".1x1"), x, out);
        BinaryOp add = own(backend.add(batched(out), act), b.name());
        Value y = allocate(out);
        addStep(n -> add.run(k.at(n), p.at(n), y.at(n)));
        return y;
    }

    /** A sequence with batch norm folded into the layer before it and ReLUs fused where possible. */
    private Value compileSequence(List<Layer> layers, Value x) {
        Value v = x;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            Layer next = i + 1 < layers.size() ? layers.get(i + 1) : null;
            if (next instanceof BatchNorm bn && foldable(l)) {
                l = fold(l, bn);
                i++;
                next = i + 1 < layers.size() ? layers.get(i + 1) : null;
            }
            boolean relu = next instanceof Relu && fusesRelu(l);
            if (relu) {
                i++;
            }
            v = compile(l, v, relu);
        }
        return v;
    }

    private static boolean foldable(Layer l) {
        return l instanceof Conv2d || l instanceof PatternConv2d || l instanceof PatternResidualBlock;
    }

    private static boolean fusesRelu(Layer l) {
        return l instanceof Conv2d || l instanceof PatternConv2d || l instanceof PatternResidualBlock
                || l instanceof BatchNorm || l instanceof Linear || l instanceof Residual;
    }

    static Layer fold(Layer l, BatchNorm bn) {
        if (l instanceof Conv2d c) {
            return new Conv2d(c.name(), c.spec(), Folding.fold(c.weights(), bn.params()));
        }
        if (l instanceof PatternConv2d p) {
            return new PatternConv2d(p.name(), p.spec(), Folding.fold(p.weights(), null, bn.params()));
        }
        return Folding.fold((PatternResidualBlock) l, bn.params());
    }

    private Shape batched(Shape feature) {
        return feature.withBatch(maxBatch);
    }

    /** Closes every op and activation (and only them: the caller's input is not touched). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                // Best effort: keep closing the rest.
            }
        }
        owned.clear();
    }
}
