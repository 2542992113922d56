package org.sepnet.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.sepnet.layers.Concat;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Residual;
import org.sepnet.layers.Sequential;

/**
 * Turns a dataflow graph (layers applied to named values, values joined by sums and concatenations,
 * as in Caffe and ONNX) into the library's layer tree. Every value is a layer applied to one base
 * value; a sum or concatenation finds the nearest value its inputs share (the fork) and becomes a
 * {@link Residual} or {@link Concat} applied to it, each input's path from the fork becoming a
 * branch. Graphs whose branches do not rejoin (several outputs, a branch that leaves the block)
 * are rejected.
 */
final class GraphBuilder {
    /** A value: {@code layer} applied to {@code base}, or the graph input when {@code base} is null. */
    static final class Value {
        final Value base;
        final Layer layer;
        final int depth;

        private Value(Value base, Layer layer) {
            this.base = base;
            this.layer = layer;
            this.depth = base == null ? 0 : base.depth + 1;
        }
    }

    private final Value input = new Value(null, null);

    /** The graph input. */
    Value input() {
        return input;
    }

    /** {@code layer} applied to {@code v}. */
    Value apply(Value v, Layer layer) {
        return new Value(v, layer);
    }

    /**
     * {@code a + b} (then ReLU when {@code relu}): a residual around their fork; the longer path is
     * the body, the other the shortcut (the identity when it is the fork itself).
     */
    Value sum(String name, Value a, Value b, boolean relu) {
        Value fork = fork(List.of(a, b), name);
        List<Layer> pa = path(fork, a);
        List<Layer> pb = path(fork, b);
        if (pa.isEmpty() && pb.isEmpty()) {
            throw new IllegalArgumentException("sum " + name + " adds a value to itself; expected a residual connection");
        }
        List<Layer> body = pa.size() >= pb.size() ? pa : pb;
        List<Layer> shortcut = body == pa ? pb : pa;
        Layer bodyLayer = sequence(name + ".body", body);
        Layer shortcutLayer = shortcut.isEmpty() ? null : sequence(name + ".shortcut", shortcut);
        return new Value(fork, new Residual(name, bodyLayer, shortcutLayer, relu));
    }

    /** The channel concatenation of {@code parts}, as branches from their fork. */
    Value concat(String name, List<Value> parts) {
        Value fork = fork(parts, name);
        List<Layer> branches = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            List<Layer> p = path(fork, parts.get(i));
            if (p.isEmpty()) {
                throw new IllegalArgumentException("concat " + name + ": input " + i + " is the fork itself; expected a branch with layers");
            }
            branches.add(sequence(name + ".branch" + i, p));
        }
        return new Value(fork, new Concat(name, branches));
    }

    /** The layer tree computing {@code output} from the input. */
    Layer build(String name, Value output) {
        List<Layer> layers = path(input, output);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("the graph's output is its input; expected at least one layer");
        }
        return new Sequential(name, layers);
    }

    private static Layer sequence(String name, List<Layer> layers) {
        return layers.size() == 1 && layers.get(0) instanceof Sequential ? layers.get(0) : new Sequential(name, layers);
    }

    /** The nearest common base of all values. */
    private Value fork(List<Value> values, String name) {
        Value f = values.get(0);
        for (Value v : values.subList(1, values.size())) {
            Value x = f;
            Value y = v;
            while (x.depth > y.depth) {
                x = x.base;
            }
            while (y.depth > x.depth) {
                y = y.base;
            }
            while (x != y) {
                x = x.base;
                y = y.base;
            }
            f = x;
        }
        return f;
    }

    /** The layers from {@code from} (exclusive) to {@code to} (inclusive). */
    private static List<Layer> path(Value from, Value to) {
        List<Layer> out = new ArrayList<>();
        for (Value v = to; v != from; v = v.base) {
            if (v == null) {
                throw new IllegalStateException("value is not downstream of its fork");
            }
            out.add(v.layer);
        }
        Collections.reverse(out);
        return out;
    }
}
