/**
 * The native CPU backend: C++ kernels from {@code native/}, bound with JavaCPP
 * ({@link org.sepnet.backend.cpu.NativeKernels}), reading and writing host tensors in place.
 * Ops without a native kernel yet run on the reference implementation, and say so in
 * {@link org.sepnet.ops.Op#implementation()}.
 */
package org.sepnet.backend.cpu;
