package org.sepnet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.ShapeSweep;

class ConvDescTest {
    private static void assertMessage(Executable e, String... fragments) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        for (String f : fragments) {
            assertTrue(x.getMessage().contains(f), "'" + x.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void outputSizeFollowsTheFormula() {
        ConvDesc d = ConvDesc.builder().batch(2).channels(16, 32).input(32, 31).kernel(3).pad(1).stride(2).build();
        assertEquals(16, d.outHeight()); // (32 + 2 - 3) / 2 + 1
        assertEquals(16, d.outWidth()); // (31 + 2 - 3) / 2 + 1
        assertEquals(Shape.nchw(2, 32, 16, 16), d.outputShape());
        ConvDesc dil = ConvDesc.builder().channels(1, 1).input(10, 10).kernel(3).dilation(3).pad(1).build();
        assertEquals(6, dil.outHeight()); // (10 + 2 - 3*(3-1) - 1) / 1 + 1
        ConvDesc valid = ConvDesc.builder().channels(1, 1).input(5, 5).kernel(5).build();
        assertEquals(1, valid.outHeight());
        assertEquals(2L * 32 * 16 * 16 * 16 * 9, d.macs());
    }

    @Test
    void problemStringIsCanonicalAndParsesBack() {
        ConvDesc d = ConvDesc.builder().batch(1).channels(64, 128).input(28, 28).kernel(3).pad(1).groups(4).build();
        assertEquals("n1_g4_ic64oc128_ih28iw28_kh3kw3_sh1sw1_ph1pw1", d.problem());
        assertEquals(d, ConvDesc.parse(d.problem()));
        ConvDesc dil = ConvDesc.builder().channels(8, 8).input(9, 10).kernel(3).pad(2).dilation(2).build();
        assertEquals("n1_g1_ic8oc8_ih9iw10_kh3kw3_sh1sw1_ph2pw2_dh2dw2", dil.problem());
        for (ConvDesc s : ShapeSweep.convolutions()) {
            assertEquals(s.problem(), ConvDesc.parse(s.problem()).problem());
        }
        assertMessage(() -> ConvDesc.parse("n1_ic3"), "'n1_ic3' is not a convolution problem string", "n1_g4_ic64oc128");
    }

    @Test
    void depthwiseSetsGroupsToInputChannels() {
        ConvDesc d = ConvDesc.builder().channels(32, 64).input(8, 8).kernel(3).pad(1).depthwise().build();
        assertEquals(32, d.groups());
        assertTrue(d.isDepthwise());
        assertEquals(1, d.inChannelsPerGroup());
        assertEquals(2, d.outChannelsPerGroup());
    }

    @Test
    void everyValidationErrorNamesTheValue() {
        assertMessage(() -> ConvDesc.builder().channels(64, 30).input(8, 8).kernel(3).groups(4).build(),
                "groups 4", "output channels 30");
        assertMessage(() -> ConvDesc.builder().channels(6, 8).input(8, 8).kernel(3).groups(4).build(), "input channels 6");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).input(4, 4).kernel(7).build(), "kernel 7x7", "does not fit input 4x4");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).input(4, 4).kernel(3).dilation(3).pad(1).build(), "extent 7x7");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).input(4, 4).kernel(3).stride(0).build(), "stride height is 0");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).input(4, 4).kernel(3).pad(-1).build(), "padding height is -1");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).input(4, 4).kernel(3).batch(0).build(), "batch is 0");
        assertMessage(() -> ConvDesc.builder().channels(0, 8).input(4, 4).kernel(3).build(), "input channels is 0");
        assertMessage(() -> ConvDesc.builder().channels(-1, 8).input(4, 4).kernel(3).build(), "input channels is -1");
        assertMessage(() -> ConvDesc.builder().channels(8, 8).input(-1, 4).kernel(3).build(), "-1");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).input(4, 0).kernel(3).build(), "input width is 0");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).input(4, 4).kernel(3).dilation(0).build(), "dilation height is 0");
        assertMessage(() -> ConvDesc.builder().input(4, 4).kernel(3).build(), "channels are not set");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).kernel(3).build(), "input size is not set");
        assertMessage(() -> ConvDesc.builder().channels(3, 8).input(4, 4).build(), "kernel size is not set");
        assertMessage(() -> ConvDesc.builder().batch(4096).channels(512, 512).input(512, 512).kernel(3).build(), "elements");
    }

    @Test
    void inputAndWeightChecks() {
        ConvDesc d = ConvDesc.builder().batch(4).channels(8, 16).input(6, 6).kernel(3).pad(1).groups(2).build();
        assertEquals(Shape.nchw(3, 16, 6, 6), d.outputShape(Shape.nchw(3, 8, 6, 6)));
        assertMessage(() -> d.outputShape(Shape.nchw(5, 8, 6, 6)), "[5, 8, 6, 6]", "[1..4, 8, 6, 6]");
        assertMessage(() -> d.outputShape(Shape.nchw(1, 8, 6, 7)), "does not fit");
        assertMessage(() -> d.outputShape(Shape.of(8, 6, 6)), "rank-4");
        d.requireWeights(ConvWeights.random(16, 4, 3, 3, false, 1));
        assertMessage(() -> d.requireWeights(ConvWeights.random(16, 8, 3, 3, false, 1)), "OIHW [16, 8, 3, 3]",
                "expected OIHW [16, 4, 3, 3]");
    }

    @Test
    void residualBlockNeedsAlignedBranches() {
        ConvDesc k = ConvDesc.builder().batch(2).channels(16, 32).input(9, 9).kernel(3).pad(1).stride(2).groups(4).build();
        PrbDesc p = PrbDesc.of(k, 2);
        assertEquals(2, p.pointwise().groups());
        assertEquals(5, p.pointwise().outHeight());
        assertEquals(k.problem() + "_prb_pwg2", p.problem());
        assertEquals(k.macs() + 2L * 32 * 25 * 8, p.macs());
        ConvDesc unpadded = ConvDesc.builder().channels(16, 16).input(9, 9).kernel(3).build();
        assertMessage(() -> PrbDesc.of(unpadded, 1), "gives 7x7", "gives 9x9", "padding");
        assertMessage(() -> PrbDesc.of(k, 3), "1x1 branch", "groups 3");
    }

    @Test
    void poolingSizesIncludingCaffeCeilMode() {
        PoolDesc max = PoolDesc.max(1, 4, 8, 8, 3, 2, 0);
        assertEquals(3, max.outHeight()); // floor((8 - 3) / 2) + 1
        assertEquals(4, max.withCeilMode().outHeight()); // ceil((8 - 3) / 2) + 1
        PoolDesc g = PoolDesc.global(PoolDesc.Kind.AVG, 2, 64, 8, 8);
        assertEquals(1, g.outHeight());
        assertEquals("n2_c64_ih8iw8_global_avg", g.problem());
        // GoogLeNet's pool1: 112x112, 3x3 stride 2, ceil mode -> 56 (floor gives 55).
        PoolDesc pool1 = PoolDesc.max(1, 64, 112, 112, 3, 2, 0);
        assertEquals(55, pool1.outHeight());
        assertEquals(56, pool1.withCeilMode().outHeight());
        assertEquals("n1_c64_ih112iw112_kh3kw3_sh2sw2_ph0pw0_max_ceil", pool1.withCeilMode().problem());
        // Ceil mode never starts a window in the bottom padding: 5 wide, k2 s2 p1 -> 3, not 4.
        assertEquals(3, PoolDesc.of(PoolDesc.Kind.MAX, Shape.nchw(1, 1, 5, 5), 2, 2, 2, 2, 1, 1, true, true).outHeight());
        assertMessage(() -> PoolDesc.max(1, 1, 4, 4, 3, 1, 3), "padding 3x3", "kernel 3x3");
        assertMessage(() -> PoolDesc.max(1, 1, 2, 2, 5, 1, 1), "does not fit input 2x2");
        assertMessage(() -> PoolDesc.max(1, 0, 2, 2, 1, 1, 0), "channels is 0");
    }

    @Test
    void fullyConnectedShapes() {
        FcDesc fc = new FcDesc(4, 64, 10);
        assertEquals(Shape.of(2, 10), fc.outputShape(Shape.nchw(2, 64, 1, 1)));
        assertEquals(Shape.of(3, 10), fc.outputShape(Shape.of(3, 64)));
        assertEquals("n4_in64_out10", fc.problem());
        assertMessage(() -> fc.outputShape(Shape.of(2, 63)), "64 values per sample");
        assertMessage(() -> new FcDesc(1, 0, 10), "in 0");
        assertMessage(() -> fc.requireWeights(ConvWeights.random(10, 32, 1, 1, false, 1)), "expected OIHW [10, 64, 1, 1]");
    }

    @Test
    void batchNormParamsValidate() {
        float[] one = {1f};
        assertMessage(() -> new BatchNormParams(one, new float[2], one, one, 1e-5f), "beta has 2 values");
        assertMessage(() -> new BatchNormParams(one, one, one, new float[] {-1f}, 1e-5f), "variance[0] is -1.0");
        assertMessage(() -> new BatchNormParams(one, one, one, new float[] {0f}, 0f), "epsilon is 0.0");
        BatchNormParams p = new BatchNormParams(new float[] {2f}, new float[] {1f}, new float[] {3f}, new float[] {3f}, 1f);
        assertEquals(1.0, p.scale()[0], 1e-12);
        assertEquals(-2.0, p.shift()[0], 1e-12);
    }
}
