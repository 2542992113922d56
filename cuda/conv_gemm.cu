// conv_gemm.cu: convolution as an implicit GEMM: float k x k and group convolution, 1 x 1
// convolution, fully connected layers, pattern convolution and the fused pattern residual block.
//
// Algorithm: per group g, Y_g[o, P] = sum_k A_g[k, o] * B_g[k, P], where P runs over every output
// pixel of every image (N*OH*OW columns) and k over the filter taps (c, ky, kx) of the group
// (K = C/groups * kh * kw). B is never materialised: each tile of B is gathered from the NCHW input
// (im2col on the fly) through a per-op table of tap offsets, with zero padding by bounds checks.
// A block computes a BM x 64 tile of Y (BM = 16, 32 or 64 output channels, picked by the host from
// the channels per group) in K steps of 16: A and B tiles in shared memory, each of the 128 threads
// holding BM/8 x 4 accumulators.
//   float:   A = the weights, stored transposed once at upload ([g][k][o in group]).
//   pattern: A = +-1, the filter's sign bits unpacked into shared memory once per tile (1 bit per
//            weight read from memory); alpha, bias and ReLU in the epilogue.
//   PRB:     A = +-alpha[o] (the sign bit XOR-ed into alpha) for the k x k taps, then the 1 x 1
//            branch's weights for C/groups1 more taps reading the same input at (oy*sh, ox*sw);
//            one accumulator, one write. Tiles never straddle a group of either branch: the host
//            passes G = the finer of the two groupings (one must divide the other).
//
// Layout: x NCHW float32; y N x O x OH x OW float32. bits: per output filter o,
// words = ceil(K/32) uint32, bit k = (c*kh + ky)*kw + kx, 1 = negative. taps[k] = {c*H*W + ky*dh*W
// + kx*dw, (ky*dh << 16) | kx*dw}. Fully connected: N x IN x 1 x 1 input, a 1 x 1 convolution.
//
// Split K: when the tiles alone cannot fill the GPU (small images, batch 1), blockIdx.z splits the
// taps into `splits` ranges of whole 16-tap steps; each block writes its raw partial sums to a
// workspace laid out like `splits` copies of y, and sepnet_splitk_reduce adds them up and applies
// the epilogue. Indices are 32-bit (device tensors hold fewer than 2^29 floats).
//
// Launch: block 128 (launch bounds ask for 4 blocks per SM: at most 128 registers, no spills),
// grid (ceil(N*OH*OW / 64), G * ceil((O/G) / BM), splits). Consecutive threads of a warp own
// consecutive output pixels, so the gather of B and the stores of Y are coalesced.
#include "common.cuh"

#define SEPNET_GEMM_THREADS 128
#define SEPNET_GEMM_BN 64
#define SEPNET_GEMM_BK 16

enum GemmMode { GEMM_FLOAT = 0, GEMM_PATTERN = 1, GEMM_PRB = 2 };

// acc += A^T B over one step of 16 taps held in shared memory, for this thread's rows row0 + 8 i
// and columns col0 + 16 j.
template <int BM, int TM, int TN>
__device__ __forceinline__ void tile_fma(const float (&As)[SEPNET_GEMM_BK][BM],
                                         const float (&Bs)[SEPNET_GEMM_BK][SEPNET_GEMM_BN], int row0,
                                         int col0, float (&acc)[TM][TN]) {
#pragma unroll
  for (int kk = 0; kk < SEPNET_GEMM_BK; ++kk) {
    float a[TM], b[TN];
#pragma unroll
    for (int i = 0; i < TM; ++i) a[i] = As[kk][row0 + 8 * i];
#pragma unroll
    for (int j = 0; j < TN; ++j) b[j] = Bs[kk][col0 + 16 * j];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
  }
}

