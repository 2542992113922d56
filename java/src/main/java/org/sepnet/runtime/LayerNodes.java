package org.sepnet.runtime;

import java.util.Arrays;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.Shape;

/** The training graph's nodes with parameters, on the graph's {@link Kernels}. */
final class LayerNodes {
    private LayerNodes() {}

    /**
     * Float convolution (weights), pattern convolution (frozen ±1 signs scaled by alpha), or either
     * plus a 1×1 branch on the same input (the pattern residual block): one node, whose backward pass
     * sums both branches' input gradients.
     */
    static final class Conv<B> extends TrainNode<B> {
        private final Parameter weights;
        private final Parameter bias;
        private final Parameter alpha;
        private final Conv<B> pointwise;
        private final Kernels.Conv<B> floatConv;
        private final Kernels.Pattern<B> pattern;
        private boolean needDx = true;
        private B x;
        private B y;
        private B dx;

        Conv(Kernels<B> k, Shape in, ConvDesc max, Parameter weights, Parameter bias, Parameter alpha, int[] bits, Conv<B> pointwise) {
            super(k, in, Shape.of(max.outChannels(), max.outHeight(), max.outWidth()));
            this.weights = weights;
            this.bias = bias;
            this.alpha = alpha;
            this.pointwise = pointwise;
            this.floatConv = alpha == null ? k.conv(max) : null;
            this.pattern = alpha == null ? null : k.pattern(max, weights.value(), bits);
        }

        @Override
        B forward(B input, int batch, Mode mode) {
            x = input;
            y = k.buffer(y, batch, out);
            double[] b = bias == null ? null : bias.value();
            if (pattern != null) {
                pattern.forward(input, alpha.value(), b, y, batch);
            } else {
                floatConv.forward(input, weights.value(), b, y, batch);
            }
            if (pointwise != null) {
                B p = pointwise.forward(input, batch, mode);
                k.add(y, p, y, batch * out.size(), false);
            }
            return y;
        }

        @Override
        B backward(B dy, int batch) {
            B d = needDx ? dx = k.buffer(dx, batch, in) : null;
            double[] db = bias == null ? null : bias.grad();
            if (pattern != null) {
                pattern.backward(x, dy, alpha.value(), d, alpha.grad(), db, batch, alpha::magnitudeToFill);
            } else {
                floatConv.backward(x, dy, weights.value(), d, weights.grad(), db, batch);
            }
            if (pointwise != null) {
                B p = pointwise.backward(dy, batch);
                if (d != null) {
                    k.add(d, p, d, batch * in.size(), false);
                }
            }
            return d;
        }

        @Override
        void needInputGradient(boolean needed) {
            needDx = needed;
            if (pointwise != null) {
                pointwise.needInputGradient(needed);
            }
        }

        @Override
        long savedBytes() {
            return k.bytes(y) + k.bytes(dx) + (pattern == null ? floatConv.bytes() : pattern.bytes())
                    + (pointwise == null ? 0 : pointwise.savedBytes());
        }
    }

    /** A batch norm node (alone or fused into its pattern convolution) whose kernels can run the ReLU after it in their passes. */
    interface ReluFusing<B> {
        boolean fusesRelu();

        /** ReLU(this node's forward pass), into this node's output buffer. */
        B forwardRelu(B x, int batch, TrainNode.Mode mode);

        /** This node's backward pass from the ReLU's output {@code y} (what forwardRelu returned) and its gradient. */
        B backwardRelu(B y, B dy, int batch);
    }

    /**
     * A batch norm and the ReLU after it in the norm's passes ({@link ReluFusing}): one pass over the activations
     * fewer each way, and no buffers of the ReLU's own. While ReLU decisions are recorded or replayed
     * ({@link Decisions}) the two run as separate nodes, as without fusion.
     */
    static final class NormRelu<B> extends TrainNode<B> {
        private final TrainNode<B> norm;
        private final ReluFusing<B> fused;
        private final TrainNode.Relu<B> relu;
        private final Decisions decisions;
        private boolean wasFused;
        private B y;

        @SuppressWarnings("unchecked")
        NormRelu(Kernels<B> k, TrainNode<B> norm, TrainNode.Relu<B> relu, Decisions decisions) {
            super(k, norm.in, norm.out);
            this.norm = norm;
            this.fused = (ReluFusing<B>) norm;
            this.relu = relu;
            this.decisions = decisions;
        }

