package org.sepnet.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/** The reference layers against hand-computed values. */
class ReferenceLayersTest {
    private static final ReferenceBackend REF = ReferenceBackend.instance();

    private static float[] run(UnaryOp op, Shape in, float... x) {
        try (op; HostTensor tx = HostTensor.of(in, x); HostTensor ty = HostTensor.allocate(op.outputShape(in))) {
            op.run(tx, ty);
            return ty.toArray();
        }
    }

    @Test
    void batchNormAppliesTheFormulaPerChannel() {
        BatchNormParams p = new BatchNormParams(new float[] {2f, 1f}, new float[] {0.5f, -1f}, new float[] {1f, 0f},
                new float[] {3f, 0.25f}, 1f);
        // Channel 0: 2*(x-1)/2 + 0.5 = x - 0.5; channel 1: (x-0)/sqrt(1.25) - 1.
        float[] y = run(REF.batchNorm(Shape.nchw(1, 2, 1, 2), p, Activation.NONE), Shape.nchw(1, 2, 1, 2), 1f, 3f, 0f, 2.5f);
        assertArrayEquals(new float[] {0.5f, 2.5f, -1f, (float) (2.5 / Math.sqrt(1.25) - 1)}, y, 1e-7f);
        y = run(REF.batchNorm(Shape.nchw(1, 2, 1, 2), p, Activation.RELU), Shape.nchw(1, 2, 1, 2), 1f, 3f, 0f, 2.5f);
        assertEquals(0f, y[2]);
    }

    @Test
    void reluAndAdd() {
        assertArrayEquals(new float[] {0, 0, 2}, run(REF.activation(Shape.of(1, 3), Activation.RELU), Shape.of(1, 3), -1, 0, 2));
        try (BinaryOp add = REF.add(Shape.of(2, 2), Activation.RELU);
             HostTensor a = HostTensor.of(Shape.of(2, 2), new float[] {1, -2, 3, 4});
             HostTensor b = HostTensor.of(Shape.of(2, 2), new float[] {1, 1, -5, 0.5f});
             HostTensor y = HostTensor.allocate(2, 2)) {
            add.run(a, b, y);
            assertArrayEquals(new float[] {2, 0, 0, 4.5f}, y.toArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> add.run(a, HostTensor.allocate(2, 1), y));
            assertTrue(e.getMessage().contains("second input"), e.getMessage());
        }
    }

    @Test
    void concatStacksChannelsPerSample() {
        try (ConcatOp cat = REF.concat(List.of(Shape.nchw(2, 1, 1, 2), Shape.nchw(2, 2, 1, 2)));
             HostTensor a = HostTensor.of(Shape.nchw(2, 1, 1, 2), new float[] {1, 2, 3, 4});
             HostTensor b = HostTensor.of(Shape.nchw(2, 2, 1, 2), new float[] {5, 6, 7, 8, 9, 10, 11, 12});
             HostTensor y = HostTensor.allocate(2, 3, 1, 2)) {
            cat.run(List.of(a, b), y);
            assertArrayEquals(new float[] {1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}, y.toArray());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> REF.concat(List.of(Shape.nchw(1, 1, 2, 2), Shape.nchw(1, 1, 2, 3))));
        assertTrue(e.getMessage().contains("input 1"), e.getMessage());
    }

    @Test
    void maxAndAveragePooling() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        Shape in = Shape.nchw(1, 1, 4, 4);
        assertArrayEquals(new float[] {6, 8, 14, 16}, run(REF.pool(PoolDesc.max(1, 1, 4, 4, 2, 2, 0)), in, x));
        assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, run(REF.pool(PoolDesc.avg(1, 1, 4, 4, 2, 2, 0)), in, x));
        // 3x3 stride 2 pad 1: corner window holds 1,2,5,6 (4 real of 9 padded cells).
        PoolDesc padded = PoolDesc.avg(1, 1, 4, 4, 3, 2, 1);
        assertEquals(14f / 9, run(REF.pool(padded), in, x)[0], 1e-6f);
        assertEquals(14f / 4, run(REF.pool(padded.excludingPadding()), in, x)[0], 1e-6f);
        assertEquals(6f, run(REF.pool(PoolDesc.max(1, 1, 4, 4, 3, 2, 1)), in, x)[0]);
        assertArrayEquals(new float[] {8.5f}, run(REF.pool(PoolDesc.global(PoolDesc.Kind.AVG, 1, 1, 4, 4)), in, x));
        assertArrayEquals(new float[] {16f}, run(REF.pool(PoolDesc.global(PoolDesc.Kind.MAX, 1, 1, 4, 4)), in, x));
        // Ceil mode: 4 wide, 3x3 stride 2 -> 2 outputs; the second window is clipped at the edge.
        float[] ceil = run(REF.pool(PoolDesc.max(1, 1, 4, 4, 3, 2, 0).withCeilMode()), in, x);
        assertArrayEquals(new float[] {11, 12, 15, 16}, ceil);
    }

    @Test
    void fullyConnectedAndSoftmax() {
        ConvWeights w = new ConvWeights(2, 3, 1, 1, new float[] {1, 0, -1, 0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0});
        float[] y = run(REF.fullyConnected(new FcDesc(2, 3, 2), w, Activation.NONE), Shape.nchw(2, 3, 1, 1), 1, 2, 3, -1, -2, -3);
        assertArrayEquals(new float[] {-1.75f, 3f, 2.25f, -3f}, y);
        float[] s = run(REF.softmax(Shape.of(2, 3)), Shape.of(2, 3), 1, 2, 3, 1000, 1001, 1002);
        double e = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertArrayEquals(new float[] {(float) (Math.exp(1) / e), (float) (Math.exp(2) / e), (float) (Math.exp(3) / e)},
                java.util.Arrays.copyOf(s, 3), 1e-7f);
        assertArrayEquals(java.util.Arrays.copyOf(s, 3), java.util.Arrays.copyOfRange(s, 3, 6), 1e-7f, "shift invariant, no overflow");
    }

    @Test
    void opsCheckShapesAndRefuseUseAfterClose() {
        UnaryOp op = REF.activation(Shape.of(2, 3), Activation.RELU);
        try (HostTensor x = HostTensor.allocate(2, 3); HostTensor bad = HostTensor.allocate(2, 4); HostTensor big = HostTensor.allocate(3, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.run(x, bad));
            assertTrue(e.getMessage().contains("expected [2, 3]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> op.run(big, big));
            assertTrue(e.getMessage().contains("batch of 1..2"), e.getMessage());
            op.close();
            assertThrows(IllegalStateException.class, () -> op.run(x, x));
        }
    }
}
