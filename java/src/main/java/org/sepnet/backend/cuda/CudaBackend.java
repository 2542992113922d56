package org.sepnet.backend.cuda;

import java.util.List;
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
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * The CUDA backend: every op launches kernels from {@code cuda/} on the device's primary context,
 * on one stream per context. Convolutions (float, pattern, 1×1, group, fully connected, fused
 * residual block) run as implicit GEMMs, depthwise convolutions as direct kernels, the other layers
 * as element-wise, pooling and softmax kernels. Weights are uploaded once when an op is built; a
 * run launches kernels and allocates no device memory. Tensors from {@link #allocate} live in
 * device memory.
 *
 * <p>{@code -Dsepnet.cuda.sync=true} synchronizes after every launch so that an asynchronous error
 * names the kernel that caused it (the tests set it); {@code -Dsepnet.cuda.device=N} picks a device.
 */
public final class CudaBackend implements Backend {
    /** Name used by {@code -Dsepnet.backend}. */
    public static final String NAME = "cuda";

    private static volatile CudaBackend instance;

    private final CudaContext ctx;
    private final Availability availability;
    private final boolean syncAfterLaunch = Boolean.getBoolean("sepnet.cuda.sync");

    private CudaBackend(CudaContext.Probe probe) {
        this.ctx = probe.context();
        this.availability = probe.availability();
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
        return ctx;
    }

    @Override
    public boolean computesOnHost() {
        return false;
    }

    @Override
    public Tensor allocate(Shape shape) {
        return new CudaTensor(context(), shape);
    }

    /** Waits for all work queued on the device. */
    @Override
    public void synchronize() {
        context().makeCurrent();
        JCudaDriver.cuCtxSynchronize();
    }

    CudaTensor requireDevice(Tensor t, String what) {
        if (t instanceof CudaTensor c) {
            if (c.isClosed()) {
                throw new IllegalStateException(what + " tensor " + c.shape() + " is closed");
            }
            return c;
        }
        throw new IllegalArgumentException("the cuda backend computes on device tensors; " + what + " " + t.shape()
                + " lives at " + t.location() + ": allocate it with CudaBackend.allocate and copy into it");
    }

    void afterLaunch(String kernel, String problem) {
        if (syncAfterLaunch) {
            try {
                JCudaDriver.cuCtxSynchronize();
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
        CudaContext c = context();
        Checks.requirePrbWeights(d, pattern, pointwise);
        float[] bias = Checks.prbBias(pattern, pointwise);
        UnaryOp fused = CudaConvs.residualBlock(this, d, pattern, pointwise, bias, act);
        if (fused != null) {
            return fused;
        }
        // Neither branch's grouping divides the other's: one thread per output, both branches.
        DeviceArray[] weights = {DeviceArray.of(c, pattern.bits()), DeviceArray.of(c, pattern.alpha()),
                DeviceArray.of(c, pointwise.weights())};
        DeviceArray[] biasArray = {DeviceArray.ofNullable(c, bias)};
        return new CudaConvKernelOp(this, "sepnet_prb_conv2d", d.problem(), d.pattern(), s -> d.pattern().outputShape(s),
                weights, biasArray, d.pointwise().groups(), act == Activation.RELU ? 1 : 0);
    }

    @Override
    public UnaryOp conv2d(ConvDesc d, ConvWeights w, Activation act) {
        return CudaConvs.conv(this, d, w, act);
    }

    @Override
    public UnaryOp pointwiseConv2d(ConvDesc d, ConvWeights w, Activation act) {
        Checks.requirePointwise(d);
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
