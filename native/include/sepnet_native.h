/* sepnet_native.h: C entry points of the native CPU kernels, bound to Java by JavaCPP in
 * org.sepnet.backend.cpu.NativeKernels.
 *
 * Model: a context (thread pool + instruction set) creates ops; an op packs its weights and
 * allocates its scratch memory once, then runs any number of times without allocating
 * (create -> run -> destroy). Handles are opaque 64-bit values; 0 means failure, and
 * sepnet_last_error() says why. One op runs at a time per context.
 *
 * Conventions shared by every entry point:
 *  - Tensors are NCHW float32, dense, C order, owned by the caller (zero-copy from Java).
 *  - `problem` is a convolution as 14 int32: n, c, h, w, o, groups, kh, kw, sh, sw, ph, pw, dh, dw,
 *    with n the largest batch; the output is n x o x oh x ow, oh = (h + 2ph - dh(kh-1) - 1)/sh + 1.
 *  - Pattern weights: per output filter, ceil(c/groups * kh * kw / 32) uint32 words of sign bits,
 *    bit i = (c*kh + ky)*kw + kx, least significant bit first, 1 = negative, unused bits 0;
 *    alpha has o floats; bias has o floats or is NULL.
 *  - Status codes: SEPNET_OK or a negative SEPNET_E_*.
 */
#ifndef SEPNET_NATIVE_H
#define SEPNET_NATIVE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEPNET_NATIVE_ABI_VERSION 5
#define SEPNET_OK 0
#define SEPNET_E_NULL (-1)
#define SEPNET_E_SHAPE (-2)
#define SEPNET_E_HANDLE (-3)

/* Pattern convolution algorithms. AUTO takes the first implementation of the ranked list
 * (sepnet_native_conv_ranking) that runs the problem and whose measured rule holds; the others
 * force an algorithm: the first of its implementations that runs the problem, or the op is refused
 * (0, sepnet_last_error says why), never replaced. */
#define SEPNET_PATTERN_AUTO 0     /* the ranked list's measured rules */
#define SEPNET_PATTERN_XOR 1      /* input rows added or subtracted by sign, no multiplications (xor) */
#define SEPNET_PATTERN_LOOKUP 2   /* signed row sums built once per channel, gathered per output (lookup_ov, lookup) */
#define SEPNET_PATTERN_GEMM 3     /* multiply-adds with the signs as +-1, alpha in the epilogue (depthwise, gemm_ov, gemm) */
#define SEPNET_PATTERN_WINOGRAD 4 /* Winograd F(2x2, 3x3): 3x3, stride 1, AVX-512 (winograd) */

int sepnet_native_abi_version(void);
/* CPU features seen at run time, e.g. "avx512f avx512bw avx2 fma". */
const char* sepnet_native_cpu_features(void);
/* Instruction sets this CPU can run among those compiled in, best first: "avx512 avx2 generic". */
const char* sepnet_native_isas(void);
/* Why the last call on this thread failed. */
const char* sepnet_last_error(void);

/* threads >= 1; isa is "auto" or one of sepnet_native_isas(). */
int64_t sepnet_context_create(int32_t threads, const char* isa);
void sepnet_context_destroy(int64_t ctx);
/* A second handle on the same context (its own sepnet_context_destroy): the thread pool lives until
 * the last handle and the last op created from it are destroyed. */
int64_t sepnet_context_retain(int64_t ctx);
const char* sepnet_context_isa(int64_t ctx);
int32_t sepnet_context_threads(int64_t ctx);

/* Float convolution (any kernel, stride, padding, dilation, groups): y = act(W * x + bias). */
int64_t sepnet_conv_create(int64_t ctx, const int32_t* problem, const float* weights, const float* bias,
                           int32_t relu);
/* Pattern convolution: y = act(alpha[o] * (B[o] * x) + bias[o]). */
int64_t sepnet_pattern_conv_create(int64_t ctx, const int32_t* problem, const uint32_t* bits, const float* alpha,
                                   const float* bias, int32_t relu, int32_t algorithm);
/* Fused pattern residual block: y = act(alpha[o] * (B[o] * x) + W1[o] . x(oy*sh, ox*sw) + bias[o]);
 * w1 is o x (c / groups1); the 1x1 branch has no padding and must give the same output size. */
int64_t sepnet_prb_create(int64_t ctx, const int32_t* problem, const uint32_t* bits, const float* alpha,
                          const float* w1, int32_t groups1, const float* bias, int32_t relu, int32_t algorithm);
/* Fully connected: y[n, :] = act(W x[n, :] + bias), W is out x in. */
int64_t sepnet_fc_create(int64_t ctx, int32_t batch, int32_t in, int32_t out, const float* w, const float* bias,
                         int32_t relu);
/* Pooling; geometry = n, c, ih, iw, kh, kw, sh, sw, ph, pw, oh, ow. */
int64_t sepnet_pool_create(int64_t ctx, int32_t max, const int32_t* geometry, int32_t count_include_pad);
/* Per-channel affine (inference batch norm): y[n, c, :] = act(scale[c] * x[n, c, :] + shift[c]). */
int64_t sepnet_affine_create(int64_t ctx, int32_t batch, int32_t channels, int64_t inner, const float* scale,
                             const float* shift, int32_t relu);

