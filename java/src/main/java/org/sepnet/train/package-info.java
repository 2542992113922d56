/**
 * Training, refining and evaluating whole models on labeled images: {@link org.sepnet.train.Trainer}
 * runs epochs of SGD on a {@link org.sepnet.runtime.TrainingGraph} with checkpoints,
 * {@link org.sepnet.train.Evaluator} measures a model the way it will be used (compiled for
 * inference, with the preprocessing stored in it). The {@code train}, {@code refine} and
 * {@code eval} commands are thin layers over these classes.
 */
package org.sepnet.train;
