package org.sepnet.train;

import org.sepnet.backend.Backend;
import org.sepnet.data.Batches;
import org.sepnet.data.Evaluation;
import org.sepnet.data.ImageSet;
import org.sepnet.models.Model;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.HostTensor;

/**
 * Measures a model as it will be used: compiled for inference on a backend, the images prepared
 * with the normalization stored in the model (pixel/255 as they are when it stores none).
 */
public final class Evaluator {
    private Evaluator() {}

    /**
     * Top-1, top-5, per-class accuracy and the confusion matrix of {@code model} on {@code set}.
     *
     * @throws IllegalArgumentException when the model does not take the images or has fewer outputs than the data has classes
     */
    public static Evaluation evaluate(Model model, ImageSet set, Backend backend, int batch) {
        int classes = check(model, set);
        Evaluation e = new Evaluation(classes);
        int size = (int) set.imageShape().size();
        try (Network net = Network.compile(model.graph(), model.input(), backend, batch);
             Batches b = new Batches(set, batch, model.normalization(), Batches.Options.inOrder())) {
            while (b.hasNext()) {
                Batches.Batch next = b.next();
                int n = next.count();
                float[] scores = new float[n * classes];
                HostTensor in = HostTensor.of(model.input().withBatch(n), java.util.Arrays.copyOf(next.images(), n * size));
                HostTensor out = HostTensor.allocate(model.graph().outputShape(model.input()).withBatch(n));
                try (in; out) {
                    net.forward(in, out);
                    out.copyTo(scores);
                }
                e.add(scores, next.labels(), n);
            }
        }
        return e;
    }

    /**
     * Checks that {@code model} takes the images of {@code set} and has an output per class; returns its output count.
     *
     * @throws IllegalArgumentException naming both shapes or counts when it does not
     */
    public static int check(Model model, ImageSet set) {
        if (!model.input().equals(set.imageShape())) {
            throw new IllegalArgumentException("model " + model.name() + " takes " + model.input() + " images; the data's are "
                    + set.imageShape());
        }
        int classes = (int) model.graph().outputShape(model.input()).size();
        if (classes < set.classes()) {
            throw new IllegalArgumentException("model " + model.name() + " has " + classes + " outputs; the data has " + set.classes()
                    + " classes");
        }
        return classes;
    }
}
