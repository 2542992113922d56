// conv_direct.cu: convolutions whose groups hold few outputs (at most 8 per group, e.g. the
// SEP-Net residual blocks with 2 to 8 outputs per group, depthwise with a channel multiplier):
// float k x k, pattern (k x k) and the fused pattern residual block.
//
// Algorithm: direct. Each thread owns one output pixel and a chunk of up to 8 output channels of
// one group. It reads each input tap of its group once and adds it to the 8 accumulators: float
// weights by fused multiply-add; pattern weights without multiplications, the output's sign bit
// XOR-ed into the input value (alpha in the epilogue); a residual block adds its 1 x 1 branch
// (C/groups1 more taps of the same pixel) into separate accumulators. The chunk's weights (8 x K
// floats, or 8 x ceil(K/32) sign words, and the 1 x 1 weights) sit in shared memory, where all
// threads of a warp read the same word (a broadcast). An implicit GEMM would leave most of a
// 16-output tile idle here.
//
// Layout: as conv_gemm.cu (NCHW float32; float weights O x K; sign bits per output, ceil(K/32)
// words, bit k = (c*kh + ky)*kw + kx, 1 = negative; 1 x 1 weights O x C/groups1). The tile groups
// G are the finer of the two branches' groupings, so a chunk lies in one group of each.
//
// Launch: block 128 (launch bounds: 8 blocks per SM, at most 64 registers, no spills),
// grid (ceil(N*OH*OW / 128), G * ceil((O/G) / 8)); dynamic shared memory:
// 8*K*4 bytes (float), 8*ceil(K/32)*4 (pattern), + 8*(C/groups1)*4 (residual block).
#include "common.cuh"

#define SEPNET_DIRECT_OUTPUTS 8

enum DirectMode { DIRECT_FLOAT = 0, DIRECT_PATTERN = 1, DIRECT_PRB = 2 };

