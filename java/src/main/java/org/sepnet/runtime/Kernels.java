package org.sepnet.runtime;

import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.Shape;

/**
 * What a {@link TrainingGraph} computes with, on buffers of type {@code B}: the reference twins in
 * double on the JVM ({@link DoubleKernels}), or a backend's tensors in float ({@link TensorKernels}).
 * Parameters are double arrays on the host either way; gradients are added into theirs, while
 * activation gradients ({@code dx}) are overwritten. Per-layer kernels keep what their backward
 * pass needs from their forward pass.
 */
interface Kernels<B> extends AutoCloseable {
    /** The backend's name, as {@code -Dsepnet.backend} spells it. */
    String name();

    /** A buffer for {@code batch} samples of {@code feature}: {@code old} when it has that shape, else a new one (old released). */
    B buffer(B old, int batch, Shape feature);

    long bytes(B b);

    /** Copies {@code count} values from the host. */
    void upload(double[] src, B dst, int count);

    /** The first {@code count} values, on the host. */
    double[] download(B b, int count);

    /** y = a + b (then ReLU when asked); y may be a or b. */
    void add(B a, B b, B y, long count, boolean relu);

    void relu(B x, B y, long count);

    /** dx = dy where y (a ReLU's output) is positive or NaN, else 0. */
    void reluBackward(B y, B dy, B dx, long count);

    /** Which of the first {@code count} values a ReLU passes: positive or NaN. */
    boolean[] passes(B y, long count);

    /** y = x where {@code mask}, else 0: a ReLU whose decisions were taken elsewhere ({@link Decisions}). */
    void reluMasked(B x, boolean[] mask, B y, long count);

    /** dx = dy where {@code mask}, else 0. */
    void reluBackwardMasked(boolean[] mask, B dy, B dx, long count);

    /** The input each max-pooling window takes (flat index into x; the first maximum in scan order, a NaN winning). */
    int[] argmax(org.sepnet.ops.PoolDesc d, B x, int batch);

    /** y = x at {@code argmax}: a max pooling whose decisions were taken elsewhere. */
    void poolAt(int[] argmax, B x, B y);

    /** dx = Σ of dy at each window's {@code argmax}, 0 elsewhere. */
    void poolAtBackward(int[] argmax, B dy, B dx, long inputCount);

    /** dst[i·dstBlock + dstOffset + j] = src[i·srcBlock + srcOffset + j] for i &lt; count, j &lt; length. */
    void copyBlocks(B src, long srcBlock, long srcOffset, B dst, long dstBlock, long dstOffset, long length, int count);

    /** Float convolution (weights OIHW) of problems up to {@code max}'s batch. */
    Conv<B> conv(ConvDesc max);

    /** Pattern convolution with frozen {@code signs} (±1, OIHW): y = α·(signs ∗ x) + bias. */
    Pattern<B> pattern(ConvDesc max, double[] signs, int[] bits);

    Pool<B> pool(PoolDesc max);

    Fc<B> fc(FcDesc max);

    Norm<B> norm(int channels, int inner, int maxBatch);

    /** Mean softmax cross-entropy of logits [batch, classes]; dz (may be null) gets ∂L/∂logits. */
    double softmaxCrossEntropy(B logits, int[] labels, int batch, int classes, B dz);

    @Override
    void close();

    interface Conv<B> extends AutoCloseable {
        void forward(B x, double[] w, double[] bias, B y, int batch);

        /** dx overwritten (when not null), dw and db added into (db may be null). */
        void backward(B x, B dy, double[] w, B dx, double[] dw, double[] db, int batch);

        long bytes();

        @Override
        void close();
    }

    /** A batch norm's parameters and running statistics (updated in place by a training forward pass). */
    record NormState(double[] gamma, double[] beta, double eps, double[] runningMean, double[] runningVar) {}

    interface Pattern<B> extends AutoCloseable {
        void forward(B x, double[] alpha, double[] bias, B y, int batch);

        /**
         * Whether this kernel runs a batch norm that follows it ({@link #forwardNorm}, {@link #backwardNorm}): y = α·z + b is
         * an affine map of z per channel, so the norm's statistics and both passes come from z, and y is never stored.
         */
        default boolean fusesNorm() {
            return false;
        }

