package org.sepnet.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import org.sepnet.backend.Backend;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.layers.Transforms;
import org.sepnet.tensor.Shape;

/**
 * A layer graph compiled for training: its parameters (values, gradients, trainable or frozen),
 * a forward pass in training mode (batch norm on batch statistics, running statistics updated), a
 * backward pass from the softmax cross-entropy loss, and an inference pass on the running
 * statistics. It computes on the reference twins in double on the JVM ({@link #build(Layer, Shape)}:
 * exact and slow, what the float kernels are checked against), or in float on a backend's own
 * tensors and training kernels ({@link #build(Layer, Shape, Backend, int)}). Layers stay
 * backend-free; a trailing {@link Softmax} is left out of training (the loss takes the logits before it).
 *
 * <p>Not thread-safe: it holds the activations of its last forward pass.
 */
public final class TrainingGraph implements AutoCloseable {
    private final Layer model;
    private final Shape input;
    private final Shape output;
    private final Engine<?> engine;
    private final int maxBatch;
    private final List<Parameter> parameters;
    private double[] logits;
    private double[] inputGradient;
    private int lastBatch;
    private double batchNormMomentum = 0.1;
    private boolean inputGradientNeeded = true;

    private final java.util.Map<String, double[][]> runningStats;

    private TrainingGraph(Layer model, Shape input, Shape output, Engine<?> engine, int maxBatch, List<Parameter> parameters,
                          java.util.Map<String, double[][]> runningStats) {
        this.model = model;
        this.runningStats = runningStats;
        this.input = input;
        this.output = output;
        this.engine = engine;
        this.maxBatch = maxBatch;
        this.parameters = parameters;
    }

    /**
     * Compiles {@code model} for inputs of feature shape {@code input} on the reference twins, in
     * double (any batch). The parameters are copies: training never changes {@code model}.
     *
     * @throws IllegalArgumentException when a layer does not accept its input, naming it
     */
    public static TrainingGraph build(Layer model, Shape input) {
        return build(model, input, new DoubleKernels(), Integer.MAX_VALUE);
    }

