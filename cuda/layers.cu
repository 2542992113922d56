// layers.cu: the layers around the convolutions: inference batch norm (per-channel scale and
// shift), activation, add, channel concatenation, max/average/global pooling and softmax.
//
// Algorithms: element-wise kernels use a grid-stride loop, one element per thread per step
// (memory-bound; coalesced). Pooling: one thread per output, window clipped to the input; average
// divides by the window clipped to the padded input (count_include_pad) or by the real inputs.
// Global pooling: one warp per (n, c) plane, shuffle reduction. Softmax: one block per sample,
// block reductions of the max and of the sum of exp(x - max).
//
// Layout: NCHW float32 everywhere; 32-bit indices (device tensors hold fewer than 2^29 floats); batch norm's channel is dimension 1 with `inner` values per
// (n, c); concatenation copies one input into its channel slice of the output.
//
// Launch: element-wise, pooling: block 256, grid min(ceil(count / 256), 65535 * 8);
// global pooling: block 256 (8 warps), grid ceil(planes / 8); softmax: block 256, grid N.
#include "common.cuh"

extern "C" __global__ void sepnet_scale_shift(const float* __restrict__ x,
                                              const float* __restrict__ scale,
                                              const float* __restrict__ shift,
                                              float* __restrict__ y, int count, int channels,
                                              int inner, int relu) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    int c = (i / inner) % channels;
    float v = fmaf(__ldg(scale + c), __ldg(x + i), __ldg(shift + c));
    y[i] = relu ? relu_f(v) : v;
  }
}

extern "C" __global__ void sepnet_activation(const float* __restrict__ x, float* __restrict__ y,
                                             int count, int relu) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    float v = __ldg(x + i);
    y[i] = relu ? relu_f(v) : v;
  }
}

extern "C" __global__ void sepnet_add(const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ y, int count, int relu) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    float v = __ldg(a + i) + __ldg(b + i);
    y[i] = relu ? relu_f(v) : v;
  }
}

// y[n, offset + r] = x[n, r] for r < block (block = the input's C*H*W, dst_block the output's).
extern "C" __global__ void sepnet_copy_channels(const float* __restrict__ x, float* __restrict__ y,
                                                int count, int block, int dst_block, int offset) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    int n = i / block;
    y[n * dst_block + offset + (i - n * block)] = __ldg(x + i);
  }
}

// Field order matches org.sepnet.backend.cuda.CudaLayers (14 x int32).
struct PoolParams {
  int n, c, h, w;
  int kh, kw, sh, sw, ph, pw;
  int oh, ow;
  int max, include_pad;
};

extern "C" __global__ void sepnet_pool(const float* __restrict__ x, float* __restrict__ y, PoolParams p) {
  int count = p.n * p.c * p.oh * p.ow;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    int ox = i % p.ow;
    int t = i / p.ow;
    int oy = t % p.oh;
    int plane = t / p.oh;
    const float* xp = x + plane * p.h * p.w;
    int y0 = oy * p.sh - p.ph, x0 = ox * p.sw - p.pw;
    int y1 = min(y0 + p.kh, p.h + p.ph), x1 = min(x0 + p.kw, p.w + p.pw);
    int padded = (y1 - y0) * (x1 - x0);
    float acc = p.max ? -INFINITY : 0.f;
    int real = 0;
    for (int iy = max(y0, 0); iy < min(y1, p.h); ++iy)
      for (int ix = max(x0, 0); ix < min(x1, p.w); ++ix) {
        float v = __ldg(xp + iy * p.w + ix);
        acc = p.max ? nan_max(acc, v) : acc + v;
        ++real;
      }
    y[i] = p.max ? acc : acc / (float)(p.include_pad ? padded : real);
  }
}

extern "C" __global__ void sepnet_global_pool(const float* __restrict__ x, float* __restrict__ y,
                                              int planes, int hw, int is_max) {
  int plane = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  int lane = threadIdx.x & 31;
  if (plane >= planes) return;
  const float* xp = x + plane * hw;
  float acc = is_max ? -INFINITY : 0.f;
  for (int i = lane; i < hw; i += 32) {
    float v = __ldg(xp + i);
    acc = is_max ? nan_max(acc, v) : acc + v;
  }
  for (int off = 16; off > 0; off >>= 1) {
    float o = __shfl_xor_sync(0xffffffffu, acc, off);
    acc = is_max ? nan_max(acc, o) : acc + o;
  }
  if (lane == 0) y[plane] = is_max ? acc : acc / (float)hw;
}

// Reduces v over the block (256 threads): max or sum; every thread gets the result.
__device__ __forceinline__ float block_reduce(float v, bool is_max, float* scratch) {
  for (int off = 16; off > 0; off >>= 1) {
    float o = __shfl_xor_sync(0xffffffffu, v, off);
    v = is_max ? nan_max(v, o) : v + o;
  }
  int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < (int)(blockDim.x / 32) ? scratch[lane] : (is_max ? -INFINITY : 0.f);
  for (int off = 16; off > 0; off >>= 1) {
    float o = __shfl_xor_sync(0xffffffffu, v, off);
    v = is_max ? nan_max(v, o) : v + o;
  }
  return v;
}

extern "C" __global__ void __launch_bounds__(256) sepnet_softmax(const float* __restrict__ x,
                                                                 float* __restrict__ y, int classes) {
  __shared__ float scratch[32];
  const float* xs = x + blockIdx.x * classes;
  float* ys = y + blockIdx.x * classes;
  float m = -INFINITY;
  for (int i = threadIdx.x; i < classes; i += blockDim.x) m = nan_max(m, __ldg(xs + i));
  m = block_reduce(m, true, scratch);
  float s = 0.f;
  for (int i = threadIdx.x; i < classes; i += blockDim.x) s += expf(__ldg(xs + i) - m);
  s = block_reduce(s, false, scratch);
  float inv = 1.f / s;
  for (int i = threadIdx.x; i < classes; i += blockDim.x) ys[i] = expf(__ldg(xs + i) - m) * inv;
}
