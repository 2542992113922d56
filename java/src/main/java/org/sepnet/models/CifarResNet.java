package org.sepnet.models;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Residual;
import org.sepnet.tensor.Shape;

/**
 * CIFAR-10 ResNets (depth 6n + 2) as the SEP-Nets authors built them: widths 16/32/64; every 3×3
 * convolution has a bias and is followed by batch norm; block = conv-BN-ReLU-conv-BN + shortcut,
 * then ReLU; the two down-sampling blocks use a 3×3 stride-2 convolution + BN as the projection
 * shortcut; global average pooling; fully connected 64 → 10.
 */
final class CifarResNet {
    private CifarResNet() {}

    static Model build(int depth, long seed) {
        return build(depth, seed, 3, 10);
    }

    /** For images of {@code channels} channels (any size: the pooling is global) and {@code classes} classes. */
    static Model build(int depth, long seed, int channels, int classes) {
        if (depth < 8 || (depth - 2) % 6 != 0) {
            throw new IllegalArgumentException("CIFAR ResNet depth " + depth + "; expected 6n + 2 (20, 32, 44, 56, ...)");
        }
        int n = (depth - 2) / 6;
        Blocks b = new Blocks(seed);
        List<Layer> layers = new ArrayList<>(b.convBn("conv1", ConvSpec.same(channels, 16, 3, 1, 1), true, true));
        int in = 16;
        for (int stage = 1; stage <= 3; stage++) {
            int width = 16 << (stage - 1);
            for (int block = 1; block <= n; block++) {
                String name = "stage" + stage + ".block" + block;
                int stride = stage > 1 && block == 1 ? 2 : 1;
                List<Layer> body = new ArrayList<>(b.convBn(name + ".conv1", ConvSpec.same(in, width, 3, stride, 1), true, true));
                body.addAll(b.convBn(name + ".conv2", ConvSpec.same(width, width, 3, 1, 1), true, false));
                Layer shortcut = null;
                if (stride != 1 || in != width) {
                    shortcut = Blocks.seq(name + ".shortcut",
                            b.convBn(name + ".shortcut.conv", ConvSpec.same(in, width, 3, stride, 1), true, false));
                }
                layers.add(new Residual(name, Blocks.seq(name + ".body", body), shortcut, true));
                in = width;
            }
        }
        layers.add(Pool2d.globalAvg("pool"));
        layers.add(b.fc("fc", 64, classes));
        return new Model("resnet" + depth, "CIFAR-10 ResNet-" + depth + " (3x3 stride-2 projection shortcuts, as the SEP-Nets authors built it)",
                Blocks.seq("resnet" + depth, layers), Shape.of(channels, 32, 32));
    }
}
