package org.sepnet.runtime;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.backend.reference.ReferenceConvGrad;
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
import org.sepnet.runtime.LayerNodes.Conv;
import org.sepnet.runtime.LayerNodes.Fc;
import org.sepnet.runtime.LayerNodes.Norm;
import org.sepnet.runtime.LayerNodes.Pool;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

/** Builds a {@link TrainingGraph}'s nodes from layers (the layer visitor), registering their parameters. */
final class TrainNodes<B> implements Layer.Visitor<TrainNode<B>> {
    private final Kernels<B> k;
    private final int maxBatch;
    private final List<Parameter> params;
    private final Decisions decisions = new Decisions();
    private final java.util.Map<String, double[][]> runningStats = new java.util.HashMap<>();
    private final boolean fuseRelu;
    private Shape x;  // the input feature shape of the layer being visited

    /** With {@code fuseRelu}, a ReLU after a batch norm runs in the norm's passes where the kernels can ({@link LayerNodes.NormRelu}). */
    TrainNodes(Kernels<B> k, int maxBatch, List<Parameter> params, boolean fuseRelu) {
        this.k = k;
        this.maxBatch = maxBatch;
        this.params = params;
        this.fuseRelu = fuseRelu;
    }

    /** The ReLU decisions every node of this graph shares. */
    Decisions decisions() {
        return decisions;
    }

    /** Each batch norm's running mean and variance, live, by layer name. */
    java.util.Map<String, double[][]> runningStats() {
        return runningStats;
    }

    TrainNode<B> build(Layer l, Shape input) {
        Shape saved = x;
        x = input;
        TrainNode<B> n = l.accept(this);
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
    public TrainNode<B> sequential(Sequential s) {
        List<TrainNode<B>> nodes = new ArrayList<>();
        Shape in = x;
        for (Layer l : s.layers()) {
            TrainNode<B> n = build(l, in);
            int last = nodes.size() - 1;
            if (last >= 0 && LayerNodes.PatternNorm.fuses(nodes.get(last), n)) {
                nodes.set(last, new LayerNodes.PatternNorm<>(k, (Conv<B>) nodes.get(last), (Norm<B>) n));
            } else if (fuseRelu && last >= 0 && n instanceof TrainNode.Relu<B> r && nodes.get(last) instanceof LayerNodes.ReluFusing<?> f
                    && f.fusesRelu()) {
                nodes.set(last, new LayerNodes.NormRelu<>(k, nodes.get(last), r, decisions));
            } else {
                nodes.add(n);
            }
            in = l.outputShape(in);
        }
        return new TrainNode.Chain<>(k, x, in, nodes);
    }

    @Override
    public TrainNode<B> residual(Residual r) {
        return new TrainNode.Sum<>(k, x, r.outputShape(x), build(r.body(), x), r.shortcut() == null ? null : build(r.shortcut(), x),
                r.relu(), decisions);
    }

    @Override
    public TrainNode<B> concat(Concat c) {
        List<TrainNode<B>> branches = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (Layer b : c.branches()) {
            branches.add(build(b, x));
            shapes.add(b.outputShape(x));
        }
        return new TrainNode.Concat<>(k, x, c.outputShape(x), branches, shapes);
    }

    @Override
    public TrainNode<B> conv(Conv2d c) {
        ConvWeights w = c.weights();
        return new Conv<>(k, x, c.spec().desc(maxBatch, x, c.name()), param(c.name(), "weights", w.weights(), false),
                w.hasBias() ? param(c.name(), "bias", w.bias(), false) : null, null, null, null);
    }

    @Override
    public TrainNode<B> patternConv(PatternConv2d p) {
        ConvDesc d = p.spec().desc(maxBatch, x, p.name());
        double[] signs = ReferenceConvGrad.signs(d, p.weights().bits());
        Parameter s = new Parameter(p.name(), "signs", signs, true);
        params.add(s);
        return new Conv<>(k, x, d, s, p.weights().bias() == null ? null : param(p.name(), "bias", p.weights().bias(), false),
                param(p.name(), "alpha", p.weights().alpha(), false), p.weights().bits(), null);
    }

    @Override
    public TrainNode<B> block(PatternResidualBlock b) {
        Conv<B> pointwise = new Conv<>(k, x, b.pointwiseSpec().desc(maxBatch, x, b.name()),
                param(b.name(), "pointwise", b.pointwise().weights(), false), null, null, null, null);
        float[] bias = b.isBinarized() ? b.pattern().bias() : b.floatKernel().bias();
        float[] pointwiseBias = b.pointwise().bias();
        if (pointwiseBias != null) {
            bias = bias == null ? pointwiseBias.clone() : sum(bias, pointwiseBias);
        }
        Parameter biasParam = bias == null ? null : param(b.name(), "bias", bias, false);
        ConvDesc d = b.spec().desc(maxBatch, x, b.name());
        if (b.isBinarized()) {
            Parameter s = new Parameter(b.name(), "signs", ReferenceConvGrad.signs(d, b.pattern().bits()), true);
            params.add(s);
            return new Conv<>(k, x, d, s, biasParam, param(b.name(), "alpha", b.pattern().alpha(), false), b.pattern().bits(),
                    pointwise);
        }
        return new Conv<>(k, x, d, param(b.name(), "weights", b.floatKernel().weights(), false), biasParam, null, null, pointwise);
    }

    private static float[] sum(float[] a, float[] b) {
        float[] s = a.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += b[i];
        }
        return s;
    }

    @Override
    public TrainNode<B> batchNorm(BatchNorm bn) {
        var p = bn.params();
        int channels = x.dim(0);
        double[] mean = toDouble(p.mean());
        double[] var = toDouble(p.variance());
        runningStats.put(bn.name(), new double[][] {mean, var});
        return new Norm<>(k, x, k.norm(channels, (int) (x.size() / channels), maxBatch), param(bn.name(), "gamma", p.gamma(), false),
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
    public TrainNode<B> relu(Relu r) {
        return new TrainNode.Relu<>(k, x, decisions);
    }

    @Override
    public TrainNode<B> pool(Pool2d p) {
        PoolDesc d = p.desc(maxBatch, x);
        return new Pool<>(k, x, p.outputShape(x), k.pool(d), d, decisions);
    }

    @Override
    public TrainNode<B> linear(Linear f) {
        ConvWeights w = f.weights();
        return new Fc<>(k, x, f.outputShape(x), k.fc(new FcDesc(maxBatch, f.in(), f.out())),
                param(f.name(), "weights", w.weights(), false), w.hasBias() ? param(f.name(), "bias", w.bias(), false) : null);
    }

    @Override
    public TrainNode<B> softmax(Softmax s) {
        throw new IllegalArgumentException("layer " + s.name() + ": a softmax inside the network cannot be trained; the training"
                + " loss takes the logits, so only a final softmax is allowed (and left out)");
    }
}
