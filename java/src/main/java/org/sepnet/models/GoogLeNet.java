package org.sepnet.models;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.layers.Concat;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.tensor.Shape;

/**
 * GoogLeNet (Inception v1, Szegedy et al. 2015) as in the BVLC Caffe model: convolutions with bias
 * and ReLU, no batch norm, max pooling in Caffe's ceil mode, no auxiliary classifiers, 1000
 * classes, 224×224 input. The local response normalizations (no parameters) are left out.
 */
final class GoogLeNet {
    private GoogLeNet() {}

    static Model build(long seed) {
        Blocks b = new Blocks(seed);
        List<Layer> l = new ArrayList<>();
        convRelu(b, l, "conv1", new ConvSpec(3, 64, 7, 7, 2, 2, 3, 3, 1, 1, 1));
        l.add(Pool2d.max("pool1", 3, 2, 0, true));
        convRelu(b, l, "conv2.reduce", ConvSpec.pointwise(64, 64, 1, 1));
        convRelu(b, l, "conv2", ConvSpec.same(64, 192, 3, 1, 1));
        l.add(Pool2d.max("pool2", 3, 2, 0, true));
        int in = 192;
        in = inception(b, l, "inception3a", in, 64, 96, 128, 16, 32, 32);
        in = inception(b, l, "inception3b", in, 128, 128, 192, 32, 96, 64);
        l.add(Pool2d.max("pool3", 3, 2, 0, true));
        in = inception(b, l, "inception4a", in, 192, 96, 208, 16, 48, 64);
        in = inception(b, l, "inception4b", in, 160, 112, 224, 24, 64, 64);
        in = inception(b, l, "inception4c", in, 128, 128, 256, 24, 64, 64);
        in = inception(b, l, "inception4d", in, 112, 144, 288, 32, 64, 64);
        in = inception(b, l, "inception4e", in, 256, 160, 320, 32, 128, 128);
        l.add(Pool2d.max("pool4", 3, 2, 0, true));
        in = inception(b, l, "inception5a", in, 256, 160, 320, 32, 128, 128);
        in = inception(b, l, "inception5b", in, 384, 192, 384, 48, 128, 128);
        l.add(Pool2d.globalAvg("pool5"));
        l.add(b.fc("classifier", in, 1000));
        return new Model("googlenet", "GoogLeNet / Inception v1 (BVLC Caffe layout, no auxiliary heads), 1000 classes",
                Blocks.seq("googlenet", l), Shape.of(3, 224, 224));
    }

    private static void convRelu(Blocks b, List<Layer> l, String name, ConvSpec spec) {
        l.add(b.conv(name, spec, true, true));
        l.add(new Relu(name + ".relu"));
    }

    private static List<Layer> branch(Blocks b, String name, ConvSpec... specs) {
        List<Layer> l = new ArrayList<>();
        for (int i = 0; i < specs.length; i++) {
            convRelu(b, l, name + (specs.length > 1 ? (i == 0 ? ".reduce" : "") : ""), specs[i]);
        }
        return l;
    }

    /** An inception module: 1×1 | 1×1 → 3×3 | 1×1 → 5×5 | 3×3 max pool → 1×1, concatenated. */
    private static int inception(Blocks b, List<Layer> l, String name, int in, int c1, int r3, int c3, int r5, int c5, int pp) {
        List<Layer> pool = new ArrayList<>();
        pool.add(Pool2d.max(name + ".pool", 3, 1, 1, false));
        convRelu(b, pool, name + ".pool_proj", ConvSpec.pointwise(in, pp, 1, 1));
        l.add(new Concat(name, List.of(
                Blocks.seq(name + ".1x1", branch(b, name + ".1x1", ConvSpec.pointwise(in, c1, 1, 1))),
                Blocks.seq(name + ".3x3", branch(b, name + ".3x3", ConvSpec.pointwise(in, r3, 1, 1), ConvSpec.same(r3, c3, 3, 1, 1))),
                Blocks.seq(name + ".5x5", branch(b, name + ".5x5", ConvSpec.pointwise(in, r5, 1, 1), ConvSpec.same(r5, c5, 5, 1, 1))),
                Blocks.seq(name + ".pool", pool))));
        return c1 + c3 + c5 + pp;
    }
}
