package org.sepnet.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUfunction;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

/**
 * Builds the convolution ops of the CUDA backend: the implicit-GEMM kernels of
 * {@code cuda/conv_gemm.cu} (float, pattern, fused residual block, fully connected) and the
 * depthwise kernels of {@code cuda/depthwise_conv.cu}. Weights are repacked for the kernels
 * (float weights transposed to [group][tap][output], a tap-offset table per op) and uploaded once.
 */
final class CudaConvs {
    private CudaConvs() {}

    static final int GEMM_BLOCK = 128;
    static final int GEMM_BN = 64;
    /** Threads per block of the one-thread-per-output kernels (depthwise, non-nesting residual blocks). */
    static final int DEPTHWISE_BLOCK = 256;
    private static final int MAX_GRID_Y = 65535;

    enum Mode {
        FLOAT, PATTERN, PRB;

        String kernelPrefix() {
            return "conv_gemm_" + name().toLowerCase();
        }
    }

    /** The ConvParams struct of {@code cuda/common.cuh} for {@code d} at {@code batch}. */
    static int[] params(ConvDesc d, int batch) {
        return new int[] {batch, d.inChannels(), d.inHeight(), d.inWidth(), d.outChannels(), d.groups(), d.kernelHeight(),
                d.kernelWidth(), d.strideHeight(), d.strideWidth(), d.padHeight(), d.padWidth(), d.dilationHeight(),
                d.dilationWidth(), d.outHeight(), d.outWidth()};
    }

    /** Output channels per block tile: the smallest of 16, 32, 64 that covers the outputs per tile group, at most 64. */
    static int tileRows(int outputsPerGroup) {
        return outputsPerGroup <= 16 ? 16 : outputsPerGroup <= 32 ? 32 : 64;
    }

