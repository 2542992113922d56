package org.sepnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sepnet.ops.ConvDesc;

/** The host-side planning of the CUDA convolutions (weight layouts, tap table, K splits); needs no GPU. */
class CudaConvsTest {
    @Test
    void transposeGroupsWeightsTapMajor() {
        // 2 groups of 2 outputs, 3 taps each: w[o][k] = 10·o + k.
        float[] w = new float[12];
        for (int o = 0; o < 4; o++) {
            for (int k = 0; k < 3; k++) {
                w[o * 3 + k] = 10 * o + k;
            }
        }
        assertArrayEquals(new float[] {0, 10, 1, 11, 2, 12, 20, 30, 21, 31, 22, 32}, CudaConvs.transpose(w, 4, 2, 3));
    }

    @Test
    void tapTableHoldsOffsetsAndShifts() {
        ConvDesc d = ConvDesc.builder().channels(2, 4).input(5, 7).kernel(2, 3).pad(1).dilation(2).build();
        int[] t = CudaConvs.taps(d);
        assertEquals(2 * 2 * 2 * 3, t.length);
        // Tap (c=1, ky=1, kx=2): offset 1·35 + 2·7 + 4, dy = 2, dx = 4.
        int k = (1 * 2 + 1) * 3 + 2;
        assertEquals(35 + 14 + 4, t[2 * k]);
        assertEquals(2 << 16 | 4, t[2 * k + 1]);
        ConvDesc huge = ConvDesc.builder().channels(1, 1).input(40002, 8).kernel(3, 1).dilation(20000, 1).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaConvs.taps(huge));
        assertTrue(e.getMessage().contains("too large for the CUDA kernels"), e.getMessage());
    }

    @Test
    void splitsOnlyWhenTheTilesCannotFillTheDevice() {
        assertEquals(1, CudaConvs.splits(132, 100, 132), "one block per multiprocessor: no split");
        assertEquals(9, CudaConvs.splits(1, 36, 132), "one tile, 36 steps: at least 4 steps per split");
        assertEquals(CudaConvs.MAX_SPLITS, CudaConvs.splits(1, 1000, 132));
        assertEquals(3, CudaConvs.splits(100, 1000, 132), "two blocks per multiprocessor, rounded up");
        assertEquals(1, CudaConvs.splits(4, 3, 132), "too few steps to split");
    }

    @Test
    void tileRowsCoverTheOutputsPerGroup() {
        assertEquals(16, CudaConvs.tileRows(9));
        assertEquals(32, CudaConvs.tileRows(17));
        assertEquals(64, CudaConvs.tileRows(33));
        assertEquals(64, CudaConvs.tileRows(1000));
    }
}
