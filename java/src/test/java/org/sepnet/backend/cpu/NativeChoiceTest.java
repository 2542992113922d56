package org.sepnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.BuildInfo;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.testing.Data;

/**
 * Which native implementation runs a convolution and why: AUTO's ranked rules on the shapes that
 * decide them, the reason each op reports, forced algorithms taking their own implementations, and
 * forced algorithms refusing, with their reasons, problems they cannot run (never replaced).
 */
class NativeChoiceTest {
    @BeforeAll
    static void requireLibrary() {
        Assumptions.assumeTrue(BuildInfo.built("native.library"), () -> "native library not built: " + BuildInfo.skipReason("native"));
    }

    @Test
    void implementationNamesSayWhatRuns() {
        ConvDesc many = ConvDesc.builder().channels(16, 64).input(8, 8).kernel(3).pad(1).build();
        ConvDesc depthwise = ConvDesc.builder().channels(16, 16).input(8, 8).kernel(3).pad(1).depthwise().build();
        PatternWeights wMany = Data.pattern(64, 16, 3, 3, false, new SplittableRandom(1));
        PatternWeights wDw = Data.pattern(16, 1, 3, 3, false, new SplittableRandom(2));
        try (NativeBackend b = NativeBackend.create(1, "generic", PatternAlgorithm.AUTO);
             UnaryOp lookup = b.patternConv2d(many, wMany, Activation.NONE);
             UnaryOp xor = b.patternConv2d(depthwise, wDw, Activation.NONE);
             UnaryOp conv = b.conv2d(many, ConvWeights.random(64, 16, 3, 3, false, 3), Activation.NONE)) {
            assertEquals("native:pattern_conv_lookup_generic", lookup.implementation(), "64 outputs per group: lookup pays");
            assertEquals("native:pattern_conv_depthwise_generic", xor.implementation(), "depthwise: its own path");
            assertEquals("native:conv_gemm_generic", conv.implementation());
            assertEquals("generic", b.instructionSet());
            assertEquals(1, b.threads());
        }
        String best = NativeBackend.instructionSets().get(0);
        ConvDesc strided = many.toBuilder().stride(2).build();
        ConvDesc stride3 = many.toBuilder().stride(3).build();
        ConvDesc wide = ConvDesc.builder().channels(16, 192).input(8, 8).kernel(3).pad(1).build();
        ConvDesc square = ConvDesc.builder().channels(64, 64).input(8, 8).kernel(3).pad(1).build();
        ConvDesc stage2 = ConvDesc.builder().channels(32, 32).input(16, 16).kernel(3).pad(1).build();
        ConvDesc downBatch = ConvDesc.builder().batch(8).channels(16, 32).input(32, 32).kernel(3).pad(1).stride(2).build();
        try (NativeBackend b = NativeBackend.create(1, best, PatternAlgorithm.AUTO);
             UnaryOp lookupOv = b.patternConv2d(wide, Data.pattern(192, 16, 3, 3, false, new SplittableRandom(5)), Activation.NONE);
             UnaryOp lookupOv64 = b.patternConv2d(square, Data.pattern(64, 64, 3, 3, false, new SplittableRandom(6)), Activation.NONE);
             UnaryOp block = b.patternResidualBlock(PrbDesc.of(wide, 1), Data.pattern(192, 16, 3, 3, true, new SplittableRandom(7)),
                     Data.weights(192, 16, 1, 1, false, new SplittableRandom(8)), Activation.NONE);
             UnaryOp winograd = b.patternConv2d(ConvDesc.builder().channels(48, 48).input(16, 16).kernel(3).pad(1).build(),
                     Data.pattern(48, 48, 3, 3, false, new SplittableRandom(9)), Activation.NONE);
             UnaryOp stage2Xor = b.patternConv2d(stage2, Data.pattern(32, 32, 3, 3, false, new SplittableRandom(15)), Activation.NONE);
             UnaryOp down = b.patternConv2d(downBatch, Data.pattern(32, 16, 3, 3, false, new SplittableRandom(10)), Activation.NONE);
             UnaryOp downWide = b.patternConv2d(ConvDesc.builder().batch(32).channels(32, 64).input(16, 16).kernel(3).pad(1).stride(2).build(),
                     Data.pattern(64, 32, 3, 3, false, new SplittableRandom(13)), Activation.NONE);
             UnaryOp floatWinograd = b.conv2d(stage2, Data.weights(32, 32, 3, 3, true, new SplittableRandom(11)), Activation.NONE);
             UnaryOp floatDirect = b.conv2d(strided, Data.weights(64, 16, 3, 3, true, new SplittableRandom(12)), Activation.NONE);
             UnaryOp dw = b.patternConv2d(depthwise, wDw, Activation.NONE);
             UnaryOp s2 = b.patternConv2d(strided, wMany, Activation.NONE);
             UnaryOp s3 = b.patternConv2d(stride3, wMany, Activation.NONE);
             UnaryOp five = b.patternConv2d(many.toBuilder().kernel(5).pad(2).build(), Data.pattern(64, 16, 5, 5, false, new SplittableRandom(4)),
                     Activation.NONE);
             UnaryOp five48 = b.patternConv2d(ConvDesc.builder().batch(1).channels(16, 48).input(14, 14).kernel(5).pad(2).build(),
                     Data.pattern(48, 16, 5, 5, false, new SplittableRandom(14)), Activation.NONE)) {
            if (best.equals("avx512")) {
                assertEquals("native:pattern_conv_lookup_ov_avx512", lookupOv.implementation(), "3x3 with 192 outputs");
                assertEquals("native:pattern_conv_lookup_ov_avx512", lookupOv64.implementation(), "3x3 with 64 inputs and outputs");
                assertEquals("native:pattern_conv_winograd_avx512", winograd.implementation(), "3x3 stride 1, 48 outputs, 16 wide");
                assertEquals("native:pattern_conv_xor_avx512", stage2Xor.implementation(), "3x3 stride 1, 32 outputs: sign sets");
                assertEquals("native:conv_winograd_avx512", floatWinograd.implementation(), "float 3x3 stride 1, 32 outputs");
                assertEquals("native:pattern_conv_lookup_ov_avx512", downWide.implementation(), "3x3 stride 2, 64 outputs, 8x8 out");
                assertEquals("native:conv_gemm_ov_avx512", floatDirect.implementation(), "float 3x3 stride 2");
                // A residual block runs neither output-vectorized kernel: with 16 inputs, xor's sign sets.
                assertEquals("native:prb_xor_avx512", block.implementation(), "residual block with 192 outputs");
                assertEquals("native:pattern_conv_xor_avx512", down.implementation(), "3x3 stride 2, 32 outputs, 8 images: sign sets");
                assertEquals("native:pattern_conv_xor_avx512", five48.implementation(), "5x5 with 48 outputs: sign sets");
                assertEquals("auto: 3x3 stride 1, planes 16+ wide", winograd.reason());
                assertEquals("auto: 5x5, up to 48 outputs per group, 72+ taps per filter (AVX-512)", five48.reason());
                assertEquals("auto: residual block, 72+ taps per filter (AVX-512)", block.reason());
            }
            if (!best.equals("generic")) {
                // 5x5, 64 outputs: the lookup, output-vectorized on AVX-512.
                assertEquals(best.equals("avx512") ? "native:pattern_conv_lookup_ov_avx512" : "native:pattern_conv_lookup_" + best,
                        five.implementation(), "5x5 with 64 outputs");
                assertEquals("native:pattern_conv_depthwise_" + best, dw.implementation(), "depthwise: its own path");
                // 64 outputs per group: AVX-512 vectorizes over outputs (gemm_ov), the others over positions.
                String gemm = best.equals("avx512") ? "gemm_ov_" : "gemm_";
                assertEquals("native:pattern_conv_" + gemm + best, s2.implementation(), "stride 2: the phase layout, no im2col");
            }
            assertTrue(s3.implementation().contains("_im2col_"), "stride 3 builds im2col tiles: " + s3.implementation());
        }
    }

