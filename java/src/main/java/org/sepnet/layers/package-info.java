/**
 * Layers: a network as a backend-independent graph of layers holding their weights
 * ({@link org.sepnet.layers.Layer}, a sealed hierarchy: convolutions, pattern convolutions, pattern
 * residual blocks, batch norm, activations, pooling, fully connected, softmax, and the containers
 * {@link org.sepnet.layers.Sequential}, {@link org.sepnet.layers.Residual} and
 * {@link org.sepnet.layers.Concat}); code that handles every kind of layer does it through a
 * {@link org.sepnet.layers.Layer.Visitor}. Also: the graph's counts
 * ({@link org.sepnet.layers.Summary}) and the transforms that binarize and quantize it
 * ({@link org.sepnet.layers.Transforms}) and fold batch norm ({@link org.sepnet.layers.Folding}).
 * {@code org.sepnet.runtime.Network} compiles a graph for a backend.
 *
 * <p>Feature shapes exclude the batch: {@code [C, H, W]} for feature maps, {@code [F]} for vectors.
 */
package org.sepnet.layers;