template <int MODE, int BM>
__device__ __forceinline__ void conv_gemm(const float* __restrict__ x, const float* __restrict__ wt,
                                          const unsigned* __restrict__ bits,
                                          const float* __restrict__ alpha,
                                          const float* __restrict__ w1t,
                                          const int2* __restrict__ taps,
                                          const float* __restrict__ bias, float* __restrict__ y,
                                          const ConvParams& p, int G, int groups1, int relu,
                                          float* __restrict__ ws, int splits) {
  constexpr int BN = SEPNET_GEMM_BN;
  constexpr int BK = SEPNET_GEMM_BK;
  constexpr int TM = BM / 8;
  constexpr int TN = 4;
  constexpr int A_STEP = SEPNET_GEMM_THREADS / BM;  // k rows apart between one thread's A loads
  __shared__ float As[BK][BM];
  __shared__ float Bs[BK][BN];
  // Compute mapping: thread rows tid / 16 + 8 i (i < TM), columns tid % 16 + 16 j (j < 4): a warp's
  // 32 threads read 2 distinct A values (broadcast) and 16 consecutive B values per step, and store
  // 16 consecutive pixels per row (coalesced). (Adjacent rows and pixels per thread, read as 16-byte
  // vectors, measured slower on the H200: 366 vs 242 us on a 96->128 28x28 batch-32 layer.)
  const int row0 = threadIdx.x / 16;
  const int col0 = threadIdx.x % 16;

  const int tid = threadIdx.x;
  const int opg = p.o / p.groups;             // outputs per group of the k x k branch
  const int cpg = p.c / p.groups;
  const int opgG = p.o / G;                   // outputs per tile group
  const int tiles_per_group = (opgG + BM - 1) / BM;
  const int sg = blockIdx.y / tiles_per_group;
  const int m0 = (blockIdx.y - sg * tiles_per_group) * BM;  // first output within the tile group
  const int o0 = sg * opgG + m0;                             // first global output of the tile
  const int m_valid = min(BM, opgG - m0);
  const int g = o0 / opg;
  const int K = cpg * p.kh * p.kw;
  const int cpg1 = MODE == GEMM_PRB ? p.c / groups1 : 0;
  const int hw = p.h * p.w;
  const int ohw = p.oh * p.ow;
  const int total_p = p.n * ohw;
  const int p0 = blockIdx.x * BN;

  // This block's share of the taps: [k_begin, k_end) of the K (+ cpg1 for a PRB) taps.
  const int k_total = K + cpg1;
  const int steps_per_split = ((k_total + BK - 1) / BK + splits - 1) / splits;
  const int k_begin = blockIdx.z * steps_per_split * BK;
  const int k_end = min(k_total, k_begin + steps_per_split * BK);

  // This thread's A column (output) and B column (pixel), fixed for the whole K loop.
  const int am = tid % BM;
  const int ak0 = tid / BM;
  const bool a_ok = am < m_valid;
  const int ao = o0 + am;
  const int bc = tid % BN;
  const int bk0 = tid / BN;
  const int bp = p0 + bc;
  const bool b_ok = bp < total_p;
  int b_iy0 = 0, b_ix0 = 0;
  int b_base = 0;   // x offset of (image, group's first channel, iy0, ix0); may be negative
  int b_base1 = 0;  // PRB 1 x 1 branch: (image, group1's first channel, oy*sh, ox*sw)
  if (b_ok) {
    int img = bp / ohw;
    int pix = bp - img * ohw;
    int oy = pix / p.ow, ox = pix - oy * p.ow;
    b_iy0 = oy * p.sh - p.ph;
    b_ix0 = ox * p.sw - p.pw;
    b_base = (img * p.c + g * cpg) * hw + b_iy0 * p.w + b_ix0;
    if (MODE == GEMM_PRB) {
      int g1 = o0 / (p.o / groups1);
      b_base1 = (img * p.c + g1 * cpg1) * hw + (oy * p.sh) * p.w + ox * p.sw;
    }
  }
  const int words = (K + 31) >> 5;
  float a_alpha = 0.f;
  if (MODE == GEMM_PRB && a_ok) a_alpha = __ldg(alpha + ao);

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;

  const int k1_end = min(K, k_end);
  for (int k0 = k_begin; k0 < k1_end; k0 += BK) {
#pragma unroll
    for (int r = 0; r < BK / A_STEP; ++r) {
      int kk = ak0 + r * A_STEP;
      int k = k0 + kk;
      float v = 0.f;
      if (a_ok && k < k1_end) {
        if (MODE == GEMM_FLOAT) {
          v = __ldg(wt + (g * K + k) * opg + (ao - g * opg));
        } else {
          unsigned neg = (__ldg(bits + ao * words + (k >> 5)) >> (k & 31)) & 1u;
          v = apply_sign(MODE == GEMM_PRB ? a_alpha : 1.f, neg);
        }
      }
      As[kk][am] = v;
    }
#pragma unroll
    for (int r = 0; r < BK / 2; ++r) {
      int kk = bk0 + 2 * r;
      int k = k0 + kk;
      float v = 0.f;
      if (b_ok && k < k1_end) {
        int2 t = __ldg(taps + k);
        int iy = b_iy0 + (t.y >> 16);
        int ix = b_ix0 + (t.y & 0xffff);
        if ((unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w) v = __ldg(x + b_base + t.x);
      }
      Bs[kk][bc] = v;
    }
    __syncthreads();
    tile_fma<BM, TM, TN>(As, Bs, row0, col0, acc);
    __syncthreads();
  }

  if (MODE == GEMM_PRB) {
    // The 1 x 1 branch: taps K .. K + cpg1 - 1, no padding, same accumulators.
    const int opg1 = p.o / groups1;
    const int g1 = o0 / opg1;
    const int c_end = k_end - K;
    for (int k0 = max(k_begin - K, 0); k0 < c_end; k0 += BK) {
#pragma unroll
      for (int r = 0; r < BK / A_STEP; ++r) {
        int kk = ak0 + r * A_STEP;
        int k = k0 + kk;
        As[kk][am] = (a_ok && k < c_end) ? __ldg(w1t + (g1 * cpg1 + k) * opg1 + (ao - g1 * opg1)) : 0.f;
      }
#pragma unroll
      for (int r = 0; r < BK / 2; ++r) {
        int kk = bk0 + 2 * r;
        int k = k0 + kk;
        Bs[kk][bc] = (b_ok && k < c_end) ? __ldg(x + b_base1 + k * hw) : 0.f;
      }
      __syncthreads();
      tile_fma<BM, TM, TN>(As, Bs, row0, col0, acc);
      __syncthreads();
    }
  }

  // Epilogue: alpha (pattern), bias, ReLU, one store per output; with split K, the raw partial sum.
  const int out_total = p.n * p.o * ohw;
  float* dst = splits > 1 ? ws + blockIdx.z * out_total : y;
#pragma unroll
  for (int j = 0; j < TN; ++j) {
    int P = p0 + col0 + 16 * j;
    if (P >= total_p) continue;
    int img = P / ohw;
    int pix = P - img * ohw;
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      int m = row0 + 8 * i;
      if (m >= m_valid) continue;
      int o = o0 + m;
      float v = acc[i][j];
      if (splits == 1) {
        if (MODE == GEMM_PATTERN) v *= __ldg(alpha + o);
        if (bias) v += __ldg(bias + o);
        if (relu) v = relu_f(v);
      }
      dst[(img * p.o + o) * ohw + pix] = v;
    }
  }
}

