package org.sepnet.bench.peers;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudnn.*;
import static org.sepnet.bench.peers.CudnnResources.check;
import static org.sepnet.bench.peers.CudnnResources.checkCuda;

import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;
import org.sepnet.ops.ConvDesc;

/**
 * A float32 convolution's backward pass on cuDNN (JavaCPP's {@code org.bytedeco:cuda} preset): the
 * input gradient ({@code cudnnConvolutionBackwardData}) and the filter gradient
 * ({@code cudnnConvolutionBackwardFilter}), each with the fastest algorithm cuDNN's Find call
 * reports for the math mode: strict FP32 ({@code CUDNN_FMA_MATH}) or cuDNN's default (TF32 allowed).
 * The GPU baseline of a training step's convolutions.
 */
public final class CudnnConvBackward implements AutoCloseable {
    private static final String[] DATA = {"ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
    private static final String[] FILTER = {"ALGO_0", "ALGO_1", "FFT", "ALGO_3", "WINOGRAD", "WINOGRAD_NONFUSED", "FFT_TILING"};

    private final CudnnResources r = new CudnnResources();
    private final cudnnTensorStruct xDesc;
    private final cudnnTensorStruct yDesc;
    private final cudnnFilterStruct wDesc = new cudnnFilterStruct();
    private final cudnnConvolutionStruct dataConv = new cudnnConvolutionStruct();
    private final cudnnConvolutionStruct filterConv = new cudnnConvolutionStruct();
    private final Pointer x;
    private final Pointer dy;
    private final Pointer w;
    private final Pointer dx;
    private final Pointer dw;
    private final Pointer workspace;
    private final long workspaceBytes;
    private final int dataAlgo;
    private final int filterAlgo;
    private final long inputFloats;
    private final long weightFloats;

    public CudnnConvBackward(ConvDesc d, boolean tf32) {
        try {
            xDesc = r.tensor(d.batch(), d.inChannels(), d.inHeight(), d.inWidth());
            yDesc = r.tensor(d.batch(), d.outChannels(), d.outHeight(), d.outWidth());
            check(cudnnCreateFilterDescriptor(wDesc), "cudnnCreateFilterDescriptor");
            r.onClose(() -> cudnnDestroyFilterDescriptor(wDesc));
            check(cudnnSetFilter4dDescriptor(wDesc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d.outChannels(), d.inChannelsPerGroup(),
                    d.kernelHeight(), d.kernelWidth()), "cudnnSetFilter4dDescriptor");
            for (cudnnConvolutionStruct c : new cudnnConvolutionStruct[] {dataConv, filterConv}) {
                check(cudnnCreateConvolutionDescriptor(c), "cudnnCreateConvolutionDescriptor");
                r.onClose(() -> cudnnDestroyConvolutionDescriptor(c));
                check(cudnnSetConvolution2dDescriptor(c, d.padHeight(), d.padWidth(), d.strideHeight(), d.strideWidth(),
                        d.dilationHeight(), d.dilationWidth(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                        "cudnnSetConvolution2dDescriptor");
                check(cudnnSetConvolutionGroupCount(c, d.groups()), "cudnnSetConvolutionGroupCount");
                check(cudnnSetConvolutionMathType(c, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
            }
            inputFloats = (long) d.batch() * d.inChannels() * d.inHeight() * d.inWidth();
            weightFloats = (long) d.outChannels() * d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth();
            x = r.alloc(inputFloats * Float.BYTES);
            dx = r.alloc(inputFloats * Float.BYTES);
            dy = r.alloc((long) d.batch() * d.outChannels() * d.outHeight() * d.outWidth() * Float.BYTES);
            w = r.alloc(weightFloats * Float.BYTES);
            dw = r.alloc(weightFloats * Float.BYTES);

            int[] returned = new int[1];
            cudnnConvolutionBwdDataAlgoPerf_t dp = new cudnnConvolutionBwdDataAlgoPerf_t(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
            check(cudnnFindConvolutionBackwardDataAlgorithm(r.handle, wDesc, yDesc, dataConv, xDesc,
                    CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, returned, dp), "cudnnFindConvolutionBackwardDataAlgorithm");
            int best = first(returned[0], i -> dp.position(i).status());
            if (best < 0) {
                throw new IllegalStateException("cuDNN found no backward-data algorithm for " + d.problem());
            }
            dp.position(best);
            dataAlgo = dp.algo();
            long dataBytes = dp.memory();
            check(cudnnSetConvolutionMathType(dataConv, dp.mathType()), "cudnnSetConvolutionMathType");
            dp.position(0).close();

            cudnnConvolutionBwdFilterAlgoPerf_t fp = new cudnnConvolutionBwdFilterAlgoPerf_t(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
            check(cudnnFindConvolutionBackwardFilterAlgorithm(r.handle, xDesc, yDesc, filterConv, wDesc,
                    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, returned, fp), "cudnnFindConvolutionBackwardFilterAlgorithm");
            best = first(returned[0], i -> fp.position(i).status());
            if (best < 0) {
                throw new IllegalStateException("cuDNN found no backward-filter algorithm for " + d.problem());
            }
            fp.position(best);
            filterAlgo = fp.algo();
            long filterBytes = fp.memory();
            check(cudnnSetConvolutionMathType(filterConv, fp.mathType()), "cudnnSetConvolutionMathType");
            fp.position(0).close();

            workspaceBytes = Math.max(dataBytes, filterBytes);
            workspace = workspaceBytes > 0 ? r.alloc(workspaceBytes) : null;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private static int first(int count, java.util.function.IntUnaryOperator status) {
        for (int i = 0; i < count; i++) {
            if (status.applyAsInt(i) == CUDNN_STATUS_SUCCESS) {
                return i;
            }
        }
        return -1;
    }

    /** The chosen algorithms, e.g. {@code data ALGO_1, filter ALGO_1}. */
    public String algorithms() {
        return "data " + (dataAlgo < DATA.length ? DATA[dataAlgo] : "algo" + dataAlgo) + ", filter "
                + (filterAlgo < FILTER.length ? FILTER[filterAlgo] : "algo" + filterAlgo);
    }

    /** Copies the layer's input, its output gradient and its weights (OIHW) to the device. */
    public void set(float[] input, float[] outputGradient, float[] weights) {
        CudnnResources.copy(input, x);
        CudnnResources.copy(outputGradient, dy);
        CudnnResources.copy(weights, w);
    }

    /** Queues dx = the input gradient and dw = the filter gradient (both overwritten; asynchronous). */
    public void run() {
        check(cudnnConvolutionBackwardData(r.handle, r.one, wDesc, w, yDesc, dy, dataConv, dataAlgo, workspace, workspaceBytes, r.zero,
                xDesc, dx), "cudnnConvolutionBackwardData");
        check(cudnnConvolutionBackwardFilter(r.handle, r.one, xDesc, x, yDesc, dy, filterConv, filterAlgo, workspace, workspaceBytes,
                r.zero, wDesc, dw), "cudnnConvolutionBackwardFilter");
    }

    public void synchronize() {
        checkCuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }

    public float[] inputGradient() {
        return CudnnResources.download(dx, inputFloats);
    }

    public float[] weightGradient() {
        return CudnnResources.download(dw, weightFloats);
    }

    @Override
    public void close() {
        r.close();
    }
}