    /** Per tap k = (c·kh + ky)·kw + kx of one group: {c·H·W + ky·dh·W + kx·dw, (ky·dh) << 16 | kx·dw}. */
    static int[] taps(ConvDesc d) {
        int kh = d.kernelHeight();
        int kw = d.kernelWidth();
        int cpg = d.inChannelsPerGroup();
        if ((long) (kh - 1) * d.dilationHeight() >= 1 << 15 || (long) (kw - 1) * d.dilationWidth() >= 1 << 16) {
            throw new IllegalArgumentException("kernel extent of " + d.problem() + " is too large for the CUDA kernels; expected"
                    + " dilation·(k−1) below 32768 rows and 65536 columns");
        }
        int[] t = new int[2 * cpg * kh * kw];
        long hw = (long) d.inHeight() * d.inWidth();
        int k = 0;
        for (int c = 0; c < cpg; c++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, k++) {
                    int dy = ky * d.dilationHeight();
                    int dx = kx * d.dilationWidth();
                    t[2 * k] = Math.toIntExact(c * hw + (long) dy * d.inWidth() + dx);
                    t[2 * k + 1] = dy << 16 | dx;
                }
            }
        }
        return t;
    }

    /** OIHW weights of {@code groups} groups, transposed per group to [g][k][o in group]. */
    static float[] transpose(float[] w, int outputs, int groups, int k) {
        int opg = outputs / groups;
        float[] t = new float[w.length];
        for (int g = 0; g < groups; g++) {
            for (int ol = 0; ol < opg; ol++) {
                int src = (g * opg + ol) * k;
                for (int kk = 0; kk < k; kk++) {
                    t[(g * k + kk) * opg + ol] = w[src + kk];
                }
            }
        }
        return t;
    }

    /** Outputs per thread of the direct kernel; groups of at most this many outputs use it. */
    static final int DIRECT_OUTPUTS = 8;
    static final int DIRECT_BLOCK = 128;
    /** Shared memory a block may use without opting in. */
    static final int MAX_SHARED_BYTES = 48 * 1024;
    /** Most K splits of one GEMM. */
    static final int MAX_SPLITS = 32;
    static final int REDUCE_BLOCK = 256;

    /**
     * A convolution op: the direct kernel when each tile group holds at most {@value #DIRECT_OUTPUTS}
     * outputs (and its weights fit in shared memory), else the implicit GEMM. {@code w} is OIHW
     * (float mode), {@code w1} the 1×1 weights O × C/groups1 (residual block); {@code tileGroups} is
     * the grouping tiles must not straddle (the k×k groups, or the finer of both branches').
     */
    private static UnaryOp convolution(CudaBackend backend, Mode mode, ConvDesc d, String problem, float[] w, int[] bits,
                                       float[] alpha, float[] w1, float[] bias, int groups1, int tileGroups, Activation act,
                                       java.util.function.UnaryOperator<Shape> outputShape) {
        int outputsPerTile = d.outChannels() / tileGroups;
        int k = tapCount(d);
        int cpg1 = mode == Mode.PRB ? d.inChannels() / groups1 : 0;
        long shared = 4L * DIRECT_OUTPUTS * ((mode == Mode.FLOAT ? k : (k + 31) / 32) + cpg1);
        if (outputsPerTile <= DIRECT_OUTPUTS && shared <= MAX_SHARED_BYTES) {
            return direct(backend, mode, d, problem, w, bits, alpha, w1, bias, groups1, tileGroups, act, outputShape, (int) shared);
        }
        float[] wt = w == null ? null : transpose(w, d.outChannels(), d.groups(), k);
        float[] w1t = w1 == null ? null : transpose(w1, d.outChannels(), groups1, cpg1);
        return gemm(backend, mode, d, problem, wt, bits, alpha, w1t, bias, groups1, tileGroups, act, outputShape);
    }

    private static UnaryOp direct(CudaBackend backend, Mode mode, ConvDesc d, String problem, float[] w, int[] bits,
                                  float[] alpha, float[] w1, float[] bias, int groups1, int tileGroups, Activation act,
                                  java.util.function.UnaryOperator<Shape> outputShape, int shared) {
        CudaContext c = backend.context();
        int chunks = (d.outChannels() / tileGroups + DIRECT_OUTPUTS - 1) / DIRECT_OUTPUTS;
        long gridY = (long) tileGroups * chunks;
        if (gridY > MAX_GRID_Y) {
            throw new IllegalArgumentException(problem + " needs " + gridY + " chunks of output channels; the CUDA kernels take at most "
                    + MAX_GRID_Y + " (fewer groups or channels)");
        }
        String kernel = "conv_direct_" + mode.name().toLowerCase();
        CUfunction f = c.function("sepnet_" + kernel);
        List<DeviceArray> owned = new ArrayList<>();
        DeviceArray dW = add(owned, w == null ? null : DeviceArray.of(c, w));
        DeviceArray dBits = add(owned, bits == null ? null : DeviceArray.of(c, bits));
        DeviceArray dAlpha = add(owned, alpha == null ? null : DeviceArray.of(c, alpha));
        DeviceArray dW1 = add(owned, w1 == null ? null : DeviceArray.of(c, w1));
        DeviceArray dBias = add(owned, DeviceArray.ofNullable(c, bias));
        int relu = act == Activation.RELU ? 1 : 0;
        long pixels = (long) d.outHeight() * d.outWidth();
        return new CudaKernelOp(backend, kernel, problem, outputShape, owned, (in, out) -> {
            int batch = in.shape().dim(0);
            int gridX = Math.toIntExact((batch * pixels + DIRECT_BLOCK - 1) / DIRECT_BLOCK);
            backend.launch(f, gridX, (int) gridY, 1, DIRECT_BLOCK, 1, shared, Args.of(in), Args.of(dW), Args.of(dBits), Args.of(dAlpha),
                    Args.of(dW1), Args.of(dBias), Args.of(out), Args.struct(params(d, batch)), Args.i32(tileGroups),
                    Args.i32(groups1), Args.i32(relu));
        });
    }

    /**
     * K splits for a GEMM of {@code blocks} tiles over {@code kSteps} 16-tap steps: enough to give
     * the device about two blocks per multiprocessor, keeping at least 4 steps per split; 1 when the
     * tiles alone fill the device.
     */
    static int splits(long blocks, int kSteps, int multiprocessors) {
        if (blocks >= multiprocessors) {
            return 1;
        }
        long s = Math.min((2L * multiprocessors + blocks - 1) / blocks, kSteps / 4);
        return (int) Math.max(1, Math.min(s, MAX_SPLITS));
    }

    /** An implicit-GEMM op (weights already transposed), split along K when its tiles are too few. */
    private static UnaryOp gemm(CudaBackend backend, Mode mode, ConvDesc d, String problem, float[] wt, int[] bits,
                                float[] alpha, float[] w1t, float[] bias, int groups1, int tileGroups, Activation act,
                                java.util.function.UnaryOperator<Shape> outputShape) {
        CudaContext c = backend.context();
        int rows = tileRows(d.outChannels() / tileGroups);
        long gridY = (long) tileGroups * ((d.outChannels() / tileGroups + rows - 1) / rows);
        if (gridY > MAX_GRID_Y) {
            throw new IllegalArgumentException(problem + " needs " + gridY + " tiles of output channels; the CUDA kernels take at most "
                    + MAX_GRID_Y + " (fewer groups or channels)");
        }
        String kernel = mode.kernelPrefix() + "_m" + rows;
        CUfunction f = c.function("sepnet_" + kernel);
        CUfunction reduce = c.function("sepnet_splitk_reduce");
        int sms = c.multiprocessors();
        int kSteps = (tapCount(d) + (mode == Mode.PRB ? d.inChannels() / groups1 : 0) + 15) / 16;
        long pixels = (long) d.outHeight() * d.outWidth();
        long perImage = (long) d.outChannels() * pixels;
        // Workspace for the partial sums of the largest split at any batch up to the op's.
        long wsFloats = 0;
        for (int b = 1; b <= d.batch(); b++) {
            long blocks = (b * pixels + GEMM_BN - 1) / GEMM_BN * gridY;
            int s = splits(blocks, kSteps, sms);
            if (s > 1) {
                wsFloats = Math.max(wsFloats, s * b * perImage);
            }
        }
        List<DeviceArray> owned = new ArrayList<>();
        DeviceArray dWt = add(owned, wt == null ? null : DeviceArray.of(c, wt));
        DeviceArray dBits = add(owned, bits == null ? null : DeviceArray.of(c, bits));
        DeviceArray dAlpha = add(owned, alpha == null ? null : DeviceArray.of(c, alpha));
        DeviceArray dW1t = add(owned, w1t == null ? null : DeviceArray.of(c, w1t));
        DeviceArray dTaps = add(owned, DeviceArray.of(c, taps(d)));
        DeviceArray dBias = add(owned, DeviceArray.ofNullable(c, bias));
        DeviceArray dWs = add(owned, wsFloats > 0 && wsFloats < 1L << 29 ? DeviceArray.floats(c, wsFloats) : null);
        long capacity = dWs == null ? 0 : wsFloats;
        int relu = act == Activation.RELU ? 1 : 0;
        return new CudaKernelOp(backend, kernel, problem, outputShape, owned, (in, out) -> {
            int batch = in.shape().dim(0);
            long gridX = (batch * pixels + GEMM_BN - 1) / GEMM_BN;
            int s = splits(gridX * gridY, kSteps, sms);
            long outTotal = batch * perImage;
            if (s * outTotal > capacity) {
                s = 1;
            }
            backend.launch(f, Math.toIntExact(gridX), (int) gridY, s, GEMM_BLOCK, 1, 0, Args.of(in), Args.of(dWt), Args.of(dBits),
                    Args.of(dAlpha), Args.of(dW1t), Args.of(dTaps), Args.of(dBias), Args.of(out),
                    Args.struct(params(d, batch)), Args.i32(tileGroups), Args.i32(groups1), Args.i32(relu), Args.of(dWs),
                    Args.i32(s));
            if (s > 1) {
                backend.launch(reduce, Args.gridFor(outTotal, REDUCE_BLOCK), 1, REDUCE_BLOCK, Args.of(dWs),
                        Args.of(mode == Mode.PATTERN ? dAlpha : null), Args.of(dBias), Args.of(out), Args.i32((int) outTotal),
                        Args.i32(s), Args.i32(d.outChannels()), Args.i32((int) pixels), Args.i32(relu));
            }
        });
    }

    private static DeviceArray add(List<DeviceArray> owned, DeviceArray a) {
        owned.add(a);
        return a;
    }

    /** Filter taps per output channel: K of the GEMM. */
    private static int tapCount(ConvDesc d) {
        return d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth();
    }

    /** Depthwise: one input and one output channel per group. */
    static boolean depthwise(ConvDesc d) {
        return d.inChannelsPerGroup() == 1 && d.outChannels() == d.groups();
    }

    static UnaryOp conv(CudaBackend backend, ConvDesc d, ConvWeights w, Activation act) {
        d.requireWeights(w);
        if (depthwise(d)) {
            CudaContext c = backend.context();
            List<DeviceArray> owned = new ArrayList<>();
            DeviceArray dw = add(owned, DeviceArray.of(c, w.weights()));
            DeviceArray db = add(owned, DeviceArray.ofNullable(c, w.bias()));
            return depthwiseOp(backend, "depthwise_float", d, owned, dw, null, db, act);
        }
        return convolution(backend, Mode.FLOAT, d, d.problem(), w.weights(), null, null, null, w.bias(), 1, d.groups(), act,
                d::outputShape);
    }

    static UnaryOp pattern(CudaBackend backend, ConvDesc d, PatternWeights w, Activation act) {
        d.requireWeights(w);
        if (depthwise(d)) {
            CudaContext c = backend.context();
            List<DeviceArray> owned = new ArrayList<>();
            DeviceArray dBits = add(owned, DeviceArray.of(c, w.bits()));
            DeviceArray dAlpha = add(owned, DeviceArray.of(c, w.alpha()));
            DeviceArray db = add(owned, DeviceArray.ofNullable(c, w.bias()));
            return depthwiseOp(backend, "depthwise_pattern", d, owned, dBits, dAlpha, db, act);
        }
        return convolution(backend, Mode.PATTERN, d, d.problem(), null, w.bits(), w.alpha(), null, w.bias(), 1, d.groups(), act,
                d::outputShape);
    }

    /**
     * The fused residual block, or {@code null} when neither branch's grouping divides the other's
     * (then a tile cannot stay inside one group of each; the caller uses the direct kernel).
     */
    static UnaryOp residualBlock(CudaBackend backend, PrbDesc p, PatternWeights pattern, ConvWeights pointwise, float[] bias,
                                 Activation act) {
        ConvDesc d = p.pattern();
        int g = d.groups();
        int g1 = p.pointwise().groups();
        int tileGroups = g % g1 == 0 ? g : g1 % g == 0 ? g1 : 0;
        if (tileGroups == 0) {
            return null;
        }
        return convolution(backend, Mode.PRB, d, p.problem(), null, pattern.bits(), pattern.alpha(), pointwise.weights(), bias, g1,
                tileGroups, act, s -> d.outputShape(s));
    }

    /**
     * A residual block whose branches' groupings do not nest (e.g. 2 and 3): {@code sepnet_prb_conv2d},
     * one thread per output computing both branches.
     */
    static UnaryOp residualBlockDirect(CudaBackend backend, PrbDesc p, PatternWeights pattern, ConvWeights pointwise,
                                       float[] bias, Activation act) {
        CudaContext c = backend.context();
        ConvDesc d = p.pattern();
        CUfunction f = c.function("sepnet_prb_conv2d");
        List<DeviceArray> owned = new ArrayList<>();
        DeviceArray dBits = add(owned, DeviceArray.of(c, pattern.bits()));
        DeviceArray dAlpha = add(owned, DeviceArray.of(c, pattern.alpha()));
        DeviceArray dW1 = add(owned, DeviceArray.of(c, pointwise.weights()));
        DeviceArray dBias = add(owned, DeviceArray.ofNullable(c, bias));
        int groups1 = p.pointwise().groups();
        int relu = act == Activation.RELU ? 1 : 0;
        long perSample = (long) d.outChannels() * d.outHeight() * d.outWidth();
        return new CudaKernelOp(backend, "prb_conv2d", p.problem(), s -> d.outputShape(s), owned, (in, out) -> {
            int batch = in.shape().dim(0);
            int grid = Math.toIntExact((batch * perSample + DEPTHWISE_BLOCK - 1) / DEPTHWISE_BLOCK);
            backend.launch(f, grid, 1, DEPTHWISE_BLOCK, Args.of(in), Args.of(dBits), Args.of(dAlpha), Args.of(dW1), Args.of(dBias),
                    Args.of(out), Args.struct(params(d, batch)), Args.i32(groups1), Args.i32(relu));
        });
    }

    /** Fully connected: a 1×1 convolution of an N × IN × 1 × 1 input. */
    static UnaryOp fullyConnected(CudaBackend backend, FcDesc f, ConvWeights w, Activation act) {
        f.requireWeights(w);
        ConvDesc d = ConvDesc.builder().batch(f.batch()).channels(f.in(), f.out()).input(1, 1).kernel(1).build();
        float[] wt = transpose(w.weights(), f.out(), 1, f.in());
        return gemm(backend, Mode.FLOAT, d, f.problem(), wt, null, null, null, w.bias(), 1, 1, act, f::outputShape);
    }

    private static UnaryOp depthwiseOp(CudaBackend backend, String kernel, ConvDesc d, List<DeviceArray> owned,
                                       DeviceArray first, DeviceArray alpha, DeviceArray bias, Activation act) {
        CudaContext c = backend.context();
        if (d.kernelHeight() == 3 && d.kernelWidth() == 3 && d.dilationHeight() == 1 && d.dilationWidth() == 1) {
            kernel = kernel.replace("depthwise_", "depthwise3_");  // taps unrolled at compile time
        }
        CUfunction f = c.function("sepnet_" + kernel);
        int relu = act == Activation.RELU ? 1 : 0;
        boolean pattern = alpha != null;
        long perSample = (long) d.outChannels() * d.outHeight() * d.outWidth();
        return new CudaKernelOp(backend, kernel, d.problem(), d::outputShape, owned, (in, out) -> {
            int batch = in.shape().dim(0);
            int grid = Args.gridFor(batch * perSample, DEPTHWISE_BLOCK);
            if (pattern) {
                backend.launch(f, grid, 1, DEPTHWISE_BLOCK, Args.of(in), Args.of(first), Args.of(alpha), Args.of(bias), Args.of(out),
                        Args.struct(params(d, batch)), Args.i32(relu));
            } else {
                backend.launch(f, grid, 1, DEPTHWISE_BLOCK, Args.of(in), Args.of(first), Args.of(bias), Args.of(out),
                        Args.struct(params(d, batch)), Args.i32(relu));
            }
        });
    }
}
