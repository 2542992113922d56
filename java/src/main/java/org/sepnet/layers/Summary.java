package org.sepnet.layers;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.tensor.Shape;

/**
 * Per-layer counts of a network graph: output shape, parameters by the paper's rule, every stored
 * number, bytes as stored, and multiply-accumulates per sample.
 */
public final class Summary {
    /**
     * One layer's counts (containers get a row after their children, with zero counts).
     *
     * @param input the layer's input feature shape
     * @param layer the layer itself
     */
    public record Row(String name, String type, Shape output, long paperParams, long storedParams, long bytes, long macs, Shape input,
                      Layer layer) {}

    private final List<Row> rows;
    private final Shape output;

    private Summary(List<Row> rows, Shape output) {
        this.rows = List.copyOf(rows);
        this.output = output;
    }

    /** The counts of {@code model} for input feature shape {@code input}. */
    public static Summary of(Layer model, Shape input) {
        List<Row> rows = new ArrayList<>();
        Shape out = visit(model, input, rows);
        return new Summary(rows, out);
    }

    private static Shape visit(Layer l, Shape in, List<Row> rows) {
        return l.accept(new Layer.Visitor<Shape>() {
            @Override
            public Shape sequential(Sequential s) {
                Shape x = in;
                for (Layer c : s.layers()) {
                    x = visit(c, x, rows);
                }
                return x;
            }

            @Override
            public Shape residual(Residual r) {
                Shape b = visit(r.body(), in, rows);
                if (r.shortcut() != null) {
                    visit(r.shortcut(), in, rows);
                }
                rows.add(new Row(r.name(), r.type() + (r.relu() ? "+relu" : ""), b, 0, 0, 0, 0, in, r));
                return b;
            }

            @Override
            public Shape concat(Concat c) {
                for (Layer b : c.branches()) {
                    visit(b, in, rows);
                }
                Shape out = c.outputShape(in);
                rows.add(new Row(c.name(), c.type(), out, 0, 0, 0, 0, in, c));
                return out;
            }

            @Override
            public Shape conv(Conv2d c) {
                return leaf(c);
            }

            @Override
            public Shape patternConv(PatternConv2d p) {
                return leaf(p);
            }

            @Override
            public Shape block(PatternResidualBlock b) {
                return leaf(b);
            }

            @Override
            public Shape batchNorm(BatchNorm bn) {
                return leaf(bn);
            }

            @Override
            public Shape relu(Relu r) {
                return leaf(r);
            }

            @Override
            public Shape pool(Pool2d p) {
                return leaf(p);
            }

            @Override
            public Shape linear(Linear f) {
                return leaf(f);
            }

            @Override
            public Shape softmax(Softmax s) {
                return leaf(s);
            }

            private Shape leaf(Layer leaf) {
                Shape out = leaf.outputShape(in);
                rows.add(new Row(leaf.name(), leaf.type(), out, leaf.paperParams(), leaf.storedParams(), leaf.bytes(), leaf.macs(in), in,
                        leaf));
                return out;
            }
        });
    }

    public List<Row> rows() {
        return rows;
    }

    /** The network's output feature shape. */
    public Shape output() {
        return output;
    }

    /** Parameters by the paper's rule. */
    public long paperParams() {
        return rows.stream().mapToLong(Row::paperParams).sum();
    }

    /** Every stored number. */
    public long storedParams() {
        return rows.stream().mapToLong(Row::storedParams).sum();
    }

    /** Bytes of all weights as stored. */
    public long bytes() {
        return rows.stream().mapToLong(Row::bytes).sum();
    }

    /** Multiply-accumulates per sample. */
    public long macs() {
        return rows.stream().mapToLong(Row::macs).sum();
    }
}
