package org.sepnet.backend.cpu;

import java.nio.FloatBuffer;
import org.sepnet.backend.TrainOps;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Tensor;

/**
 * The native backend's training kernels ({@code native/src/train_ops.h}): one context handle of
 * its own, released by {@link #close()} (or by the collector) once no call runs.
 */
final class NativeTrainOps implements TrainOps {
    private final long ctx;
    private final Lifetime lifetime;

    NativeTrainOps(long ctx) {
        this.ctx = ctx;
        this.lifetime = new Lifetime(this, "native training kernels", 0, () -> NativeKernels.sepnet_context_destroy(ctx));
    }

    private static FloatBuffer buf(Tensor t, long least, String what) {
        if (!(t instanceof HostTensor h)) {
            throw new IllegalArgumentException(what + " is a " + t.location() + " tensor; expected a host tensor of the native backend");
        }
        if (h.size() < least) {
            throw new IllegalArgumentException(what + " holds " + h.size() + " values; expected at least " + least);
        }
        return h.buffer();
    }

    private static void check(int status, String kernel) {
        NativeBackend.check(status, kernel, "a training step");
    }

    private void enter() {
        lifetime.enterOrThrow("native training kernels");
    }

    @Override
    public ConvTrainer conv(ConvDesc d) {
        enter();
        long h;
        try {
            h = NativeKernels.sepnet_conv_train_create(ctx, NativeBackend.problem(d));
        } finally {
            lifetime.exit();
        }
        if (h == 0) {
            throw new IllegalStateException("native convolution trainer for " + d.problem() + ": " + NativeKernels.sepnet_last_error());
        }
        return new Trainer(h, d);
    }

