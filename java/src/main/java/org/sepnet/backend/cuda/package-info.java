/**
 * The CUDA backend: kernels from {@code cuda/} compiled into one fatbin at build time, loaded from
 * the jar with {@code cuModuleLoadData} into the device's primary context and launched through
 * JCuda's driver API. Detection never throws at the user: a missing driver or device, an old driver
 * or a failed module load makes the backend unavailable with the reason.
 */
package org.sepnet.backend.cuda;
