/**
 * Labeled image data for training and evaluation: IDX files ({@link org.sepnet.data.Idx}), image sets
 * held as 8-bit pixels ({@link org.sepnet.data.ImageSet}), per-channel normalization statistics
 * ({@link org.sepnet.data.Normalization}) and Fashion-MNIST from Debian's package
 * ({@link org.sepnet.data.FashionMnist}).
 */
package org.sepnet.data;
