package org.sepnet.bench.peers;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy2DAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;
import static org.bytedeco.cuda.global.cudnn.*;
import static org.sepnet.bench.peers.CudnnResources.check;
import static org.sepnet.bench.peers.CudnnResources.checkCuda;

import java.util.List;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnOpTensorStruct;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;
import org.sepnet.backend.Availability;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Checks;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.backend.cuda.CudaTensor;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * The network baseline on the GPU: every layer of a {@link org.sepnet.runtime.Network} run by cuDNN
 * (float32), on the CUDA backend's device tensors. Convolutions of every kind are cuDNN convolutions
 * with the algorithm {@code cudnnFindConvolutionForwardAlgorithm} picks ({@link CudnnConvStage}),
 * bias and ReLU fused where cuDNN can ({@code cudnnConvolutionBiasActivationForward}); pattern
 * convolutions run as their float equivalent α·B; a pattern residual block is the k×k convolution,
 * then the 1×1 convolution with the k×k result as cuDNN's z input; a fully connected layer is a 1×1
 * convolution. Batch norm, activations, sums, pooling and softmax are cuDNN's; concatenation is one
 * strided device copy per input. Work runs on the legacy default stream.
 *
 * <p>A baseline for benchmarks, not a general backend: ops run at exactly the batch they were built
 * for, and their cuDNN resources are released when this backend is closed.
 */
public final class CudnnBackend implements Backend, AutoCloseable {
    private final CudaBackend gpu = CudaBackend.instance();
    private final CudnnResources r;
    private final boolean tf32;

    /** @param tf32 cuDNN's default math (TF32 allowed) for convolutions instead of strict FP32 */
    public CudnnBackend(boolean tf32) {
        if (!gpu.availability().available()) {
            throw new IllegalStateException("the CUDA backend is unavailable: " + gpu.availability().detail());
        }
        this.tf32 = tf32;
        this.r = new CudnnResources();
    }

    @Override
    public String name() {
        return tf32 ? "cudnn_tf32" : "cudnn_fp32";
    }

    @Override
    public Availability availability() {
        return gpu.availability();
    }

    @Override
    public Tensor allocate(Shape shape) {
        return gpu.allocate(shape);
    }

    @Override
    public boolean computesOnHost() {
        return false;
    }

    @Override
    public void synchronize() {
        checkCuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }

    @Override
    public void close() {
        r.close();
    }

    // ---- convolutions ----

    @Override
    public UnaryOp conv2d(ConvDesc d, ConvWeights w, Activation act) {
        return new Conv(d, w.weights(), null, null, w.bias(), act);
    }

    @Override
    public UnaryOp patternConv2d(ConvDesc d, PatternWeights w, Activation act) {
        ConvWeights f = w.toConvWeights();
        return new Conv(d, f.weights(), null, null, f.bias(), act);
    }

    @Override
    public UnaryOp patternResidualBlock(PrbDesc d, PatternWeights pattern, ConvWeights pointwise, Activation act) {
        Checks.requirePrbWeights(d, pattern, pointwise);
        return new Conv(d.pattern(), pattern.toConvWeights().weights(), d.pointwise(), pointwise.weights(),
                Checks.prbBias(pattern, pointwise), act);
    }

    @Override
    public UnaryOp fullyConnected(FcDesc f, ConvWeights w, Activation act) {
        f.requireWeights(w);
        ConvDesc d = ConvDesc.builder().batch(f.batch()).channels(f.in(), f.out()).input(1, 1).kernel(1).build();
        Conv c = new Conv(d, w.weights(), null, null, w.bias(), act);
        return new Op("fc", f.problem(), f::outputShape, c::compute);
    }

    /** A convolution (or k×k + 1×1 residual block) with bias and activation. */
    private final class Conv extends Op {
        private final CudnnConvStage first;
        private final CudnnConvStage second;
        private final cudnnTensorStruct biasDesc;
        private final Pointer bias;
        private final cudnnActivationStruct act;
        private final boolean relu;
        private final Pointer tmp;

        Conv(ConvDesc d, float[] w, ConvDesc pointwise, float[] w1, float[] biasValues, Activation activation) {
            super("conv", pointwise == null ? d.problem() : d.problem() + "_prb_pwg" + pointwise.groups(), d::outputShape, null);
            first = new CudnnConvStage(r, d, w, tf32);
            second = pointwise == null ? null : new CudnnConvStage(r, pointwise, w1, tf32);
            biasDesc = r.tensor(1, d.outChannels(), 1, 1);
            bias = r.upload(biasValues != null ? biasValues : new float[d.outChannels()]);
            relu = activation == Activation.RELU;
            act = r.activation(true);
            tmp = second != null && relu ? r.alloc(d.outputShape().size() * Float.BYTES) : null;
            implementation = "cudnn:" + first.describe() + (second == null ? "" : "+" + second.describe());
        }

