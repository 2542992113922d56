package org.sepnet.testing;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.ops.ConvDesc;

/**
 * Convolution problems that hit the edges: channels {1, 3, 31, 32, 33, 63, 64, 65, 96} (below, at
 * and above a 32-bit word of signs), odd and even H and W, groups {1, 2, 4, depthwise}, stride 1 and
 * 2, padding 0/1/2, dilation 2, batch > 1, 5×5 and 1×1 kernels, and one large-channel case. Sizes
 * stay small so the reference runs each in milliseconds.
 */
public final class ShapeSweep {
    private ShapeSweep() {}

    /** The k×k problems (k ≥ 1), each with a distinct problem string. */
    public static List<ConvDesc> convolutions() {
        List<ConvDesc> out = new ArrayList<>();
        int[] channels = {1, 3, 31, 32, 33, 63, 64, 65, 96};
        for (int i = 0; i < channels.length; i++) {
            int c = channels[i];
            int o = channels[(i + 4) % channels.length];
            int h = 5 + (i % 4) * 2;       // 5, 7, 9, 11: odd sizes
            int w = 4 + (i % 3) * 3;       // 4, 7, 10: even and odd
            out.add(ConvDesc.builder().batch(1 + i % 3).channels(c, o).input(h, w).kernel(3).pad(1)
                    .stride(1 + i % 2).build());
        }
        // Groups, depthwise, padding 0 and 2, 5x5, dilation, 1x1, rectangular kernels.
        out.add(ConvDesc.builder().batch(2).channels(64, 32).input(9, 9).kernel(3).pad(1).groups(2).build());
        out.add(ConvDesc.builder().batch(1).channels(68, 36).input(7, 11).kernel(3).pad(1).stride(2).groups(4).build());
        out.add(ConvDesc.builder().batch(2).channels(33, 33).input(8, 7).kernel(3).pad(1).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(32, 64).input(6, 6).kernel(3).pad(1).stride(2).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(16, 24).input(7, 7).kernel(3).pad(0).build());
        out.add(ConvDesc.builder().batch(2).channels(12, 20).input(9, 8).kernel(5).pad(2).build());
        out.add(ConvDesc.builder().batch(1).channels(33, 17).input(11, 11).kernel(5).pad(2).stride(2).build());
        out.add(ConvDesc.builder().batch(1).channels(5, 7).input(5, 5).kernel(5).pad(0).build());
        out.add(ConvDesc.builder().batch(1).channels(8, 8).input(9, 10).kernel(3).pad(2).dilation(2).build());
        out.add(ConvDesc.builder().batch(3).channels(31, 65).input(5, 6).kernel(1).build());
        out.add(ConvDesc.builder().batch(1).channels(9, 6).input(8, 9).kernel(1, 3).pad(0, 1).build());
        out.add(ConvDesc.builder().batch(1).channels(7, 5).input(8, 7).kernel(3).pad(2).build());
        // Planes larger than one tile (several tiles, a short last one), stride 1 and 2.
        out.add(ConvDesc.builder().batch(2).channels(5, 12).input(40, 37).kernel(3).pad(1).build());
        out.add(ConvDesc.builder().batch(1).channels(7, 9).input(41, 38).kernel(3).pad(1).stride(2).build());
        out.add(ConvDesc.builder().batch(1).channels(6, 20).input(33, 35).kernel(5).pad(2).groups(2).build());
        // Depthwise planes wider than a vector: stride 1, 2 (also with a rectangular kernel) and 3, dilation.
        out.add(ConvDesc.builder().batch(2).channels(24, 24).input(19, 37).kernel(3).pad(1).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(20, 20).input(21, 45).kernel(3).pad(1).stride(2).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(9, 9).input(11, 35).kernel(3, 5).pad(1, 2).stride(1, 2).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(6, 6).input(10, 50).kernel(3).pad(1).stride(3).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(17, 17).input(13, 40).kernel(5).pad(4).dilation(2).depthwise().build());
        // Depthwise on small planes (whole planes of a few vectors, a short last vector, fewer outputs
        // than a vector), padding wider than the kernel needs, dilation and 5x5 at stride 2, padding 0, a 2x2 kernel at
        // stride 2 on odd planes (its last column unused).
        out.add(ConvDesc.builder().batch(2).channels(40, 40).input(7, 7).kernel(3).pad(1).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(20, 20).input(14, 14).kernel(3).pad(1).stride(2).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(18, 18).input(12, 14).kernel(5).pad(2).stride(2).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(17, 17).input(6, 6).kernel(5).pad(2).stride(2).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(16, 16).input(3, 3).kernel(3).pad(2).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(12, 12).input(10, 12).kernel(3).pad(2).dilation(2).stride(2).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(10, 10).input(9, 9).kernel(3).pad(0).depthwise().build());
        out.add(ConvDesc.builder().batch(1).channels(8, 8).input(9, 11).kernel(2).stride(2).depthwise().build());
        // Strides differing per dimension (each of 1 and 2 phases), one with dilation.
        out.add(ConvDesc.builder().batch(2).channels(10, 12).input(9, 14).kernel(3).pad(1).stride(1, 2).build());
        out.add(ConvDesc.builder().batch(1).channels(6, 8).input(13, 9).kernel(3).pad(2).dilation(2).stride(2, 1).build());
        // Large channel count (c_gt): 256 inputs, 72 words of signs per filter.
        out.add(ConvDesc.builder().batch(1).channels(256, 40).input(7, 7).kernel(3).pad(1).build());
        return out;
    }

    /** The problems of {@link #convolutions()} with an odd kernel and "same" padding: valid pattern residual blocks. */
    public static List<ConvDesc> residualBlocks() {
        List<ConvDesc> out = new ArrayList<>();
        for (ConvDesc d : convolutions()) {
            boolean same = d.padHeight() == d.dilationHeight() * (d.kernelHeight() - 1) / 2
                    && d.padWidth() == d.dilationWidth() * (d.kernelWidth() - 1) / 2
                    && d.kernelHeight() % 2 == 1 && d.kernelWidth() % 2 == 1;
            if (same) {
                out.add(d);
            }
        }
        return out;
    }
}
