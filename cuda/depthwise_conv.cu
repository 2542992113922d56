// depthwise_conv.cu: depthwise convolution (one input and one output channel per group), float
// weights or pattern sign bits.
//
// Algorithm: direct. Each thread owns one output element, walks the kh x kw taps of its channel's
// filter and accumulates the input (float: fused multiply-add with the weight; pattern: the
// filter's sign bit XOR-ed into the input value, then alpha in the epilogue), then bias and ReLU.
// Depthwise work is memory-bound (9 reads and 9 FMAs per output for 3 x 3): neighbouring threads
// read overlapping rows, which the L1 cache serves, so each input is fetched from memory about
// once. No shared memory or tiling: GEMM formulations waste most of their work here.
//
// Layout: x NCHW float32 (C channels); y N x C x OH x OW. Float weights C x kh x kw; pattern bits:
// per channel words = ceil(kh*kw / 32) uint32, bit ky*kw + kx, 1 = negative; alpha[C].
//
// Launch: block 256, grid ceil(N*C*OH*OW / 256); output index = thread index (coalesced stores).
#include "common.cuh"

template <bool PATTERN>
__device__ __forceinline__ void depthwise(const float* __restrict__ x, const float* __restrict__ w,
                                          const unsigned* __restrict__ bits,
                                          const float* __restrict__ alpha,
                                          const float* __restrict__ bias, float* __restrict__ y,
                                          const ConvParams& p, int relu) {
  long idx = (long)blockIdx.x * blockDim.x + threadIdx.x;
  OutputIndex at;
  if (!decode_output(p, idx, &at)) return;
  const int c = at.o;
  const float* xc = x + ((long)at.n * p.c + c) * p.h * p.w;
  const int taps = p.kh * p.kw;
  const int iy0 = at.oy * p.sh - p.ph;
  const int ix0 = at.ox * p.sw - p.pw;
  float acc = 0.f;
  if (PATTERN) {
    const unsigned* fb = bits + (long)c * ((taps + 31) >> 5);
    unsigned word = 0;
    for (int ky = 0, t = 0; ky < p.kh; ++ky) {
      int iy = iy0 + ky * p.dh;
      for (int kx = 0; kx < p.kw; ++kx, ++t) {
        if ((t & 31) == 0) word = __ldg(fb + (t >> 5));
        int ix = ix0 + kx * p.dw;
        if ((unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w)
          acc += apply_sign(__ldg(xc + (long)iy * p.w + ix), (word >> (t & 31)) & 1u);
      }
    }
    acc *= __ldg(alpha + c);
  } else {
    const float* wc = w + (long)c * taps;
    for (int ky = 0, t = 0; ky < p.kh; ++ky) {
      int iy = iy0 + ky * p.dh;
      for (int kx = 0; kx < p.kw; ++kx, ++t) {
        int ix = ix0 + kx * p.dw;
        if ((unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w)
          acc = fmaf(__ldg(wc + t), __ldg(xc + (long)iy * p.w + ix), acc);
      }
    }
  }
  if (bias) acc += __ldg(bias + c);
  y[idx] = relu ? fmaxf(acc, 0.f) : acc;
}

extern "C" __global__ void __launch_bounds__(256) sepnet_depthwise_float(
    const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
    float* __restrict__ y, ConvParams p, int relu) {
  depthwise<false>(x, w, nullptr, nullptr, bias, y, p, relu);
}

extern "C" __global__ void __launch_bounds__(256) sepnet_depthwise_pattern(
    const float* __restrict__ x, const unsigned* __restrict__ bits, const float* __restrict__ alpha,
    const float* __restrict__ bias, float* __restrict__ y, ConvParams p, int relu) {
  depthwise<true>(x, nullptr, bits, alpha, bias, y, p, relu);
}