        @Override
        void compute(Pointer x, Pointer y) {
            if (second == null) {
                if (relu) {
                    first.biasActivation(x, y, r.zero, biasDesc, bias, act, y);
                } else {
                    first.forward(x, y, r.one, r.zero);
                    addBias(y);
                }
            } else if (relu) {
                first.forward(x, tmp, r.one, r.zero);
                second.biasActivation(x, tmp, r.one, biasDesc, bias, act, y);
            } else {
                first.forward(x, y, r.one, r.zero);
                second.forward(x, y, r.one, r.one);
                addBias(y);
            }
        }

        private void addBias(Pointer y) {
            check(cudnnAddTensor(r.handle, r.one, biasDesc, bias, r.one, first.yDesc, y), "cudnnAddTensor");
        }
    }

    // ---- other layers ----

    @Override
    public UnaryOp batchNorm(Shape maxShape, BatchNormParams p, Activation act) {
        Shape s = maxShape.requireNchw("batch norm input");
        cudnnTensorStruct xDesc = r.tensor(s.n(), s.c(), s.h(), s.w());
        cudnnTensorStruct bnDesc = r.tensor(1, s.c(), 1, 1);
        double eps = Math.max(p.epsilon(), CUDNN_BN_MIN_EPSILON);
        float[] variance = p.variance().clone();
        for (int i = 0; i < variance.length; i++) {
            variance[i] = (float) (variance[i] + p.epsilon() - eps);  // the same variance + epsilon
        }
        Pointer gamma = r.upload(p.gamma());
        Pointer beta = r.upload(p.beta());
        Pointer mean = r.upload(p.mean());
        Pointer var = r.upload(variance);
        cudnnActivationStruct relu = act == Activation.RELU ? r.activation(true) : null;
        return new Op("batch_norm", "n" + s.n() + "_c" + s.c() + "_h" + s.h() + "w" + s.w(), in -> Checks.sameShape(s, in), (x, y) -> {
            check(cudnnBatchNormalizationForwardInference(r.handle, CUDNN_BATCHNORM_SPATIAL, r.one, r.zero, xDesc, x, xDesc, y, bnDesc,
                    gamma, beta, mean, var, eps), "cudnnBatchNormalizationForwardInference");
            if (relu != null) {
                check(cudnnActivationForward(r.handle, relu, r.one, xDesc, y, r.zero, xDesc, y), "cudnnActivationForward");
            }
        });
    }

    @Override
    public UnaryOp activation(Shape maxShape, Activation act) {
        cudnnTensorStruct desc = flat(maxShape);
        cudnnActivationStruct a = r.activation(act == Activation.RELU);
        return new Op("activation", act.name().toLowerCase() + "_" + maxShape, in -> Checks.sameShape(maxShape, in),
                (x, y) -> check(cudnnActivationForward(r.handle, a, r.one, desc, x, r.zero, desc, y), "cudnnActivationForward"));
    }

