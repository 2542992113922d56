package org.sepnet.backend.host;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.sepnet.backend.Checks;
import org.sepnet.ops.ConcatOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * Channel concatenation of host NCHW tensors: each input's per-sample channel block is copied to
 * its offset in the output's sample. Backends may override {@link #copy} with a faster copy.
 */
public class HostConcatOp implements ConcatOp {
    private final String backend;
    private final List<Shape> maxInputs;
    private final Shape maxOutput;
    private final String implementation;
    private final Lifetime lifetime;
    private final String label;

    /** An op whose {@link #copy} needs what {@code release} frees (which must not refer to the op). */
    public HostConcatOp(String backend, List<Shape> maxInputs, String implementation, Runnable release) {
        this.backend = backend;
        this.maxInputs = List.copyOf(maxInputs);
        this.maxOutput = Checks.concatOutput(maxInputs);
        this.implementation = implementation;
        this.label = implementation + " " + problem();
        this.lifetime = new Lifetime(this, "op", 0, release);
    }

    public HostConcatOp(String backend, List<Shape> maxInputs, String implementation) {
        this(backend, maxInputs, implementation, () -> {});
    }

    @Override
    public String problem() {
        StringBuilder s = new StringBuilder("concat_n" + maxOutput.n());
        for (Shape in : maxInputs) {
            s.append("_c").append(in.c());
        }
        return s.append("_h").append(maxOutput.h()).append("w").append(maxOutput.w()).toString();
    }

    @Override
    public String implementation() {
        return implementation;
    }

    @Override
    public void run(List<? extends Tensor> inputs, Tensor output) {
        if (lifetime.isClosed()) {
            throw new IllegalStateException("op " + implementation + " " + problem() + " is closed");
        }
        if (inputs.size() != maxInputs.size()) {
            throw new IllegalArgumentException("concat got " + inputs.size() + " inputs; expected " + maxInputs.size());
        }
        HostTensor out = HostTensors.require(output, "output", backend);
        int batch = out.shape().n();
        Checks.requireFits(maxOutput, out.shape(), "output");
        int plane = maxOutput.h() * maxOutput.w();
        int outChannels = maxOutput.c();
        List<HostTensor> ins = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            HostTensor in = HostTensors.require(inputs.get(i), "input " + i, backend);
            Checks.requireShape(maxInputs.get(i).withDim0(batch), in.shape(), "concat input " + i);
            ins.add(in);
        }
        HostGuard.run(lifetime, label, ins, out, () -> {
            int offset = 0;
            for (HostTensor in : ins) {
                int block = in.shape().c() * plane;
                copy(in.buffer(), out.buffer(), batch, block, outChannels * plane, offset);
                offset += block;
            }
        });
    }

    /** Copies {@code batch} blocks of {@code srcBlock} floats to {@code dst} at {@code n·dstBlock + offset}. */
    protected void copy(FloatBuffer src, FloatBuffer dst, int batch, int srcBlock, int dstBlock, int offset) {
        for (int n = 0; n < batch; n++) {
            dst.put(n * dstBlock + offset, src, n * srcBlock, srcBlock);
        }
    }

    @Override
    public void close() {
        lifetime.close();
    }
}
