package org.sepnet.runtime;

import java.util.Map;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.Layer;
import org.sepnet.layers.LeafVisitor;
import org.sepnet.layers.Linear;
import org.sepnet.layers.PatternConv2d;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Softmax;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.FilterShape;

/** Rebuilds each leaf with the values a {@link TrainingGraph} holds for it ({@link TrainingGraph#toLayer()}). */
final class TrainedLayers extends LeafVisitor<Layer> {
    private final Map<String, Parameter> params;
    private final Map<String, double[][]> runningStats;

    TrainedLayers(Map<String, Parameter> params, Map<String, double[][]> runningStats) {
        this.params = params;
        this.runningStats = runningStats;
    }

    @Override
    public Layer conv(Conv2d c) {
        String n = c.name();
        return new Conv2d(n, c.spec(), weights(c.weights().shape(), get(n, "weights"), get(n, "bias")));
    }

    @Override
    public Layer patternConv(PatternConv2d p) {
        return new PatternConv2d(p.name(), p.spec(), pattern(p.weights(), get(p.name(), "alpha"), get(p.name(), "bias")));
    }

    @Override
    public Layer block(PatternResidualBlock b) {
        String n = b.name();
        ConvWeights pointwise = weights(b.pointwise().shape(), get(n, "pointwise"), null);
        double[] bias = get(n, "bias");
        if (b.isBinarized()) {
            return PatternResidualBlock.binarized(n, b.spec(), pattern(b.pattern(), get(n, "alpha"), bias), b.pointwiseGroups(),
                    pointwise);
        }
        return PatternResidualBlock.raw(n, b.spec(), weights(b.floatKernel().shape(), get(n, "weights"), bias), b.pointwiseGroups(),
                pointwise);
    }

    @Override
    public Layer batchNorm(BatchNorm bn) {
        String n = bn.name();
        double[][] stats = runningStats.get(n);
        return new BatchNorm(n, new BatchNormParams(toFloat(get(n, "gamma")), toFloat(get(n, "beta")), toFloat(stats[0]),
                toFloat(stats[1]), bn.params().epsilon()));
    }

    @Override
    public Layer linear(Linear f) {
        return new Linear(f.name(), weights(f.weights().shape(), get(f.name(), "weights"), get(f.name(), "bias")));
    }

    @Override
    public Layer relu(Relu r) {
        return r;
    }

    @Override
    public Layer pool(Pool2d p) {
        return p;
    }

    @Override
    public Layer softmax(Softmax s) {
        return s;
    }

    private double[] get(String layer, String kind) {
        Parameter p = params.get(layer + "/" + kind);
        return p == null ? null : p.value();
    }

    private static ConvWeights weights(FilterShape s, double[] w, double[] bias) {
        return new ConvWeights(s.outChannels(), s.inChannelsPerGroup(), s.kh(), s.kw(), toFloat(w), bias == null ? null : toFloat(bias));
    }

    private static PatternWeights pattern(PatternWeights old, double[] alpha, double[] bias) {
        FilterShape s = old.shape();
        return new PatternWeights(s.outChannels(), s.inChannelsPerGroup(), s.kh(), s.kw(), old.bits(), toFloat(alpha),
                bias == null ? null : toFloat(bias));
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
