package org.sepnet.backend.cpu;

/**
 * How the native backend runs binarized weights. Its convolutions come from one ranked list of
 * implementations ({@link NativeBackend#convolutionRanking()}, {@code ./sepnet info}; the rules and
 * the measurements behind them are in {@code docs/native-backend.md}); each op reports which one it
 * got and why ({@link org.sepnet.ops.Op#reason()}).
 *
 * <ul>
 *   <li>{@link #AUTO} (default): the first implementation in rank order that runs the problem and
 *       whose measured rule holds.</li>
 *   <li>{@link #XOR}: each output adds the input rows whose sign is + and subtracts the others, a
 *       sign set of up to 4 outputs sharing each addition: no multiplications.</li>
 *   <li>{@link #LOOKUP}: the signed sums of each tap row are built once per input position, and each
 *       output adds one of them per kernel row: c·kh additions per output instead of c·kh·kw. On
 *       AVX-512, 3×3 and 5×5 layers with 32+ outputs per group (a multiple of 16) run it with 16
 *       outputs in the vector lanes ({@code lookup_ov}); elsewhere on signed-sum planes, for kernel
 *       widths 2 to 7 ({@code lookup}).</li>
 *   <li>{@link #GEMM}: the signs as ±1 floats through a register-blocked GEMM, α in the epilogue:
 *       the depthwise kernel for one channel per group, the output-vectorized GEMM where it fits
 *       (AVX-512), else the position-major one.</li>
 *   <li>{@link #WINOGRAD}: Winograd's F(2×2, 3×3) for 3×3 stride-1 layers (not residual blocks) on
 *       AVX-512 with outputs per group a multiple of 16: 16 multiply-adds per channel and output for 4
 *       outputs instead of 36; the signs transform exactly, α in the epilogue. Its rounding error is
 *       bounded by 16 times the direct convolution's.</li>
 * </ul>
 * A forced algorithm runs the first of its implementations that runs the problem; a problem none of
 * them runs is refused with an {@link IllegalArgumentException} giving their reasons (it is never
 * run by another algorithm).
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
