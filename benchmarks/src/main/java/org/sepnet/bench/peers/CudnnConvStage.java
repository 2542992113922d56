package org.sepnet.bench.peers;

import static org.bytedeco.cuda.global.cudnn.*;
import static org.sepnet.bench.peers.CudnnResources.check;

import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.sepnet.ops.ConvDesc;

/**
 * One cuDNN float32 convolution: descriptors, weights on the device, and the fastest algorithm
 * {@code cudnnFindConvolutionForwardAlgorithm} reports for the math mode (strict FP32,
 * {@code CUDNN_FMA_MATH}, or cuDNN's default with TF32 allowed) with its workspace.
 */
final class CudnnConvStage {
    private static final String[] ALGORITHMS = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING",
        "WINOGRAD", "WINOGRAD_NONFUSED"};
    private static final String[] MATHS = {"default", "tensor_op", "tensor_op_allow_conversion", "fma"};

    private final CudnnResources r;
    final cudnnTensorStruct xDesc;
    final cudnnTensorStruct yDesc;
    private final cudnnFilterStruct wDesc = new cudnnFilterStruct();
    private final cudnnConvolutionStruct convDesc = new cudnnConvolutionStruct();
    private final Pointer w;
    private final int algo;
    private final int mathType;
    private final Pointer workspace;
    private final long workspaceBytes;

    CudnnConvStage(CudnnResources r, ConvDesc d, float[] weights, boolean tf32) {
        this.r = r;
        xDesc = r.tensor(d.batch(), d.inChannels(), d.inHeight(), d.inWidth());
        yDesc = r.tensor(d.batch(), d.outChannels(), d.outHeight(), d.outWidth());
        check(cudnnCreateFilterDescriptor(wDesc), "cudnnCreateFilterDescriptor");
        r.onClose(() -> cudnnDestroyFilterDescriptor(wDesc));
        check(cudnnCreateConvolutionDescriptor(convDesc), "cudnnCreateConvolutionDescriptor");
        r.onClose(() -> cudnnDestroyConvolutionDescriptor(convDesc));
        check(cudnnSetFilter4dDescriptor(wDesc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d.outChannels(), d.inChannelsPerGroup(),
                d.kernelHeight(), d.kernelWidth()), "cudnnSetFilter4dDescriptor");
        check(cudnnSetConvolution2dDescriptor(convDesc, d.padHeight(), d.padWidth(), d.strideHeight(), d.strideWidth(),
                d.dilationHeight(), d.dilationWidth(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                "cudnnSetConvolution2dDescriptor");
        check(cudnnSetConvolutionGroupCount(convDesc, d.groups()), "cudnnSetConvolutionGroupCount");
        check(cudnnSetConvolutionMathType(convDesc, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
        w = r.upload(weights);
        int[] returned = new int[1];
        cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
        check(cudnnFindConvolutionForwardAlgorithm(r.handle, xDesc, wDesc, convDesc, yDesc, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
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
        workspace = workspaceBytes > 0 ? r.alloc(workspaceBytes) : null;
    }

    /** y = alpha·conv(x) + beta·y. */
    void forward(Pointer x, Pointer y, FloatPointer alpha, FloatPointer beta) {
        check(cudnnConvolutionForward(r.handle, alpha, xDesc, x, wDesc, w, convDesc, algo, workspace, workspaceBytes, beta, yDesc,
                y), "cudnnConvolutionForward");
    }

    /** y = act(conv(x) + alpha2·z + bias): cuDNN's fused call (its identity activation is limited to one algorithm). */
    void biasActivation(Pointer x, Pointer z, FloatPointer alpha2, cudnnTensorStruct biasDesc, Pointer bias,
                        cudnnActivationStruct act, Pointer y) {
        check(cudnnConvolutionBiasActivationForward(r.handle, r.one, xDesc, x, wDesc, w, convDesc, algo, workspace, workspaceBytes,
                alpha2, yDesc, z, biasDesc, bias, act, yDesc, y), "cudnnConvolutionBiasActivationForward");
    }

    /** The chosen algorithm and math mode, e.g. {@code IMPLICIT_PRECOMP_GEMM/fma}. */
    String describe() {
        return (algo >= 0 && algo < ALGORITHMS.length ? ALGORITHMS[algo] : "algo" + algo) + "/"
                + (mathType >= 0 && mathType < MATHS.length ? MATHS[mathType] : "math" + mathType);
    }
}
