/**
 * Ops: one descriptor per op instance ({@link org.sepnet.ops.ConvDesc},
 * {@link org.sepnet.ops.PrbDesc}, {@link org.sepnet.ops.PoolDesc}, {@link org.sepnet.ops.FcDesc})
 * with validation, output-shape computation and a canonical problem string, and the op contracts
 * ({@link org.sepnet.ops.UnaryOp}, {@link org.sepnet.ops.BinaryOp}, {@link org.sepnet.ops.ConcatOp})
 * that every backend implements.
 *
 * <p>An op is created once for a descriptor whose batch is the largest batch it will see (weights
 * are packed and uploaded then); {@code run} accepts any batch from 1 to that size, other
 * dimensions exact, and allocates nothing.
 */
package org.sepnet.ops;
