package org.sepnet.backend;

import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.Tensor;

/**
 * A backend's back-propagation kernels, on its own tensors, in float. Weights and their gradients
 * are host arrays passed with each call (training changes them every step, and they are small next
 * to the activations); every output and gradient is overwritten, never accumulated into. Results do
 * not depend on the thread count. The forward passes that need no trainable weights (pooling, the
 * pattern convolutions' sign products, ReLU, add) are the backend's inference ops; a pattern
 * convolution's input gradient is a pattern convolution again (see
 * {@code org.sepnet.runtime.TrainingGraph}).
 *
 * <p>Shapes are given by the caller and checked only against the tensors' sizes; these are the
 * building blocks of the training graph, which derives them from validated descriptors.
 */
public interface TrainOps extends AutoCloseable {
    /** A float convolution trainer for batches up to {@code desc.batch()}. */
    ConvTrainer conv(ConvDesc desc);

    /** dx = the gradient of max or average pooling (max: all of dy to the first maximum of its window in scan order). */
    void poolBackward(PoolDesc desc, Tensor x, Tensor dy, Tensor dx, int batch);

    /**
     * Per channel of [batch, channels, inner]: {@code sumA[c]} = Σ a, and when {@code b} is not null
     * {@code sumAb[c]} = Σ a·(b − shift[c]) (shift null: 0); accumulated in double.
     */
    void channelSums(Tensor a, Tensor b, float[] shift, int batch, int channels, long inner, double[] sumA, double[] sumAb);

    /** y = A[c]·a + B[c]·b + C[c] per channel; b null drops the second term, A null is 1, C null is 0. */
    void channelAffine(Tensor a, Tensor b, float[] scaleA, float[] scaleB, float[] shift, Tensor y, int batch, int channels,
                       long inner);

    /**
     * Whether the two methods below run: batch norm's passes with a ReLU fused (its forward pass on the
     * output, its backward pass on the incoming gradient), one pass over the activations fewer each way.
     */
    default boolean fusesRelu() {
        return false;
    }

    /**
     * {@link #channelSums} with {@code a} taken as 0 wherever {@code mask} (a ReLU's output; may be null) is not
     * positive or NaN: the ReLU's backward pass on the fly. The same sums as on a {@link #reluBackward}'s output.
     *
     * @throws UnsupportedOperationException unless {@link #fusesRelu}
     */
    default void channelSums(Tensor a, Tensor mask, Tensor b, float[] shift, int batch, int channels, long inner, double[] sumA,
                             double[] sumAb) {
        throw new UnsupportedOperationException("this backend's training kernels do not fuse a ReLU");
    }

    /**
     * {@link #channelAffine} with {@code a} masked as in the method above, then ReLU when {@code relu}: the same
     * values as the separate passes.
     *
     * @throws UnsupportedOperationException unless {@link #fusesRelu}
     */
    default void channelAffine(Tensor a, Tensor mask, Tensor b, float[] scaleA, float[] scaleB, float[] shift, boolean relu, Tensor y,
                               int batch, int channels, long inner) {
        throw new UnsupportedOperationException("this backend's training kernels do not fuse a ReLU");
    }

    /** y = a + b, then ReLU when {@code relu}; y may be a or b. */
    void add(Tensor a, Tensor b, Tensor y, long count, boolean relu);

    /** y = max(x, 0) with NaN kept. */
    void relu(Tensor x, Tensor y, long count);

    /** dx = dy where the ReLU's output y is positive or NaN, else 0. */
    void reluBackward(Tensor y, Tensor dy, Tensor dx, long count);

    /** y = x·Wᵀ + bias for W {@code out × in} (bias may be null). */
    void fcForward(Tensor x, float[] weights, float[] bias, Tensor y, int batch, int in, int out);

    /** dx = dy·W (dx null: not computed), dw = dyᵀ·x, db = Σ over the batch of dy (null: not computed). */
    void fcBackward(Tensor x, float[] weights, Tensor dy, Tensor dx, float[] dw, float[] db, int batch, int in, int out);

    /** dst[i·dstBlock + dstOffset + j] = src[i·srcBlock + srcOffset + j] for i &lt; count, j &lt; length. */
    void copyBlocks(Tensor src, long srcBlock, long srcOffset, Tensor dst, long dstBlock, long dstOffset, long length, int count);

    /** Releases the kernels' handles; tensors stay the caller's. */
    @Override
    void close();

    /** Float convolution with the weights of each call: forward, and the two gradients. */
    interface ConvTrainer extends AutoCloseable {
        /** y = W ∗ x + bias (bias may be null); W is OIHW with I the input channels per group. */
        void forward(Tensor x, float[] weights, float[] bias, Tensor y, int batch);

        /** dx = the input's gradient (a transposed convolution of dy). */
        void backwardData(Tensor dy, float[] weights, Tensor dx, int batch);

        /** dw = the weights' gradient summed over the batch; db = Σ dy per output (null: not computed). */
        void backwardWeights(Tensor x, Tensor dy, float[] dw, float[] db, int batch);

        /** The trainer's scratch memory in bytes. */
        long bytes();

        @Override
        void close();
    }
}
