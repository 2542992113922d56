package org.sepnet.backend;

import java.util.List;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

/** Argument checks every backend applies the same way, with messages that name the offending value. */
public final class Checks {
    private Checks() {}

    /** Throws unless {@code shape} equals {@code max} except for a batch (dimension 0) of 1..max[0]. */
    public static void requireFits(Shape max, Shape shape, String what) {
        boolean ok = shape.rank() == max.rank() && shape.dim(0) <= max.dim(0);
        for (int i = 1; ok && i < shape.rank(); i++) {
            ok = shape.dim(i) == max.dim(i);
        }
        if (!ok) {
            throw new IllegalArgumentException(what + " shape " + shape + " does not fit this op; expected " + max
                    + " with a batch of 1.." + max.dim(0));
        }
    }

    /** {@code shape} itself, after {@link #requireFits} on an input: the output shape of a shape-preserving op. */
    public static Shape sameShape(Shape max, Shape shape) {
        requireFits(max, shape, "input");
        return shape;
    }

    /** Throws unless {@code actual} equals {@code expected}. */
    public static void requireShape(Shape expected, Shape actual, String what) {
        if (!expected.equals(actual)) {
            throw new IllegalArgumentException(what + " shape " + actual + "; expected " + expected);
        }
    }

    /** Checks both branches' weights of a pattern residual block. */
    public static void requirePrbWeights(PrbDesc desc, PatternWeights pattern, ConvWeights pointwise) {
        desc.pattern().requireWeights(pattern);
        desc.pointwise().requireWeights(pointwise);
    }

    /** Checks a 1×1 problem. */
    public static void requirePointwise(ConvDesc desc) {
        if (!desc.isPointwise() || desc.dilationHeight() != 1 || desc.dilationWidth() != 1) {
            throw new IllegalArgumentException("pointwise convolution needs a 1x1 kernel without padding or dilation; got " + desc.problem());
        }
    }

    /** The output shape of a channel concatenation; inputs must be NCHW and agree in N, H and W. */
    public static Shape concatOutput(List<Shape> inputs) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("concat needs at least one input; got none");
        }
        Shape first = inputs.get(0).requireNchw("concat input 0");
        long channels = 0;
        for (int i = 0; i < inputs.size(); i++) {
            Shape s = inputs.get(i).requireNchw("concat input " + i);
            if (s.n() != first.n() || s.h() != first.h() || s.w() != first.w()) {
                throw new IllegalArgumentException("concat input " + i + " has shape " + s + "; expected [" + first.n()
                        + ", c, " + first.h() + ", " + first.w() + "] like input 0");
            }
            channels += s.c();
        }
        if (channels > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("concat output would have " + channels + " channels");
        }
        return Shape.nchw(first.n(), (int) channels, first.h(), first.w());
    }

    /** Both biases of a pattern residual block summed, or {@code null} when neither branch has one. */
    public static float[] prbBias(PatternWeights pattern, ConvWeights pointwise) {
        float[] a = pattern.bias();
        float[] b = pointwise.bias();
        if (a == null) {
            return b;
        }
        if (b != null) {
            for (int i = 0; i < a.length; i++) {
                a[i] += b[i];
            }
        }
        return a;
    }
}
