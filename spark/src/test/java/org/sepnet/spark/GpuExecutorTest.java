package org.sepnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.sepnet.io.ModelFile;
import org.sepnet.io.Pretrained;
import org.sepnet.predict.Predictor;
import org.sepnet.testing.RequiresGpu;
import org.sepnet.testing.Seeds;

/** A task given GPU 0 by Spark classifies on it, and agrees with the native backend. */
@RequiresGpu
class GpuExecutorTest {
    @Test
    void anAssignedGpuRunsCudaAndAgreesWithNative() throws Exception {
        ExecutorPredictors.Choice c = ExecutorPredictors.choose("auto", List.of("0"));
        assertEquals("cuda", c.backend(), c.why());
        assertEquals("GPU 0 assigned by Spark", c.why());
        byte[] model = ModelFile.encode(Pretrained.load(SepnetClassifierTest.MODEL));
        byte[] px = LocalSpark.grayImages(Seeds.of("gpu"), 32, 28, 28);
        float[] x = new float[px.length];
        for (int i = 0; i < px.length; i++) {
            x[i] = (px[i] & 0xFF) / 255f;
        }
        try (ExecutorPredictors.Lease lease = ExecutorPredictors.acquire("gpu-test", "m", () -> model,
                new ExecutorPredictors.Settings("auto", 0, 16), List.of("0"), new SparkConf(false).set("spark.master", "local[2]"));
             Predictor nat = Predictor.builder().model(SepnetClassifierTest.MODEL).backend("native").build()) {
            assertEquals("cuda", lease.predictor().backend());
            float[] g = lease.predictor().logits(x, 32);
            float[] n = nat.logits(x, 32);
            for (int i = 0; i < g.length; i++) {
                // The GPU sums in another order: 1e-3 of the logit range covers float rounding over ResNet-20's depth.
                assertEquals(n[i], g[i], 1e-3 * (1 + Math.abs(n[i])), "logit " + i + " " + Seeds.replay("gpu"));
            }
        }
    }
}
