package org.sepnet.models;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.sepnet.layers.BatchNorm;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Linear;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Sequential;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.tensor.ConvWeights;

/**
 * Layer factories shared by the zoo builders. Weights are seeded from the model seed and the layer
 * name, so a (model, seed) pair always gives the same network; convolutions followed by a ReLU get
 * He-scaled weights, batch norms random but well-conditioned statistics.
 */
final class Blocks {
    private final long seed;

    Blocks(long seed) {
        this.seed = seed;
    }

    long seedOf(String name) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < name.length(); i++) {
            h = (h ^ name.charAt(i)) * 0x100000001B3L;
        }
        return h;
    }

    Conv2d conv(String name, ConvSpec spec, boolean bias, boolean beforeRelu) {
        return new Conv2d(name, spec, ConvWeights.random(spec.out(), spec.inPerGroup(), spec.kh(), spec.kw(), bias, seedOf(name),
                beforeRelu ? Math.sqrt(2) : 1.0));
    }

    BatchNorm bn(String name, int channels) {
        SplittableRandom r = new SplittableRandom(seedOf(name));
        float[] g = new float[channels];
        float[] b = new float[channels];
        float[] m = new float[channels];
        float[] v = new float[channels];
        for (int i = 0; i < channels; i++) {
            g[i] = (float) (0.75 + 0.5 * r.nextDouble());
            b[i] = (float) (0.1 * (r.nextDouble() - 0.5));
            m[i] = (float) (0.1 * (r.nextDouble() - 0.5));
            v[i] = (float) (0.75 + 0.5 * r.nextDouble());
        }
        return new BatchNorm(name, new BatchNormParams(g, b, m, v, 1e-5f));
    }

    /** conv (+ bias) → BN → ReLU (the ReLU omitted when {@code relu} is false). */
    List<Layer> convBn(String name, ConvSpec spec, boolean bias, boolean relu) {
        List<Layer> l = new ArrayList<>();
        l.add(conv(name, spec, bias, relu));
        l.add(bn(name + ".bn", spec.out()));
        if (relu) {
            l.add(new Relu(name + ".relu"));
        }
        return l;
    }

    /** A raw (float) pattern residual block → BN → ReLU. */
    List<Layer> prbBn(String name, ConvSpec spec, int pointwiseGroups, boolean relu) {
        ConvWeights k = ConvWeights.random(spec.out(), spec.inPerGroup(), spec.kh(), spec.kw(), false, seedOf(name + ".kxk"));
        ConvWeights p = ConvWeights.random(spec.out(), spec.in() / pointwiseGroups, 1, 1, false, seedOf(name + ".1x1"));
        List<Layer> l = new ArrayList<>();
        l.add(PatternResidualBlock.raw(name, spec, k, pointwiseGroups, p));
        l.add(bn(name + ".bn", spec.out()));
        if (relu) {
            l.add(new Relu(name + ".relu"));
        }
        return l;
    }

    Linear fc(String name, int in, int out) {
        return new Linear(name, ConvWeights.random(out, in, 1, 1, true, seedOf(name)));
    }

    static Sequential seq(String name, List<? extends Layer> layers) {
        return new Sequential(name, layers);
    }
}