#define SEPNET_CONV_GEMM(NAME, MODE, BM)                                                         \
  extern "C" __global__ void __launch_bounds__(SEPNET_GEMM_THREADS, 4) NAME(                     \
      const float* __restrict__ x, const float* __restrict__ wt, const unsigned* __restrict__ bits, \
      const float* __restrict__ alpha, const float* __restrict__ w1t,                            \
      const int2* __restrict__ taps, const float* __restrict__ bias, float* __restrict__ y,      \
      ConvParams p, int G, int groups1, int relu, float* __restrict__ ws, int splits) {          \
    conv_gemm<MODE, BM>(x, wt, bits, alpha, w1t, taps, bias, y, p, G, groups1, relu, ws, splits); \
  }

SEPNET_CONV_GEMM(sepnet_conv_gemm_float_m16, GEMM_FLOAT, 16)
SEPNET_CONV_GEMM(sepnet_conv_gemm_float_m32, GEMM_FLOAT, 32)
SEPNET_CONV_GEMM(sepnet_conv_gemm_float_m64, GEMM_FLOAT, 64)
SEPNET_CONV_GEMM(sepnet_conv_gemm_pattern_m16, GEMM_PATTERN, 16)
SEPNET_CONV_GEMM(sepnet_conv_gemm_pattern_m32, GEMM_PATTERN, 32)
SEPNET_CONV_GEMM(sepnet_conv_gemm_pattern_m64, GEMM_PATTERN, 64)
SEPNET_CONV_GEMM(sepnet_conv_gemm_prb_m16, GEMM_PRB, 16)
SEPNET_CONV_GEMM(sepnet_conv_gemm_prb_m32, GEMM_PRB, 32)
SEPNET_CONV_GEMM(sepnet_conv_gemm_prb_m64, GEMM_PRB, 64)

// Adds the split-K partial sums and applies the epilogue: y = act(alpha[o]·sum + bias[o]) (alpha
// null: no scaling). One thread per output, grid-stride.
extern "C" __global__ void sepnet_splitk_reduce(const float* __restrict__ ws,
                                                const float* __restrict__ alpha,
                                                const float* __restrict__ bias,
                                                float* __restrict__ y, int out_total, int splits,
                                                int channels, int ohw, int relu) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < out_total; i += gridDim.x * blockDim.x) {
    float v = 0.f;
    for (int z = 0; z < splits; ++z) v += __ldg(ws + z * out_total + i);
    int o = (i / ohw) % channels;
    if (alpha) v *= __ldg(alpha + o);
    if (bias) v += __ldg(bias + o);
    y[i] = relu ? relu_f(v) : v;
  }
}