int32_t sepnet_op_run(int64_t op, const float* x, float* y, int32_t batch);
/* Implementation name, e.g. "native:pattern_conv_lookup_avx512". */
const char* sepnet_op_name(int64_t op);
/* Why that implementation runs it, e.g. "auto: 5x5" or "forced: xor" (convolutions; "" otherwise). */
const char* sepnet_op_reason(int64_t op);
/* The convolution implementations in rank order with AUTO's rule for each, one per line. */
const char* sepnet_native_conv_ranking(void);
/* About how many bytes the op holds (packed weights, scratch), measured when it was created. */
int64_t sepnet_op_bytes(int64_t op);
void sepnet_op_destroy(int64_t op);

/* Measured peak of the context: multiply-add throughput of its instruction set on all its threads
 * for about `millis` milliseconds, in GFLOP/s (a fused multiply-add counts 2). */
double sepnet_measure_peak_gflops(int64_t ctx, int32_t millis);

/* Stateless element-wise ops. */
int32_t sepnet_add(int64_t ctx, const float* a, const float* b, float* y, int64_t n, int32_t relu);
int32_t sepnet_relu(int64_t ctx, const float* x, float* y, int64_t n);
int32_t sepnet_softmax(int64_t ctx, const float* x, float* y, int32_t rows, int32_t cols);
/* dst[i*dst_block + dst_offset + j] = src[i*src_block + j] for i < count, j < src_block. */
int32_t sepnet_copy_blocks(int64_t ctx, const float* src, float* dst, int32_t count, int64_t src_block,
                           int64_t dst_block, int64_t dst_offset);

/* Training (back-propagation). Results do not depend on the thread count: each value is summed by
 * one thread in a fixed order. Weights and their gradients are passed with each call (training
 * changes them every step); outputs and gradients are overwritten, never accumulated into. */
/* Float convolution trainer for `problem` (scratch for its batch); destroy with sepnet_op_destroy. */
int64_t sepnet_conv_train_create(int64_t ctx, const int32_t* problem);
/* y = W * x + bias (bias may be NULL). */
int32_t sepnet_conv_train_forward(int64_t op, const float* x, const float* w, const float* bias, float* y, int32_t batch);
/* dx = the gradient of the input: W^T * dy, as a transposed convolution. */
int32_t sepnet_conv_train_backward_data(int64_t op, const float* dy, const float* w, float* dx, int32_t batch);
/* dw = sum over the batch of dy * im2col(x)^T; db = sum of dy per output (db NULL: none). */
int32_t sepnet_conv_train_backward_weights(int64_t op, const float* x, const float* dy, float* dw, float* db,
                                           int32_t batch);
/* Pooling backward, geometry as sepnet_pool_create: max sends each dy to the first maximum of its
 * window in scan order (a NaN wins); average spreads it over the window. */
int32_t sepnet_pool_backward(int64_t ctx, int32_t max, const int32_t* geometry, int32_t count_include_pad,
                             const float* x, const float* dy, float* dx, int32_t batch);
/* Per channel of [batch, channels, inner]: sum_a[c] = sum of a; sum_ab[c] = sum of a * (b - shift[c])
 * when b is not NULL (shift NULL: 0). Accumulated in double. With a mask (a ReLU's output; may be
 * NULL), a is taken as 0 wherever the mask is not positive or NaN: ReLU's backward pass on the fly. */
int32_t sepnet_channel_sums(int64_t ctx, const float* a, const float* mask, const float* b, const float* shift,
                            int32_t batch, int32_t channels, int64_t inner, double* sum_a, double* sum_ab);
/* y = A[c] * a + B[c] * b + C[c] per channel (b NULL: no second term; A NULL: 1; C NULL: 0), a masked
 * as in sepnet_channel_sums (mask may be NULL), then max(y, 0) (NaN kept) when relu is not 0. */
int32_t sepnet_channel_affine(int64_t ctx, const float* a, const float* mask, const float* b, const float* A,
                              const float* B, const float* C, int32_t relu, float* y, int32_t batch, int32_t channels,
                              int64_t inner);
/* dx = y > 0 or y NaN ? dy : 0 (y the ReLU's output). */
int32_t sepnet_relu_backward(int64_t ctx, const float* y, const float* dy, float* dx, int64_t n);
/* Fully connected training, W out x in: y = x W^T + bias; dx = dy W (dx NULL: none), dw = dy^T x,
 * db = column sums of dy (NULL: none). */
int32_t sepnet_fc_train_forward(int64_t ctx, const float* x, const float* w, const float* bias, float* y,
                                int32_t batch, int32_t in, int32_t out);
int32_t sepnet_fc_train_backward(int64_t ctx, const float* x, const float* w, const float* dy, float* dx, float* dw,
                                 float* db, int32_t batch, int32_t in, int32_t out);

#ifdef __cplusplus
}
#endif

#endif /* SEPNET_NATIVE_H */