    /**
     * Compiles {@code model} for {@code backend}, for batches up to {@code maxBatch}: the reference
     * backend trains in double as {@link #build(Layer, Shape)} does, the others in float on their
     * own tensors and kernels. Close the graph to release them.
     *
     * @throws IllegalArgumentException when a layer does not accept its input, naming it
     * @throws UnsupportedOperationException when the backend has no training kernels
     * @throws IllegalStateException when the backend is unavailable
     */
    public static TrainingGraph build(Layer model, Shape input, Backend backend, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch " + maxBatch + "; expected at least 1");
        }
        return build(model, input, backend, maxBatch, true);
    }

    /** {@link #build(Layer, Shape, Backend, int)}, with a batch norm and the ReLU after it fused where the kernels can, or never. */
    static TrainingGraph build(Layer model, Shape input, Backend backend, int maxBatch, boolean fuseRelu) {
        if (backend.name().equals("reference")) {
            return build(model, input, new DoubleKernels(), maxBatch);
        }
        if (!backend.availability().available()) {
            throw new IllegalStateException("backend " + backend.name() + " is unavailable: " + backend.availability().detail());
        }
        TensorKernels k = new TensorKernels(backend);
        try {
            return build(model, input, k, maxBatch, fuseRelu);
        } catch (RuntimeException e) {
            k.close();
            throw e;
        }
    }

    private static <B> TrainingGraph build(Layer model, Shape input, Kernels<B> k, int maxBatch) {
        return build(model, input, k, maxBatch, true);
    }

    private static <B> TrainingGraph build(Layer model, Shape input, Kernels<B> k, int maxBatch, boolean fuseRelu) {
        Layer body = withoutFinalSoftmax(model);
        Shape out = body.outputShape(input);
        List<Parameter> params = new ArrayList<>();
        // The double twins take any batch: their descriptors are built for one sample and rescaled per call.
        TrainNodes<B> nodes = new TrainNodes<>(k, maxBatch == Integer.MAX_VALUE ? 1 : maxBatch, params, fuseRelu);
        TrainNode<B> root = nodes.build(body, input);
        return new TrainingGraph(model, input, out, new Engine<>(k, root, input, out, nodes.decisions()), maxBatch,
                Collections.unmodifiableList(params), nodes.runningStats());
    }

    /** The nodes with their kernels, typed by their buffers. */
    private static final class Engine<B> {
        final Kernels<B> k;
        final TrainNode<B> root;
        final Shape in;
        final Shape out;
        final Decisions decisions;
        B x;
        B dz;
        B last;

        Engine(Kernels<B> k, TrainNode<B> root, Shape in, Shape out, Decisions decisions) {
            this.k = k;
            this.decisions = decisions;
            this.root = root;
            this.in = in;
            this.out = out;
        }

        B forward(double[] input, int batch, TrainNode.Mode mode) {
            x = k.buffer(x, batch, in);
            k.upload(input, x, (int) (batch * in.size()));
            last = root.forward(x, batch, mode);
            return last;
        }

        /** Forward in training mode, loss, backward: the loss, with the logits and the input gradient kept. */
        double step(double[] input, int[] labels, int batch, double momentum, double[][] logitsAndGrad) {
            B z = forward(input, batch, new TrainNode.Mode(true, momentum));
            int classes = (int) out.size();
            logitsAndGrad[0] = k.download(z, batch * classes);
            dz = k.buffer(dz, batch, out);
            double loss = k.softmaxCrossEntropy(z, labels, batch, classes, dz);
            B dx = root.backward(dz, batch);
            logitsAndGrad[1] = dx == null ? null : k.download(dx, (int) (batch * in.size()));
            return loss;
        }

        double loss(double[] input, int[] labels, int batch) {
            B z = forward(input, batch, new TrainNode.Mode(true, 0));
            return k.softmaxCrossEntropy(z, labels, batch, (int) out.size(), null);
        }

        double[] predict(double[] input, int batch) {
            return k.download(forward(input, batch, new TrainNode.Mode(false, 0)), (int) (batch * out.size()));
        }

        long bytes() {
            return root.savedBytes() + k.bytes(x) + k.bytes(dz);
        }
    }

    private static Layer withoutFinalSoftmax(Layer model) {
        if (model instanceof Sequential s && !s.layers().isEmpty() && s.layers().get(s.layers().size() - 1) instanceof Softmax) {
            return new Sequential(s.name(), s.layers().subList(0, s.layers().size() - 1));
        }
        return model instanceof Softmax ? new Sequential(model.name(), List.of()) : model;
    }

    /**
     * One {@link #step} whose ReLUs and max poolings take the decisions (which activations pass,
     * which input each window takes) of {@code leader}'s
     * last {@link #stepRecording}: how a float backend's gradients are compared with the reference's
     * without the rounding at the kinks (an activation within rounding of zero passes on one side and
     * not on the other, which moves whole channels' gradients by a percent). Graphs of the same model,
     * input shape and batch only.
     */
    public double stepFollowing(TrainingGraph leader, double[] x, int[] labels, int batch) {
        List<Object> masks = leader.engine.decisions.recorded();
        if (!leader.engine.decisions.hasRecording()) {
            throw new IllegalStateException("the leader graph has recorded no decisions; run stepRecording on it first");
        }
        engine.decisions.replay(masks);
        try {
            return step(x, labels, batch);
        } finally {
            engine.decisions.off();
        }
    }

    /** One {@link #step} that records its ReLU and max-pooling decisions for {@link #stepFollowing} (kept until the next step). */
    public double stepRecording(double[] x, int[] labels, int batch) {
        engine.decisions.record();
        double loss;
        try {
            loss = step(x, labels, batch);
        } catch (RuntimeException e) {
            engine.decisions.off();
            throw e;
        }
        engine.decisions.off();
        return loss;
    }

    /** The backend this graph computes on. */
    public String backend() {
        return engine.k.name();
    }

    /** Releases the backend's tensors and kernels (nothing for the reference); later calls fail. */
    @Override
    public void close() {
        engine.k.close();
    }

    public Shape inputShape() {
        return input;
    }

    /** The logits' feature shape (before any softmax). */
    public Shape outputShape() {
        return output;
    }

    /** Every parameter in graph order, trainable or not. */
    public List<Parameter> parameters() {
        return parameters;
    }

    /**
     * Batch norm's running mean and variance by layer name, {mean, variance}, live: a checkpoint
     * saves and restores them in place.
     */
    public java.util.Map<String, double[][]> runningStatistics() {
        return Collections.unmodifiableMap(runningStats);
    }

    /**
     * Freezes the parameters of every layer whose name matches {@code glob} ({@code *} any run of
     * characters, {@code ?} one character), or, for a glob with a {@code /}, every parameter whose
     * {@code layer/kind} name matches it ({@code *}{@code /alpha}: every pattern α); returns how many it froze.
     */
    public int freeze(String glob) {
        Pattern p = Pattern.compile(glob.chars().mapToObj(c -> c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf((char) c)))
                .reduce("", String::concat));
        int n = 0;
        for (Parameter q : parameters) {
            if (!q.alwaysFrozen() && p.matcher(glob.contains("/") ? q.name() : q.layer()).matches()) {
                q.setTrainable(false);
                n++;
            }
        }
        return n;
    }

    /** The momentum of batch norm's running statistics (default 0.1). */
    public void setBatchNormMomentum(double momentum) {
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("momentum " + momentum + "; expected 0 to 1");
        }
        this.batchNormMomentum = momentum;
    }

    /**
     * One forward pass in training mode and one backward pass: returns the mean softmax
     * cross-entropy of {@code batch} images {@code x} ([batch, input feature…], flat) with
     * {@code labels}, and leaves ∂L/∂p in every parameter's {@link Parameter#grad()} (frozen ones
     * get none: their gradient stays zero).
     */
    public double step(double[] x, int[] labels, int batch) {
        requireInput(x, batch);
        if (labels.length < batch) {
            throw new IllegalArgumentException(labels.length + " labels for " + batch + " images");
        }
        for (Parameter p : parameters) {
            if (p.grad() != null) {
                java.util.Arrays.fill(p.grad(), 0);
            }
        }
        double[][] out = new double[2][];
        double loss = engine.step(x, labels, batch, batchNormMomentum, out);
        logits = out[0];
        inputGradient = out[1];
        lastBatch = batch;
        for (Parameter p : parameters) {
            if (!p.trainable() && p.grad() != null) {
                java.util.Arrays.fill(p.grad(), 0);
            }
        }
        return loss;
    }

    /**
     * The training-mode loss alone (no backward pass, running statistics left as they are): what a
     * finite-difference check differentiates.
     */
    public double loss(double[] x, int[] labels, int batch) {
        requireInput(x, batch);
        return engine.loss(x, labels, batch);
    }

    /**
     * Whether steps compute ∂L/∂x of the images (default true): training needs only the parameters'
     * gradients, and without it the first layers skip their transposed convolutions.
     */
    public void setInputGradient(boolean needed) {
        inputGradientNeeded = needed;
        engine.root.needInputGradient(needed);
    }

    /** ∂L/∂x of the last {@link #step}, [batch, input feature…] flat (a copy). */
    public double[] inputGradient() {
        if (!inputGradientNeeded) {
            throw new IllegalStateException("this graph does not compute the input gradient; call setInputGradient(true) before step");
        }
        if (inputGradient == null) {
            throw new IllegalStateException("no step has run yet");
        }
        return inputGradient.clone();
    }

    /** The logits of the last {@link #step} (its batch in training mode), [batch, classes] flat. */
    public double[] lastLogits() {
        if (logits == null) {
            throw new IllegalStateException("no step has run yet");
        }
        return java.util.Arrays.copyOf(logits, lastBatch * (int) output.size());
    }

    /** Logits in inference mode (batch norm on its running statistics), [batch, classes] flat. */
    public double[] predict(double[] x, int batch) {
        requireInput(x, batch);
        return engine.predict(x, batch);
    }

    /**
     * The model with the parameters as they are now: each trained layer rebuilt with its values in
     * float, batch norm with its running statistics, a final softmax kept, the pattern signs as
     * they were. Int8 layers come back as float (quantize again after training).
     *
     * @throws IllegalStateException when two trained layers share a name (their values could not be told apart)
     */
    public Layer toLayer() {
        java.util.Map<String, Parameter> byName = new java.util.HashMap<>();
        for (Parameter p : parameters) {
            if (byName.put(p.name(), p) != null) {
                throw new IllegalStateException("two layers are named " + p.layer() + "; give trained layers unique names");
            }
        }
        TrainedLayers rebuild = new TrainedLayers(byName, runningStats);
        return Transforms.map(model, l -> l.accept(rebuild));
    }

    /**
     * Bytes the graph holds after a step: parameters, their gradients, and every node's buffers
     * (activations kept for the backward pass, outputs, gradients), which later steps of the same
     * batch size reuse. Temporaries inside the reference kernels (a pattern layer's recomputed z
     * and scaled weights, batch norm's normalized input) come on top while a step runs.
     */
    public long memoryBytes() {
        long b = 0;
        for (Parameter p : parameters) {
            b += 8L * p.value().length * (p.grad() == null ? 1 : 2);
        }
        return b + engine.bytes();
    }

    private void requireInput(double[] x, int batch) {
        if (batch > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + "; this graph was built for at most " + maxBatch);
        }
        if (batch < 1 || (long) batch * input.size() > x.length) {
            throw new IllegalArgumentException(x.length + " input values for " + batch + " images of " + input + "; expected "
                    + batch * input.size());
        }
    }
}
