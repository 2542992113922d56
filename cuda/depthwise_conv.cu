// depthwise_conv.cu: depthwise convolution (one input and one output channel per group), float
// weights or pattern sign bits.
//
// Algorithm: direct. Each thread owns one output pixel of one plane (image, channel), walks the
// kh x kw taps of the channel's filter and accumulates the input (float: fused multiply-add with
// the weight; pattern: the filter's sign bit XOR-ed into the input value, alpha in the epilogue),
// then bias and ReLU. Depthwise work is memory-bound (9 reads and 9 FMAs per output for 3 x 3):
// consecutive threads own consecutive outputs (planes back to back, so small planes waste no
// threads), the rows they share come from the L1 cache, and each input is fetched from memory
// about once. All index arithmetic is 32-bit. (32 x 8 tiles of one plane measured slower on 14 x 14
// planes: 111 vs 69 us for 32 x 512 channels on the H200.)
//
// Layout: x NCHW float32 (C channels); y N x C x OH x OW. Float weights C x kh x kw; pattern bits:
// per channel words = ceil(kh*kw / 32) uint32, bit ky*kw + kx, 1 = negative; alpha[C].
//
// Variants: sepnet_depthwise_{float,pattern} for any kernel; sepnet_depthwise3_{float,pattern} for
// 3 x 3 at dilation 1, with the taps unrolled at compile time.
//
// Launch: block 256, grid min(ceil(N*C*OH*OW / 256), 2^20), grid-stride.
#include "common.cuh"

// K > 0: a K x K kernel at dilation 1, taps unrolled at compile time (the 3 x 3 layers of MobileNet
// and SEP-Nets); K == 0: any kernel from p.
template <bool PATTERN, int K>
__device__ __forceinline__ void depthwise(const float* __restrict__ x, const float* __restrict__ w,
                                          const unsigned* __restrict__ bits,
                                          const float* __restrict__ alpha,
                                          const float* __restrict__ bias, float* __restrict__ y,
                                          const ConvParams& p, int relu) {
  const int ohw = p.oh * p.ow;
  const int total = p.n * p.c * ohw;
  const int kh = K > 0 ? K : p.kh, kw = K > 0 ? K : p.kw;
  const int dh = K > 0 ? 1 : p.dh, dw = K > 0 ? 1 : p.dw;
  const int taps = kh * kw;
  const int hw = p.h * p.w;
  for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const int plane = idx / ohw;
    const int pix = idx - plane * ohw;
    const int oy = pix / p.ow, ox = pix - oy * p.ow;
    const int iy0 = oy * p.sh - p.ph;
    const int ix0 = ox * p.sw - p.pw;
    const int c = plane % p.c;
    const float* xc = x + plane * hw;
    float acc = 0.f;
    if (PATTERN) {
      const unsigned* fb = bits + c * ((taps + 31) >> 5);
      unsigned word = 0;
#pragma unroll
      for (int ky = 0; ky < kh; ++ky) {
        int iy = iy0 + ky * dh;
        bool row = (unsigned)iy < (unsigned)p.h;
#pragma unroll
        for (int kx = 0; kx < kw; ++kx) {
          const int t = ky * kw + kx;
          if ((t & 31) == 0) word = __ldg(fb + (t >> 5));
          int ix = ix0 + kx * dw;
          if (row && (unsigned)ix < (unsigned)p.w)
            acc += apply_sign(__ldg(xc + iy * p.w + ix), (word >> (t & 31)) & 1u);
        }
      }
      acc *= __ldg(alpha + c);
    } else {
      const float* wc = w + c * taps;
#pragma unroll
      for (int ky = 0; ky < kh; ++ky) {
        int iy = iy0 + ky * dh;
        bool row = (unsigned)iy < (unsigned)p.h;
#pragma unroll
        for (int kx = 0; kx < kw; ++kx) {
          const int t = ky * kw + kx;
          int ix = ix0 + kx * dw;
          if (row && (unsigned)ix < (unsigned)p.w) acc = fmaf(__ldg(wc + t), __ldg(xc + iy * p.w + ix), acc);
        }
      }
    }
    if (bias) acc += __ldg(bias + c);
    y[idx] = relu ? relu_f(acc) : acc;
  }
}

extern "C" __global__ void __launch_bounds__(256) sepnet_depthwise_float(
    const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
    float* __restrict__ y, ConvParams p, int relu) {
  depthwise<false, 0>(x, w, nullptr, nullptr, bias, y, p, relu);
}

extern "C" __global__ void __launch_bounds__(256) sepnet_depthwise3_float(
    const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
    float* __restrict__ y, ConvParams p, int relu) {
  depthwise<false, 3>(x, w, nullptr, nullptr, bias, y, p, relu);
}

extern "C" __global__ void __launch_bounds__(256) sepnet_depthwise_pattern(
    const float* __restrict__ x, const unsigned* __restrict__ bits, const float* __restrict__ alpha,
    const float* __restrict__ bias, float* __restrict__ y, ConvParams p, int relu) {
  depthwise<true, 0>(x, nullptr, bits, alpha, bias, y, p, relu);
}

extern "C" __global__ void __launch_bounds__(256) sepnet_depthwise3_pattern(
    const float* __restrict__ x, const unsigned* __restrict__ bits, const float* __restrict__ alpha,
    const float* __restrict__ bias, float* __restrict__ y, ConvParams p, int relu) {
  depthwise<true, 3>(x, nullptr, bits, alpha, bias, y, p, relu);
}
