/**
 * Layers: a network as a backend-independent graph of layers holding their weights
 * ({@link org.sepnet.layers.Layer}: convolutions, pattern convolutions, pattern residual blocks,
 * batch norm, activations, pooling, fully connected, softmax, and the containers
 * {@link org.sepnet.layers.Sequential}, {@link org.sepnet.layers.Residual} and
 * {@link org.sepnet.layers.Concat}), its counts ({@link org.sepnet.layers.Summary}), the
 * transforms that binarize, fold and quantize it ({@link org.sepnet.layers.Transforms}), and
 * {@link org.sepnet.layers.Network}: the graph compiled for one backend and a maximum batch.
 *
 * <p>Feature shapes exclude the batch: {@code [C, H, W]} for feature maps, {@code [F]} for vectors.
 */
package org.sepnet.layers;
