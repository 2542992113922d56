package org.sepnet.runtime;

import org.sepnet.backend.Backend;
import org.sepnet.backend.TrainOps;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Tensor;

/**
 * A float convolution on a backend (see {@link TensorKernels}). The forward pass and, at stride 1,
 * the input gradient (a convolution of dy with the transposed, flipped filters) run on the
 * backend's inference convolution, its fastest algorithm (Winograd, GEMM tiles), built anew for
 * each call's weights: building one costs a fraction of running it at training batches. The
 * weight gradient, and everything when a weight is not finite (the inference ops refuse those),
 * run on the training kernels' convolution trainer.
 */
final class TensorConv implements Kernels.Conv<Tensor> {
    private final Backend backend;
    private final ConvDesc max;
    private final TrainOps.ConvTrainer trainer;
    private final ConvDesc transposed;

    TensorConv(Backend backend, TrainOps ops, ConvDesc max) {
        this.backend = backend;
        this.max = max;
        this.trainer = ops.conv(max);
        int padH = max.dilationHeight() * (max.kernelHeight() - 1) - max.padHeight();
        int padW = max.dilationWidth() * (max.kernelWidth() - 1) - max.padWidth();
        this.transposed = max.strideHeight() == 1 && max.strideWidth() == 1 && padH >= 0 && padW >= 0
                ? ConvDesc.builder().batch(max.batch()).channels(max.outChannels(), max.inChannels()).input(max.outHeight(), max.outWidth())
                        .kernel(max.kernelHeight(), max.kernelWidth()).stride(1, 1).pad(padH, padW)
                        .dilation(max.dilationHeight(), max.dilationWidth()).groups(max.groups()).build()
                : null;
    }

    private static boolean finite(float[] v) {
        if (v == null) {
            return true;
        }
        for (float f : v) {
            if (!Float.isFinite(f)) {
                return false;
            }
        }
        return true;
    }

    /** Filter c (an input channel) over the outputs of its group, each tap flipped: w[o][c][kh−1−y][kw−1−x]. */
    static float[] transposeFlip(ConvDesc d, float[] w) {
        int cpg = d.inChannelsPerGroup();
        int opg = d.outChannelsPerGroup();
        int kh = d.kernelHeight();
        int kw = d.kernelWidth();
        float[] t = new float[w.length];
        for (int cn = 0; cn < d.inChannels(); cn++) {
            int g = cn / cpg;
            for (int ol = 0; ol < opg; ol++) {
                int o = g * opg + ol;
                for (int y = 0; y < kh; y++) {
                    for (int x = 0; x < kw; x++) {
                        t[((cn * opg + ol) * kh + y) * kw + x] = w[((o * cpg + cn % cpg) * kh + kh - 1 - y) * kw + kw - 1 - x];
                    }
                }
            }
        }
        return t;
    }

    @Override
    public void forward(Tensor x, double[] w, double[] bias, Tensor y, int batch) {
        float[] wf = TensorKernels.floats(w);
        float[] bf = TensorKernels.floats(bias);
        if (!finite(wf) || !finite(bf)) {
            trainer.forward(x, wf, bf, y, batch);
            return;
        }
        ConvWeights cw = new ConvWeights(max.outChannels(), max.inChannelsPerGroup(), max.kernelHeight(), max.kernelWidth(), wf, bf);
        try (UnaryOp op = backend.conv2d(max, cw, Activation.NONE)) {
            op.run(x, y);
        }
    }

    @Override
    public void backward(Tensor x, Tensor dy, double[] w, Tensor dx, double[] dw, double[] db, int batch) {
        float[] wf = TensorKernels.floats(w);
        if (dx != null) {
            if (transposed != null && finite(wf)) {
                ConvWeights t = new ConvWeights(max.inChannels(), max.outChannelsPerGroup(), max.kernelHeight(), max.kernelWidth(),
                        transposeFlip(max, wf), null);
                try (UnaryOp op = backend.conv2d(transposed, t, Activation.NONE)) {
                    op.run(dy, dx);
                }
            } else {
                trainer.backwardData(dy, wf, dx, batch);
            }
        }
        float[] gw = new float[dw.length];
        float[] gb = db == null ? null : new float[db.length];
        trainer.backwardWeights(x, dy, gw, gb, batch);
        TensorKernels.addInto(dw, gw);
        if (gb != null) {
            TensorKernels.addInto(db, gb);
        }
    }

    @Override
    public long bytes() {
        return trainer.bytes();
    }

    @Override
    public void close() {
        trainer.close();
    }
}
