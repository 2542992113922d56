/**
 * sepnet: pattern networks (SEP-Nets) for Java.
 *
 * <p>Packages follow the data: {@link org.sepnet.tensor} (host tensors, NumPy files) →
 * {@link org.sepnet.pattern} (sign bits + α, the binarizer) → {@link org.sepnet.ops} (one
 * descriptor per op instance) → {@link org.sepnet.backend} (the backends that run them: CUDA,
 * native CPU, the pure-Java reference) → {@link org.sepnet.cli} (the {@code sepnet} command).
 */
package org.sepnet;
