/**
 * The model zoo ({@link org.sepnet.models.Zoo}): CIFAR-10 ResNets as the SEP-Nets authors built them,
 * GoogLeNet, MobileNet v1, SqueezeNet v1.0 and the SEP-Nets, as layer graphs with seeded random
 * weights (import trained weights to use them for prediction).
 */
package org.sepnet.models;
