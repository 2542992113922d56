package org.sepnet.backend.cpu;

/**
 * How the native backend applies binarized weights (see {@code native/src/conv_op.h} and
 * {@code docs/native-backend.md} for the measurements behind {@link #AUTO}).
 *
 * <ul>
 *   <li>{@link #XOR}: each output adds the input rows whose sign is + and subtracts the others:
 *       c·kh·kw additions per output, no multiplications.</li>
 *   <li>{@link #LOOKUP}: for each input channel the 2^(kw−1) signed row sums R₀ ± R₁ ± … are built
 *       once; each output then adds or subtracts one of them per kernel row: c·kh additions per
 *       output, plus about 2^kw per input position shared by all outputs. On AVX-512, 3×3 and 5×5
 *       layers whose outputs per group are a multiple of 16 (at least 32) run it with the vector
 *       lanes holding 16 outputs: the signed sums of every tap row in a table, one permute and
 *       one addition per tap row, 16 outputs, channel and position.</li>
 *   <li>{@link #GEMM}: the signs unpacked once to ±1 floats and run through the register-blocked
 *       float GEMM, α applied in the epilogue: c·kh·kw fused multiply-adds per output.</li>
 *   <li>{@link #WINOGRAD}: Winograd's minimal filtering F(2×2, 3×3) for 3×3 stride-1 layers on
 *       AVX-512 with outputs per group a multiple of 16: each 2×2 block of outputs from the 4×4 input
 *       block under it, 16 multiply-adds per channel and output for 4 outputs instead of 36; the
 *       signs transform exactly (multiples of ¼), α in the epilogue. Its rounding error is bounded
 *       by 16 times the direct convolution's bound (see {@code docs/native-backend.md}). Layers it
 *       does not fit run what AUTO chooses.</li>
 *   <li>{@link #AUTO} (default), by measurement: on AVX-512, WINOGRAD for 3×3 stride-1 layers on
 *       planes at least 16 wide, or with 32 or more outputs per group on planes at least 8 wide when
 *       built for 8 or more images (not residual blocks); LOOKUP for 3×3 layers with 160 or
 *       more outputs per group or 64 or more inputs and outputs per group, and for 5×5 layers
 *       (output-vectorized, 1.2–1.5× the GEMM on SEP-Net's 3×3 layers; not in residual blocks); where
 *       the CPU has FMA (AVX2, AVX-512), otherwise GEMM for kernels up to 3 wide and LOOKUP for
 *       wider ones when it does fewer additions — (outputs per group)·(kw − 1) &gt; 2^kw — except
 *       on AVX-512 where the output-vectorized GEMM runs the layer; on the portable kernels, LOOKUP
 *       whenever it does fewer additions, else XOR (as fast as the GEMM there, with 32× smaller
 *       weights).</li>
 * </ul>
 */
public enum PatternAlgorithm {
    AUTO(0), XOR(1), LOOKUP(2), GEMM(3), WINOGRAD(4);

    final int code;

    PatternAlgorithm(int code) {
        this.code = code;
    }

    /** Parses {@code auto}, {@code xor}, {@code lookup}, {@code gemm} or {@code winograd} (any case). */
    public static PatternAlgorithm parse(String text) {
        for (PatternAlgorithm a : values()) {
            if (a.name().equalsIgnoreCase(text.strip())) {
                return a;
            }
        }
        throw new IllegalArgumentException("pattern algorithm '" + text + "' is not recognised; expected auto, xor, lookup, gemm or winograd");
    }
}
