/**
 * Tensors: {@link org.sepnet.tensor.Shape}, the {@link org.sepnet.tensor.Tensor} contract, off-heap
 * {@link org.sepnet.tensor.HostTensor}s (NCHW float32, zero-copy to native kernels and GPU
 * transfers) and NumPy {@code .npy} files ({@link org.sepnet.tensor.Npy}).
 */
package org.sepnet.tensor;
