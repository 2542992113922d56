package org.sepnet.layers;

import org.sepnet.ops.PrbDesc;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Filters;
import org.sepnet.tensor.Int8Weights;
import org.sepnet.tensor.Shape;

/**
 * A pattern residual block: a k×k convolution and a 1×1 convolution on the same input, summed:
 * {@code y = K(x) + P(x) (+ biases)}. The k×k branch is binarized ({@link #pattern()}) or, in a raw
 * network such as SEP-Net-R, still float ({@link #floatKernel()}); the 1×1 branch is float, optionally
 * stored as int8.
 */
public final class PatternResidualBlock extends Layer {
    private final ConvSpec spec;
    private final int pointwiseGroups;
    private final PatternWeights pattern;
    private final ConvWeights floatKernel;
    private final ConvWeights pointwise;
    private final Int8Weights pointwiseInt8;

    private PatternResidualBlock(String name, ConvSpec spec, int pointwiseGroups, PatternWeights pattern,
                                 ConvWeights floatKernel, ConvWeights pointwise, Int8Weights pointwiseInt8) {
        super(name);
        this.spec = spec;
        this.pointwiseGroups = pointwiseGroups;
        this.pattern = pattern;
        this.floatKernel = floatKernel;
        this.pointwise = pointwise;
        this.pointwiseInt8 = pointwiseInt8;
        ConvSpec pw = pointwiseSpec();
        if (spec.in() % pointwiseGroups != 0 || spec.out() % pointwiseGroups != 0) {
            throw new IllegalArgumentException("layer " + name + ": 1x1 groups " + pointwiseGroups + " must divide "
                    + spec.in() + " and " + spec.out() + " channels");
        }
        if (!pointwise.shape().equals(pw.filterShape())) {
            throw new IllegalArgumentException("layer " + name + ": 1x1 weights " + pointwise.dims() + " do not match; expected "
                    + pw.filterShape().dims());
        }
        Filters kernel = pattern != null ? pattern : floatKernel;
        if (!kernel.shape().equals(spec.filterShape())) {
            throw new IllegalArgumentException("layer " + name + ": k x k weights " + kernel.dims() + " do not match its geometry "
                    + spec + "; expected " + spec.filterShape().dims());
        }
    }

    /** A block with a binarized k×k branch. */
    public static PatternResidualBlock binarized(String name, ConvSpec spec, PatternWeights pattern, int pointwiseGroups,
                                                 ConvWeights pointwise) {
        return new PatternResidualBlock(name, spec, pointwiseGroups, pattern, null, pointwise, null);
    }

    /** A block whose k×k branch is still float (a raw network). */
    public static PatternResidualBlock raw(String name, ConvSpec spec, ConvWeights kernel, int pointwiseGroups,
                                           ConvWeights pointwise) {
        return new PatternResidualBlock(name, spec, pointwiseGroups, null, kernel, pointwise, null);
    }

    /** This block with the k×k branch replaced by a binarized one. */
    public PatternResidualBlock withPattern(PatternWeights p) {
        return new PatternResidualBlock(name(), spec, pointwiseGroups, p, null, pointwise, pointwiseInt8);
    }

    /** This block with other k×k (same kind) and 1×1 weights, dropping any int8 form. */
    public PatternResidualBlock withWeights(PatternWeights p, ConvWeights k, ConvWeights pw) {
        return new PatternResidualBlock(name(), spec, pointwiseGroups, p, k, pw, null);
    }

    /** This block with its 1×1 branch stored as the given int8 weights. */
    public PatternResidualBlock withPointwiseInt8(Int8Weights q) {
        return new PatternResidualBlock(name(), spec, pointwiseGroups, pattern, floatKernel, q.dequantized(), q);
    }

    /** This block with its 1×1 branch quantized to int8. */
    public PatternResidualBlock quantized() {
        Int8Weights q = Int8Weights.quantize(pointwise);
        return new PatternResidualBlock(name(), spec, pointwiseGroups, pattern, floatKernel, q.dequantized(), q);
    }

    public ConvSpec spec() {
        return spec;
    }

    /** The 1×1 branch's geometry: same channels and stride, no padding. */
    public ConvSpec pointwiseSpec() {
        return ConvSpec.pointwise(spec.in(), spec.out(), spec.sh(), pointwiseGroups);
    }

    public int pointwiseGroups() {
        return pointwiseGroups;
    }

    /** Whether the k×k branch is binarized. */
    public boolean isBinarized() {
        return pattern != null;
    }

    /** The binarized k×k branch, or {@code null} in a raw block. */
    public PatternWeights pattern() {
        return pattern;
    }

    /** The float k×k branch, or {@code null} when binarized. */
    public ConvWeights floatKernel() {
        return floatKernel;
    }

    /** The 1×1 weights computation uses (dequantized when stored as int8). */
    public ConvWeights pointwise() {
        return pointwise;
    }

    /** The 1×1 branch's int8 form, or {@code null}. */
    public Int8Weights pointwiseInt8() {
        return pointwiseInt8;
    }

    /** The descriptor for a batch and input feature map. */
    public PrbDesc desc(int batch, Shape input) {
        try {
            return PrbDesc.of(spec.desc(batch, input, name()), pointwiseGroups);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer " + name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.block(this);
    }

    @Override
    public String type() {
        return (pattern != null ? "prb" : "raw_prb") + spec.kernel() + (spec.groups() > 1 ? "_g" + spec.groups() : "");
    }

    @Override
    public Shape outputShape(Shape input) {
        var d = desc(1, input).pattern();
        return Shape.of(d.outChannels(), d.outHeight(), d.outWidth());
    }

    private long kernelWeights() {
        return (long) spec.out() * spec.inPerGroup() * spec.kh() * spec.kw();
    }

    private long pointwiseWeights() {
        return (long) spec.out() * (spec.in() / pointwiseGroups);
    }

    private long biases() {
        boolean b = (pattern != null ? pattern.hasBias() : floatKernel.hasBias()) || pointwise.hasBias();
        return b ? spec.out() : 0;
    }

    @Override
    public long paperParams() {
        return (pattern != null ? pattern.paperParameterCount() : kernelWeights()) + pointwiseWeights();
    }

    @Override
    public long storedParams() {
        return kernelWeights() + (pattern != null ? spec.out() : 0) + pointwiseWeights()
                + (pointwiseInt8 != null ? spec.out() : 0) + biases();
    }

    @Override
    public long bytes() {
        long kernel = pattern != null ? pattern.storedBytes() - (pattern.hasBias() ? 4L * spec.out() : 0) : 4L * kernelWeights();
        long pw = pointwiseInt8 != null ? pointwiseInt8.bytes() - (pointwise.hasBias() ? 4L * spec.out() : 0) : 4L * pointwiseWeights();
        return kernel + pw + 4L * biases();
    }

    @Override
    public long macs(Shape input) {
        return desc(1, input).macs();
    }
}
