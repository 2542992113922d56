/**
 * sepnet: pattern networks (SEP-Nets) for Java.
 *
 * <p>Packages follow the data: {@link org.sepnet.tensor} (host tensors, filter shapes, NumPy
 * files) → {@link org.sepnet.pattern} (sign bits + α, the binarizer, quantization error) →
 * {@link org.sepnet.ops} (one descriptor per op instance and the op interfaces) →
 * {@link org.sepnet.backend} (the backends that run ops: CUDA, native CPU, the pure-Java
 * reference) → {@link org.sepnet.layers} (networks as backend-free layer graphs and their
 * transforms: binarize, fold batch norm, quantize) → {@link org.sepnet.models} (the model zoo) →
 * {@link org.sepnet.runtime} (a graph compiled for one backend and run) → {@link org.sepnet.io}
 * (model files: {@code .sepnet}, Caffe and ONNX import, ONNX export) → {@link org.sepnet.cli}
 * (the {@code sepnet} command). {@link org.sepnet.data} (labeled image sets: IDX files, Fashion-MNIST,
 * normalization statistics) stands beside them on {@code tensor} alone.
 *
 * <p>{@code layers} and {@code models} never name a backend; only {@code runtime} joins a graph to
 * one.
 */
package org.sepnet;
