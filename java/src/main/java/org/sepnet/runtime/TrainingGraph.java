package org.sepnet.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import org.sepnet.backend.reference.ReferenceLayerGrad;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.layers.Transforms;
import org.sepnet.tensor.Shape;

/**
 * A layer graph compiled for training: its parameters (values, gradients, trainable or frozen),
 * a forward pass in training mode (batch norm on batch statistics, running statistics updated), a
 * backward pass from the softmax cross-entropy loss, and an inference pass on the running
 * statistics. Today it computes with the reference backend's gradients, in double on the JVM
 * ({@link org.sepnet.backend.reference.ReferenceConvGrad}): exact and slow, the twin the native and
 * CUDA training paths will be checked against. Layers stay backend-free; a trailing
 * {@link Softmax} is left out of training (the loss takes the logits before it).
 *
 * <p>Not thread-safe: it holds the activations of its last forward pass.
 */
public final class TrainingGraph {
    private final Layer model;
    private final Shape input;
    private final Shape output;
    private final TrainNode root;
    private final List<Parameter> parameters;
    private double[] logits;
    private double[] inputGradient;
    private int lastBatch;
    private double batchNormMomentum = 0.1;

    private final java.util.Map<String, double[][]> runningStats;

    private TrainingGraph(Layer model, Shape input, Shape output, TrainNode root, List<Parameter> parameters,
                          java.util.Map<String, double[][]> runningStats) {
        this.model = model;
        this.runningStats = runningStats;
        this.input = input;
        this.output = output;
        this.root = root;
        this.parameters = parameters;
    }

    /**
     * Compiles {@code model} for inputs of feature shape {@code input}. The parameters are copies:
     * training never changes {@code model}.
     *
     * @throws IllegalArgumentException when a layer does not accept its input, naming it
     */
    public static TrainingGraph build(Layer model, Shape input) {
        Layer body = withoutFinalSoftmax(model);
        Shape out = body.outputShape(input);
        List<Parameter> params = new ArrayList<>();
        TrainNodes nodes = new TrainNodes(params);
        TrainNode root = nodes.build(body, input);
        return new TrainingGraph(model, input, out, root, Collections.unmodifiableList(params), nodes.runningStats());
    }

    private static Layer withoutFinalSoftmax(Layer model) {
        if (model instanceof Sequential s && !s.layers().isEmpty() && s.layers().get(s.layers().size() - 1) instanceof Softmax) {
            return new Sequential(s.name(), s.layers().subList(0, s.layers().size() - 1));
        }
        return model instanceof Softmax ? new Sequential(model.name(), List.of()) : model;
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
     * Freezes the parameters of every layer whose name matches {@code glob} ({@code *} any run of
     * characters, {@code ?} one character); returns how many it froze.
     */
    public int freeze(String glob) {
        Pattern p = Pattern.compile(glob.chars().mapToObj(c -> c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf((char) c)))
                .reduce("", String::concat));
        int n = 0;
        for (Parameter q : parameters) {
            if (!q.alwaysFrozen() && p.matcher(q.layer()).matches()) {
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
        logits = root.forward(x, batch, new TrainNode.Mode(true, batchNormMomentum)).clone();  // the buffer is reused
        lastBatch = batch;
        int classes = (int) output.size();
        double[] dz = new double[logits.length];
        double loss = ReferenceLayerGrad.softmaxCrossEntropy(batch, classes, logits, labels, dz);
        inputGradient = root.backward(dz, batch);
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
        double[] z = root.forward(x, batch, new TrainNode.Mode(true, 0));
        return ReferenceLayerGrad.softmaxCrossEntropy(batch, (int) output.size(), z, labels, null);
    }

    /** ∂L/∂x of the last {@link #step}, [batch, input feature…] flat (a copy). */
    public double[] inputGradient() {
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
        return root.forward(x, batch, new TrainNode.Mode(false, 0)).clone();  // the buffer is reused
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
        return b + root.savedBytes();
    }

    private void requireInput(double[] x, int batch) {
        if (batch < 1 || (long) batch * input.size() > x.length) {
            throw new IllegalArgumentException(x.length + " input values for " + batch + " images of " + input + "; expected "
                    + batch * input.size());
        }
    }
}