template <int MODE>
__device__ __forceinline__ void conv_direct(const float* __restrict__ x, const float* __restrict__ w,
                                            const unsigned* __restrict__ bits,
                                            const float* __restrict__ alpha,
                                            const float* __restrict__ w1,
                                            const float* __restrict__ bias, float* __restrict__ y,
                                            const ConvParams& p, int G, int groups1, int relu) {
  constexpr int CH = SEPNET_DIRECT_OUTPUTS;
  extern __shared__ float smem[];
  const int opgG = p.o / G;
  const int chunks = (opgG + CH - 1) / CH;
  const int sg = blockIdx.y / chunks;
  const int o0 = sg * opgG + (blockIdx.y - sg * chunks) * CH;
  const int cnt = min(CH, sg * opgG + opgG - o0);
  const int opg = p.o / p.groups;
  const int cpg = p.c / p.groups;
  const int g = o0 / opg;
  const int taps = p.kh * p.kw;
  const int K = cpg * taps;
  const int words = (K + 31) >> 5;
  const int cpg1 = MODE == DIRECT_PRB ? p.c / groups1 : 0;

  // Stage the chunk's weights in shared memory.
  float* ws = smem;
  unsigned* bs = reinterpret_cast<unsigned*>(smem);
  float* w1s = smem + (MODE == DIRECT_FLOAT ? CH * K : CH * words);
  if (MODE == DIRECT_FLOAT) {
    for (int i = threadIdx.x; i < CH * K; i += blockDim.x) {
      int j = i / K;
      ws[i] = j < cnt ? __ldg(w + (o0 + j) * K + (i - j * K)) : 0.f;
    }
  } else {
    for (int i = threadIdx.x; i < CH * words; i += blockDim.x) {
      int j = i / words;
      bs[i] = j < cnt ? __ldg(bits + (o0 + j) * words + (i - j * words)) : 0u;
    }
  }
  if constexpr (MODE == DIRECT_PRB) {
    for (int i = threadIdx.x; i < CH * cpg1; i += blockDim.x) {
      int j = i / cpg1;
      w1s[i] = j < cnt ? __ldg(w1 + (o0 + j) * cpg1 + (i - j * cpg1)) : 0.f;
    }
  }
  __syncthreads();

  const int ohw = p.oh * p.ow;
  const int P = blockIdx.x * blockDim.x + threadIdx.x;
  if (P >= p.n * ohw) return;
  const int img = P / ohw;
  const int pix = P - img * ohw;
  const int oy = pix / p.ow, ox = pix - oy * p.ow;
  const int iy0 = oy * p.sh - p.ph, ix0 = ox * p.sw - p.pw;
  const int hw = p.h * p.w;

  float acc[CH];
#pragma unroll
  for (int j = 0; j < CH; ++j) acc[j] = 0.f;
  const float* xg = x + (img * p.c + g * cpg) * hw;
  for (int c = 0; c < cpg; ++c) {
    const float* xc = xg + c * hw;
    for (int ky = 0; ky < p.kh; ++ky) {
      int iy = iy0 + ky * p.dh;
      if ((unsigned)iy >= (unsigned)p.h) continue;
      for (int kx = 0; kx < p.kw; ++kx) {
        int ix = ix0 + kx * p.dw;
        if ((unsigned)ix >= (unsigned)p.w) continue;
        float v = __ldg(xc + iy * p.w + ix);
        int k = (c * p.kh + ky) * p.kw + kx;
        if (MODE == DIRECT_FLOAT) {
#pragma unroll
          for (int j = 0; j < CH; ++j) acc[j] = fmaf(ws[j * K + k], v, acc[j]);
        } else {
          int wi = k >> 5, sh = k & 31;
#pragma unroll
          for (int j = 0; j < CH; ++j) acc[j] += apply_sign(v, (bs[j * words + wi] >> sh) & 1u);
        }
      }
    }
  }
  float acc1[CH];
#pragma unroll
  for (int j = 0; j < CH; ++j) acc1[j] = 0.f;
  if (MODE == DIRECT_PRB) {
    const int g1 = o0 / (p.o / groups1);
    const float* x1 = x + (img * p.c + g1 * cpg1) * hw + (oy * p.sh) * p.w + ox * p.sw;
    for (int c = 0; c < cpg1; ++c) {
      float v = __ldg(x1 + c * hw);
#pragma unroll
      for (int j = 0; j < CH; ++j) acc1[j] = fmaf(w1s[j * cpg1 + c], v, acc1[j]);
    }
  }
#pragma unroll
  for (int j = 0; j < CH; ++j) {
    if (j >= cnt) break;
    int o = o0 + j;
    float v = acc[j];
    if (MODE != DIRECT_FLOAT) v *= __ldg(alpha + o);
    if (MODE == DIRECT_PRB) v += acc1[j];
    if (bias) v += __ldg(bias + o);
    y[(img * p.o + o) * ohw + pix] = relu ? relu_f(v) : v;
  }
}

#define SEPNET_CONV_DIRECT(NAME, MODE)                                                           \
  extern "C" __global__ void __launch_bounds__(128, 8) NAME(                                         \
      const float* __restrict__ x, const float* __restrict__ w, const unsigned* __restrict__ bits, \
      const float* __restrict__ alpha, const float* __restrict__ w1,                             \
      const float* __restrict__ bias, float* __restrict__ y, ConvParams p, int G, int groups1,   \
      int relu) {                                                                                \
    conv_direct<MODE>(x, w, bits, alpha, w1, bias, y, p, G, groups1, relu);                      \
  }

SEPNET_CONV_DIRECT(sepnet_conv_direct_float, DIRECT_FLOAT)
SEPNET_CONV_DIRECT(sepnet_conv_direct_pattern, DIRECT_PATTERN)
SEPNET_CONV_DIRECT(sepnet_conv_direct_prb, DIRECT_PRB)
