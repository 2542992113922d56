package org.sepnet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.sepnet.backend.Backend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * The NaN/Inf contract (docs/reliability.md): IEEE propagation as the reference computes it. Each
 * op runs on three inputs (all NaN; a few NaNs; a few +Inf and -Inf among ordinary values) and must
 * give NaN exactly where the reference gives NaN, the same infinity where it gives one, and a
 * finite value elsewhere, within 1e-3 of the reference relative to the output's largest finite
 * magnitude (precision is the ordinary conformance tests' business; this checks where non-finite
 * values go).
 */
public final class NonFinite {
    private NonFinite() {}

    /** The three inputs for a case, drawn from the seed stream {@code name}. */
    public static List<float[]> inputs(String name, Shape input) {
        SplittableRandom r = new SplittableRandom(Seeds.of("nonfinite_" + name));
        int size = (int) input.size();
        float[] allNan = new float[size];
        java.util.Arrays.fill(allNan, Float.NaN);
        float[] someNan = Data.uniform(size, r);
        float[] someInf = Data.uniform(size, r);
        int marks = Math.max(1, size / 97);
        for (int i = 0; i < marks; i++) {
            someNan[r.nextInt(size)] = Float.NaN;
            someInf[r.nextInt(size)] = i % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        }
        return List.of(allNan, someNan, someInf);
    }

    /** Checks the op {@code build} makes on {@code backend} against the reference's on the three inputs. */
    public static void check(String name, Shape input, Function<Backend, UnaryOp> build, Backend backend, String label) {
        List<float[]> xs = inputs(name, input);
        String[] kinds = {"all NaN", "some NaN", "some Inf"};
        try (UnaryOp ref = build.apply(ReferenceBackend.instance()); UnaryOp op = build.apply(backend)) {
            Shape out = ref.outputShape(input);
            for (int k = 0; k < xs.size(); k++) {
                float[] want;
                float[] got;
                try (HostTensor hx = HostTensor.of(input, xs.get(k)); HostTensor hy = HostTensor.allocate(out)) {
                    ref.run(hx, hy);
                    want = hy.toArray();
                }
                try (Tensor x = backend.allocate(input); Tensor y = backend.allocate(out)) {
                    x.copyFrom(xs.get(k));
                    op.run(x, y);
                    backend.synchronize();
                    got = y.toArray();
                }
                compare(want, got, label + " " + op.implementation() + " " + name + ", " + kinds[k] + " input");
            }
        }
    }

    /** Element by element: the same class (NaN, +Inf, -Inf, finite), finite values close. */
    public static void compare(float[] want, float[] got, String what) {
        float scale = 0;
        for (float v : want) {
            if (Float.isFinite(v)) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < want.length; i++) {
            float w = want[i];
            float g = got[i];
            boolean same = Float.isNaN(w) ? Float.isNaN(g)
                    : Float.isInfinite(w) ? g == w
                    : Float.isFinite(g) && Math.abs(g - w) <= 1e-3f * Math.max(1f, scale);
            if (!same) {
                fail(what + ": output " + i + " is " + g + "; the reference gives " + w + " " + Seeds.replay("nonfinite_"
                        + what));
            }
        }
    }
}
