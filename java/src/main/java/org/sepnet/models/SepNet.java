package org.sepnet.models;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.SepModule;
import org.sepnet.tensor.Shape;

/**
 * SEP-Nets (Li et al. 2017) reconstructed from the paper's description, which gives no layer table:
 * a 3×3 stride-2 stem convolution; four stages, each entered by a pattern residual block (3×3
 * group convolution + 1×1 group convolution, stride 2) and continued by SEP modules (1×1 reduction
 * → two pattern residual blocks with different output channels → 1×1 recovery, + skip); a last 1×1
 * convolution; global average pooling; fully connected to 1000 classes. Every convolution is
 * followed by batch norm and ReLU (the recovery's ReLU after the skip sum). The small and large
 * sizes differ in the group number of the pattern residual blocks and the width of the last
 * convolution. docs/sep-nets.md explains the choices and the parameter counts they give.
 */
final class SepNet {
    private SepNet() {}

    /**
     * @param stem stem convolution output channels
     * @param widths stage widths (channels), each stage halving the resolution
     * @param modules SEP modules per stage
     * @param groups group number of the blocks' 3×3 and 1×1 convolutions
     * @param last output channels of the last 1×1 convolution
     */
    record Config(String name, int stem, int[] widths, int[] modules, int groups, int last, int stemStride, int firstStride) {}

    static final Config SMALL = new Config("sepnet-small", 32, new int[] {32, 64, 128, 256}, new int[] {1, 2, 6, 2}, 4, 640, 2, 2);
    static final Config LARGE = new Config("sepnet-large", 32, new int[] {32, 64, 128, 256}, new int[] {1, 2, 6, 2}, 2, 768, 2, 2);
    /**
     * For small images (CIFAR's 32×32, Fashion-MNIST's 28×28), in the manner of the CIFAR ResNets:
     * a stride-1 stem and three stages at full, half and quarter resolution.
     */
    static final Config CIFAR = new Config("sepnet-cifar", 32, new int[] {32, 64, 128}, new int[] {1, 2, 2}, 4, 256, 1, 1);

    static Model build(Config c, long seed) {
        return c == CIFAR ? build(c, seed, 3, 10).withInput(Shape.of(3, 32, 32)) : build(c, seed, 3, 1000);
    }

    /** For images of {@code channels} channels and {@code classes} classes (any size: the pooling is global). */
    static Model build(Config c, long seed, int channels, int classes) {
        Blocks b = new Blocks(seed);
        List<Layer> l = new ArrayList<>(b.convBn("stem", ConvSpec.same(channels, c.stem(), 3, c.stemStride(), 1), false, true));
        int in = c.stem();
        for (int s = 0; s < c.widths().length; s++) {
            int width = c.widths()[s];
            String stage = "stage" + (s + 1);
            int stride = s == 0 ? c.firstStride() : 2;
            l.addAll(b.prbBn(stage + ".down", ConvSpec.same(in, width, 3, stride, groups(c.groups(), in, width)),
                    groups(c.groups(), in, width), true));
            for (int m = 1; m <= c.modules()[s]; m++) {
                l.add(module(b, stage + ".module" + m, width, c.groups()));
            }
            in = width;
        }
        l.addAll(b.convBn("last", ConvSpec.pointwise(in, c.last(), 1, 1), false, true));
        l.add(Pool2d.globalAvg("pool"));
        l.add(b.fc("fc", c.last(), classes));
        String size = c.name().substring(c.name().indexOf('-') + 1);
        return new Model(c.name(), "SEP-Net-R " + size + " (raw float; reconstructed: " + c.groups() + " groups, last conv "
                + c.last() + " wide), " + classes + " classes", new Sequential(c.name(), l), Shape.of(channels, 224, 224));
    }

    /** 1×1 reduce C → C/2, PRB C/2 → C/4, PRB C/4 → C/2, 1×1 recover C/2 → C, skip. */
    private static SepModule module(Blocks b, String name, int c, int groups) {
        int half = c / 2;
        int quarter = c / 4;
        return SepModule.of(name,
                Blocks.seq(name + ".reduce", b.convBn(name + ".reduce", ConvSpec.pointwise(c, half, 1, 1), false, true)),
                Blocks.seq(name + ".prb1", b.prbBn(name + ".prb1", ConvSpec.same(half, quarter, 3, 1, groups(groups, half, quarter)),
                        groups(groups, half, quarter), true)),
                Blocks.seq(name + ".prb2", b.prbBn(name + ".prb2", ConvSpec.same(quarter, half, 3, 1, groups(groups, quarter, half)),
                        groups(groups, quarter, half), true)),
                Blocks.seq(name + ".recover", b.convBn(name + ".recover", ConvSpec.pointwise(half, c, 1, 1), false, false)));
    }

    /** The configured group number, or the largest divisor of both channel counts below it. */
    private static int groups(int g, int in, int out) {
        for (int d = g; d > 1; d--) {
            if (in % d == 0 && out % d == 0) {
                return d;
            }
        }
        return 1;
    }
}
