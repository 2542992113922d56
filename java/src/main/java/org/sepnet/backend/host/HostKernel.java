package org.sepnet.backend.host;

import java.nio.FloatBuffer;

/** A host kernel: reads {@code in}, writes {@code out}, for {@code batch} samples. */
@FunctionalInterface
public interface HostKernel {
    void run(FloatBuffer in, FloatBuffer out, int batch);
}