        @Override
        B forward(B x, int batch, Mode mode) {
            wasFused = !decisions.active();
            if (!wasFused) {
                return relu.forward(norm.forward(x, batch, mode), batch, mode);
            }
            y = fused.forwardRelu(x, batch, mode);
            return y;
        }

        @Override
        B backward(B dy, int batch) {
            return wasFused ? fused.backwardRelu(y, dy, batch) : norm.backward(relu.backward(dy, batch), batch);
        }

        @Override
        void needInputGradient(boolean needed) {
            norm.needInputGradient(needed);
        }

        @Override
        long savedBytes() {
            return norm.savedBytes() + relu.savedBytes();
        }
    }

    /**
     * A pattern convolution and the batch norm after it, run by the pattern kernel in one set of passes
     * ({@link Kernels.Pattern#fusesNorm}); the parameters, gradients and running statistics are the two layers' own.
     */
    static final class PatternNorm<B> extends TrainNode<B> implements ReluFusing<B> {
        private final Conv<B> conv;
        private final Norm<B> norm;
        private final Kernels.NormState state;
        private B x;
        private B y;
        private B dx;

        PatternNorm(Kernels<B> k, Conv<B> conv, Norm<B> norm) {
            super(k, conv.in, norm.out);
            this.conv = conv;
            this.norm = norm;
            this.state = new Kernels.NormState(norm.gamma.value(), norm.beta.value(), norm.eps, norm.runningMean, norm.runningVar);
        }

        /** Whether {@code conv} then {@code norm} can run fused: a pattern convolution without a pointwise branch on a kernel that fuses. */
        static boolean fuses(TrainNode<?> conv, TrainNode<?> norm) {
            return conv instanceof Conv<?> c && norm instanceof Norm<?> && c.pattern != null && c.pointwise == null
                    && c.pattern.fusesNorm();
        }

        @Override
        B forward(B input, int batch, Mode mode) {
            return forward(input, batch, mode, false);
        }

        @Override
        B backward(B dy, int batch) {
            return backward(null, dy, batch);
        }

        @Override
        public boolean fusesRelu() {
            return conv.pattern.fusesNormRelu();
        }

        @Override
        public B forwardRelu(B input, int batch, Mode mode) {
            return forward(input, batch, mode, true);
        }

        @Override
        public B backwardRelu(B reluOut, B dy, int batch) {
            return backward(reluOut, dy, batch);
        }

        private B forward(B input, int batch, Mode mode, boolean relu) {
            x = input;
            y = k.buffer(y, batch, out);
            double[] bias = conv.bias == null ? null : conv.bias.value();
            if (relu) {
                conv.pattern.forwardNormRelu(input, conv.alpha.value(), bias, state, mode.training(), mode.momentum(), y, batch);
            } else {
                conv.pattern.forwardNorm(input, conv.alpha.value(), bias, state, mode.training(), mode.momentum(), y, batch);
            }
            return y;
        }

        /** The backward pass, of the ReLU after the norm too when {@code reluOut} (its output) is not null. */
        private B backward(B reluOut, B dy, int batch) {
            B d = conv.needDx ? dx = k.buffer(dx, batch, in) : null;
            double[] dbias = conv.bias == null ? null : conv.bias.grad();
            if (reluOut == null) {
                conv.pattern.backwardNorm(x, dy, conv.alpha.value(), state, d, conv.alpha.grad(), dbias, norm.gamma.grad(),
                        norm.beta.grad(), batch);
            } else {
                conv.pattern.backwardNormRelu(x, reluOut, dy, conv.alpha.value(), state, d, conv.alpha.grad(), dbias, norm.gamma.grad(),
                        norm.beta.grad(), batch);
            }
            return d;
        }

        @Override
        void needInputGradient(boolean needed) {
            conv.needInputGradient(needed);
        }

        @Override
        long savedBytes() {
            return bytes(Arrays.asList(y, dx)) + conv.pattern.bytes() + norm.norm.bytes();
        }
    }

    /** Fully connected on the flattened input. */
    static final class Fc<B> extends TrainNode<B> {
        private final Kernels.Fc<B> fc;
        private final Parameter weights;
        private final Parameter bias;
        private B x;
        private B y;
        private B dx;

