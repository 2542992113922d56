package org.sepnet.models;

import java.util.List;
import org.sepnet.data.Normalization;
import org.sepnet.layers.Layer;
import org.sepnet.tensor.Shape;

/**
 * A network graph with its input feature shape, and what a trained model knows about its data.
 *
 * @param name zoo name, e.g. {@code resnet20}, with a variant suffix such as {@code +binarized}
 * @param description one line on what it is
 * @param graph the layers
 * @param input input feature shape [C, H, W]
 * @param normalization the per-channel normalization of its training data, applied to images
 *                      given as pixel/255 before the graph; null when the model does not know it
 * @param labels one name per output class; empty when the model has none
 */
public record Model(String name, String description, Layer graph, Shape input, Normalization normalization, List<String> labels) {
    public Model {
        labels = List.copyOf(labels);
        if (!labels.isEmpty() && graph.outputShape(input).size() != labels.size()) {
            throw new IllegalArgumentException(labels.size() + " class names for a model with " + graph.outputShape(input).size() + " outputs");
        }
        if (normalization != null && input.rank() > 1 && normalization.channels() != input.dim(0)) {
            throw new IllegalArgumentException("normalization for " + normalization.channels() + " channels; the input " + input + " has "
                    + input.dim(0));
        }
    }

    /** A model that knows nothing of its data. */
    public Model(String name, String description, Layer graph, Shape input) {
        this(name, description, graph, input, null, List.of());
    }

    /** This model with another graph and a suffix on its name; what it knows of its data kept. */
    public Model with(Layer newGraph, String suffix) {
        return new Model(name + suffix, description, newGraph, input, normalization, labels);
    }

    /** This model for another input shape, everything else kept. */
    public Model withInput(Shape newInput) {
        return new Model(name, description, graph, newInput, normalization, labels);
    }

    /** This model with the normalization and class names of its training data. */
    public Model withData(Normalization newNormalization, List<String> newLabels) {
        return new Model(name, description, graph, input, newNormalization, newLabels);
    }
}
