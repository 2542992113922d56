package org.sepnet.layers;

import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.Shape;

/** A binarized (pattern) convolution: sign bits + one α per filter, + bias. */
public final class PatternConv2d extends Layer {
    private final ConvSpec spec;
    private final PatternWeights weights;

    public PatternConv2d(String name, ConvSpec spec, PatternWeights weights) {
        super(name);
        if (!weights.shape().equals(spec.filterShape())) {
            throw new IllegalArgumentException("layer " + name + ": pattern weights " + weights.dims()
                    + " do not match its geometry " + spec + "; expected " + spec.filterShape().dims());
        }
        this.spec = spec;
        this.weights = weights;
    }

    public ConvSpec spec() {
        return spec;
    }

    public PatternWeights weights() {
        return weights;
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.patternConv(this);
    }

    @Override
    public String type() {
        return "pattern_conv" + spec.kernel() + (spec.groups() > 1 ? "_g" + spec.groups() : "");
    }

    @Override
    public Shape outputShape(Shape input) {
        var d = spec.desc(1, input, name());
        return Shape.of(d.outChannels(), d.outHeight(), d.outWidth());
    }

    @Override
    public long paperParams() {
        return weights.paperParameterCount();
    }

    @Override
    public long storedParams() {
        return (long) spec.out() * spec.inPerGroup() * spec.kh() * spec.kw() + spec.out() + (weights.hasBias() ? spec.out() : 0);
    }

    @Override
    public long bytes() {
        return weights.storedBytes();
    }

    @Override
    public long macs(Shape input) {
        return spec.desc(1, input, name()).macs();
    }
}
