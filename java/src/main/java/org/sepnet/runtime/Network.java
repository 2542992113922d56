package org.sepnet.runtime;

import java.util.Arrays;
import java.util.List;
import org.sepnet.backend.Backend;
import org.sepnet.layers.Folding;
import org.sepnet.layers.Layer;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * A layer graph compiled for one backend and a maximum batch: every op is built (weights packed and
 * uploaded) and every activation allocated once; {@link #forward(Tensor)} runs them in order and
 * allocates nothing. Batch norm after a convolution, pattern convolution or pattern residual block
 * is folded into it ({@link Folding#foldBatchNorm}); a ReLU after a convolution, block, batch norm,
 * fully connected layer or residual sum is fused into it. {@link #forward(HostTensor, HostTensor)}
 * takes any number of images and runs them {@link #maxBatch()} at a time. Not thread-safe: one
 * network per thread.
 */
public final class Network implements AutoCloseable {
    private final Layer model;
    private final Backend backend;
    private final int maxBatch;
    private final Shape inputFeature;
    private final Value input;
    private final Value output;
    private final Program program = new Program();
    private Tensor staging;  // the input of a forward pass on host tensors, where x cannot be used in place
    private boolean closed;

    private Network(Layer model, Shape inputFeature, Backend backend, int maxBatch) {
        this.model = model;
        this.backend = backend;
        this.maxBatch = maxBatch;
        this.inputFeature = inputFeature;
        this.input = new Value(inputFeature, null, maxBatch);
        Value out;
        try {
            out = new Compiler(backend, maxBatch, program).compile(Folding.foldBatchNorm(model), input, false);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.output = out;
    }

    /**
     * Compiles {@code model} for inputs of feature shape {@code input} ([C, H, W]) on {@code backend},
     * for batches of 1 to {@code maxBatch}.
     *
     * @throws IllegalArgumentException when a layer does not accept its input, naming the layer
     * @throws IllegalStateException when the backend is unavailable
     */
    public static Network compile(Layer model, Shape input, Backend backend, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch is " + maxBatch + "; expected 1 or more");
        }
        model.outputShape(input); // validates the whole graph before anything is allocated
        return new Network(model, input, backend, maxBatch);
    }

    public Layer model() {
        return model;
    }

    public Backend backend() {
        return backend;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** Input feature shape. */
    public Shape inputShape() {
        return inputFeature;
    }

    /** Output feature shape. */
    public Shape outputShape() {
        return output.feature;
    }

    /**
     * One line per op: the layer it came from, its implementation and problem, and why it runs
     * where the backend chose among several ({@link org.sepnet.ops.Op#reason()}).
     */
    public List<String> plan() {
        return List.copyOf(program.plan);
    }

    /**
     * Runs the network on {@code in}, a tensor of this network's backend shaped [n, input feature…]
     * with 1 ≤ n ≤ {@link #maxBatch()}. Returns the output [n, output feature…], owned by the network
     * and valid until the next call.
     */
    public Tensor forward(Tensor in) {
        if (closed) {
            throw new IllegalStateException("network is closed");
        }
        Shape s = in.shape();
        int n = s.dim(0);
        if (s.rank() != inputFeature.rank() + 1 || n < 1 || n > maxBatch || !sameFeature(s)) {
            throw new IllegalArgumentException("input shape " + s + "; expected [1.." + maxBatch + ", "
                    + inputFeature.toString().substring(1));
        }
        input.bound = in;
        for (Program.Step step : program.steps) {
            step.run(n);
        }
        backend.synchronize();
        input.bound = null;
        return output.at(n);
    }

    /** One op's share of a forward pass: its plan line and the median time it took. */
    public record OpTime(String op, double micros) {}

    /**
     * Times every op of a forward pass on {@code in} (as {@link #forward(Tensor)} takes it): the pass is
     * run {@code repetitions} times after one untimed pass, each op waited for
     * ({@link Backend#synchronize()}) before its clock stops, and each op's median is returned, in
     * plan order. The waits make the sum of the ops somewhat larger than a forward pass on a GPU.
     *
     * @throws IllegalArgumentException when {@code repetitions} is below 1 or the input does not fit
     */
    public List<OpTime> profile(Tensor in, int repetitions) {
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions is " + repetitions + "; expected 1 or more");
        }
        forward(in);  // validates the input and warms every op
        int n = in.shape().dim(0);
        List<Program.Step> steps = program.steps;
        long[][] t = new long[steps.size()][repetitions];
        input.bound = in;
        try {
            for (int r = 0; r < repetitions; r++) {
                for (int i = 0; i < steps.size(); i++) {
                    long t0 = System.nanoTime();
                    steps.get(i).run(n);
                    backend.synchronize();
                    t[i][r] = System.nanoTime() - t0;
                }
            }
        } finally {
            input.bound = null;
        }
        OpTime[] out = new OpTime[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            long[] v = t[i].clone();
            Arrays.sort(v);
            double median = repetitions % 2 == 1 ? v[repetitions / 2] : (v[repetitions / 2 - 1] + v[repetitions / 2]) / 2.0;
            out[i] = new OpTime(program.stepLines.get(i), median / 1e3);
        }
        return List.of(out);
    }

    /**
     * Runs the network on {@code in}, host images shaped [n, input feature…] for any n &ge; 1, and
     * writes the outputs into {@code out} ([n, output feature…]): {@link #maxBatch()} images at a
     * time, copied to and from the device where the backend computes elsewhere.
     *
     * @throws IllegalArgumentException when a shape does not fit, naming both
     */
    public void forward(HostTensor in, HostTensor out) {
        if (closed) {
            throw new IllegalStateException("network is closed");
        }
        Shape s = in.shape();
        if (s.rank() != inputFeature.rank() + 1 || !sameFeature(s)) {
            throw new IllegalArgumentException("input shape " + s + "; expected [n, " + inputFeature.toString().substring(1));
        }
        int n = s.dim(0);
        Shape expected = output.feature.withBatch(n);
        if (!out.shape().equals(expected)) {
            throw new IllegalArgumentException("output shape " + out.shape() + "; expected " + expected + " for " + n + " images");
        }
        for (int start = 0; start < n; start += maxBatch) {
            int k = Math.min(maxBatch, n - start);
            boolean whole = k == n;
            Tensor x = whole ? in : in.sliceBatch(start, k);
            if (!backend.computesOnHost() || !whole) {
                // Device memory, or a slice that may not be aligned as the backend's own tensors are.
                if (staging == null) {
                    staging = program.own(backend.allocate(inputFeature.withBatch(maxBatch)));
                }
                Tensor t = staging.narrowBatch(k);
                t.copyFrom(x);
                x = t;
            }
            forward(x).copyTo(whole ? out : out.sliceBatch(start, k));
        }
    }

    private boolean sameFeature(Shape s) {
        for (int i = 0; i < inputFeature.rank(); i++) {
            if (s.dim(i + 1) != inputFeature.dim(i)) {
                return false;
            }
        }
        return true;
    }

    /** Closes every op and activation (and only them: the caller's input is not touched). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        program.close();
    }
}
