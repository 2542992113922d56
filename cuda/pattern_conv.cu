// pattern_conv.cu: the fused pattern residual block for branch groupings that do not nest (e.g. 2
// and 3 groups), where neither conv_gemm.cu nor conv_direct.cu can keep a tile in one group of each.
//
// Algorithm: direct convolution. Each thread owns one output element (n, o, oy, ox), walks its
// filter's sign bits (c, ky, kx) in storage order and adds the input value with its sign bit
// XOR-ed in (no multiplications), then applies the epilogue y = alpha[o] * acc + pointwise term
// (+ bias[o]) (ReLU).
//
// Layout: x is NCHW float32; y is N x O x OH x OW float32. bits: per output filter o,
// words = ceil(cpg*kh*kw / 32) uint32 words; bit i = (c*kh + ky)*kw + kx of the filter's row,
// least significant bit first, 1 = negative, unused bits 0. alpha[O]; bias[O] or null.
// Pointwise (PRB only): w1 is O x (C / groups1) float32, reading input pixel (oy*sh, ox*sw)
// (the 1x1 branch has no padding; the host checked that both branches' outputs line up).
//
// Launch: 1-D grid, block 256, grid = ceil(N*O*OH*OW / 256). Output index = thread index, so
// consecutive threads write consecutive ox (coalesced stores).
#include "common.cuh"

__device__ __forceinline__ float pattern_dot(const float* __restrict__ xg,
                                             const unsigned* __restrict__ fb,
                                             const ConvParams& p, int cpg, int oy, int ox) {
  float acc = 0.f;
  int bit = 0;
  for (int c = 0; c < cpg; ++c) {
    const float* xc = xg + (long)c * p.h * p.w;
    for (int ky = 0; ky < p.kh; ++ky) {
      int iy = oy * p.sh - p.ph + ky * p.dh;
      bool row_in = iy >= 0 && iy < p.h;
      for (int kx = 0; kx < p.kw; ++kx, ++bit) {
        int ix = ox * p.sw - p.pw + kx * p.dw;
        if (row_in && ix >= 0 && ix < p.w) {
          unsigned negative = (__ldg(fb + (bit >> 5)) >> (bit & 31)) & 1u;
          acc += apply_sign(__ldg(xc + (long)iy * p.w + ix), negative);
        }
      }
    }
  }
  return acc;
}

// Fused pattern residual block: y = alpha[o] * (B_o * x) + (W1_o * x) + bias[o], optional ReLU.
// The k x k pattern branch and the 1 x 1 branch read the same input in the same thread, and the
// output is written once.
extern "C" __global__ void sepnet_prb_conv2d(const float* __restrict__ x,
                                             const unsigned* __restrict__ bits,
                                             const float* __restrict__ alpha,
                                             const float* __restrict__ w1,
                                             const float* __restrict__ bias,
                                             float* __restrict__ y, ConvParams p,
                                             int groups1, int relu) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  OutputIndex at;
  if (!decode_output(p, idx, &at)) return;
  const int n = at.n, o = at.o, oy = at.oy, ox = at.ox;
  int cpg = p.c / p.groups;
  int g = o / (p.o / p.groups);
  int words = (cpg * p.kh * p.kw + 31) >> 5;
  const float* xn = x + (long)n * p.c * p.h * p.w;
  float r = __ldg(alpha + o) *
            pattern_dot(xn + (long)g * cpg * p.h * p.w, bits + (long)o * words, p, cpg, oy, ox);

  int cpg1 = p.c / groups1;
  int g1 = o / (p.o / groups1);
  const float* xp = xn + (long)g1 * cpg1 * p.h * p.w + (long)(oy * p.sh) * p.w + ox * p.sw;
  const float* wo = w1 + (long)o * cpg1;
  float pw_acc = 0.f;
  for (int c = 0; c < cpg1; ++c) pw_acc += __ldg(wo + c) * __ldg(xp + (long)c * p.h * p.w);
  r += pw_acc;
  if (bias) r += __ldg(bias + o);
  y[idx] = relu ? relu_f(r) : r;
}
