// depthwise_conv.cu: depthwise convolution (one input and one output channel per group), float
// weights or pattern sign bits.
//
// Algorithm: direct. Each thread owns one output pixel of one plane (image, channel), walks the
// kh x kw taps of the channel's filter and accumulates the input (float: fused multiply-add with
// the weight; pattern: the filter's sign bit XOR-ed into the input value, alpha in the epilogue),
// then bias and ReLU. Depthwise work is memory-bound (9 reads and 9 FMAs per output for 3 x 3):
// the threads of a block cover a 32 x 8 tile of one plane, so the rows they share come from the
// L1 cache and each input is fetched from memory about once. All index arithmetic is 32-bit.
//
// Layout: x NCHW float32 (C channels); y N x C x OH x OW. Float weights C x kh x kw; pattern bits:
// per channel words = ceil(kh*kw / 32) uint32, bit ky*kw + kx, 1 = negative; alpha[C].
//
// Launch: block (32, 8), grid (ceil(OW / 32), ceil(OH / 8), min(N*C, 65535)); planes beyond the
// grid's z extent are taken in a loop.
#include "common.cuh"

template <bool PATTERN>
__device__ __forceinline__ void depthwise(const float* __restrict__ x, const float* __restrict__ w,
                                          const unsigned* __restrict__ bits,
                                          const float* __restrict__ alpha,
                                          const float* __restrict__ bias, float* __restrict__ y,
                                          const ConvParams& p, int relu) {
  const int ox = blockIdx.x * 32 + threadIdx.x;
  const int oy = blockIdx.y * 8 + threadIdx.y;
  if (ox >= p.ow || oy >= p.oh) return;
  const int taps = p.kh * p.kw;
  const int iy0 = oy * p.sh - p.ph;
  const int ix0 = ox * p.sw - p.pw;
  const int hw = p.h * p.w;
  const int planes = p.n * p.c;
  for (int plane = blockIdx.z; plane < planes; plane += gridDim.z) {
    const int c = plane % p.c;
    const float* xc = x + plane * hw;
    float acc = 0.f;
    if (PATTERN) {
      const unsigned* fb = bits + c * ((taps + 31) >> 5);
      unsigned word = 0;
      for (int ky = 0, t = 0; ky < p.kh; ++ky) {
        int iy = iy0 + ky * p.dh;
        bool row = (unsigned)iy < (unsigned)p.h;
        for (int kx = 0; kx < p.kw; ++kx, ++t) {
          if ((t & 31) == 0) word = __ldg(fb + (t >> 5));
          int ix = ix0 + kx * p.dw;
          if (row && (unsigned)ix < (unsigned)p.w)
            acc += apply_sign(__ldg(xc + iy * p.w + ix), (word >> (t & 31)) & 1u);
        }
      }
      acc *= __ldg(alpha + c);
    } else {
      const float* wc = w + c * taps;
      for (int ky = 0, t = 0; ky < p.kh; ++ky) {
        int iy = iy0 + ky * p.dh;
        bool row = (unsigned)iy < (unsigned)p.h;
        for (int kx = 0; kx < p.kw; ++kx, ++t) {
          int ix = ix0 + kx * p.dw;
          if (row && (unsigned)ix < (unsigned)p.w) acc = fmaf(__ldg(wc + t), __ldg(xc + iy * p.w + ix), acc);
        }
      }
    }
    if (bias) acc += __ldg(bias + c);
    y[(plane * p.oh + oy) * p.ow + ox] = relu ? fmaxf(acc, 0.f) : acc;
  }
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
