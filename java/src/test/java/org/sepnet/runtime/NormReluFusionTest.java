package org.sepnet.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.BuildInfo;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Zoo;
import org.sepnet.tensor.Shape;

/**
 * A batch norm and the ReLU after it in the norm's passes (after a float convolution, and fused into a pattern
 * convolution): the same bits as the two layers run apart, which {@link NativeTrainingTest} checks against the
 * reference. Masking a value to 0 inside the sums gives the same float as the ReLU's backward pass writing 0.
 */
class NormReluFusionTest {
    @BeforeAll
    static void requireNative() {
        Assumptions.assumeTrue(BuildInfo.built("native.library"), () -> "native library not built: " + BuildInfo.skipReason("native"));
    }

    @Test
    void aFusedNormAndReluGiveTheSameBitsAsTheLayersApart() {
        Shape in = Shape.of(2, 11, 11);
        int batch = 5;
        Layer floatNet = Zoo.build("resnet20", 3, in, 7).graph();
        for (Layer model : new Layer[] {floatNet, Transforms.binarize(floatNet, Transforms.BinarizeOptions.all())}) {
            SplittableRandom r = new SplittableRandom(41);
            double[] x = new double[(int) (batch * in.size())];
            int[] labels = new int[batch];
            try (TrainingGraph fused = TrainingGraph.build(model, in, NativeBackend.instance(), batch, true);
                 TrainingGraph apart = TrainingGraph.build(model, in, NativeBackend.instance(), batch, false)) {
                for (int step = 0; step < 3; step++) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) (r.nextDouble() * 2 - 1);
                    }
                    for (int i = 0; i < batch; i++) {
                        labels[i] = r.nextInt(7);
                    }
                    String where = model.name() + " step " + step;
                    assertEquals(apart.step(x, labels, batch), fused.step(x, labels, batch), where);
                    assertArrayEquals(apart.inputGradient(), fused.inputGradient(), where + ": input gradient");
                    for (int p = 0; p < apart.parameters().size(); p++) {
                        Parameter a = apart.parameters().get(p);
                        Parameter f = fused.parameters().get(p);
                        if (a.grad() != null) {
                            assertArrayEquals(a.grad(), f.grad(), where + ": " + a.name());
                            for (int i = 0; i < a.value().length; i++) {  // a step of plain SGD on both
                                a.value()[i] -= 0.05 * a.grad()[i];
                                f.value()[i] -= 0.05 * f.grad()[i];
                            }
                        }
                    }
                    for (var e : apart.runningStatistics().entrySet()) {
                        assertArrayEquals(e.getValue()[0], fused.runningStatistics().get(e.getKey())[0], where + ": mean of " + e.getKey());
                        assertArrayEquals(e.getValue()[1], fused.runningStatistics().get(e.getKey())[1], where + ": var of " + e.getKey());
                    }
                    assertArrayEquals(apart.predict(x, batch), fused.predict(x, batch), where + ": inference");
                }
                // The ReLUs' own output and gradient buffers are gone.
                assertTrue(fused.memoryBytes() < apart.memoryBytes(), fused.memoryBytes() + " vs " + apart.memoryBytes());
            }
        }
    }
}
