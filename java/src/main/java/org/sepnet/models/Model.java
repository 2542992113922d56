package org.sepnet.models;

import org.sepnet.layers.Layer;
import org.sepnet.tensor.Shape;

/**
 * A network graph with its input feature shape.
 *
 * @param name zoo name, e.g. {@code resnet20}, with a variant suffix such as {@code +binarized}
 * @param description one line on what it is
 * @param graph the layers
 * @param input input feature shape [C, H, W]
 */
public record Model(String name, String description, Layer graph, Shape input) {
    /** This model with another graph and a suffix on its name. */
    public Model with(Layer newGraph, String suffix) {
        return new Model(name + suffix, description, newGraph, input);
    }
}
