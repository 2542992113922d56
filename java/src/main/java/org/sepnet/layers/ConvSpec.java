package org.sepnet.layers;

import org.sepnet.ops.ConvDesc;
import org.sepnet.tensor.FilterShape;
import org.sepnet.tensor.Shape;

/**
 * The geometry of a convolution layer, independent of input size and batch: channels, kernel,
 * stride, padding, dilation and groups.
 */
public record ConvSpec(int in, int out, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
    /** Rejects a group count below 1 here (the rest is checked by {@link #desc}): the per-group sizes divide by it. */
    public ConvSpec {
        if (groups < 1) {
            throw new IllegalArgumentException("convolution groups is " + groups + "; expected at least 1");
        }
    }

    /** A k×k convolution with "same" padding (k − 1)/2 and the given stride. */
    public static ConvSpec same(int in, int out, int k, int stride, int groups) {
        return new ConvSpec(in, out, k, k, stride, stride, (k - 1) / 2, (k - 1) / 2, 1, 1, groups);
    }

    /** A 1×1 convolution. */
    public static ConvSpec pointwise(int in, int out, int stride, int groups) {
        return new ConvSpec(in, out, 1, 1, stride, stride, 0, 0, 1, 1, groups);
    }

    /** This geometry with another group count. */
    public ConvSpec withGroups(int g) {
        return new ConvSpec(in, out, kh, kw, sh, sw, ph, pw, dh, dw, g);
    }

    /** The descriptor for a batch and input size; validates everything. */
    public ConvDesc desc(int batch, int h, int w) {
        return ConvDesc.builder().batch(batch).channels(in, out).input(h, w).kernel(kh, kw).stride(sh, sw).pad(ph, pw)
                .dilation(dh, dw).groups(groups).build();
    }

    /** The descriptor for a batch and an input feature map [C, H, W] (C must equal {@link #in}). */
    public ConvDesc desc(int batch, Shape input, String layer) {
        Layer.requireMap(input, layer);
        if (input.dim(0) != in) {
            throw new IllegalArgumentException("layer " + layer + " expects " + in + " input channels; got " + input);
        }
        try {
            return desc(batch, input.dim(1), input.dim(2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer " + layer + ": " + e.getMessage(), e);
        }
    }

    /** The filters of this geometry: OIHW {@code [out, in / groups, kh, kw]}. */
    public FilterShape filterShape() {
        return new FilterShape(out, inPerGroup(), kh, kw);
    }

    /** Input channels per group. */
    public int inPerGroup() {
        return in / groups;
    }

    /** Kernel label, e.g. {@code 3x3}. */
    public String kernel() {
        return kh + "x" + kw;
    }
}
