package org.sepnet.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import org.sepnet.backend.TrainOps;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.Tensor;

/**
 * The CUDA backend's training kernels ({@code cuda/train.cu}) on its stream. Weights travel to the
 * device with each call and gradients come back to the host (the backend synchronizes first):
 * they are small next to the activations, which stay on the device.
 */
final class CudaTrainOps implements TrainOps {
    private static final int BLOCK = CudaLayers.BLOCK;
    private final CudaBackend backend;
    private final CudaContext c;

    CudaTrainOps(CudaBackend backend) {
        this.backend = backend;
        this.c = backend.context();
    }

    private CUfunction f(String name) {
        return c.function(name);
    }

    private CudaTensor dev(Tensor t, long least, String what) {
        CudaTensor d = backend.requireDevice(t, what);
        if (d.shape().size() < least) {
            throw new IllegalArgumentException(what + " holds " + d.shape().size() + " values; expected at least " + least);
        }
        return d;
    }

    private static Pointer i32(long v) {
        return Args.i32(Math.toIntExact(v));
    }

    private void elementwise(String kernel, long count, Pointer... args) {
        backend.launch(f(kernel), Args.gridFor(count, BLOCK), 1, BLOCK, args);
    }

    @Override
    public ConvTrainer conv(ConvDesc d) {
        return new ConvTrainer() {
            private int[] params(int batch) {
                if (batch < 1 || batch > d.batch()) {
                    throw new IllegalArgumentException("batch " + batch + "; expected 1 to " + d.batch());
                }
                return CudaConvs.params(d, batch);
            }

            private long in(int batch) {
                return (long) batch * d.inChannels() * d.inHeight() * d.inWidth();
            }

            private long out(int batch) {
                return (long) batch * d.outChannels() * d.outHeight() * d.outWidth();
            }

            @Override
            public void forward(Tensor x, float[] w, float[] bias, Tensor y, int batch) {
                int[] p = params(batch);
                try (DeviceArray dw = DeviceArray.of(c, w); DeviceArray db = DeviceArray.ofNullable(c, bias)) {
                    elementwise("sepnet_conv_train_forward", out(batch), Args.of(dev(x, in(batch), "x")), Args.of(dw), Args.of(db),
                            Args.of(dev(y, out(batch), "y")), Args.struct(p));
                    backend.synchronize();  // before the weights are freed
                }
            }

            @Override
            public void backwardData(Tensor dy, float[] w, Tensor dx, int batch) {
                int[] p = params(batch);
                try (DeviceArray dw = DeviceArray.of(c, w)) {
                    elementwise("sepnet_conv_backward_data", in(batch), Args.of(dev(dy, out(batch), "dy")), Args.of(dw),
                            Args.of(dev(dx, in(batch), "dx")), Args.struct(p));
                    backend.synchronize();
                }
            }

            @Override
            public void backwardWeights(Tensor x, Tensor dy, float[] dw, float[] db, int batch) {
                int[] p = params(batch);
                CudaTensor dx = dev(x, in(batch), "x");
                CudaTensor ddy = dev(dy, out(batch), "dy");
                try (DeviceArray gw = DeviceArray.floats(c, dw.length);
                     DeviceArray gb = db == null ? null : DeviceArray.floats(c, db.length)) {
                    backend.launch(f("sepnet_conv_backward_weights"), dw.length, 1, BLOCK, Args.of(dx), Args.of(ddy), Args.of(gw),
                            Args.struct(p));
                    if (gb != null) {
                        backend.launch(f("sepnet_conv_backward_bias"), db.length, 1, BLOCK, Args.of(ddy), Args.of(gb), Args.i32(batch),
                                Args.i32(d.outChannels()), Args.i32(d.outHeight() * d.outWidth()));
                    }
                    backend.synchronize();
                    gw.copyTo(dw);
                    if (gb != null) {
                        gb.copyTo(db);
                    }
                }
            }

            @Override
            public long bytes() {
                return 0;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public void poolBackward(PoolDesc d, Tensor x, Tensor dy, Tensor dx, int batch) {
        int[] p = {batch, d.channels(), d.inHeight(), d.inWidth(), d.kernelHeight(), d.kernelWidth(), d.strideHeight(), d.strideWidth(),
                d.padHeight(), d.padWidth(), d.outHeight(), d.outWidth(), d.kind() == PoolDesc.Kind.MAX ? 1 : 0,
                d.countIncludePad() ? 1 : 0};
        long in = (long) batch * d.channels() * d.inHeight() * d.inWidth();
        long out = (long) batch * d.channels() * d.outHeight() * d.outWidth();
        elementwise("sepnet_pool_backward", in, Args.of(dev(x, in, "x")), Args.of(dev(dy, out, "dy")), Args.of(dev(dx, in, "dx")),
                Args.struct(p));
    }

    @Override
    public void channelSums(Tensor a, Tensor b, float[] shift, int batch, int channels, long inner, double[] sumA, double[] sumAb) {
        long n = batch * channels * inner;
        try (DeviceArray s = DeviceArray.ofNullable(c, shift); DeviceArray ra = DeviceArray.doubles(c, channels);
             DeviceArray rab = DeviceArray.doubles(c, channels)) {
            backend.launch(f("sepnet_channel_sums"), channels, 1, BLOCK, Args.of(dev(a, n, "a")),
                    b == null ? Args.none() : Args.of(dev(b, n, "b")), Args.of(s), Args.of(ra), Args.of(rab), Args.i32(batch),
                    Args.i32(channels), i32(inner));
            backend.synchronize();
            ra.copyTo(sumA);
            if (b != null) {
                rab.copyTo(sumAb);
            }
        }
    }

    @Override
    public void channelAffine(Tensor a, Tensor b, float[] scaleA, float[] scaleB, float[] shift, Tensor y, int batch, int channels,
                              long inner) {
        long n = batch * channels * inner;
        try (DeviceArray da = DeviceArray.ofNullable(c, scaleA); DeviceArray db = DeviceArray.ofNullable(c, scaleB);
             DeviceArray dc = DeviceArray.ofNullable(c, shift)) {
            elementwise("sepnet_channel_affine", n, Args.of(dev(a, n, "a")), b == null ? Args.none() : Args.of(dev(b, n, "b")),
                    Args.of(da), Args.of(db), Args.of(dc), Args.of(dev(y, n, "y")), i32(n), Args.i32(channels), i32(inner));
            backend.synchronize();
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor y, long count, boolean relu) {
        elementwise("sepnet_add", count, Args.of(dev(a, count, "a")), Args.of(dev(b, count, "b")), Args.of(dev(y, count, "y")),
                i32(count), Args.i32(relu ? 1 : 0));
    }

    @Override
    public void relu(Tensor x, Tensor y, long count) {
        elementwise("sepnet_activation", count, Args.of(dev(x, count, "x")), Args.of(dev(y, count, "y")), i32(count), Args.i32(1));
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx, long count) {
        elementwise("sepnet_relu_backward", count, Args.of(dev(y, count, "y")), Args.of(dev(dy, count, "dy")),
                Args.of(dev(dx, count, "dx")), i32(count));
    }

    @Override
    public void fcForward(Tensor x, float[] weights, float[] bias, Tensor y, int batch, int in, int out) {
        try (DeviceArray w = DeviceArray.of(c, weights); DeviceArray b = DeviceArray.ofNullable(c, bias)) {
            elementwise("sepnet_fc_train_forward", (long) batch * out, Args.of(dev(x, (long) batch * in, "x")), Args.of(w), Args.of(b),
                    Args.of(dev(y, (long) batch * out, "y")), Args.i32(batch), Args.i32(in), Args.i32(out));
            backend.synchronize();
        }
    }

    @Override
    public void fcBackward(Tensor x, float[] weights, Tensor dy, Tensor dx, float[] dw, float[] db, int batch, int in, int out) {
        CudaTensor ddy = dev(dy, (long) batch * out, "dy");
        try (DeviceArray w = DeviceArray.of(c, weights); DeviceArray gw = DeviceArray.floats(c, dw.length);
             DeviceArray gb = db == null ? null : DeviceArray.floats(c, db.length)) {
            if (dx != null) {
                elementwise("sepnet_fc_backward_data", (long) batch * in, Args.of(ddy), Args.of(w), Args.of(dev(dx, (long) batch * in, "dx")),
                        Args.i32(batch), Args.i32(in), Args.i32(out));
            }
            elementwise("sepnet_fc_backward_weights", (long) out * in + (db == null ? 0 : out), Args.of(dev(x, (long) batch * in, "x")),
                    Args.of(ddy), Args.of(gw), Args.of(gb), Args.i32(batch), Args.i32(in), Args.i32(out));
            backend.synchronize();
            gw.copyTo(dw);
            if (gb != null) {
                gb.copyTo(db);
            }
        }
    }

    @Override
    public void copyBlocks(Tensor src, long srcBlock, long srcOffset, Tensor dst, long dstBlock, long dstOffset, long length, int count) {
        CudaTensor s = dev(src, (count - 1) * srcBlock + srcOffset + length, "source");
        CudaTensor d = dev(dst, (count - 1) * dstBlock + dstOffset + length, "destination");
        elementwise("sepnet_copy_blocks", count * length, Args.of(s), Args.of(d), Args.i32(count), i32(length), i32(srcBlock),
                i32(srcOffset), i32(dstBlock), i32(dstOffset));
    }

    @Override
    public void close() {}
}
