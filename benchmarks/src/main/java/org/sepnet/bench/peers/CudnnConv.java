package org.sepnet.bench.peers;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemset;
import static org.bytedeco.cuda.global.cudnn.*;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
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
    private final List<Pointer> device = new ArrayList<>();
    private final List<Runnable> destroy = new ArrayList<>();
    private final cudnnContext handle = new cudnnContext();
    private final Stage first;
    private final Stage second;
    private final Pointer x;
    private final Pointer y;
    private final Pointer tmp;
    private final Pointer bias;
    private final cudnnTensorStruct biasDesc;
    private final cudnnActivationStruct relu;
    private final long outputFloats;
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);

    /** One convolution's descriptors, weights, algorithm and workspace. */
    private final class Stage {
        final cudnnTensorStruct xDesc = new cudnnTensorStruct();
        final cudnnTensorStruct yDesc = new cudnnTensorStruct();
        final cudnnFilterStruct wDesc = new cudnnFilterStruct();
        final cudnnConvolutionStruct convDesc = new cudnnConvolutionStruct();
        final Pointer w;
        final int algo;
        final int mathType;
        final Pointer workspace;
        final long workspaceBytes;

        Stage(ConvDesc d, float[] weights, boolean tf32) {
            check(cudnnCreateTensorDescriptor(xDesc), "cudnnCreateTensorDescriptor");
            destroy.add(() -> cudnnDestroyTensorDescriptor(xDesc));
            check(cudnnCreateTensorDescriptor(yDesc), "cudnnCreateTensorDescriptor");
            destroy.add(() -> cudnnDestroyTensorDescriptor(yDesc));
            check(cudnnCreateFilterDescriptor(wDesc), "cudnnCreateFilterDescriptor");
            destroy.add(() -> cudnnDestroyFilterDescriptor(wDesc));
            check(cudnnCreateConvolutionDescriptor(convDesc), "cudnnCreateConvolutionDescriptor");
            destroy.add(() -> cudnnDestroyConvolutionDescriptor(convDesc));
            check(cudnnSetTensor4dDescriptor(xDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.batch(), d.inChannels(), d.inHeight(),
                    d.inWidth()), "cudnnSetTensor4dDescriptor(x)");
            check(cudnnSetTensor4dDescriptor(yDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.batch(), d.outChannels(), d.outHeight(),
                    d.outWidth()), "cudnnSetTensor4dDescriptor(y)");
            check(cudnnSetFilter4dDescriptor(wDesc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d.outChannels(), d.inChannelsPerGroup(),
                    d.kernelHeight(), d.kernelWidth()), "cudnnSetFilter4dDescriptor");
            check(cudnnSetConvolution2dDescriptor(convDesc, d.padHeight(), d.padWidth(), d.strideHeight(), d.strideWidth(),
                    d.dilationHeight(), d.dilationWidth(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                    "cudnnSetConvolution2dDescriptor");
            check(cudnnSetConvolutionGroupCount(convDesc, d.groups()), "cudnnSetConvolutionGroupCount");
            check(cudnnSetConvolutionMathType(convDesc, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
            w = upload(weights);
            int[] returned = new int[1];
            cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
            check(cudnnFindConvolutionForwardAlgorithm(handle, xDesc, wDesc, convDesc, yDesc, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                    returned, perf), "cudnnFindConvolutionForwardAlgorithm");
            int best = -1;
            for (int i = 0; i < returned[0]; i++) {
                if (perf.position(i).status() == CUDNN_STATUS_SUCCESS) {
                    best = i;
                    break;
                }
            }
            if (best < 0) {
                throw new IllegalStateException("cuDNN found no forward algorithm for " + d.problem());
            }
            perf.position(best);
            algo = perf.algo();
            mathType = perf.mathType();
            workspaceBytes = perf.memory();
            perf.position(0).close();
            check(cudnnSetConvolutionMathType(convDesc, mathType), "cudnnSetConvolutionMathType");
            workspace = workspaceBytes > 0 ? alloc(workspaceBytes) : null;
        }
    }

    /**
     * @param conv the k×k (or only) convolution and its OIHW weights
     * @param pointwise the 1×1 branch of a pattern residual block and its weights, or {@code null}
     * @param biasValues per output channel, or {@code null} for none
     * @param tf32 cuDNN's default math (TF32 allowed) instead of strict FP32
     */
    public CudnnConv(ConvDesc conv, float[] weights, ConvDesc pointwise, float[] pointwiseWeights, float[] biasValues,
                     boolean tf32) {
        check(cudnnCreate(handle), "cudnnCreate");
        destroy.add(() -> cudnnDestroy(handle));
        first = new Stage(conv, weights, tf32);
        second = pointwise == null ? null : new Stage(pointwise, pointwiseWeights, tf32);
        x = alloc((long) conv.batch() * conv.inChannels() * conv.inHeight() * conv.inWidth() * Float.BYTES);
        outputFloats = (long) conv.batch() * conv.outChannels() * conv.outHeight() * conv.outWidth();
        y = alloc(outputFloats * Float.BYTES);
        tmp = second == null ? null : alloc(outputFloats * Float.BYTES);
        float[] b = biasValues != null ? biasValues : new float[conv.outChannels()];
        bias = upload(b);
        biasDesc = new cudnnTensorStruct();
        check(cudnnCreateTensorDescriptor(biasDesc), "cudnnCreateTensorDescriptor");
        destroy.add(() -> cudnnDestroyTensorDescriptor(biasDesc));
        check(cudnnSetTensor4dDescriptor(biasDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, conv.outChannels(), 1, 1),
                "cudnnSetTensor4dDescriptor(bias)");
        relu = new cudnnActivationStruct();
        check(cudnnCreateActivationDescriptor(relu), "cudnnCreateActivationDescriptor");
        destroy.add(() -> cudnnDestroyActivationDescriptor(relu));
        check(cudnnSetActivationDescriptor(relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0),
                "cudnnSetActivationDescriptor");
    }

    /** cuDNN's version number, e.g. 91300 for 9.13.0. */
    public static long version() {
        return cudnnGetVersion();
    }

    /** The chosen algorithm(s) and math mode(s), e.g. {@code IMPLICIT_PRECOMP_GEMM/fma}. */
    public String algorithms() {
        String s = describe(first);
        return second == null ? s : s + " + " + describe(second);
    }

    private static String describe(Stage s) {
        String[] names = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING", "WINOGRAD",
                "WINOGRAD_NONFUSED"};
        String[] maths = {"default", "tensor_op", "tensor_op_allow_conversion", "fma"};
        return (s.algo >= 0 && s.algo < names.length ? names[s.algo] : "algo" + s.algo) + "/"
                + (s.mathType >= 0 && s.mathType < maths.length ? maths[s.mathType] : "math" + s.mathType);
    }

    /** Copies the input (the whole batch, NCHW) to the device. */
    public void setInput(float[] input) {
        FloatPointer h = new FloatPointer(input);
        checkCuda(cudaMemcpy(x, h, (long) input.length * Float.BYTES, cudaMemcpyHostToDevice), "cudaMemcpy");
        h.close();
    }

    /** Queues the forward pass (asynchronous; {@link #synchronize()} waits). */
    public void run() {
        if (second == null) {
            forward(first, y, y, zero);
        } else {
            check(cudnnConvolutionForward(handle, one, first.xDesc, x, first.wDesc, first.w, first.convDesc, first.algo,
                    first.workspace, first.workspaceBytes, zero, first.yDesc, tmp), "cudnnConvolutionForward");
            forward(second, tmp, y, one);
        }
    }

    /** y = ReLU(conv(x) + alpha2·z + bias). */
    private void forward(Stage s, Pointer z, Pointer out, FloatPointer alpha2) {
        check(cudnnConvolutionBiasActivationForward(handle, one, s.xDesc, x, s.wDesc, s.w, s.convDesc, s.algo, s.workspace,
                s.workspaceBytes, alpha2, s.yDesc, z, biasDesc, bias, relu, s.yDesc, out), "cudnnConvolutionBiasActivationForward");
    }

    public void synchronize() {
        checkCuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }

    /** The output (the whole batch, NCHW). */
    public float[] output() {
        float[] out = new float[Math.toIntExact(outputFloats)];
        FloatPointer h = new FloatPointer(out.length);
        checkCuda(cudaMemcpy(h, y, outputFloats * Float.BYTES, cudaMemcpyDeviceToHost), "cudaMemcpy");
        h.get(out);
        h.close();
        return out;
    }

    private Pointer upload(float[] values) {
        Pointer p = alloc((long) values.length * Float.BYTES);
        FloatPointer h = new FloatPointer(values);
        checkCuda(cudaMemcpy(p, h, (long) values.length * Float.BYTES, cudaMemcpyHostToDevice), "cudaMemcpy");
        h.close();
        return p;
    }

    private Pointer alloc(long bytes) {
        Pointer p = new Pointer();
        checkCuda(cudaMalloc(p, Math.max(bytes, 4)), "cudaMalloc(" + bytes + ")");
        device.add(p);
        // Zeroed: y doubles as cuDNN's z input (scaled by 0), which must not hold NaN.
        checkCuda(cudaMemset(p, 0, Math.max(bytes, 4)), "cudaMemset");
        return p;
    }

    @Override
    public void close() {
        for (int i = destroy.size() - 1; i >= 0; i--) {
            destroy.get(i).run();
        }
        destroy.clear();
        for (Pointer p : device) {
            cudaFree(p);
        }
        device.clear();
        one.close();
        zero.close();
    }

    private static void check(int status, String call) {
        if (status != CUDNN_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + cudnnGetErrorString(status).getString() + " (" + status + ")");
        }
    }

    private static void checkCuda(int status, String call) {
        if (status != 0) {
            throw new IllegalStateException(call + " failed: " + cudaGetErrorString(status).getString() + " (" + status + ")");
        }
    }

}
