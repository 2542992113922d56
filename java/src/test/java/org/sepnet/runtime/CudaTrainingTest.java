package org.sepnet.runtime;

import org.sepnet.backend.Backend;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.testing.RequiresGpu;

/** The CUDA backend's training kernels ({@code cuda/train.cu}) against the reference ({@link TrainingConformance}). */
@RequiresGpu
class CudaTrainingTest extends TrainingConformance {
    @Override
    Backend backend() {
        return CudaBackend.instance();
    }
}
