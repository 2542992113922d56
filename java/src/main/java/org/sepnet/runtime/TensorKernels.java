package org.sepnet.runtime;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.sepnet.backend.Backend;
import org.sepnet.backend.TrainOps;
import org.sepnet.backend.reference.ReferenceLayerGrad;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * Training on a backend's tensors in float: its {@link TrainOps} for the gradients, its inference
 * ops where no trainable weight is involved. A pattern layer runs the sign product z = signs ∗ x
 * with unit α (the backend's pattern convolution: its fast binary algorithms), keeps z, and applies
 * α and the bias per channel; its backward pass needs no weight-gradient GEMM (∂L/∂α_o = Σ dy_o·z_o)
 * and gets ∂L/∂x from a pattern convolution again: the transposed, flipped signs on α·dy (stride 1),
 * or the float trainer's transposed convolution with the weights ±α (strides above 1, where the
 * transposed convolution would have to multiply inserted zeros).
 */
final class TensorKernels implements Kernels<Tensor> {
    private final Backend backend;
    private final TrainOps ops;
    private final Set<AutoCloseable> owned = Collections.newSetFromMap(new IdentityHashMap<>());

    TensorKernels(Backend backend) {
        this.backend = backend;
        this.ops = backend.trainOps();
    }

    @Override
    public String name() {
        return backend.name();
    }

    static PoolDesc withBatch(PoolDesc d, int batch) {
        return new PoolDesc(d.kind(), batch, d.channels(), d.inHeight(), d.inWidth(), d.kernelHeight(), d.kernelWidth(),
                d.strideHeight(), d.strideWidth(), d.padHeight(), d.padWidth(), d.ceilMode(), d.countIncludePad(), d.global());
    }

