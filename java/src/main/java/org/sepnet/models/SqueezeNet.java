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
 * SqueezeNet v1.0 (Iandola et al. 2016): a 7×7 stride-2 convolution, eight fire modules (1×1
 * squeeze, then 1×1 and 3×3 expands concatenated), max pooling in Caffe's ceil mode, a 1×1
 * convolution to 1000 classes and global average pooling; convolutions with bias, no batch norm;
 * 227×227 input as in the original Caffe model.
 */
final class SqueezeNet {
    private SqueezeNet() {}

    static Model build(long seed) {
        Blocks b = new Blocks(seed);
        List<Layer> l = new ArrayList<>();
        l.add(b.conv("conv1", new ConvSpec(3, 96, 7, 7, 2, 2, 0, 0, 1, 1, 1), true, true));
        l.add(new Relu("conv1.relu"));
        l.add(Pool2d.max("pool1", 3, 2, 0, true));
        int in = 96;
        in = fire(b, l, "fire2", in, 16, 64);
        in = fire(b, l, "fire3", in, 16, 64);
        in = fire(b, l, "fire4", in, 32, 128);
        l.add(Pool2d.max("pool4", 3, 2, 0, true));
        in = fire(b, l, "fire5", in, 32, 128);
        in = fire(b, l, "fire6", in, 48, 192);
        in = fire(b, l, "fire7", in, 48, 192);
        in = fire(b, l, "fire8", in, 64, 256);
        l.add(Pool2d.max("pool8", 3, 2, 0, true));
        in = fire(b, l, "fire9", in, 64, 256);
        l.add(b.conv("conv10", ConvSpec.pointwise(in, 1000, 1, 1), true, true));
        l.add(new Relu("conv10.relu"));
        l.add(Pool2d.globalAvg("pool10"));
        return new Model("squeezenet", "SqueezeNet v1.0, 1000 classes, 227x227 input", Blocks.seq("squeezenet", l),
                Shape.of(3, 227, 227));
    }

    private static int fire(Blocks b, List<Layer> l, String name, int in, int squeeze, int expand) {
        l.add(b.conv(name + ".squeeze", ConvSpec.pointwise(in, squeeze, 1, 1), true, true));
        l.add(new Relu(name + ".squeeze.relu"));
        l.add(new Concat(name + ".expand", List.of(
                Blocks.seq(name + ".expand1x1", List.of(b.conv(name + ".expand1x1", ConvSpec.pointwise(squeeze, expand, 1, 1), true, true),
                        new Relu(name + ".expand1x1.relu"))),
                Blocks.seq(name + ".expand3x3", List.of(b.conv(name + ".expand3x3", ConvSpec.same(squeeze, expand, 3, 1, 1), true, true),
                        new Relu(name + ".expand3x3.relu"))))));
        return 2 * expand;
    }
}
