package org.sepnet.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.Backend;
import org.sepnet.backend.BuildInfo;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cpu.PatternAlgorithm;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Transforms;
import org.sepnet.tensor.Shape;

/** The native backend's training kernels ({@link TrainingConformance}), and their independence of the thread count. */
class NativeTrainingTest extends TrainingConformance {
    @BeforeAll
    static void requireNative() {
        Assumptions.assumeTrue(BuildInfo.built("native.library"), () -> "native library not built: " + BuildInfo.skipReason("native"));
    }

    @Override
    Backend backend() {
        return NativeBackend.instance();
    }

    /** One thread or two, every pattern algorithm: the same bits (each value is summed by one thread in a fixed order). */
    @Test
    void gradientsDoNotDependOnTheThreadCount() {
        Layer model = Transforms.binarize(TrainingGraphTest.tiny(23), Transforms.BinarizeOptions.all());
        try (NativeBackend one = NativeBackend.create(1, "auto", PatternAlgorithm.AUTO);
             NativeBackend two = NativeBackend.create(2, "auto", PatternAlgorithm.AUTO)) {
            List<double[]> a = compare("native_threads", model, Shape.of(3, 6, 6), 5, one);
            List<double[]> b = compare("native_threads", model, Shape.of(3, 6, 6), 5, two);
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), "array " + i);
            }
        }
    }
}
