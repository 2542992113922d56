package org.sepnet.backend.cuda;

import java.util.List;
import jcuda.driver.CUfunction;
import org.sepnet.backend.Checks;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/** Builds the CUDA backend's non-convolution ops, the kernels of {@code cuda/layers.cu}. */
final class CudaLayers {
    private CudaLayers() {}

    static final int BLOCK = 256;

    static UnaryOp batchNorm(CudaBackend backend, Shape maxShape, BatchNormParams p, Activation act) {
        if (maxShape.rank() < 2 || maxShape.dim(1) != p.channels()) {
            throw new IllegalArgumentException("batch norm of " + p.channels() + " channels cannot take shape " + maxShape
                    + "; expected [n, " + p.channels() + ", ...]");
        }
        CudaContext c = backend.context();
        double[] scale = p.scale();
        double[] shift = p.shift();
        float[] s = new float[scale.length];
        float[] t = new float[shift.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) scale[i];
            t[i] = (float) shift[i];
        }
        DeviceArray ds = DeviceArray.of(c, s);
        DeviceArray dt = DeviceArray.of(c, t);
        int channels = p.channels();
        int inner = (int) (maxShape.size() / maxShape.dim(0) / channels);
        int relu = act == Activation.RELU ? 1 : 0;
        CUfunction f = c.function("sepnet_scale_shift");
        return new CudaKernelOp(backend, "scale_shift", "batchnorm_" + maxShape.toDimsString(), in -> Checks.sameShape(maxShape, in),
                List.of(ds, dt), (in, out) -> {
                    long count = in.shape().size();
                    backend.launch(f, Args.gridFor(count, BLOCK), 1, BLOCK, Args.of(in), Args.of(ds), Args.of(dt), Args.of(out),
                            Args.i32((int) count), Args.i32(channels), Args.i32(inner), Args.i32(relu));
                });
    }

    static UnaryOp activation(CudaBackend backend, Shape maxShape, Activation act) {
        CudaContext c = backend.context();
        CUfunction f = c.function("sepnet_activation");
        int relu = act == Activation.RELU ? 1 : 0;
        return new CudaKernelOp(backend, "activation", act.name().toLowerCase() + "_" + maxShape.toDimsString(),
                in -> Checks.sameShape(maxShape, in), List.of(), (in, out) -> {
                    long count = in.shape().size();
                    backend.launch(f, Args.gridFor(count, BLOCK), 1, BLOCK, Args.of(in), Args.of(out), Args.i32((int) count), Args.i32(relu));
                });
    }

    static UnaryOp pool(CudaBackend backend, PoolDesc d) {
        CudaContext c = backend.context();
        if (d.global()) {
            CUfunction f = c.function("sepnet_global_pool");
            int hw = d.inHeight() * d.inWidth();
            int max = d.kind() == PoolDesc.Kind.MAX ? 1 : 0;
            return new CudaKernelOp(backend, "global_pool", d.problem(), d::outputShape, List.of(), (in, out) -> {
                long planes = (long) in.shape().dim(0) * d.channels();
                int warpsPerBlock = BLOCK / 32;
                backend.launch(f, Math.toIntExact((planes + warpsPerBlock - 1) / warpsPerBlock), 1, BLOCK, Args.of(in), Args.of(out),
                        Args.i32((int) planes), Args.i32(hw), Args.i32(max));
            });
        }
        CUfunction f = c.function("sepnet_pool");
        return new CudaKernelOp(backend, "pool", d.problem(), d::outputShape, List.of(), (in, out) -> {
            int[] p = {in.shape().dim(0), d.channels(), d.inHeight(), d.inWidth(), d.kernelHeight(), d.kernelWidth(),
                    d.strideHeight(), d.strideWidth(), d.padHeight(), d.padWidth(), d.outHeight(), d.outWidth(),
                    d.kind() == PoolDesc.Kind.MAX ? 1 : 0, d.countIncludePad() ? 1 : 0};
            backend.launch(f, Args.gridFor(out.shape().size(), BLOCK), 1, BLOCK, Args.of(in), Args.of(out), Args.struct(p));
        });
    }

    static UnaryOp softmax(CudaBackend backend, Shape maxShape) {
        CudaContext c = backend.context();
        CUfunction f = c.function("sepnet_softmax");
        int classes = (int) (maxShape.size() / maxShape.dim(0));
        return new CudaKernelOp(backend, "softmax", "softmax_" + maxShape.toDimsString(), in -> Checks.sameShape(maxShape, in),
                List.of(), (in, out) -> backend.launch(f, in.shape().dim(0), 1, BLOCK, Args.of(in), Args.of(out), Args.i32(classes)));
    }

    static BinaryOp add(CudaBackend backend, Shape maxShape, Activation act) {
        CudaContext c = backend.context();
        CUfunction f = c.function("sepnet_add");
        int relu = act == Activation.RELU ? 1 : 0;
        String problem = "add_" + maxShape.toDimsString();
        String label = "cuda:add " + problem;
        return new BinaryOp() {
            private final Lifetime lifetime = backend.opLifetime(this, List.of());

            @Override
            public String problem() {
                return problem;
            }

            @Override
            public String implementation() {
                return "cuda:add";
            }

            @Override
            public void run(Tensor a, Tensor b, Tensor output) {
                if (lifetime.isClosed()) {
                    throw new IllegalStateException("op cuda:add " + problem + " is closed");
                }
                CudaTensor da = backend.requireDevice(a, "first input");
                CudaTensor db = backend.requireDevice(b, "second input");
                CudaTensor dout = backend.requireDevice(output, "output");
                Checks.requireFits(maxShape, da.shape(), "first input");
                Checks.requireShape(da.shape(), db.shape(), "second input");
                Checks.requireShape(da.shape(), dout.shape(), "output");
                long count = da.shape().size();
                backend.guarded(lifetime, label, new CudaTensor[] {da, db}, dout, () -> {
                    backend.launch(f, Args.gridFor(count, BLOCK), 1, BLOCK, Args.of(da), Args.of(db), Args.of(dout),
                            Args.i32((int) count), Args.i32(relu));
                    backend.afterLaunch("add", problem);
                });
            }

            @Override
            public void close() {
                lifetime.close();
            }
        };
    }

    static ConcatOp concat(CudaBackend backend, List<Shape> maxInputShapes) {
        CudaContext c = backend.context();
        CUfunction f = c.function("sepnet_copy_channels");
        List<Shape> maxInputs = List.copyOf(maxInputShapes);
        Shape maxOutput = Checks.concatOutput(maxInputs);
        StringBuilder sb = new StringBuilder("concat_n" + maxOutput.n());
        for (Shape in : maxInputs) {
            sb.append("_c").append(in.c());
        }
        String problem = sb.append("_h").append(maxOutput.h()).append("w").append(maxOutput.w()).toString();
        String label = "cuda:copy_channels " + problem;
        return new ConcatOp() {
            private final Lifetime lifetime = backend.opLifetime(this, List.of());

            @Override
            public String problem() {
                return problem;
            }

            @Override
            public String implementation() {
                return "cuda:copy_channels";
            }

            @Override
            public void run(List<? extends Tensor> inputs, Tensor output) {
                if (lifetime.isClosed()) {
                    throw new IllegalStateException("op cuda:copy_channels " + problem + " is closed");
                }
                if (inputs.size() != maxInputs.size()) {
                    throw new IllegalArgumentException("concat got " + inputs.size() + " inputs; expected " + maxInputs.size());
                }
                CudaTensor out = backend.requireDevice(output, "output");
                Checks.requireFits(maxOutput, out.shape(), "output");
                int batch = out.shape().n();
                int plane = maxOutput.h() * maxOutput.w();
                int dstBlock = maxOutput.c() * plane;
                CudaTensor[] ins = new CudaTensor[inputs.size()];
                for (int i = 0; i < ins.length; i++) {
                    ins[i] = backend.requireDevice(inputs.get(i), "input " + i);
                    Checks.requireShape(maxInputs.get(i).withDim0(batch), ins[i].shape(), "concat input " + i);
                }
                backend.guarded(lifetime, label, ins, out, () -> {
                    int offset = 0;
                    for (CudaTensor in : ins) {
                        int block = in.shape().c() * plane;
                        long count = (long) batch * block;
                        backend.launch(f, Args.gridFor(count, BLOCK), 1, BLOCK, Args.of(in), Args.of(out), Args.i32((int) count),
                                Args.i32(block), Args.i32(dstBlock), Args.i32(offset));
                        offset += block;
                    }
                    backend.afterLaunch("copy_channels", problem);
                });
            }

            @Override
            public void close() {
                lifetime.close();
            }
        };
    }
}
