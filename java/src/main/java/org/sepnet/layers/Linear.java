package org.sepnet.layers;

import org.sepnet.ops.FcDesc;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Int8Weights;
import org.sepnet.tensor.Shape;

/** A fully connected layer on the flattened input: weights [out, in, 1, 1], + bias; optionally int8. */
public final class Linear extends Layer {
    private final ConvWeights weights;
    private final Int8Weights int8;

    public Linear(String name, ConvWeights weights) {
        this(name, weights, null);
    }

    private Linear(String name, ConvWeights weights, Int8Weights int8) {
        super(name);
        if (weights.kh() != 1 || weights.kw() != 1) {
            throw new IllegalArgumentException("layer " + name + ": weights " + weights.dims() + "; expected [out, in, 1, 1]");
        }
        this.weights = weights;
        this.int8 = int8;
    }

    /** A layer whose weights are stored as int8. */
    public static Linear ofInt8(String name, Int8Weights q) {
        return new Linear(name, q.dequantized(), q);
    }

    /** This layer with its weights quantized to int8. */
    public Linear quantized() {
        Int8Weights q = Int8Weights.quantize(weights);
        return new Linear(name(), q.dequantized(), q);
    }

    public ConvWeights weights() {
        return weights;
    }

    public Int8Weights int8() {
        return int8;
    }

    public int in() {
        return weights.inChannelsPerGroup();
    }

    public int out() {
        return weights.outChannels();
    }

    /** The descriptor for a batch. */
    public FcDesc desc(int batch) {
        return new FcDesc(batch, in(), out());
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.linear(this);
    }

    @Override
    public String type() {
        return int8 != null ? "fc_int8" : "fc";
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.size() != in()) {
            throw new IllegalArgumentException("layer " + name() + " takes " + in() + " features; got input " + input);
        }
        return Shape.of(out());
    }

    @Override
    public long paperParams() {
        return (long) in() * out();
    }

    @Override
    public long storedParams() {
        return paperParams() + (weights.hasBias() ? out() : 0) + (int8 != null ? out() : 0);
    }

    @Override
    public long bytes() {
        return int8 != null ? int8.bytes() : 4L * (paperParams() + (weights.hasBias() ? out() : 0));
    }

    @Override
    public long macs(Shape input) {
        return paperParams();
    }
}
