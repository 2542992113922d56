/* sepnet_native.h: C entry points of the native CPU kernels (bound to Java by JavaCPP in
 * org.sepnet.backend.cpu.NativeKernels).
 *
 * Conventions shared by every entry point:
 *  - Tensors are NCHW float32, dense, C order, owned by the caller (zero-copy from Java).
 *  - `problem` is the convolution descriptor as 14 int32:
 *      n, c, h, w, o, groups, kh, kw, sh, sw, ph, pw, dh, dw
 *    and the output is n x o x oh x ow with oh = (h + 2ph - dh(kh-1) - 1) / sh + 1 (same for w).
 *  - Pattern weights: per output filter, ceil(c/groups * kh * kw / 32) uint32 words of sign bits,
 *    bit i = (c*kh + ky)*kw + kx, least significant bit first, 1 = negative, unused bits 0;
 *    alpha has o floats; bias has o floats or is NULL.
 *  - Return value: SEPNET_OK, or a negative SEPNET_E_* code; the Java side validates arguments
 *    first, so an error code means a caller bug and is reported with the problem.
 */
#ifndef SEPNET_NATIVE_H
#define SEPNET_NATIVE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEPNET_NATIVE_ABI_VERSION 1
#define SEPNET_OK 0
#define SEPNET_E_NULL (-1)
#define SEPNET_E_SHAPE (-2)

/* ABI version of this library; the Java binding refuses a library with another version. */
int sepnet_native_abi_version(void);

/* CPU features this library detected at run time, e.g. "avx512f avx2 fma". */
const char* sepnet_native_cpu_features(void);

/* y = alpha[o] * sum(+-x) (+ bias[o]) (ReLU if relu != 0). */
int sepnet_pattern_conv2d(const float* x, const uint32_t* bits, const float* alpha,
                          const float* bias, float* y, const int32_t* problem, int32_t relu);

/* Fused pattern residual block: y = alpha[o] * sum(+-x) + sum(w1 * x) (+ bias[o]) (ReLU).
 * The 1x1 branch uses groups1 groups, the k x k branch's stride and no padding, so it reads
 * input pixel (oy*sh, ox*sw); w1 is o x (c / groups1) float32. Its output size must equal the
 * k x k branch's (padding dh*(kh-1)/2 x dw*(kw-1)/2 there). */
int sepnet_prb_conv2d(const float* x, const uint32_t* bits, const float* alpha, const float* w1,
                      const float* bias, float* y, const int32_t* problem, int32_t groups1,
                      int32_t relu);

#ifdef __cplusplus
}
#endif

#endif /* SEPNET_NATIVE_H */
