package org.sepnet.runtime;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.backend.Backend;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Concat;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Linear;
import org.sepnet.layers.PatternConv2d;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Residual;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.Op;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * Builds a {@link Program} from a layer graph (batch norm already folded): one op per layer, built
 * for the backend and the maximum batch, and one activation per op output. A ReLU that follows a
 * layer whose op can apply it ({@link #fusesRelu}) is fused into that op.
 */
final class Compiler implements Layer.Visitor<Value> {
    private final Backend backend;
    private final int maxBatch;
    private final Program program;
    private Value x;        // the input of the layer being compiled
    private Activation act;  // what its op applies to its output

    Compiler(Backend backend, int maxBatch, Program program) {
        this.backend = backend;
        this.maxBatch = maxBatch;
        this.program = program;
    }

    /** Compiles {@code l} reading {@code input}; {@code relu} fuses a following ReLU into its op. */
    Value compile(Layer l, Value input, boolean relu) {
        Value savedX = x;
        Activation savedAct = act;
        x = input;
        act = relu ? Activation.RELU : Activation.NONE;
        try {
            return l.accept(this);
        } finally {
            x = savedX;
            act = savedAct;
        }
    }

    @Override
    public Value sequential(Sequential s) {
        List<Layer> layers = s.layers();
        Value v = x;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            boolean relu = i + 1 < layers.size() && layers.get(i + 1) instanceof Relu && fusesRelu(l);
            v = compile(l, v, relu);
            if (relu) {
                i++;
            }
        }
        return v;
    }

    @Override
    public Value residual(Residual r) {
        Value in = x;
        Shape out = r.outputShape(in.feature);
        Activation a = r.relu() ? Activation.RELU : act;
        Value body = compile(r.body(), in, false);
        Value shortcut = r.shortcut() == null ? in : compile(r.shortcut(), in, false);
        return sum(body, shortcut, out, a, r.name());
    }

    @Override
    public Value concat(Concat c) {
        Value in = x;
        Shape out = c.outputShape(in.feature);
        List<Value> parts = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (Layer b : c.branches()) {
            Value v = compile(b, in, false);
            parts.add(v);
            shapes.add(batched(v.feature));
        }
        ConcatOp op = own(backend.concat(shapes), c.name());
        Value y = allocate(out);
        List<Tensor> scratch = new ArrayList<>(parts.size());
        program.step(n -> {
            scratch.clear();
            for (Value v : parts) {
                scratch.add(v.at(n));
            }
            op.run(scratch, y.at(n));
        });
        return y;
    }

    @Override
    public Value conv(Conv2d c) {
        ConvDesc d = c.spec().desc(maxBatch, x.feature, c.name());
        UnaryOp op = d.isPointwise() && d.dilationHeight() == 1 && d.dilationWidth() == 1
                ? backend.pointwiseConv2d(d, c.weights(), act) : backend.conv2d(d, c.weights(), act);
        return unary(own(op, c.name()), c);
    }

    @Override
    public Value patternConv(PatternConv2d p) {
        ConvDesc d = p.spec().desc(maxBatch, x.feature, p.name());
        return unary(own(backend.patternConv2d(d, p.weights(), act), p.name()), p);
    }

    @Override
    public Value block(PatternResidualBlock b) {
        var d = b.desc(maxBatch, x.feature);
        if (b.isBinarized()) {
            return unary(own(backend.patternResidualBlock(d, b.pattern(), b.pointwise(), act), b.name()), b);
        }
        // A raw block: the two float branches, then their sum.
        Value in = x;
        Shape out = b.outputShape(in.feature);
        Value k = unary(own(backend.conv2d(d.pattern(), b.floatKernel(), Activation.NONE), b.name() + ".kxk"), b);
        Value p = unary(own(backend.pointwiseConv2d(d.pointwise(), b.pointwise(), Activation.NONE), b.name() + ".1x1"), b);
        return sum(k, p, out, act, b.name());
    }

    @Override
    public Value batchNorm(BatchNorm bn) {
        return unary(own(backend.batchNorm(batched(x.feature), bn.params(), act), bn.name()), bn);
    }

    @Override
    public Value relu(Relu r) {
        return unary(own(backend.activation(batched(x.feature), Activation.RELU), r.name()), r);
    }

    @Override
    public Value pool(Pool2d p) {
        return unary(own(backend.pool(p.desc(maxBatch, x.feature)), p.name()), p);
    }

    @Override
    public Value linear(Linear f) {
        return unary(own(backend.fullyConnected(f.desc(maxBatch), f.weights(), act), f.name()), f);
    }

    @Override
    public Value softmax(Softmax s) {
        return unary(own(backend.softmax(batched(x.feature)), s.name()), s);
    }

    /** Whether the op of {@code l} applies a ReLU to its output itself. */
    static boolean fusesRelu(Layer l) {
        return l.accept(new Layer.Visitor<Boolean>() {
            @Override
            public Boolean sequential(Sequential s) {
                return false;
            }

            @Override
            public Boolean residual(Residual r) {
                return true;
            }

            @Override
            public Boolean concat(Concat c) {
                return false;
            }

            @Override
            public Boolean conv(Conv2d c) {
                return true;
            }

            @Override
            public Boolean patternConv(PatternConv2d p) {
                return true;
            }

            @Override
            public Boolean block(PatternResidualBlock b) {
                return true;
            }

            @Override
            public Boolean batchNorm(BatchNorm bn) {
                return true;
            }

            @Override
            public Boolean relu(Relu r) {
                return false;
            }

            @Override
            public Boolean pool(Pool2d p) {
                return false;
            }

            @Override
            public Boolean linear(Linear f) {
                return true;
            }

            @Override
            public Boolean softmax(Softmax s) {
                return false;
            }
        });
    }

    /** A step adding {@code a} and {@code b} (then {@code act}) into a new activation of feature shape {@code out}. */
    private Value sum(Value a, Value b, Shape out, Activation act, String layer) {
        BinaryOp add = own(backend.add(batched(out), act), layer);
        Value y = allocate(out);
        program.step(n -> add.run(a.at(n), b.at(n), y.at(n)));
        return y;
    }

    /** A step running {@code op} on the current input into a new activation of {@code l}'s output shape. */
    private Value unary(UnaryOp op, Layer l) {
        Value in = x;
        Value y = allocate(l.outputShape(in.feature));
        program.step(n -> op.run(in.at(n), y.at(n)));
        return y;
    }

    private Value allocate(Shape feature) {
        return new Value(feature, program.own(backend.allocate(batched(feature))), maxBatch);
    }

    private <T extends Op> T own(T op, String layer) {
        program.own(op);
        String why = op.reason();
        program.planned(layer + ": " + op.implementation() + " " + op.problem() + (why.isEmpty() ? "" : " (" + why + ")"));
        return op;
    }

    private Shape batched(Shape feature) {
        return feature.withBatch(maxBatch);
    }
}
