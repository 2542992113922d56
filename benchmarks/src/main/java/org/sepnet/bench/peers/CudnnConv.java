package org.sepnet.bench.peers;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudnn.cudnnGetVersion;
import static org.sepnet.bench.peers.CudnnResources.checkCuda;

import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;
import org.sepnet.ops.ConvDesc;

/**
 * cuDNN float32 convolution through JavaCPP's {@code org.bytedeco:cuda} preset: the GPU baseline.
 * One convolution + bias + ReLU ({@code cudnnConvolutionBiasActivationForward}); for a pattern
 * residual block the k×k convolution, then the 1×1 convolution + the k×k result (as cuDNN's z input)
 * + bias + ReLU. The algorithm of each convolution is the fastest one
 * {@code cudnnFindConvolutionForwardAlgorithm} reports for the math mode: strict FP32
 * ({@code CUDNN_FMA_MATH}) or cuDNN's default (TF32 tensor cores allowed). Buffers are allocated
 * with the runtime API on the device's primary context.
 */
public final class CudnnConv implements AutoCloseable {
    private final CudnnResources r = new CudnnResources();
    private final CudnnConvStage first;
    private final CudnnConvStage second;
    private final Pointer x;
    private final Pointer y;
    private final Pointer tmp;
    private final Pointer bias;
    private final cudnnTensorStruct biasDesc;
    private final cudnnActivationStruct relu;
    private final long outputFloats;

    /**
     * @param conv the k×k (or only) convolution and its OIHW weights
     * @param pointwise the 1×1 branch of a pattern residual block and its weights, or {@code null}
     * @param biasValues per output channel, or {@code null} for none
     * @param tf32 cuDNN's default math (TF32 allowed) instead of strict FP32
     */
    public CudnnConv(ConvDesc conv, float[] weights, ConvDesc pointwise, float[] pointwiseWeights, float[] biasValues,
                     boolean tf32) {
        try {
            first = new CudnnConvStage(r, conv, weights, tf32);
            second = pointwise == null ? null : new CudnnConvStage(r, pointwise, pointwiseWeights, tf32);
            x = r.alloc((long) conv.batch() * conv.inChannels() * conv.inHeight() * conv.inWidth() * Float.BYTES);
            outputFloats = (long) conv.batch() * conv.outChannels() * conv.outHeight() * conv.outWidth();
            y = r.alloc(outputFloats * Float.BYTES);
            tmp = second == null ? null : r.alloc(outputFloats * Float.BYTES);
            bias = r.upload(biasValues != null ? biasValues : new float[conv.outChannels()]);
            biasDesc = r.tensor(1, conv.outChannels(), 1, 1);
            relu = r.activation(true);
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /** cuDNN's version number, e.g. 91300 for 9.13.0. */
    public static long version() {
        return cudnnGetVersion();
    }

    /** The chosen algorithm(s) and math mode(s), e.g. {@code IMPLICIT_PRECOMP_GEMM/fma}. */
    public String algorithms() {
        String s = first.describe();
        return second == null ? s : s + " + " + second.describe();
    }

    /** Copies the input (the whole batch, NCHW) to the device. */
    public void setInput(float[] input) {
        CudnnResources.copy(input, x);
    }

    /** Queues the forward pass (asynchronous; {@link #synchronize()} waits). */
    public void run() {
        if (second == null) {
            first.biasActivation(x, y, r.zero, biasDesc, bias, relu, y);
        } else {
            first.forward(x, tmp, r.one, r.zero);
            second.biasActivation(x, tmp, r.one, biasDesc, bias, relu, y);
        }
    }

    public void synchronize() {
        checkCuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }

    /** The output (the whole batch, NCHW). */
    public float[] output() {
        return CudnnResources.download(y, outputFloats);
    }

    @Override
    public void close() {
        r.close();
    }
}
