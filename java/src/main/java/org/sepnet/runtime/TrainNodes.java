package org.sepnet.runtime;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.backend.reference.ReferenceConvGrad;
import org.sepnet.backend.reference.ReferenceLayerGrad;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Concat;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Linear;
import org.sepnet.layers.PatternConv2d;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Residual;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

/** Builds a {@link TrainingGraph}'s nodes from layers (the layer visitor), registering their parameters. */
final class TrainNodes implements Layer.Visitor<TrainNode> {
    private final List<Parameter> params;
    private final java.util.Map<String, double[][]> runningStats = new java.util.HashMap<>();
    private Shape x;  // the input feature shape of the layer being visited

    TrainNodes(List<Parameter> params) {
        this.params = params;
    }

    /** Each batch norm's running mean and variance, live, by layer name. */
    java.util.Map<String, double[][]> runningStats() {
        return runningStats;
    }

    TrainNode build(Layer l, Shape input) {
        Shape saved = x;
        x = input;
        TrainNode n = l.accept(this);
        x = saved;
        return n;
    }

    private Parameter param(String layer, String kind, float[] v, boolean frozen) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        Parameter p = new Parameter(layer, kind, d, frozen);
        params.add(p);
        return p;
    }

    @Override
    public TrainNode sequential(Sequential s) {
        List<TrainNode> nodes = new ArrayList<>();
        Shape in = x;
        for (Layer l : s.layers()) {
            nodes.add(build(l, in));
            in = l.outputShape(in);
        }
        return new TrainNode.Chain(nodes);
    }

    @Override
    public TrainNode residual(Residual r) {
        return new TrainNode.Sum(build(r.body(), x), r.shortcut() == null ? null : build(r.shortcut(), x), r.relu());
    }

    @Override
    public TrainNode concat(Concat c) {
        List<TrainNode> branches = new ArrayList<>();
        int[] channels = new int[c.branches().size()];
        for (int i = 0; i < channels.length; i++) {
            Layer b = c.branches().get(i);
            branches.add(build(b, x));
            channels[i] = b.outputShape(x).dim(0);
        }
        return new TrainNode.Concat(branches, channels, x.dim(1) * x.dim(2), (int) x.size());
    }

    @Override
    public TrainNode conv(Conv2d c) {
        ConvWeights w = c.weights();
        return new Conv(c.spec(), x, param(c.name(), "weights", w.weights(), false),
                w.hasBias() ? param(c.name(), "bias", w.bias(), false) : null, null, null);
    }

    @Override
    public TrainNode patternConv(PatternConv2d p) {
        ConvDesc d = p.spec().desc(1, x, p.name());
        double[] signs = ReferenceConvGrad.signs(d, p.weights().bits());
        Parameter s = new Parameter(p.name(), "signs", signs, true);
        params.add(s);
        return new Conv(p.spec(), x, s, p.weights().bias() == null ? null : param(p.name(), "bias", p.weights().bias(), false),
                param(p.name(), "alpha", p.weights().alpha(), false), null);
    }

    @Override
    public TrainNode block(PatternResidualBlock b) {
        Conv pointwise = new Conv(b.pointwiseSpec(), x, param(b.name(), "pointwise", b.pointwise().weights(), false), null, null,
                null);
        float[] bias = b.isBinarized() ? b.pattern().bias() : b.floatKernel().bias();
        float[] pointwiseBias = b.pointwise().bias();
        if (pointwiseBias != null) {
            bias = bias == null ? pointwiseBias.clone() : sum(bias, pointwiseBias);
        }
        Parameter biasParam = bias == null ? null : param(b.name(), "bias", bias, false);
        if (b.isBinarized()) {
            ConvDesc d = b.spec().desc(1, x, b.name());
            Parameter s = new Parameter(b.name(), "signs", ReferenceConvGrad.signs(d, b.pattern().bits()), true);
            params.add(s);
            return new Conv(b.spec(), x, s, biasParam, param(b.name(), "alpha", b.pattern().alpha(), false), pointwise);
        }
        return new Conv(b.spec(), x, param(b.name(), "weights", b.floatKernel().weights(), false), biasParam, null, pointwise);
    }

    private static float[] sum(float[] a, float[] b) {
        float[] s = a.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += b[i];
        }
        return s;
    }

    @Override
    public TrainNode batchNorm(BatchNorm bn) {
        var p = bn.params();
        int channels = x.dim(0);
        double[] mean = toDouble(p.mean());
        double[] var = toDouble(p.variance());
        runningStats.put(bn.name(), new double[][] {mean, var});
        return new Norm(channels, (int) (x.size() / channels), param(bn.name(), "gamma", p.gamma(), false),
                param(bn.name(), "beta", p.beta(), false), mean, var, p.epsilon());
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    @Override
    public TrainNode relu(Relu r) {
        return new TrainNode.Relu();
    }

    @Override
    public TrainNode pool(Pool2d p) {
        return new Pool(p, x);
    }

    @Override
    public TrainNode linear(Linear f) {
        ConvWeights w = f.weights();
        return new Fc(new FcDesc(1, f.in(), f.out()), param(f.name(), "weights", w.weights(), false),
                w.hasBias() ? param(f.name(), "bias", w.bias(), false) : null);
    }

    @Override
    public TrainNode softmax(Softmax s) {
        throw new IllegalArgumentException("layer " + s.name() + ": a softmax inside the network cannot be trained; the training"
                + " loss takes the logits, so only a final softmax is allowed (and left out)");
    }

    /**
     * Float convolution (weights), pattern convolution (frozen ±1 weights scaled by alpha), or either
     * plus a 1×1 branch on the same input (the fused residual block).
     */
    private static final class Conv extends TrainNode {
        private final ConvSpec spec;
        private final Shape in;
        private final Parameter weights;
        private final Parameter bias;
        private final Parameter alpha;
        private final Conv pointwise;
        private double[] x;
        private double[] y;
        private double[] dx;

        Conv(ConvSpec spec, Shape in, Parameter weights, Parameter bias, Parameter alpha, Conv pointwise) {
            this.spec = spec;
            this.in = in;
            this.weights = weights;
            this.bias = bias;
            this.alpha = alpha;
            this.pointwise = pointwise;
        }

        private ConvDesc desc(int batch) {
            return spec.desc(batch, in.dim(1), in.dim(2));
        }

        private double[] effective(ConvDesc d) {
            return alpha == null ? weights.value() : ReferenceConvGrad.scaled(d, weights.value(), alpha.value());
        }

        @Override
        double[] forward(double[] input, int batch, Mode mode) {
            x = input;
            ConvDesc d = desc(batch);
            y = reuse(y, (int) d.outputShape().size());
            ReferenceConvGrad.conv2d(d, batch, input, effective(d), bias == null ? null : bias.value(), y);
            if (pointwise != null) {
                double[] p = pointwise.forward(input, batch, mode);
                for (int i = 0; i < y.length; i++) {
                    y[i] += p[i];
                }
            }
            return y;
        }

        @Override
        double[] backward(double[] dy, int batch) {
            ConvDesc d = desc(batch);
            dx = zeroed(dx, x.length);
            if (alpha != null) {
                ReferenceConvGrad.patternConv2dBackward(d, batch, x, weights.value(), alpha.value(), dy, dx, alpha.grad(),
                        bias == null ? null : bias.grad());
            } else {
                ReferenceConvGrad.conv2dBackwardInput(d, batch, dy, weights.value(), dx);
                ReferenceConvGrad.conv2dBackwardWeights(d, batch, x, dy, weights.grad(), bias == null ? null : bias.grad());
            }
            if (pointwise != null) {
                double[] p = pointwise.backward(dy, batch);
                for (int i = 0; i < dx.length; i++) {
                    dx[i] += p[i];
                }
            }
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(x, y, dx) + (pointwise == null ? 0 : pointwise.savedBytes());
        }
    }

    /** Fully connected on the flattened input. */
    private static final class Fc extends TrainNode {
        private final FcDesc shape;
        private final Parameter weights;
        private final Parameter bias;
        private double[] x;
        private double[] y;
        private double[] dx;

        Fc(FcDesc shape, Parameter weights, Parameter bias) {
            this.shape = shape;
            this.weights = weights;
            this.bias = bias;
        }

        @Override
        double[] forward(double[] input, int batch, Mode mode) {
            x = input;
            y = reuse(y, batch * shape.out());
            ReferenceConvGrad.fullyConnected(shape, batch, input, weights.value(), bias == null ? null : bias.value(), y);
            return y;
        }

        @Override
        double[] backward(double[] dy, int batch) {
            dx = zeroed(dx, x.length);
            ReferenceConvGrad.fullyConnectedBackward(shape, batch, x, weights.value(), dy, dx, weights.grad(),
                    bias == null ? null : bias.grad());
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(x, y, dx);
        }
    }

    /** Max, average or global pooling. */
    private static final class Pool extends TrainNode {
        private final Pool2d layer;
        private final Shape in;
        private double[] x;
        private double[] y;
        private double[] dx;

        Pool(Pool2d layer, Shape in) {
            this.layer = layer;
            this.in = in;
        }

        @Override
        double[] forward(double[] input, int batch, Mode mode) {
            x = input;
            PoolDesc d = layer.desc(batch, in);
            y = reuse(y, batch * d.channels() * d.outHeight() * d.outWidth());
            ReferenceLayerGrad.pool(d, batch, input, y);
            return y;
        }

        @Override
        double[] backward(double[] dy, int batch) {
            dx = zeroed(dx, x.length);
            ReferenceLayerGrad.poolBackward(layer.desc(batch, in), batch, x, dy, dx);
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(x, y, dx);
        }
    }

    /** Batch norm: batch statistics in training (running statistics updated), running statistics in inference. */
    private static final class Norm extends TrainNode {
        private final int channels;
        private final int inner;
        private final Parameter gamma;
        private final Parameter beta;
        private final double[] runningMean;
        private final double[] runningVar;
        private final double eps;
        private ReferenceLayerGrad.BatchNormSaved saved;
        private double[] y;
        private double[] dx;

        Norm(int channels, int inner, Parameter gamma, Parameter beta, double[] runningMean, double[] runningVar, double eps) {
            this.channels = channels;
            this.inner = inner;
            this.gamma = gamma;
            this.beta = beta;
            this.runningMean = runningMean;
            this.runningVar = runningVar;
            this.eps = eps;
        }

        @Override
        double[] forward(double[] x, int batch, Mode mode) {
            y = reuse(y, batch * channels * inner);
            if (mode.training()) {
                saved = ReferenceLayerGrad.batchNormTrain(batch, channels, inner, x, gamma.value(), beta.value(), eps, mode.momentum(),
                        runningMean, runningVar, y);
                return y;
            }
            for (int n = 0; n < batch; n++) {
                for (int c = 0; c < channels; c++) {
                    double s = gamma.value()[c] / Math.sqrt(runningVar[c] + eps);
                    double t = beta.value()[c] - runningMean[c] * s;
                    for (int i = 0; i < inner; i++) {
                        int k = (n * channels + c) * inner + i;
                        y[k] = s * x[k] + t;
                    }
                }
            }
            return y;
        }

        @Override
        double[] backward(double[] dy, int batch) {
            dx = zeroed(dx, dy.length);
            ReferenceLayerGrad.batchNormBackward(batch, channels, inner, saved, gamma.value(), dy, dx, gamma.grad(), beta.grad());
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(y, dx) + (saved == null ? 0 : bytes(saved.normalized(), saved.mean(), saved.invStd()));
        }
    }
}
