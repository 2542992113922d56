package org.sepnet.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.sepnet.backend.Availability;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Checks;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * The CUDA backend: every op launches kernels from {@code cuda/} on the device's primary context.
 * Ops built by {@link #instance()} share one stream; {@link #newExecutor()} returns a backend with a
 * stream of its own, so that networks run by different threads overlap on the GPU. Convolutions (float, pattern, 1×1, group, fully connected, fused
 * residual block) run as implicit GEMMs, depthwise convolutions as direct kernels, the other layers
 * as element-wise, pooling and softmax kernels. Weights are uploaded once when an op is built; a
 * run launches kernels and allocates no device memory. Tensors from {@link #allocate} live in
 * device memory; {@link #allocateHost} gives page-locked host tensors, the fastest to copy from and to.
 *
 * <p>{@code -Dsepnet.cuda.sync=true} synchronizes after every launch so that an asynchronous error
 * names the kernel that caused it (the tests set it); {@code -Dsepnet.cuda.device=N} picks a device.
 */
public final class CudaBackend implements Backend, AutoCloseable {
    /** Name used by {@code -Dsepnet.backend}. */
    public static final String NAME = "cuda";

    private static volatile CudaBackend instance;

    private final CudaContext ctx;
    private final Availability availability;
    private final boolean syncAfterLaunch = Boolean.getBoolean("sepnet.cuda.sync");
    /** The stream this backend's ops launch on (null when unavailable). */
    private final CUstream stream;
    /** Whether this is an executor from {@link #newExecutor()} (it owns its stream). */
    private final boolean executor;
    /** An executor's stream: destroyed once the executor is closed and no op built on it is left. */
    private final Lifetime streamLife;

    private CudaBackend(CudaContext.Probe probe) {
        this.ctx = probe.context();
        this.availability = probe.availability();
        this.stream = ctx == null ? null : ctx.stream;
        this.executor = false;
        this.streamLife = null;
    }

    private CudaBackend(CudaContext ctx, Availability availability) {
        this.ctx = ctx;
        this.availability = availability;
        ctx.makeCurrent();
        CUstream s = new CUstream();
        JCudaDriver.cuStreamCreate(s, 0);  // blocking: ordered with the legacy default stream
        this.stream = s;
        this.executor = true;
        this.streamLife = new Lifetime(this, "CUDA executor", 0, () -> {
            ctx.makeCurrent();
            JCudaDriver.cuStreamSynchronize(s);
            JCudaDriver.cuStreamDestroy(s);
        });
    }

    /**
     * A backend on the same device with its own stream: one per thread that runs networks
     * concurrently. Its ops launch on its stream, {@link #synchronize()} waits for that stream only,
     * and {@link #close()} releases the stream once the ops and networks built on it are closed
     * too (they keep working until then). Tensors may be shared between executors; a tensor written on one
     * stream and read on another needs the writer's {@code synchronize()} in between.
     *
     * @throws IllegalStateException when the backend is unavailable
     */
    public CudaBackend newExecutor() {
        return new CudaBackend(context(), availability);
    }

    /** Whether this backend is an executor from {@link #newExecutor()}. */
    public boolean isExecutor() {
        return executor;
    }

    /** The backend; the GPU is probed once, on first use. */
    public static CudaBackend instance() {
        CudaBackend b = instance;
        if (b == null) {
            synchronized (CudaBackend.class) {
                b = instance;
                if (b == null) {
                    b = new CudaBackend(CudaContext.probe());
                    instance = b;
                }
            }
        }
        return b;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        return availability;
    }

    CudaContext context() {
        if (ctx == null) {
            throw new IllegalStateException("the CUDA backend is unavailable: " + availability.detail());
        }
        if (executor && streamLife.isClosed()) {
            throw new IllegalStateException("this CUDA executor (" + availability.detail() + ") is closed; build ops on an open"
                    + " one, such as CudaBackend.instance()");
        }
        return ctx;
    }

    /**
     * The lifetime of an op built on this backend: it keeps an executor's stream alive, and its
     * release frees {@code owned} (null entries allowed).
     */
    Lifetime opLifetime(Object op, List<DeviceArray> owned) {
        context();
        if (executor && !streamLife.retain()) {
            throw new IllegalStateException("this CUDA executor is closed");
        }
        List<DeviceArray> arrays = new java.util.ArrayList<>(owned);
        Lifetime stream = streamLife;
        return new Lifetime(op, "op", 0, () -> {
            for (DeviceArray a : arrays) {
                if (a != null) {
                    a.close();
                }
            }
            if (stream != null) {
                stream.exit();
            }
        });
    }

    /**
     * Launches through {@link org.sepnet.backend.Guard}: the op and the tensors are held open, an
     * output sharing memory with an input is refused.
     */
    void guarded(Lifetime op, String opName, CudaTensor[] inputs, CudaTensor output, Runnable launch) {
        Lifetime[] lifetimes = new Lifetime[inputs.length + 1];
        Shape[] shapes = new Shape[inputs.length + 1];
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].overlaps(output)) {
                throw org.sepnet.backend.Guard.aliased(opName, i, inputs.length, inputs[i].shape());
            }
            lifetimes[i] = inputs[i].lifetime();
            shapes[i] = inputs[i].shape();
        }
        lifetimes[inputs.length] = output.lifetime();
        shapes[inputs.length] = output.shape();
        org.sepnet.backend.Guard.run(op, opName, lifetimes, shapes, launch);
    }

    /** Launches {@code function} on this backend's stream with a 1-D block (see {@link CudaContext#launch}). */
    void launch(CUfunction function, int gridX, int gridY, int block, Pointer... args) {
        launch(function, gridX, gridY, 1, block, 1, 0, args);
    }

    /** Launches {@code function} on this backend's stream with a 3-D grid, 2-D block and dynamic shared memory. */
    void launch(CUfunction function, int gridX, int gridY, int gridZ, int blockX, int blockY, int sharedBytes, Pointer... args) {
        // Only ops launch, and an op holds its executor's stream open: no closed check here.
        ctx.launch(stream, function, gridX, gridY, gridZ, blockX, blockY, sharedBytes, args);
    }

    /**
     * A zero-filled host tensor in page-locked (pinned) memory: copies between it and device tensors
     * run as direct DMA instead of being staged by the driver through its own pinned buffer. Page-
     * locked memory is a scarce system resource: use it for the tensors that travel every batch (a
     * network's input and output), and close it when done.
     *
     * @throws IllegalStateException when the backend is unavailable
     */
    public HostTensor allocateHost(Shape shape) {
        CudaContext c = context();
        long bytes = shape.size() * Float.BYTES;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a page-locked tensor of " + shape.size() + " floats is too large; at most "
                    + Integer.MAX_VALUE / Float.BYTES);
        }
        c.makeCurrent();
        Pointer p = new Pointer();
        JCudaDriver.cuMemAllocHost(p, Math.max(bytes, 4));
        ByteBuffer memory = p.getByteBuffer(0, Math.max(bytes, 4)).order(ByteOrder.nativeOrder());
        HostTensor t = HostTensor.wrap(shape, memory, () -> {
            c.makeCurrent();
            JCudaDriver.cuMemFreeHost(p);
        });
        t.copyFrom(new float[(int) shape.size()]);
        return t;
    }

    @Override
    public boolean computesOnHost() {
        return false;
    }

    @Override
    public Tensor allocate(Shape shape) {
        return new CudaTensor(context(), shape);
    }

    /**
     * Waits for the work queued by this backend's ops: an executor's stream, or (for the shared
     * instance) all work on the device.
     */
    @Override
    public org.sepnet.backend.TrainOps trainOps() {
        context();  // unavailable: the reason
        return new CudaTrainOps(this);
    }

    @Override
    public void synchronize() {
        if (ctx == null) {
            throw new IllegalStateException("the CUDA backend is unavailable: " + availability.detail());
        }
        ctx.makeCurrent();
        if (!executor) {
            JCudaDriver.cuCtxSynchronize();
        } else if (streamLife.hold()) {  // else released: the release waited for the stream
            try {
                JCudaDriver.cuStreamSynchronize(stream);
            } finally {
                streamLife.exit();
            }
        }
    }

    /**
     * An executor: refuses to build ops from now on, and releases its stream (after waiting for it)
     * once the ops built on it are closed too. The shared {@link #instance()}: nothing (it lives as
     * long as the process). Idempotent.
     */
    @Override
    public void close() {
        if (executor) {
            streamLife.close();
        }
    }

    CudaTensor requireDevice(Tensor t, String what) {
        if (t instanceof CudaTensor c) {
            if (c.isClosed()) {
                throw new IllegalStateException(what + " tensor " + c.shape() + " is closed");
            }
            if (c.ordinal() != ctx.ordinal) {
                throw new IllegalArgumentException(what + " tensor " + c.shape() + " lives at " + c.location()
                        + "; this backend computes on cuda:" + ctx.ordinal);
            }
            return c;
        }
        throw new IllegalArgumentException("the cuda backend computes on device tensors; " + what + " " + t.shape()
                + " lives at " + t.location() + ": allocate it with CudaBackend.allocate and copy into it");
    }

    void afterLaunch(String kernel, String problem) {
        if (syncAfterLaunch) {
            try {
                JCudaDriver.cuStreamSynchronize(stream);
            } catch (RuntimeException e) {
                throw new IllegalStateException("kernel " + kernel + " failed on " + problem + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public UnaryOp patternConv2d(ConvDesc d, PatternWeights w, Activation act) {
        return CudaConvs.pattern(this, d, w, act);
    }

    @Override
    public UnaryOp patternResidualBlock(PrbDesc d, PatternWeights pattern, ConvWeights pointwise, Activation act) {
        context();
        Checks.requirePrbWeights(d, pattern, pointwise);
        float[] bias = Checks.prbBias(pattern, pointwise);
        UnaryOp fused = CudaConvs.residualBlock(this, d, pattern, pointwise, bias, act);
        if (fused != null) {
            return fused;
        }
        return CudaConvs.residualBlockDirect(this, d, pattern, pointwise, bias, act);
    }

    @Override
    public UnaryOp conv2d(ConvDesc d, ConvWeights w, Activation act) {
        return CudaConvs.conv(this, d, w, act);
    }

    @Override
    public UnaryOp batchNorm(Shape maxShape, BatchNormParams params, Activation act) {
        return CudaLayers.batchNorm(this, maxShape, params, act);
    }

    @Override
    public UnaryOp activation(Shape maxShape, Activation act) {
        return CudaLayers.activation(this, maxShape, act);
    }

    @Override
    public BinaryOp add(Shape maxShape, Activation act) {
        return CudaLayers.add(this, maxShape, act);
    }

    @Override
    public ConcatOp concat(List<Shape> maxInputShapes) {
        return CudaLayers.concat(this, maxInputShapes);
    }

    @Override
    public UnaryOp pool(PoolDesc d) {
        return CudaLayers.pool(this, d);
    }

    @Override
    public UnaryOp fullyConnected(FcDesc d, ConvWeights w, Activation act) {
        return CudaConvs.fullyConnected(this, d, w, act);
    }

    @Override
    public UnaryOp softmax(Shape maxShape) {
        return CudaLayers.softmax(this, maxShape);
    }
}