    static float[] floats(double[] v) {
        if (v == null) {
            return null;
        }
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    static void addInto(double[] acc, float[] v) {
        for (int i = 0; i < v.length; i++) {
            acc[i] += v[i];
        }
    }

    private <T extends AutoCloseable> T own(T t) {
        owned.add(t);
        return t;
    }

    @Override
    public Tensor buffer(Tensor old, int batch, Shape feature) {
        int[] dims = new int[feature.rank() + 1];
        dims[0] = batch;
        System.arraycopy(feature.dims(), 0, dims, 1, feature.rank());
        Shape s = Shape.of(dims);
        if (old != null && old.shape().equals(s)) {
            return old;
        }
        if (old != null && owned.remove(old)) {
            old.close();
        }
        return own(backend.allocate(s));
    }

    @Override
    public long bytes(Tensor b) {
        return b == null ? 0 : 4L * b.shape().size();
    }

    @Override
    public void upload(double[] src, Tensor dst, int count) {
        float[] f = new float[(int) dst.shape().size()];
        for (int i = 0; i < count; i++) {
            f[i] = (float) src[i];
        }
        dst.copyFrom(f);
    }

    @Override
    public double[] download(Tensor b, int count) {
        float[] f = new float[(int) b.shape().size()];
        b.copyTo(f);
        double[] d = new double[count];
        for (int i = 0; i < count; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor y, long count, boolean relu) {
        ops.add(a, b, y, count, relu);
    }

    @Override
    public void relu(Tensor x, Tensor y, long count) {
        ops.relu(x, y, count);
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx, long count) {
        ops.reluBackward(y, dy, dx, count);
    }

    @Override
    public boolean[] passes(Tensor y, long count) {
        double[] v = download(y, (int) count);
        boolean[] m = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            m[i] = v[i] > 0 || Double.isNaN(v[i]);
        }
        return m;
    }

    /** On the host (a checking aid, not a training path). */
    @Override
    public void reluMasked(Tensor x, boolean[] mask, Tensor y, long count) {
        double[] v = download(x, (int) count);
        for (int i = 0; i < v.length; i++) {
            v[i] = mask[i] ? v[i] : 0;
        }
        upload(v, y, v.length);
    }

    @Override
    public void reluBackwardMasked(boolean[] mask, Tensor dy, Tensor dx, long count) {
        reluMasked(dy, mask, dx, count);
    }

    /** On the host (a checking aid, not a training path). */
    @Override
    public int[] argmax(PoolDesc d, Tensor x, int batch) {
        return DoubleKernels.argmax(d, batch, download(x, (int) x.shape().size()));
    }

    @Override
    public void poolAt(int[] argmax, Tensor x, Tensor y) {
        double[] v = download(x, (int) x.shape().size());
        double[] out = new double[(int) y.shape().size()];
        for (int i = 0; i < argmax.length; i++) {
            out[i] = argmax[i] < 0 ? Double.NEGATIVE_INFINITY : v[argmax[i]];
        }
        upload(out, y, out.length);
    }

    @Override
    public void poolAtBackward(int[] argmax, Tensor dy, Tensor dx, long inputCount) {
        double[] g = download(dy, (int) dy.shape().size());
        double[] out = new double[(int) dx.shape().size()];
        for (int i = 0; i < argmax.length; i++) {
            if (argmax[i] >= 0) {
                out[argmax[i]] += g[i];
            }
        }
        upload(out, dx, out.length);
    }

    @Override
    public void copyBlocks(Tensor src, long srcBlock, long srcOffset, Tensor dst, long dstBlock, long dstOffset, long length, int count) {
        ops.copyBlocks(src, srcBlock, srcOffset, dst, dstBlock, dstOffset, length, count);
    }

    @Override
    public Conv<Tensor> conv(ConvDesc max) {
        return own(new TensorConv(backend, ops, max));
    }

    @Override
    public Pattern<Tensor> pattern(ConvDesc max, double[] signs, int[] bits) {
        return own(new TensorPattern(this, max, signs, bits));
    }

    Backend backend() {
        return backend;
    }

    TrainOps ops() {
        return ops;
    }

    UnaryOp unitPattern(ConvDesc d, PatternWeights w) {
        return own(backend.patternConv2d(d, w, Activation.NONE));
    }

    TrainOps.ConvTrainer trainer(ConvDesc d) {
        return own(ops.conv(d));
    }

    @Override
    public Pool<Tensor> pool(PoolDesc max) {
        UnaryOp op = own(backend.pool(max));
        return new Pool<>() {
            @Override
            public void forward(Tensor x, Tensor y, int batch) {
                op.run(x, y);
            }

            @Override
            public void backward(Tensor x, Tensor dy, Tensor dx, int batch) {
                ops.poolBackward(withBatch(max, batch), x, dy, dx, batch);
            }
        };
    }

    @Override
    public Fc<Tensor> fc(FcDesc max) {
        return new Fc<>() {
            @Override
            public void forward(Tensor x, double[] w, double[] bias, Tensor y, int batch) {
                ops.fcForward(x, floats(w), floats(bias), y, batch, max.in(), max.out());
            }

            @Override
            public void backward(Tensor x, Tensor dy, double[] w, Tensor dx, double[] dw, double[] db, int batch) {
                float[] gw = new float[dw.length];
                float[] gb = db == null ? null : new float[db.length];
                ops.fcBackward(x, floats(w), dy, dx, gw, gb, batch, max.in(), max.out());
                addInto(dw, gw);
                if (gb != null) {
                    addInto(db, gb);
                }
            }
        };
    }

    @Override
    public Norm<Tensor> norm(int channels, int inner, int maxBatch) {
        return new TensorNorm(ops, channels, inner);
    }

    @Override
    public double softmaxCrossEntropy(Tensor logits, int[] labels, int batch, int classes, Tensor dz) {
        double[] z = download(logits, batch * classes);
        double[] g = dz == null ? null : new double[z.length];
        double loss = ReferenceLayerGrad.softmaxCrossEntropy(batch, classes, z, labels, g);
        if (dz != null) {
            upload(g, dz, g.length);
        }
        return loss;
    }

    @Override
    public void close() {
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + c + ": " + e.getMessage(), e);
            }
        }
        owned.clear();
        ops.close();
    }
}
