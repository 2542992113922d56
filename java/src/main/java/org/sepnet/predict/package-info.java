/**
 * The front door for applications: {@link org.sepnet.predict.Predictor} loads a model once,
 * compiles it for the best backend, and classifies images (arrays or {@link java.awt.image.BufferedImage}s)
 * prepared with the normalization stored in the model, returning {@link org.sepnet.predict.Classifications}
 * with the model's class names.
 */
package org.sepnet.predict;
