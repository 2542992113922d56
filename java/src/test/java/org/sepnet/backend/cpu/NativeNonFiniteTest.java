package org.sepnet.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.backend.BuildInfo;
import org.sepnet.ops.ConvDesc;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.NonFinite;

/**
 * The NaN/Inf contract on every native kernel: each algorithm (forced, on the best instruction set
 * and the portable one) on the native conformance sweep, with ReLU fused, and every other op.
 */
class NativeNonFiniteTest {
    private static final List<NativeBackend> BACKENDS = new ArrayList<>();

    @BeforeAll
    static void backends() {
        Assumptions.assumeTrue(BuildInfo.built("native.library"), () -> "native library not built: " + BuildInfo.skipReason("native"));
        List<String> isas = NativeBackend.instructionSets();
        for (PatternAlgorithm a : PatternAlgorithm.values()) {
            BACKENDS.add(NativeBackend.create(2, isas.get(0), a));
        }
        BACKENDS.add(NativeBackend.create(1, "generic", PatternAlgorithm.AUTO));
    }

    @AfterAll
    static void close() {
        BACKENDS.forEach(NativeBackend::close);
        BACKENDS.clear();
    }

    private static void everywhere(NonFinite.Case c) {
        for (NativeBackend b : BACKENDS) {
            try {
                NonFinite.check(c, b, b.availability().detail());
            } catch (IllegalArgumentException refused) {
                // a forced algorithm that cannot run this problem (NativeChoiceTest checks the reasons)
                if (!refused.getMessage().contains(" algorithm cannot run this problem: ")) {
                    throw refused;
                }
            }
        }
    }

    static Stream<ConvDesc> convolutions() {
        return NativeBackendTest.sweep();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void patternAndFloatConvolutions(ConvDesc d) {
        NonFinite.convolutions(d).forEach(NativeNonFiniteTest::everywhere);
    }

    static Stream<Arguments> blocks() {
        return NativeBackendTest.blocks();
    }

    @ParameterizedTest(name = "{0} 1x1 in {1} groups")
    @MethodSource("blocks")
    void residualBlocks(ConvDesc k, int pointwiseGroups) {
        everywhere(NonFinite.residualBlock(k, pointwiseGroups));
    }

    @Test
    void layers() {
        NonFinite.layers().forEach(NativeNonFiniteTest::everywhere);
        NonFinite.checkAdd(org.sepnet.backend.reference.ReferenceBackend.instance(), Shape.of(4, 300));
        NonFinite.checkAdd(BACKENDS.get(0), Shape.of(4, 300));
    }
}
