package org.sepnet.backend;

import java.util.List;
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
 * A place ops run: CUDA, native CPU or the pure-Java reference. A backend allocates the tensors its
 * ops read and write ({@link #allocate}) and builds op instances: weights are packed and uploaded
 * when the op is created, {@code run} allocates nothing. Ops are not thread-safe; use one per
 * thread.
 *
 * <p>Every factory validates its arguments against the descriptor and throws
 * {@link IllegalArgumentException} naming the mismatch. Calling a factory on an unavailable
 * backend throws {@link IllegalStateException} with the reason.
 */
public interface Backend {
    /** Short name used by {@code -Dsepnet.backend}: {@code cuda}, {@code native} or {@code reference}. */
    String name();

    /** Whether this backend can run here, and what it runs on or why not. */
    Availability availability();

    /** A zero-filled tensor where this backend computes. */
    Tensor allocate(Shape shape);

    /** Whether this backend's tensors are {@link org.sepnet.tensor.HostTensor}s (false for CUDA). */
    default boolean computesOnHost() {
        return true;
    }

    /** Waits until every op run so far has finished (a no-op for the synchronous CPU backends). */
    default void synchronize() {}

    /** Float convolution (any kernel, stride, padding, dilation, groups, depthwise), + bias, + activation. */
    UnaryOp conv2d(ConvDesc desc, ConvWeights weights, Activation activation);

    /** Pattern convolution: y = α·(B ∗ x) + bias, + activation. */
    UnaryOp patternConv2d(ConvDesc desc, PatternWeights weights, Activation activation);

    /**
     * 1×1 float convolution (a GEMM per group), + bias, + activation: {@link #conv2d} after checking
     * that the descriptor is 1×1 with stride 1 and no padding.
     */
    default UnaryOp pointwiseConv2d(ConvDesc desc, ConvWeights weights, Activation activation) {
        Checks.requirePointwise(desc);
        return conv2d(desc, weights, activation);
    }

    /**
     * Fused pattern residual block: y = α·(B ∗ x) + W₁ ∗ x + biases, + activation. Both branches'
     * biases, where present, are added.
     */
    UnaryOp patternResidualBlock(PrbDesc desc, PatternWeights pattern, ConvWeights pointwise, Activation activation);

    /** Inference batch norm over dimension 1 of inputs shaped like {@code maxShape} (batch 1..maxShape[0]). */
    UnaryOp batchNorm(Shape maxShape, BatchNormParams params, Activation activation);

    /** Element-wise activation. */
    UnaryOp activation(Shape maxShape, Activation activation);

    /** Element-wise sum of two tensors of the same shape, + activation. */
    BinaryOp add(Shape maxShape, Activation activation);

    /** Channel concatenation of NCHW inputs that agree in N, H and W. */
    ConcatOp concat(List<Shape> maxInputShapes);

    /** Max, average or global pooling. */
    UnaryOp pool(PoolDesc desc);

    /** Fully connected layer, + activation. */
    UnaryOp fullyConnected(FcDesc desc, ConvWeights weights, Activation activation);

    /** Softmax over the values of each sample (all dimensions after the first). */
    UnaryOp softmax(Shape maxShape);

    /**
     * The back-propagation kernels on this backend's tensors, for a training graph; close them
     * when done. The reference backend has none: it trains in double through its own twins
     * ({@code org.sepnet.runtime.TrainingGraph}).
     *
     * @throws UnsupportedOperationException where this backend has no training kernels
     */
    default TrainOps trainOps() {
        throw new UnsupportedOperationException("the " + name() + " backend has no training kernels");
    }
}