        Fc(Kernels<B> k, Shape in, Shape out, Kernels.Fc<B> fc, Parameter weights, Parameter bias) {
            super(k, in, out);
            this.fc = fc;
            this.weights = weights;
            this.bias = bias;
        }

        @Override
        B forward(B input, int batch, Mode mode) {
            x = input;
            y = k.buffer(y, batch, out);
            fc.forward(input, weights.value(), bias == null ? null : bias.value(), y, batch);
            return y;
        }

        @Override
        B backward(B dy, int batch) {
            dx = k.buffer(dx, batch, in);
            fc.backward(x, dy, weights.value(), dx, weights.grad(), bias == null ? null : bias.grad(), batch);
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(Arrays.asList(y, dx));
        }
    }

    /** Max, average or global pooling. */
    static final class Pool<B> extends TrainNode<B> {
        private final Kernels.Pool<B> pool;
        private final PoolDesc max;
        private final Decisions decisions;
        private int[] argmax;
        private B x;
        private B y;
        private B dx;

        Pool(Kernels<B> k, Shape in, Shape out, Kernels.Pool<B> pool, PoolDesc max, Decisions decisions) {
            super(k, in, out);
            this.pool = pool;
            this.max = max.kind() == PoolDesc.Kind.MAX ? max : null;
            this.decisions = decisions;
        }

        @Override
        B forward(B input, int batch, Mode mode) {
            x = input;
            y = k.buffer(y, batch, out);
            argmax = null;
            if (max != null && decisions.mode() == Decisions.Mode.REPLAY) {
                argmax = decisions.takeArgmax(batch * out.size());
                k.poolAt(argmax, input, y);
                return y;
            }
            pool.forward(input, y, batch);
            if (max != null && decisions.mode() == Decisions.Mode.RECORD) {
                decisions.add(k.argmax(TensorKernels.withBatch(max, batch), input, batch));
            }
            return y;
        }

        @Override
        B backward(B dy, int batch) {
            dx = k.buffer(dx, batch, in);
            if (argmax != null) {
                k.poolAtBackward(argmax, dy, dx, batch * in.size());
            } else {
                pool.backward(x, dy, dx, batch);
            }
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(Arrays.asList(y, dx));
        }
    }

    /** Batch norm: batch statistics in training (running statistics updated), running statistics in inference. */
    static final class Norm<B> extends TrainNode<B> implements ReluFusing<B> {
        private final Kernels.Norm<B> norm;
        private final Parameter gamma;
        private final Parameter beta;
        private final double[] runningMean;
        private final double[] runningVar;
        private final double eps;
        private B x;
        private B y;
        private B dx;

        Norm(Kernels<B> k, Shape in, Kernels.Norm<B> norm, Parameter gamma, Parameter beta, double[] runningMean, double[] runningVar,
             double eps) {
            super(k, in, in);
            this.norm = norm;
            this.gamma = gamma;
            this.beta = beta;
            this.runningMean = runningMean;
            this.runningVar = runningVar;
            this.eps = eps;
        }

        @Override
        B forward(B input, int batch, Mode mode) {
            x = input;
            y = k.buffer(y, batch, in);
            if (mode.training()) {
                norm.forwardTrain(input, gamma.value(), beta.value(), eps, mode.momentum(), runningMean, runningVar, y, batch);
            } else {
                norm.forwardInference(input, gamma.value(), beta.value(), eps, runningMean, runningVar, y, batch);
            }
            return y;
        }

        @Override
        B backward(B dy, int batch) {
            dx = k.buffer(dx, batch, in);
            norm.backward(x, dy, gamma.value(), dx, gamma.grad(), beta.grad(), batch);
            return dx;
        }

        @Override
        public boolean fusesRelu() {
            return norm.fusesRelu();
        }

        @Override
        public B forwardRelu(B input, int batch, Mode mode) {
            x = input;
            y = k.buffer(y, batch, in);
            norm.forwardRelu(input, gamma.value(), beta.value(), eps, mode.training(), mode.momentum(), runningMean, runningVar, y, batch);
            return y;
        }

        @Override
        public B backwardRelu(B reluOut, B dy, int batch) {
            dx = k.buffer(dx, batch, in);
            norm.backwardRelu(x, reluOut, dy, gamma.value(), dx, gamma.grad(), beta.grad(), batch);
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(Arrays.asList(y, dx)) + norm.bytes();
        }
    }
}
