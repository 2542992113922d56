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
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import org.sepnet.testing.Data;
import org.sepnet.testing.RequiresGpu;

/** Executors (a stream each) and the pinned transfer buffers. Skipped, with the reason, without a GPU. */
@RequiresGpu
class CudaExecutorTest {
    @Test
    void pageLockedHostTensorsRoundTrip() {
        CudaBackend gpu = CudaBackend.instance();
        for (int n : new int[] {1, 4099, 3 << 20}) {
            float[] v = Data.uniform(n, new SplittableRandom(n));
            try (Tensor t = gpu.allocate(Shape.of(n)); HostTensor pinned = gpu.allocateHost(Shape.of(n));
                 HostTensor back = gpu.allocateHost(Shape.of(n))) {
                assertArrayEquals(new float[n], pinned.toArray(), "allocateHost zero-fills");
                pinned.copyFrom(v);
                t.copyFrom(pinned);
                t.copyTo(back);
                assertArrayEquals(v, back.toArray(), "round trip of " + n);
                HostTensor view = back.narrowBatch(1);
                t.narrowBatch(1).copyTo(view);
                assertEquals(v[0], view.get(0));
            }
        }
        HostTensor closed = gpu.allocateHost(Shape.of(2, 3));
        closed.close();
        closed.close();  // freed once
        assertThrows(IllegalStateException.class, () -> closed.get(0));
        // A network reads its input from and writes its output to page-locked tensors.
        Model m = Zoo.build("resnet20", 2);
        try (Network net = Network.compile(m.graph(), m.input(), gpu, 2);
             Network ref = Network.compile(m.graph(), m.input(), org.sepnet.backend.reference.ReferenceBackend.instance(), 2);
             HostTensor x = gpu.allocateHost(Shape.nchw(2, 3, 32, 32)); HostTensor y = gpu.allocateHost(Shape.of(2, 10));
             HostTensor yRef = HostTensor.allocate(2, 10)) {
            x.copyFrom(Data.uniform(2 * 3 * 32 * 32, new SplittableRandom(4)));
            net.forward(x, y);
            ref.forward(x, yRef);
            float[] a = y.toArray();
            float[] b = yRef.toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-3 * Math.max(1, Math.abs(b[i])), "output " + i);
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

    /** Ops outlive their closed executor (they hold its stream), the executor refuses new work, outputs may not alias inputs. */
    @Test
    void aClosedExecutorRefusesNewWorkWhileItsOpsRunAndTheInstanceStaysOpen() {
        ConvDesc d = ConvDesc.builder().channels(4, 4).input(5, 5).kernel(3).pad(1).build();
        CudaBackend exec = CudaBackend.instance().newExecutor();
        UnaryOp op = exec.patternConv2d(d, Data.pattern(4, 4, 3, 3, false, new SplittableRandom(9)), Activation.NONE);
        Tensor x = CudaBackend.instance().allocate(d.inputShape());
        Tensor y = CudaBackend.instance().allocate(d.outputShape());
        x.copyFrom(Data.uniform((int) d.inputShape().size(), new SplittableRandom(10)));
        op.run(x, y);
        float[] before = y.toArray();
        IllegalArgumentException aliased = assertThrows(IllegalArgumentException.class, () -> op.run(x, x));
        assertTrue(aliased.getMessage().contains("shares memory with its input"), aliased.getMessage());
        exec.close();
        exec.close();  // idempotent
        op.run(x, y);  // the op keeps the executor's stream alive
        exec.synchronize();
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, y.toArray());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> exec.patternConv2d(d,
                Data.pattern(4, 4, 3, 3, false, new SplittableRandom(9)), Activation.NONE));
        assertTrue(e.getMessage().contains("executor") && e.getMessage().contains("is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> exec.allocate(Shape.of(3)));
        op.close();  // the last user: the stream is destroyed now
        assertThrows(IllegalStateException.class, () -> op.run(x, y));
        exec.synchronize();  // nothing left to wait for: returns
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
