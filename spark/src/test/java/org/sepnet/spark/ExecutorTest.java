package org.sepnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.cuda.CudaBackend;

/** What runs where on an executor: the backend for a task's GPU assignment, the executor's cores, the JVM flags. */
class ExecutorTest {
    @Test
    void withoutAnAssignedGpuTasksRunNative() {
        ExecutorPredictors.Choice c = ExecutorPredictors.choose("auto", List.of());
        assertEquals("native", c.backend());
        assertEquals("no GPU assigned by Spark", c.why());
        assertEquals("reference", ExecutorPredictors.choose("reference", List.of("0")).backend());
    }

    @Test
    void anAssignedGpuWithoutCudaFallsBackToNativeSayingWhy() {
        assumeFalse(CudaBackend.instance().availability().available(), "CUDA is available here: the GPU test covers it");
        ExecutorPredictors.Choice c = ExecutorPredictors.choose("auto", List.of("0"));
        assertEquals("native", c.backend());
        assertTrue(c.why().startsWith("GPU 0 assigned by Spark but CUDA is unavailable: "), c.why());
        ExecutorPredictors.Choice odd = ExecutorPredictors.choose("auto", List.of("gpu-a"));
        assertTrue(odd.why().startsWith("GPU address 'gpu-a' assigned by Spark is not a CUDA device ordinal"), odd.why());
    }

    @Test
    void executorCoresComeFromTheConfOrTheLocalMaster() {
        assertEquals(3, ExecutorPredictors.executorCores(new SparkConf(false).set("spark.executor.cores", "3").set("spark.master", "local[8]")));
        assertEquals(1, ExecutorPredictors.executorCores(new SparkConf(false).set("spark.master", "local")));
        assertEquals(2, ExecutorPredictors.executorCores(new SparkConf(false).set("spark.master", "local[2]")));
        assertEquals(4, ExecutorPredictors.executorCores(new SparkConf(false).set("spark.master", "local[4,3]")));
        int all = Runtime.getRuntime().availableProcessors();
        assertEquals(all, ExecutorPredictors.executorCores(new SparkConf(false).set("spark.master", "local[*]")));
        assertEquals(all, ExecutorPredictors.executorCores(new SparkConf(false).set("spark.master", "yarn")));
    }

    /** The surefire configuration's JVM flags (spark.jvm.options in the pom) must still cover this Spark's own list. */
    @Test
    void theTestJvmHasSparksModuleOptions() {
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String o : JavaModuleOptions.defaultModuleOptionArray()) {
            assertTrue(args.contains(o), "spark/pom.xml's spark.jvm.options lacks " + o + " (Spark's JavaModuleOptions)");
        }
    }
}
