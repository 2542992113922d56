package org.sepnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.sepnet.layers.Network;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import org.sepnet.testing.Data;
import org.sepnet.testing.RequiresGpu;

/** Executors (a stream each) and the pinned transfer buffers. Skipped, with the reason, without a GPU. */
@RequiresGpu
class CudaExecutorTest {
    @Test
    void copiesRoundTripThroughPinnedChunks() {
        CudaBackend gpu = CudaBackend.instance();
        long chunk = PinnedStaging.HALF_BYTES / Float.BYTES;
        // One float, a size that is no multiple of anything, and three chunks with a partial last one.
        for (int n : new int[] {1, 4099, (int) (2 * chunk + 17)}) {
            float[] v = Data.uniform(n, new SplittableRandom(n));
            try (Tensor t = gpu.allocate(Shape.of(n)); HostTensor h = HostTensor.allocate(n)) {
                t.copyFrom(v);
                assertArrayEquals(v, t.toArray(), "float[] round trip of " + n);
                t.copyTo(h);
                assertArrayEquals(v, h.toArray(), "to a host tensor, " + n);
                float[] w = Data.uniform(n, new SplittableRandom(n + 1));
                h.copyFrom(w);
                t.copyFrom(h);
                assertArrayEquals(w, t.toArray(), "from a host tensor, " + n);
            }
        }
        assertTrue(gpu.pinnedBytes() > 0 && gpu.pinnedBytes() <= 2 * PinnedStaging.HALF_BYTES, "pinned " + gpu.pinnedBytes());
        // Views of the first samples, on both sides.
        try (Tensor t = gpu.allocate(Shape.of(4, 300)); HostTensor h = HostTensor.allocate(4, 300)) {
            float[] v = Data.uniform(600, new SplittableRandom(3));
            HostTensor hv = h.narrowBatch(2);
            hv.copyFrom(v);
            t.narrowBatch(2).copyFrom(hv);
            float[] all = t.toArray();
            for (int i = 0; i < 1200; i++) {
                assertEquals(i < 600 ? v[i] : 0f, all[i], "element " + i);
            }
        }
    }

    @Test
    void executorsRunNetworksConcurrentlyWithTheSharedInstancesResults() throws Exception {
        Model m = Zoo.build("resnet20", 3);
        int batch = 4;
        float[] input = Data.uniform(batch * 3 * 32 * 32, new SplittableRandom(8));
        float[] expected;
        try (Network net = Network.compile(m.graph(), m.input(), CudaBackend.instance(), batch);
             Tensor x = CudaBackend.instance().allocate(Shape.nchw(batch, 3, 32, 32))) {
            x.copyFrom(input);
            expected = net.forward(x).toArray();
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                results.add(pool.submit(() -> {
                    try (CudaBackend exec = CudaBackend.instance().newExecutor();
                         Network net = Network.compile(m.graph(), m.input(), exec, batch);
                         Tensor x = exec.allocate(Shape.nchw(batch, 3, 32, 32))) {
                        assertTrue(exec.isExecutor());
                        x.copyFrom(input);
                        float[] last = null;
                        for (int i = 0; i < 20; i++) {
                            last = net.forward(x).toArray();
                        }
                        return last;
                    }
                }));
            }
            for (Future<float[]> f : results) {
                assertArrayEquals(expected, f.get(), "an executor's network differs from the shared instance's");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aClosedExecutorRefusesWorkAndTheInstanceStaysOpen() {
        ConvDesc d = ConvDesc.builder().channels(4, 4).input(5, 5).kernel(3).pad(1).build();
        CudaBackend exec = CudaBackend.instance().newExecutor();
        UnaryOp op = exec.patternConv2d(d, Data.pattern(4, 4, 3, 3, false, new SplittableRandom(9)), Activation.NONE);
        Tensor x = CudaBackend.instance().allocate(d.inputShape());
        Tensor y = CudaBackend.instance().allocate(d.outputShape());
        op.run(x, y);
        exec.close();
        exec.close();  // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> op.run(x, y));
        assertTrue(e.getMessage().contains("executor is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> exec.allocate(Shape.of(3)));
        op.close();
        CudaBackend.instance().close();  // a no-op for the shared instance
        assertFalse(CudaBackend.instance().isExecutor());
        try (UnaryOp live = CudaBackend.instance().patternConv2d(d, Data.pattern(4, 4, 3, 3, false, new SplittableRandom(9)),
                Activation.NONE)) {
            live.run(x, y);
            CudaBackend.instance().synchronize();
        }
        x.close();
        y.close();
    }
}
