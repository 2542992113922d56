package org.sepnet.backend.cuda;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.ops.ConvDesc;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.NonFinite;
import org.sepnet.testing.RequiresGpu;

/** The NaN/Inf contract (see {@link NonFinite}) on every CUDA kernel, on the CUDA conformance sweep. */
@RequiresGpu
class CudaNonFiniteTest {
    static Stream<ConvDesc> convolutions() {
        return CudaBackendTest.sweep();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void patternAndFloatConvolutions(ConvDesc d) {
        NonFinite.convolutions(d).forEach(c -> NonFinite.check(c, CudaBackend.instance(), "cuda"));
    }

    static Stream<Arguments> blocks() {
        return CudaBackendTest.blocks();
    }

    @ParameterizedTest(name = "{0} 1x1 in {1} groups")
    @MethodSource("blocks")
    void residualBlocks(ConvDesc k, int pointwiseGroups) {
        NonFinite.check(NonFinite.residualBlock(k, pointwiseGroups), CudaBackend.instance(), "cuda");
    }

    @Test
    void layers() {
        NonFinite.layers().forEach(c -> NonFinite.check(c, CudaBackend.instance(), "cuda"));
        NonFinite.checkAdd(CudaBackend.instance(), Shape.of(4, 300));
    }
}
