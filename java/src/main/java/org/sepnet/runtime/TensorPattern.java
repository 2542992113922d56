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
 *
 * <p>A batch norm after it runs fused ({@link #forwardNorm}): with μ, σ² the batch statistics of z per
 * channel, y = α·z + b has mean α·μ + b and variance α²·σ², so the norm's output is
 * γ·α·s·(z − μ) + β (s = (α²σ² + ε)^−½), one affine pass over z. Backward, with g = ∂L/∂out,
 * ḡ = Σg/M, G = Σ g·(z − μ) (M = batch × positions): ∂L/∂γ = α·s·G, ∂L/∂β = Σg, and
 * dy = A·(g − ḡ) + B·α·(z − μ) with A = γ·s, B = −γ·s³·α·G/M (the norm's backward), so
 * ∂L/∂α = Σ dy·z = A·(G − ḡ·Z) + B·α·C and ∂L/∂b = B·α·Z from the sums C = Σ z·(z − μ), Z = Σ (z − μ)
 * kept from the forward pass (Z is the rounding of the float μ), and ∂L/∂x from α·dy, one affine
 * pass over g and z: two passes over the activations where the separate layers make six.
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
    private final float[] unitSigns;  // the signs as ±1 floats: the fallback's weights on α·dy
    // The fused batch norm's statistics of z from the last training pass: μ (as rounded to float), C, Z, s.
    private float[] zMean;
    private double[] zCentered;
    private double[] zOffset;
    private double[] invStd;

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
        this.unitSigns = new float[signs.length];
        for (int i = 0; i < signs.length; i++) {
            unitSigns[i] = (float) signs[i];
        }
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
    public boolean fusesNorm() {
        return true;
    }

    @Override
    public void forwardNorm(Tensor x, double[] alpha, double[] bias, Kernels.NormState norm, boolean training, double momentum,
                            Tensor out, int batch) {
        forwardNorm(x, alpha, bias, norm, training, momentum, false, out, batch);
    }

    @Override
    public boolean fusesNormRelu() {
        return k.ops().fusesRelu();
    }

    @Override
    public void forwardNormRelu(Tensor x, double[] alpha, double[] bias, Kernels.NormState norm, boolean training, double momentum,
                                Tensor out, int batch) {
        forwardNorm(x, alpha, bias, norm, training, momentum, true, out, batch);
    }

    @Override
    public void backwardNormRelu(Tensor x, Tensor out, Tensor dout, double[] alpha, Kernels.NormState norm, Tensor dx, double[] dalpha,
                                 double[] dbias, double[] dgamma, double[] dbeta, int batch) {
        backwardNorm(x, out, dout, alpha, norm, dx, dalpha, dbias, dgamma, dbeta, batch);
    }

    /** The affine pass y = scale·z + shift per channel, then ReLU when asked. */
    private void affine(float[] scale, float[] shift, boolean relu, Tensor out, int batch) {
        if (relu) {
            k.ops().channelAffine(z, null, null, scale, null, shift, true, out, batch, max.outChannels(), plane());
        } else {
            k.ops().channelAffine(z, null, scale, null, shift, out, batch, max.outChannels(), plane());
        }
    }

    private void forwardNorm(Tensor x, double[] alpha, double[] bias, Kernels.NormState norm, boolean training, double momentum,
                             boolean relu, Tensor out, int batch) {
        int o = max.outChannels();
        z = k.buffer(z, batch, outFeature);
        unit.run(x, z);
        float[] scale = new float[o];
        float[] shift = new float[o];
        if (!training) {
            for (int c = 0; c < o; c++) {
                double s = norm.gamma()[c] / Math.sqrt(norm.runningVar()[c] + norm.eps());
                double b = bias == null ? 0 : bias[c];
                scale[c] = (float) (alpha[c] * s);
                shift[c] = (float) (norm.beta()[c] + (b - norm.runningMean()[c]) * s);
            }
            affine(scale, shift, relu, out, batch);
            return;
        }
        double m = (double) batch * plane();
        double[] sum = new double[o];
        float[] guess = new float[o];
        for (int c = 0; c < o; c++) {
            // the mean of z the running mean implies (not the last batch's: a step depends only on what a checkpoint holds)
            guess[c] = (float) (alpha[c] == 0 ? 0 : (norm.runningMean()[c] - (bias == null ? 0 : bias[c])) / alpha[c]);
        }
        zOffset = new double[o];
        invStd = new double[o];
        zMean = new float[o];
        zCentered = TensorNorm.statistics(k.ops(), z, guess, batch, o, plane(), zMean, sum);
        for (int c = 0; c < o; c++) {
            double a = alpha[c];
            double var = Math.max(zCentered[c] / m, 0) * a * a;
            double mean = a * zMean[c] + (bias == null ? 0 : bias[c]);
            zOffset[c] = sum[c] - m * zMean[c];
            invStd[c] = 1 / Math.sqrt(var + norm.eps());
            double g = norm.gamma()[c] * a * invStd[c];
            scale[c] = (float) g;
            shift[c] = (float) (norm.beta()[c] - g * zMean[c]);
            TensorNorm.moveRunning(norm.runningMean(), norm.runningVar(), c, mean, var, m, momentum);
        }
        affine(scale, shift, relu, out, batch);
    }

    @Override
    public void backwardNorm(Tensor x, Tensor dout, double[] alpha, Kernels.NormState norm, Tensor dx, double[] dalpha,
                             double[] dbias, double[] dgamma, double[] dbeta, int batch) {
        backwardNorm(x, null, dout, alpha, norm, dx, dalpha, dbias, dgamma, dbeta, batch);
    }

    /** The backward pass, of a ReLU after the norm too when {@code reluOut} (its output) is not null. */
    private void backwardNorm(Tensor x, Tensor reluOut, Tensor dout, double[] alpha, Kernels.NormState norm, Tensor dx,
                              double[] dalpha, double[] dbias, double[] dgamma, double[] dbeta, int batch) {
        int o = max.outChannels();
        double m = (double) batch * plane();
        double[] sumG = new double[o];
        double[] sumGZ = new double[o];
        if (reluOut == null) {
            k.ops().channelSums(dout, z, zMean, batch, o, plane(), sumG, sumGZ);
        } else {
            k.ops().channelSums(dout, reluOut, z, zMean, batch, o, plane(), sumG, sumGZ);
        }
        float[] ca = new float[o];
        float[] cb = new float[o];
        float[] cc = new float[o];
        for (int c = 0; c < o; c++) {
            double a = alpha[c];
            double s = invStd[c];
            double gamma = norm.gamma()[c];
            double mean = sumG[c] / m;
            double big = gamma * s;
            double b = -gamma * s * s * s * a * sumGZ[c] / m;
            dgamma[c] += a * s * sumGZ[c];
            dbeta[c] += sumG[c];
            dalpha[c] += big * (sumGZ[c] - mean * zOffset[c]) + b * a * zCentered[c];
            if (dbias != null) {
                dbias[c] += b * a * zOffset[c];
            }
            // α·dy = α·A·g + α²·B·z − α·A·ḡ − α²·B·μ
            ca[c] = (float) (a * big);
            cb[c] = (float) (a * a * b);
            cc[c] = (float) (-a * big * mean - a * a * b * zMean[c]);
        }
        if (dx == null) {
            return;
        }
        scaled = k.buffer(scaled, batch, outFeature);
        if (reluOut == null) {
            k.ops().channelAffine(dout, z, ca, cb, cc, scaled, batch, o, plane());
        } else {
            k.ops().channelAffine(dout, reluOut, z, ca, cb, cc, false, scaled, batch, o, plane());
        }
        if (transposed != null) {
            transposed.run(scaled, dx);
        } else {
            fallback.backwardData(scaled, unitSigns, dx, batch);
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
