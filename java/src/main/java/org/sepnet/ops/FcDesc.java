package org.sepnet.ops;

import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.FilterShape;
import org.sepnet.tensor.Shape;

/**
 * A fully connected layer: {@code y[n, o] = Σ_i W[o, i] · x[n, i] + b[o]}. The input may be any
 * shape {@code [n, ...]} whose trailing dimensions hold {@code in} values (an NCHW tensor is
 * flattened in C order); the output is {@code [n, out]}. Weights are {@link ConvWeights} of OIHW
 * {@code [out, in, 1, 1]}. Problem string: {@code n1_in64_out10}.
 */
public record FcDesc(int batch, int in, int out) {
    public FcDesc {
        if (batch < 1 || in < 1 || out < 1) {
            throw new IllegalArgumentException("fully connected batch " + batch + ", in " + in + ", out " + out
                    + "; expected positive values");
        }
        if ((long) batch * in > Integer.MAX_VALUE / 4 || (long) in * out > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("fully connected n" + batch + "_in" + in + "_out" + out + " is too large");
        }
    }

    /** Output shape for an input {@code [n, ...]} with {@code in} trailing values and n in 1..batch. */
    public Shape outputShape(Shape input) {
        if (input.rank() < 2 || input.size() / input.dim(0) != in || input.dim(0) > batch) {
            throw new IllegalArgumentException("input shape " + input + " does not fit " + problem() + "; expected [1.."
                    + batch + ", ...] with " + in + " values per sample");
        }
        return Shape.of(input.dim(0), out);
    }

    /** Throws unless {@code w} is OIHW [out, in, 1, 1]. */
    public void requireWeights(ConvWeights w) {
        FilterShape expected = new FilterShape(out, in, 1, 1);
        if (!w.shape().equals(expected)) {
            throw new IllegalArgumentException("weights " + w.dims() + " do not match " + problem() + "; expected " + expected.dims());
        }
    }

    /** Multiply-accumulates at the full batch. */
    public long macs() {
        return (long) batch * in * out;
    }

    /** Canonical problem string. */
    public String problem() {
        return "n" + batch + "_in" + in + "_out" + out;
    }
}
