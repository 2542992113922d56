package org.sepnet.runtime;

import java.util.Arrays;
import org.sepnet.backend.TrainOps;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A pattern convolution with frozen signs on a backend (see {@link TensorKernels}): forward
 * z = signs ∗ x with unit α on the backend's pattern op, y = α·z + b per channel, z kept; backward
 * ∂L/∂α_o = Σ dy_o·z_o, ∂L/∂b_o = Σ dy_o, and ∂L/∂x = signsᵀ ∗ (α·dy) as a pattern convolution
 * with the transposed, flipped signs (stride 1 and padding at most the kernel's extent − 1), else
 * as the float trainer's transposed convolution with weights ±α.
 */
final class TensorPattern implements Kernels.Pattern<Tensor> {
    private final TensorKernels k;
    private final ConvDesc max;
    private final double[] signs;
    private final UnaryOp unit;
    private final UnaryOp transposed;
    private final TrainOps.ConvTrainer fallback;
    private final Shape outFeature;
    private Tensor z;
    private Tensor scaled;

    TensorPattern(TensorKernels k, ConvDesc max, double[] signs, int[] bits) {
        this.k = k;
        this.max = max;
        this.signs = signs;
        int o = max.outChannels();
        int cpg = max.inChannelsPerGroup();
        int kh = max.kernelHeight();
        int kw = max.kernelWidth();
        float[] ones = new float[o];
        Arrays.fill(ones, 1f);
        this.unit = k.unitPattern(max, new PatternWeights(o, cpg, kh, kw, bits, ones, null));
        this.outFeature = Shape.of(o, max.outHeight(), max.outWidth());
        int padH = max.dilationHeight() * (kh - 1) - max.padHeight();
        int padW = max.dilationWidth() * (kw - 1) - max.padWidth();
        if (max.strideHeight() == 1 && max.strideWidth() == 1 && padH >= 0 && padW >= 0) {
            this.transposed = k.unitPattern(transposedDesc(padH, padW), transposedSigns());
            this.fallback = null;
        } else {
            this.transposed = null;
            this.fallback = k.trainer(max);
        }
    }

    private ConvDesc transposedDesc(int padH, int padW) {
        return ConvDesc.builder().batch(max.batch()).channels(max.outChannels(), max.inChannels())
                .input(max.outHeight(), max.outWidth()).kernel(max.kernelHeight(), max.kernelWidth()).stride(1, 1).pad(padH, padW)
                .dilation(max.dilationHeight(), max.dilationWidth()).groups(max.groups()).build();
    }

    /** The transposed, flipped signs ({@link TensorConv#transposeFlip}) with unit α. */
    private PatternWeights transposedSigns() {
        float[] s = new float[signs.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) signs[i];
        }
        float[] t = TensorConv.transposeFlip(max, s);
        boolean[] negative = new boolean[t.length];
        for (int i = 0; i < t.length; i++) {
            negative[i] = t[i] < 0;
        }
        int c = max.inChannels();
        float[] ones = new float[c];
        Arrays.fill(ones, 1f);
        return PatternWeights.pack(c, max.outChannelsPerGroup(), max.kernelHeight(), max.kernelWidth(), negative, ones, null);
    }

    private int plane() {
        return max.outHeight() * max.outWidth();
    }

    @Override
    public void forward(Tensor x, double[] alpha, double[] bias, Tensor y, int batch) {
        z = k.buffer(z, batch, outFeature);
        unit.run(x, z);
        k.ops().channelAffine(z, null, TensorKernels.floats(alpha), null, TensorKernels.floats(bias), y, batch, max.outChannels(),
                plane());
    }

    @Override
    public void backward(Tensor x, Tensor dy, double[] alpha, Tensor dx, double[] dalpha, double[] db, int batch,
                         java.util.function.Supplier<double[]> magnitude) {
        int o = max.outChannels();
        double[] sumDy = new double[o];
        double[] sumDyZ = new double[o];
        k.ops().channelSums(dy, z, null, batch, o, plane(), sumDy, sumDyZ);
        for (int i = 0; i < o; i++) {
            dalpha[i] += sumDyZ[i];
            if (db != null) {
                db[i] += sumDy[i];
            }
        }
        if (dx == null) {
            return;
        }
        if (transposed != null) {
            scaled = k.buffer(scaled, batch, outFeature);
            k.ops().channelAffine(dy, null, TensorKernels.floats(alpha), null, null, scaled, batch, o, plane());
            transposed.run(scaled, dx);
        } else {
            int taps = max.inChannelsPerGroup() * max.kernelHeight() * max.kernelWidth();
            float[] w = new float[signs.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (signs[i] * alpha[i / taps]);
            }
            fallback.backwardData(dy, w, dx, batch);
        }
    }

    @Override
    public long bytes() {
        return k.bytes(z) + k.bytes(scaled) + (fallback == null ? 0 : fallback.bytes());
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {z, scaled}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