        /** out = BatchNorm(α·(signs ∗ x) + bias): batch statistics when training (running ones moved by momentum), else running ones. */
        default void forwardNorm(B x, double[] alpha, double[] bias, NormState norm, boolean training, double momentum, B out,
                                 int batch) {
            throw new UnsupportedOperationException("this pattern kernel does not fuse a batch norm");
        }

        /**
         * After a training {@link #forwardNorm} on the same x: dx overwritten (when not null); dalpha, dbias (may be null),
         * dgamma and dbeta added into.
         */
        default void backwardNorm(B x, B dout, double[] alpha, NormState norm, B dx, double[] dalpha, double[] dbias,
                                  double[] dgamma, double[] dbeta, int batch) {
            throw new UnsupportedOperationException("this pattern kernel does not fuse a batch norm");
        }

        /**
         * {@link #forwardNorm} then ReLU, and {@link #backwardNorm} of the ReLU's gradient given its output {@code out} and
         * {@code dout} (ReLU's backward pass on the fly): available when {@link #fusesNormRelu}.
         */
        default boolean fusesNormRelu() {
            return false;
        }

        default void forwardNormRelu(B x, double[] alpha, double[] bias, NormState norm, boolean training, double momentum, B out,
                                     int batch) {
            throw new UnsupportedOperationException("this pattern kernel does not fuse a batch norm and a ReLU");
        }

        default void backwardNormRelu(B x, B out, B dout, double[] alpha, NormState norm, B dx, double[] dalpha, double[] dbias,
                                      double[] dgamma, double[] dbeta, int batch) {
            throw new UnsupportedOperationException("this pattern kernel does not fuse a batch norm and a ReLU");
        }

        /**
         * dx overwritten (when not null), dalpha and db added into (db may be null); a kernel that measures it writes
         * Σ|dy·z| per output into {@code magnitude} (see {@link Parameter#magnitude()}).
         */
        void backward(B x, B dy, double[] alpha, B dx, double[] dalpha, double[] db, int batch, java.util.function.Supplier<double[]> magnitude);

        long bytes();

        @Override
        void close();
    }

    interface Pool<B> {
        void forward(B x, B y, int batch);

        void backward(B x, B dy, B dx, int batch);
    }

    interface Fc<B> {
        void forward(B x, double[] w, double[] bias, B y, int batch);

        void backward(B x, B dy, double[] w, B dx, double[] dw, double[] db, int batch);
    }

    /** Batch norm: batch statistics in training (running statistics moved by momentum), running ones in inference. */
    interface Norm<B> {
        void forwardTrain(B x, double[] gamma, double[] beta, double eps, double momentum, double[] runningMean,
                          double[] runningVar, B y, int batch);

        void forwardInference(B x, double[] gamma, double[] beta, double eps, double[] runningMean, double[] runningVar, B y,
                              int batch);

        /** After a {@link #forwardTrain} on the same x: dx overwritten, dgamma and dbeta added into. */
        void backward(B x, B dy, double[] gamma, B dx, double[] dgamma, double[] dbeta, int batch);

        /**
         * The norm then ReLU in one set of passes: {@link #forwardTrain} (training) or {@link #forwardInference} with
         * ReLU applied to y, and the backward pass of both given the ReLU's output {@code y} and its gradient
         * {@code dy}. The same values as the separate layers. Available when {@link #fusesRelu}.
         */
        default boolean fusesRelu() {
            return false;
        }

        default void forwardRelu(B x, double[] gamma, double[] beta, double eps, boolean training, double momentum,
                                 double[] runningMean, double[] runningVar, B y, int batch) {
            throw new UnsupportedOperationException("this batch norm kernel does not fuse a ReLU");
        }

        default void backwardRelu(B x, B y, B dy, double[] gamma, B dx, double[] dgamma, double[] dbeta, int batch) {
            throw new UnsupportedOperationException("this batch norm kernel does not fuse a ReLU");
        }

        long bytes();
    }
}
