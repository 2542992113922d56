package org.sepnet.models;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Pool2d;
import org.sepnet.tensor.Shape;

/**
 * MobileNet v1 (Howard et al. 2017) with a width multiplier: a 3×3 stride-2 convolution, 13
 * depthwise-separable blocks (3×3 depthwise + BN + ReLU, 1×1 + BN + ReLU), global average pooling,
 * fully connected to 1000 classes; convolutions without bias (batch norm follows each).
 */
final class MobileNet {
    private MobileNet() {}

    /** Output channels and stride of the 13 separable blocks at width 1.0. */
    private static final int[][] BLOCKS = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1},
            {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};

    static Model build(double width, long seed) {
        if (!(width > 0) || width > 4) {
            throw new IllegalArgumentException("MobileNet width multiplier " + width + "; expected (0, 4]");
        }
        Blocks b = new Blocks(seed);
        int in = scaled(32, width);
        List<Layer> l = new ArrayList<>(b.convBn("conv1", ConvSpec.same(3, in, 3, 2, 1), false, true));
        for (int i = 0; i < BLOCKS.length; i++) {
            int out = scaled(BLOCKS[i][0], width);
            String name = "block" + (i + 1);
            l.addAll(b.convBn(name + ".dw", ConvSpec.same(in, in, 3, BLOCKS[i][1], in), false, true));
            l.addAll(b.convBn(name + ".pw", ConvSpec.pointwise(in, out, 1, 1), false, true));
            in = out;
        }
        l.add(Pool2d.globalAvg("pool"));
        l.add(b.fc("fc", in, 1000));
        String w = width == Math.rint(width) ? String.format("%.1f", width) : String.valueOf(width);
        return new Model("mobilenet-" + w, "MobileNet v1, width " + w + ", 1000 classes", Blocks.seq("mobilenet", l),
                Shape.of(3, 224, 224));
    }

    private static int scaled(int channels, double width) {
        return (int) Math.round(channels * width);
    }
}
