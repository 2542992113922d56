/**
 * Pattern binarization: the packed sign-bit format ({@link org.sepnet.pattern.PatternWeights}),
 * the {@link org.sepnet.pattern.Binarizer} (per-filter or global α) and the quantization-error
 * analysis of the paper ({@link org.sepnet.pattern.QuantizationError}).
 */
package org.sepnet.pattern;
