package org.sepnet.layers;

import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Int8Weights;
import org.sepnet.tensor.Shape;

/** A float convolution (any kernel, stride, padding, dilation, groups), + bias; weights optionally stored as int8. */
public final class Conv2d extends Layer {
    private final ConvSpec spec;
    private final ConvWeights weights;
    private final Int8Weights int8;

    public Conv2d(String name, ConvSpec spec, ConvWeights weights) {
        this(name, spec, weights, null);
    }

    private Conv2d(String name, ConvSpec spec, ConvWeights weights, Int8Weights int8) {
        super(name);
        if (spec.in() % spec.groups() != 0 || spec.out() % spec.groups() != 0) {
            throw new IllegalArgumentException("layer " + name + ": groups " + spec.groups() + " must divide " + spec.in()
                    + " and " + spec.out() + " channels");
        }
        if (!weights.shape().equals(spec.filterShape())) {
            throw new IllegalArgumentException("layer " + name + ": weights " + weights.dims() + " do not match its geometry "
                    + spec + "; expected " + spec.filterShape().dims());
        }
        this.spec = spec;
        this.weights = weights;
        this.int8 = int8;
    }

    /** A layer whose weights are stored as int8 (computing with their dequantized values). */
    public static Conv2d ofInt8(String name, ConvSpec spec, Int8Weights q) {
        return new Conv2d(name, spec, q.dequantized(), q);
    }

    /** This layer with its weights quantized to int8 (see {@link Int8Weights}). */
    public Conv2d quantized() {
        Int8Weights q = Int8Weights.quantize(weights);
        return new Conv2d(name(), spec, q.dequantized(), q);
    }

    /** This layer with other float weights (same geometry). */
    public Conv2d withWeights(ConvWeights w) {
        return new Conv2d(name(), spec, w);
    }

    public ConvSpec spec() {
        return spec;
    }

    /** The weights computation uses (dequantized when stored as int8). */
    public ConvWeights weights() {
        return weights;
    }

    /** The int8 form, or {@code null} when stored as float32. */
    public Int8Weights int8() {
        return int8;
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.conv(this);
    }

    @Override
    public String type() {
        return "conv" + spec.kernel() + (spec.groups() > 1 ? "_g" + spec.groups() : "") + (int8 != null ? "_int8" : "");
    }

    @Override
    public Shape outputShape(Shape input) {
        var d = spec.desc(1, input, name());
        return Shape.of(d.outChannels(), d.outHeight(), d.outWidth());
    }

    @Override
    public long paperParams() {
        return (long) spec.out() * spec.inPerGroup() * spec.kh() * spec.kw();
    }

    @Override
    public long storedParams() {
        return paperParams() + (weights.hasBias() ? spec.out() : 0) + (int8 != null ? spec.out() : 0);
    }

    @Override
    public long bytes() {
        return int8 != null ? int8.bytes() : 4L * (paperParams() + (weights.hasBias() ? spec.out() : 0));
    }

    @Override
    public long macs(Shape input) {
        return spec.desc(1, input, name()).macs();
    }
}
