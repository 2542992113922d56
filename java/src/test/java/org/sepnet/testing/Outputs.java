package org.sepnet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.sepnet.backend.Backend;
import org.sepnet.models.Model;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/** Runs whole models and compares their outputs. */
public final class Outputs {
    /**
     * Whole-network tolerance: every output within 1e-3 × the largest reference output. Each
     * layer's float32 result is within γ_K (≤ 3e-4 for K ≤ 4608 terms) of its absolute sum, and
     * batch norm keeps activations near unit scale, so tens of layers stay well inside 1e-3; a
     * wrong kernel or a wrongly imported layer shifts the logits by far more.
     */
    public static final double TOLERANCE = 1e-3;

    private Outputs() {}

    /** {@code m} compiled on {@code b} for {@code maxBatch} images, run on the first {@code batch} of {@code x}. */
    public static float[] run(Model m, Backend b, int maxBatch, float[] x, int batch) {
        int[] f = m.input().dims();
        int[] dims = new int[f.length + 1];
        dims[0] = batch;
        System.arraycopy(f, 0, dims, 1, f.length);
        try (Network net = Network.compile(m.graph(), m.input(), b, maxBatch); Tensor in = b.allocate(Shape.of(dims))) {
            in.copyFrom(x);
            return net.forward(in).toArray();
        }
    }

    /** Asserts every value of {@code got} is within {@link #TOLERANCE} × max |expected| of {@code expected}. */
    public static void assertClose(float[] expected, float[] got, String what) {
        assertClose(expected, got, TOLERANCE, what);
    }

    /** Asserts every value of {@code got} is within {@code tolerance} × max |expected| of {@code expected}. */
    public static void assertClose(float[] expected, float[] got, double tolerance, String what) {
        assertEquals(expected.length, got.length, what);
        double scale = 0;
        double err = 0;
        int zeros = 0;
        for (int i = 0; i < got.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            err = Math.max(err, Math.abs(got[i] - expected[i]));
            zeros += expected[i] == 0 ? 1 : 0;
        }
        assertTrue(zeros < 0.9 * expected.length, what + ": the reference output is mostly zeros");
        assertTrue(err <= tolerance * scale, what + ": max error " + err + " above " + tolerance + " x " + scale);
    }
}