    @Override
    public void poolBackward(PoolDesc d, Tensor x, Tensor dy, Tensor dx, int batch) {
        int[] g = {d.batch(), d.channels(), d.inHeight(), d.inWidth(), d.kernelHeight(), d.kernelWidth(), d.strideHeight(),
                d.strideWidth(), d.padHeight(), d.padWidth(), d.outHeight(), d.outWidth()};
        long in = (long) batch * d.channels() * d.inHeight() * d.inWidth();
        long out = (long) batch * d.channels() * d.outHeight() * d.outWidth();
        enter();
        try {
            check(NativeKernels.sepnet_pool_backward(ctx, d.kind() == PoolDesc.Kind.MAX ? 1 : 0, g, d.countIncludePad() ? 1 : 0,
                    buf(x, in, "x"), buf(dy, out, "dy"), buf(dx, in, "dx"), batch), "pool_backward");
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void channelSums(Tensor a, Tensor b, float[] shift, int batch, int channels, long inner, double[] sumA, double[] sumAb) {
        channelSums(a, null, b, shift, batch, channels, inner, sumA, sumAb);
    }

    @Override
    public boolean fusesRelu() {
        return true;
    }

    @Override
    public void channelSums(Tensor a, Tensor mask, Tensor b, float[] shift, int batch, int channels, long inner, double[] sumA,
                            double[] sumAb) {
        long n = batch * channels * inner;
        enter();
        try {
            check(NativeKernels.sepnet_channel_sums(ctx, buf(a, n, "a"), mask == null ? null : buf(mask, n, "mask"),
                    b == null ? null : buf(b, n, "b"), shift, batch, channels, inner, sumA, sumAb), "channel_sums");
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void channelAffine(Tensor a, Tensor b, float[] scaleA, float[] scaleB, float[] shift, Tensor y, int batch, int channels,
                              long inner) {
        channelAffine(a, null, b, scaleA, scaleB, shift, false, y, batch, channels, inner);
    }

    @Override
    public void channelAffine(Tensor a, Tensor mask, Tensor b, float[] scaleA, float[] scaleB, float[] shift, boolean relu, Tensor y,
                              int batch, int channels, long inner) {
        long n = batch * channels * inner;
        enter();
        try {
            check(NativeKernels.sepnet_channel_affine(ctx, buf(a, n, "a"), mask == null ? null : buf(mask, n, "mask"),
                    b == null ? null : buf(b, n, "b"), scaleA, scaleB, shift, relu ? 1 : 0, buf(y, n, "y"), batch, channels, inner),
                    "channel_affine");
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor y, long count, boolean relu) {
        enter();
        try {
            check(NativeKernels.sepnet_add(ctx, buf(a, count, "a"), buf(b, count, "b"), buf(y, count, "y"), count, relu ? 1 : 0), "add");
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void relu(Tensor x, Tensor y, long count) {
        enter();
        try {
            check(NativeKernels.sepnet_relu(ctx, buf(x, count, "x"), buf(y, count, "y"), count), "relu");
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx, long count) {
        enter();
        try {
            check(NativeKernels.sepnet_relu_backward(ctx, buf(y, count, "y"), buf(dy, count, "dy"), buf(dx, count, "dx"), count),
                    "relu_backward");
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void fcForward(Tensor x, float[] weights, float[] bias, Tensor y, int batch, int in, int out) {
        enter();
        try {
            check(NativeKernels.sepnet_fc_train_forward(ctx, buf(x, (long) batch * in, "x"), weights, bias,
                    buf(y, (long) batch * out, "y"), batch, in, out), "fc_forward");
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void fcBackward(Tensor x, float[] weights, Tensor dy, Tensor dx, float[] dw, float[] db, int batch, int in, int out) {
        enter();
        try {
            check(NativeKernels.sepnet_fc_train_backward(ctx, buf(x, (long) batch * in, "x"), weights, buf(dy, (long) batch * out, "dy"),
                    dx == null ? null : buf(dx, (long) batch * in, "dx"), dw, db, batch, in, out), "fc_backward");
        } finally {
            lifetime.exit();
        }
    }

    @Override
    public void copyBlocks(Tensor src, long srcBlock, long srcOffset, Tensor dst, long dstBlock, long dstOffset, long length, int count) {
        FloatBuffer s = buf(src, (count - 1) * srcBlock + srcOffset + length, "source");
        FloatBuffer d = buf(dst, (count - 1) * dstBlock + dstOffset + length, "destination");
        for (int i = 0; i < count; i++) {
            d.put((int) (i * dstBlock + dstOffset), s, (int) (i * srcBlock + srcOffset), (int) length);
        }
    }

    @Override
    public void close() {
        lifetime.close();
    }

    /** A {@code sepnet_conv_train_create} handle. */
    private final class Trainer implements ConvTrainer {
        private final long handle;
        private final ConvDesc d;
        private final Lifetime life;
        private final long bytes;

        Trainer(long handle, ConvDesc d) {
            this.handle = handle;
            this.d = d;
            this.bytes = NativeKernels.sepnet_op_bytes(handle);
            this.life = new Lifetime(this, "native convolution trainer", bytes, () -> NativeKernels.sepnet_op_destroy(handle));
        }

        private long in(int batch) {
            return (long) batch * d.inChannels() * d.inHeight() * d.inWidth();
        }

        private long out(int batch) {
            return (long) batch * d.outChannels() * d.outHeight() * d.outWidth();
        }

        private void weights(float[] w, int batch) {
            long expected = (long) d.outChannels() * d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth();
            if (w.length != expected) {
                throw new IllegalArgumentException(w.length + " weights for " + d.problem() + "; expected " + expected);
            }
            if (batch < 1 || batch > d.batch()) {
                throw new IllegalArgumentException("batch " + batch + "; expected 1 to " + d.batch());
            }
        }

        @Override
        public void forward(Tensor x, float[] w, float[] bias, Tensor y, int batch) {
            weights(w, batch);
            life.enterOrThrow("native convolution trainer");
            try {
                check(NativeKernels.sepnet_conv_train_forward(handle, buf(x, in(batch), "x"), w, bias, buf(y, out(batch), "y"), batch),
                        "conv_train_forward");
            } finally {
                life.exit();
            }
        }

        @Override
        public void backwardData(Tensor dy, float[] w, Tensor dx, int batch) {
            weights(w, batch);
            life.enterOrThrow("native convolution trainer");
            try {
                check(NativeKernels.sepnet_conv_train_backward_data(handle, buf(dy, out(batch), "dy"), w, buf(dx, in(batch), "dx"),
                        batch), "conv_train_backward_data");
            } finally {
                life.exit();
            }
        }

        @Override
        public void backwardWeights(Tensor x, Tensor dy, float[] dw, float[] db, int batch) {
            weights(dw, batch);
            life.enterOrThrow("native convolution trainer");
            try {
                check(NativeKernels.sepnet_conv_train_backward_weights(handle, buf(x, in(batch), "x"), buf(dy, out(batch), "dy"), dw,
                        db, batch), "conv_train_backward_weights");
            } finally {
                life.exit();
            }
        }

        @Override
        public long bytes() {
            return bytes;
        }

        @Override
        public void close() {
            life.close();
        }
    }
}