    @Test
    void forcedAlgorithmsRunTheirOwnImplementationOrRefuseSayingWhy() {
        String best = NativeBackend.instructionSets().get(0);
        ConvDesc five = ConvDesc.builder().channels(8, 16).input(9, 9).kernel(5).pad(2).build();
        ConvDesc depthwise = ConvDesc.builder().channels(16, 16).input(8, 8).kernel(3).pad(1).depthwise().build();
        ConvDesc wide = ConvDesc.builder().channels(8, 16).input(9, 9).kernel(1, 9).pad(0, 4).build();
        PatternWeights w5 = Data.pattern(16, 8, 5, 5, false, new SplittableRandom(1));
        PatternWeights wDw = Data.pattern(16, 1, 3, 3, false, new SplittableRandom(2));
        PatternWeights w19 = Data.pattern(16, 8, 1, 9, false, new SplittableRandom(3));
        try (NativeBackend xor = NativeBackend.create(1, best, PatternAlgorithm.XOR);
             NativeBackend gemm = NativeBackend.create(1, best, PatternAlgorithm.GEMM);
             NativeBackend lookup = NativeBackend.create(1, best, PatternAlgorithm.LOOKUP);
             NativeBackend winograd = NativeBackend.create(1, best, PatternAlgorithm.WINOGRAD);
             UnaryOp xorDw = xor.patternConv2d(depthwise, wDw, Activation.NONE);
             UnaryOp gemmDw = gemm.patternConv2d(depthwise, wDw, Activation.NONE);
             UnaryOp lookup5 = lookup.patternConv2d(five, w5, Activation.NONE)) {
            // Depthwise problems: xor runs them itself; gemm's implementations start with the depthwise kernel.
            assertEquals("native:pattern_conv_xor_" + best, xorDw.implementation());
            assertEquals("forced: xor", xorDw.reason());
            assertEquals("native:pattern_conv_depthwise_" + best, gemmDw.implementation());
            assertEquals("forced: gemm", gemmDw.reason());
            assertTrue(lookup5.implementation().startsWith("native:pattern_conv_lookup_"), lookup5.implementation());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> winograd.patternConv2d(five, w5, Activation.NONE));
            assertTrue(e.getMessage().contains(five.problem() + ": the winograd algorithm cannot run this problem: winograd needs "),
                    e.getMessage());
            if (best.equals("avx512")) {
                assertTrue(e.getMessage().endsWith("needs a 3x3 kernel; this is 5x5"), e.getMessage());
            }
            e = assertThrows(IllegalArgumentException.class, () -> lookup.patternConv2d(wide, w19, Activation.NONE));
            assertTrue(e.getMessage().endsWith("lookup needs a kernel width of 2 to 7; this is 9"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> winograd.patternResidualBlock(PrbDesc.of(five, 1), w5,
                    Data.weights(16, 8, 1, 1, false, new SplittableRandom(4)), Activation.NONE));
            assertTrue(e.getMessage().endsWith("winograd runs no residual block"), e.getMessage());
        }
    }

    @Test
    void theRankingListsEveryImplementationInOrder() {
        List<String> names = NativeBackend.convolutionRanking().lines().map(l -> l.substring(l.indexOf(' ') + 1, l.indexOf(' ', l.indexOf(' ') + 1)))
                .toList();
        assertEquals(List.of("depthwise", "xor", "winograd", "lookup_ov", "lookup", "gemm_ov", "gemm"), names,
                NativeBackend.convolutionRanking());
    }
}