    @Override
    public BinaryOp add(Shape maxShape, Activation act) {
        cudnnTensorStruct desc = flat(maxShape);
        cudnnOpTensorStruct op = new cudnnOpTensorStruct();
        check(cudnnCreateOpTensorDescriptor(op), "cudnnCreateOpTensorDescriptor");
        r.onClose(() -> cudnnDestroyOpTensorDescriptor(op));
        check(cudnnSetOpTensorDescriptor(op, CUDNN_OP_TENSOR_ADD, CUDNN_DATA_FLOAT, CUDNN_NOT_PROPAGATE_NAN), "cudnnSetOpTensorDescriptor");
        cudnnActivationStruct relu = act == Activation.RELU ? r.activation(true) : null;
        String problem = "add_" + maxShape;
        return new BinaryOp() {
            @Override
            public void run(Tensor a, Tensor b, Tensor out) {
                requireBuiltShape(maxShape, a.shape(), problem);
                requireBuiltShape(maxShape, b.shape(), problem);
                requireBuiltShape(maxShape, out.shape(), problem);
                Pointer y = at(out);
                check(cudnnOpTensor(r.handle, op, r.one, desc, at(a), r.one, desc, at(b), r.zero, desc, y), "cudnnOpTensor");
                if (relu != null) {
                    check(cudnnActivationForward(r.handle, relu, r.one, desc, y, r.zero, desc, y), "cudnnActivationForward");
                }
            }

            @Override
            public String problem() {
                return problem;
            }

            @Override
            public String implementation() {
                return "cudnn:op_tensor_add";
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public ConcatOp concat(List<Shape> maxInputShapes) {
        Shape outShape = Checks.concatOutput(maxInputShapes);
        String problem = "concat_" + maxInputShapes;
        return new ConcatOp() {
            @Override
            public void run(List<? extends Tensor> inputs, Tensor output) {
                requireBuiltShape(outShape, output.shape(), problem);
                long plane = (long) outShape.h() * outShape.w() * Float.BYTES;
                long dstPitch = outShape.c() * plane;
                long offset = 0;
                for (int i = 0; i < inputs.size(); i++) {
                    Tensor in = inputs.get(i);
                    requireBuiltShape(maxInputShapes.get(i), in.shape(), problem);
                    long width = in.shape().c() * plane;
                    checkCuda(cudaMemcpy2DAsync(at(((CudaTensor) output).address() + offset), dstPitch, at(in), width, width,
                            outShape.n(), cudaMemcpyDeviceToDevice, (CUstream_st) null), "cudaMemcpy2DAsync");
                    offset += width;
                }
            }

            @Override
            public String problem() {
                return problem;
            }

            @Override
            public String implementation() {
                return "cudnn:copy2d";
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public UnaryOp pool(PoolDesc d) {
        if (d.ceilMode()) {
            throw new UnsupportedOperationException("cuDNN pooling has no ceil mode: " + d.problem());
        }
        cudnnPoolingStruct pool = new cudnnPoolingStruct();
        check(cudnnCreatePoolingDescriptor(pool), "cudnnCreatePoolingDescriptor");
        r.onClose(() -> cudnnDestroyPoolingDescriptor(pool));
        int mode = d.kind() == PoolDesc.Kind.MAX ? CUDNN_POOLING_MAX
                : d.countIncludePad() ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
        check(cudnnSetPooling2dDescriptor(pool, mode, CUDNN_NOT_PROPAGATE_NAN, d.kernelHeight(), d.kernelWidth(), d.padHeight(),
                d.padWidth(), d.strideHeight(), d.strideWidth()), "cudnnSetPooling2dDescriptor");
        cudnnTensorStruct xDesc = r.tensor(d.batch(), d.channels(), d.inHeight(), d.inWidth());
        cudnnTensorStruct yDesc = r.tensor(d.batch(), d.channels(), d.outHeight(), d.outWidth());
        return new Op("pool", d.problem(), d::outputShape,
                (x, y) -> check(cudnnPoolingForward(r.handle, pool, r.one, xDesc, x, r.zero, yDesc, y), "cudnnPoolingForward"));
    }

    @Override
    public UnaryOp softmax(Shape maxShape) {
        cudnnTensorStruct desc = flat(maxShape);
        return new Op("softmax", "softmax_" + maxShape, in -> Checks.sameShape(maxShape, in),
                (x, y) -> check(cudnnSoftmaxForward(r.handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE, r.one, desc, x, r.zero,
                        desc, y), "cudnnSoftmaxForward"));
    }

    // ---- plumbing ----

    /** A descriptor of {@code s} as [n, rest, 1, 1]: element-wise ops and softmax over each sample. */
    private cudnnTensorStruct flat(Shape s) {
        int n = s.dim(0);
        return r.tensor(n, Math.toIntExact(s.size() / n), 1, 1);
    }

    /** A JavaCPP pointer to device address {@code a}. */
    private static Pointer at(long a) {
        return new Pointer() {
            {
                address = a;
            }
        };
    }

    private Pointer at(Tensor t) {
        if (!(t instanceof CudaTensor c)) {
            throw new IllegalArgumentException("cuDNN runs on device tensors; got one at " + t.location());
        }
        return at(c.address());
    }

    private static void requireBuiltShape(Shape built, Shape actual, String problem) {
        if (!built.equals(actual)) {
            throw new IllegalArgumentException("shape " + actual + " in " + problem + "; the cuDNN baseline runs at the shape it was built for, "
                    + built);
        }
    }

    /** Queues the op's cuDNN calls for device pointers whose shapes were checked. */
    @FunctionalInterface
    private interface Compute {
        void compute(Pointer x, Pointer y);
    }

    /** A one-input op: checks shapes (the built batch only), then runs its cuDNN calls. */
    private class Op implements UnaryOp {
        private final String problem;
        private final java.util.function.UnaryOperator<Shape> outputShape;
        private final Compute compute;
        private Shape builtInput;
        String implementation;

        Op(String kind, String problem, java.util.function.UnaryOperator<Shape> outputShape, Compute compute) {
            this.problem = problem;
            this.outputShape = outputShape;
            this.compute = compute;
            this.implementation = "cudnn:" + kind;
        }

        void compute(Pointer x, Pointer y) {
            compute.compute(x, y);
        }

        @Override
        public Shape outputShape(Shape input) {
            return outputShape.apply(input);
        }

        @Override
        public void run(Tensor input, Tensor output) {
            Shape expected = outputShape.apply(input.shape());
            if (!expected.equals(output.shape())) {
                throw new IllegalArgumentException("output shape " + output.shape() + " in " + problem + "; expected " + expected);
            }
            if (builtInput == null) {
                builtInput = input.shape();  // the first run fixes the batch (the network's largest)
            }
            requireBuiltShape(builtInput, input.shape(), problem);
            compute(at(input), at(output));
        }

        @Override
        public String problem() {
            return problem;
        }

        @Override
        public String implementation() {
            return implementation;
        }

        @Override
        public void close() {}
    }
}
