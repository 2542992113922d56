package org.sepnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FiniteDifferenceTest {
    @Test
    void passesTheRightGradientFailsAWrongOneAndLeavesAKinkUndecided() {
        double[] p = {0.7};
        FiniteDifference.Result right = FiniteDifference.check(p, 0, 3 * 0.49, () -> p[0] * p[0] * p[0], 1e-6);
        assertTrue(right.ok() && right.decided(), right.toString());
        assertEquals(0.7, p[0], "restored");
        FiniteDifference.Result wrong = FiniteDifference.check(p, 0, 3 * 0.49 * 1.01, () -> p[0] * p[0] * p[0], 1e-6);
        assertFalse(wrong.ok(), wrong.toString());
        assertTrue(wrong.decided());
        // |x| sampled across its kink at every step: the differences never converge, nothing is decided.
        double[] q = {0};
        FiniteDifference.Result kink = FiniteDifference.check(q, 0, 5, () -> Math.abs(q[0]) + (q[0] > 0 ? 0 : 1e3 * q[0] * q[0] + q[0] * 7),
                1e-6);
        assertFalse(kink.decided(), kink.toString());
        assertFalse(FiniteDifference.check(p, 0, Double.NaN, () -> p[0], 1e-6).ok(), "a NaN gradient fails");
    }
}
