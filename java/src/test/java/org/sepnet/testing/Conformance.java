package org.sepnet.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.sepnet.backend.Backend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.ops.ErrorBound;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * Checks an op on a backend against the reference with the same random input: every output must
 * satisfy |got − ref| ≤ γ_{K+4}·S, S being the op on |x| with absolute weights. The output is
 * poisoned with NaN first, so an element the kernel never wrote fails; a reference output that is
 * mostly zeros fails too (such a comparison proves little). {@link #reference} computes the
 * expected output once, so one case can be checked on many backend configurations.
 */
public final class Conformance {
    private Conformance() {}

    /** One case's input and reference output. */
    public record Expected(String name, Shape input, float[] x, float[] y, float[] absSum, long terms) {
        /** Runs the op on {@code backend}, checks it, and returns its output. */
        public float[] check(Backend backend, Function<Backend, UnaryOp> build, String config) {
            return check(backend, build, config, 1);
        }

        /**
         * The same with the bound {@code factor}·γ_{K+4}·S, for an algorithm whose error analysis
         * bounds it by a multiple of the direct sum's (the native Winograd convolution: 16).
         */
        public float[] check(Backend backend, Function<Backend, UnaryOp> build, String config, double factor) {
            float[] bound = absSum;
            if (factor != 1) {
                bound = new float[absSum.length];
                for (int i = 0; i < bound.length; i++) {
                    bound[i] = (float) (absSum[i] * factor);
                }
            }
            float[] got;
            try (UnaryOp op = build.apply(backend);
                 Tensor tx = backend.allocate(input);
                 Tensor ty = backend.allocate(op.outputShape(input))) {
                tx.copyFrom(x);
                float[] poison = new float[(int) ty.shape().size()];
                Arrays.fill(poison, Float.NaN);
                ty.copyFrom(poison);
                op.run(tx, ty);
                backend.synchronize();
                got = ty.toArray();
                ErrorBound.Result res = ErrorBound.compare(got, y, bound, terms);
                if (!res.passed()) {
                    int i = res.worstIndex();
                    fail(config + " (" + op.implementation() + ") differs from the reference: " + res.bad() + " of "
                            + res.count() + " outputs outside the bound (" + res.nonFinite() + " not finite); worst at flat index "
                            + i + ": got " + got[i] + ", reference " + y[i] + ", bound "
                            + ErrorBound.gamma(terms + 4) * bound[i] + " " + Seeds.replay(name));
                }
            }
            return got;
        }
    }

    /**
     * @param build builds the op under test on a backend
     * @param buildAbsolute builds the same op with absolute weights and no activation
     * @param terms K, products summed per output
     */
    public static Expected reference(String name, Function<Backend, UnaryOp> build, Function<Backend, UnaryOp> buildAbsolute,
                                     Shape input, long terms) {
        // A few outputs behind a ReLU can all be zero by chance (7 outputs: 1 in 128); then the next
        // input of the same seed stream is drawn, so the case still compares nonzero values.
        SplittableRandom r = new SplittableRandom(Seeds.of(name));
        ReferenceBackend ref = ReferenceBackend.instance();
        long zeros = 0;
        for (int attempt = 0; attempt < 8; attempt++) {
            float[] x = Data.uniform((int) input.size(), r);
            float[] expected;
            float[] absSum;
            try (UnaryOp refOp = build.apply(ref);
                 UnaryOp absOp = buildAbsolute.apply(ref);
                 HostTensor hx = HostTensor.of(input, x);
                 HostTensor hax = HostTensor.of(input, Data.abs(x));
                 HostTensor hy = HostTensor.allocate(refOp.outputShape(input))) {
                refOp.run(hx, hy);
                expected = hy.toArray();
                absOp.run(hax, hy);
                absSum = hy.toArray();
            }
            zeros = 0;
            for (float v : expected) {
                zeros += v == 0f ? 1 : 0;
            }
            if (zeros < 0.9 * expected.length) {
                return new Expected(name, input, x, expected, absSum, terms);
            }
        }
        fail("reference output is " + zeros + " zeros in 8 draws of the input: this case cannot catch errors " + Seeds.replay(name));
        return null;
    }

    /** {@link #reference} then {@link Expected#check} on one backend. */
    public static ErrorBound.Result check(String name, Backend backend, Function<Backend, UnaryOp> build,
                                          Function<Backend, UnaryOp> buildAbsolute, Shape input, long terms) {
        Expected e = reference(name, build, buildAbsolute, input, terms);
        float[] got = e.check(backend, build, backend.name());
        return ErrorBound.compare(got, e.y(), e.absSum(), terms);
    }
}
