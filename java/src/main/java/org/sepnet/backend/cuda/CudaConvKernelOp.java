package org.sepnet.backend.cuda;

import java.util.function.UnaryOperator;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A convolution-family op that launches one kernel of the module with a 1-D grid of one thread per
 * output element. Kernel parameters, in order: the input, the weight arrays, the nullable arrays
 * (a missing one is passed as a null pointer), the output, the {@code ConvParams} struct (see
 * {@code cuda/common.cuh}) and the trailing ints.
 */
final class CudaConvKernelOp implements UnaryOp {
    static final int BLOCK = 256;

    private final CudaBackend backend;
    private final String kernelName;
    private final CUfunction function;
    private final String problem;
    private final ConvDesc desc;
    private final UnaryOperator<Shape> outputShape;
    private final DeviceArray[] weights;
    private final DeviceArray[] nullable;
    private final int[] params;
    private final int[] trailing;
    private boolean closed;

    /**
     * @param weightsBefore arrays passed before the input pointer, in kernel order
     * @param nullableAfterWeights arrays (possibly null) passed after them, e.g. the bias
     */
    CudaConvKernelOp(CudaBackend backend, String kernelName, String problem, ConvDesc desc, UnaryOperator<Shape> outputShape,
                     DeviceArray[] weightsBefore, DeviceArray[] nullableAfterWeights, int... trailing) {
        this.backend = backend;
        this.kernelName = kernelName;
        this.function = backend.context().function(kernelName);
        this.problem = problem;
        this.desc = desc;
        this.outputShape = outputShape;
        this.weights = weightsBefore;
        this.nullable = nullableAfterWeights;
        this.trailing = trailing.clone();
        this.params = new int[] {desc.batch(), desc.inChannels(), desc.inHeight(), desc.inWidth(), desc.outChannels(),
                desc.groups(), desc.kernelHeight(), desc.kernelWidth(), desc.strideHeight(), desc.strideWidth(),
                desc.padHeight(), desc.padWidth(), desc.dilationHeight(), desc.dilationWidth(), desc.outHeight(),
                desc.outWidth()};
    }

    @Override
    public String problem() {
        return problem;
    }

    @Override
    public String implementation() {
        return "cuda:" + kernelName;
    }

    @Override
    public Shape outputShape(Shape input) {
        return outputShape.apply(input);
    }

    @Override
    public void run(Tensor input, Tensor output) {
        if (closed) {
            throw new IllegalStateException("op " + implementation() + " " + problem + " is closed");
        }
        CudaTensor in = backend.requireDevice(input, "input");
        CudaTensor out = backend.requireDevice(output, "output");
        Shape expected = outputShape.apply(in.shape());
        if (!expected.equals(out.shape())) {
            throw new IllegalArgumentException("output shape " + out.shape() + " for input " + in.shape() + " in " + problem
                    + "; expected " + expected);
        }
        int batch = in.shape().n();
        params[0] = batch;
        long total = (long) batch * desc.outChannels() * desc.outHeight() * desc.outWidth();
        int grid = (int) ((total + BLOCK - 1) / BLOCK);
        Pointer[] args = new Pointer[weights.length + nullable.length + 3 + trailing.length];
        int a = 0;
        args[a++] = Pointer.to(in.pointer());
        for (DeviceArray w : weights) {
            args[a++] = DeviceArray.arg(w);
        }
        for (DeviceArray w : nullable) {
            args[a++] = DeviceArray.arg(w);
        }
        args[a++] = Pointer.to(out.pointer());
        args[a++] = Pointer.to(params);
        for (int t : trailing) {
            args[a++] = Pointer.to(new int[] {t});
        }
        backend.context().launch(function, grid, 1, BLOCK, args);
        backend.afterLaunch(kernelName, problem);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (DeviceArray w : weights) {
                w.close();
            }
            for (DeviceArray w : nullable) {
                if (w != null) {
                    w.close();
                }
            }
        }
    }
}
