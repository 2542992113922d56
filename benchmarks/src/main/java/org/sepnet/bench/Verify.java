package org.sepnet.bench;

import org.sepnet.ops.ErrorBound;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/**
 * The correctness guard of every benchmark: before timing, the implementation's output is compared
 * with the reference under {@link ErrorBound}, so a fast wrong kernel cannot post a number.
 */
final class Verify {
    private Verify() {}

    /**
     * @param got the output of the implementation under test for {@code input}
     * @param reference the reference op
     * @param absolute the reference op with absolute weights and no activation (gives the bound)
     * @param terms products summed per output
     * @throws IllegalStateException when any output is outside the bound
     */
    static void against(String what, float[] got, Shape inputShape, float[] input, UnaryOp reference, UnaryOp absolute,
                        long terms) {
        float[] abs = new float[input.length];
        for (int i = 0; i < abs.length; i++) {
            abs[i] = Math.abs(input[i]);
        }
        try (reference; absolute;
             HostTensor x = HostTensor.of(inputShape, input);
             HostTensor ax = HostTensor.of(inputShape, abs);
             HostTensor y = HostTensor.allocate(reference.outputShape(inputShape))) {
            reference.run(x, y);
            float[] expected = y.toArray();
            absolute.run(ax, y);
            ErrorBound.Result r = ErrorBound.compare(got, expected, y.toArray(), terms);
            if (!r.passed()) {
                throw new IllegalStateException(what + " does not match the reference: " + r);
            }
        }
    }
}
