// train.cu: the back-propagation kernels of the CUDA backend's TrainOps (the float convolution
// trainer, pooling backward, per-channel sums and affine maps, ReLU backward, fully connected
// training, block copies). Correctness and determinism first: every value is computed by one
// thread, or summed by one block in a fixed order (a strided per-thread sum, then a shared-memory
// tree), never with atomics, so results do not depend on scheduling.
//
// Algorithms: direct. Convolution forward: one thread per output. Input gradient: one thread per
// input element, gathering the outputs whose window holds it (oy = (iy + ph - ky*dh) / sh when
// that divides). Weight gradient: one block per weight, summing dy * x over the batch and the
// output positions in double. Pooling backward: one thread per input element, gathering the
// windows that hold it (max: where it is the window's first maximum in scan order, a NaN winning,
// as the forward). Channel sums: one block per channel, in double.
//
// Layout: NCHW float32, weights OIHW (I = channels per group); 32-bit indices (device tensors hold
// fewer than 2^29 floats).
//
// Launch: element-wise and per-element gathers: block 256, grid-stride; per-weight and
// per-channel reductions: block 256, one block per result (grid = results, at most 2^31 - 1).
#include "common.cuh"

#define SEPNET_REDUCE_BLOCK 256

// Sums v over the block in a fixed order: each thread's value, then a shared-memory tree.
__device__ __forceinline__ double block_sum(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = SEPNET_REDUCE_BLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  double r = shared[0];
  __syncthreads();
  return r;
}

extern "C" __global__ void sepnet_conv_train_forward(const float* __restrict__ x, const float* __restrict__ w,
                                                     const float* __restrict__ bias, float* __restrict__ y,
                                                     ConvParams p) {
  const int cpg = p.c / p.groups, opg = p.o / p.groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < p.n * p.o * p.oh * p.ow; i += gridDim.x * blockDim.x) {
    OutputIndex at;
    decode_output(p, i, &at);
    const int g = at.o / opg;
    float acc = bias ? __ldg(bias + at.o) : 0.f;
    for (int c = 0; c < cpg; ++c) {
      const float* xp = x + (at.n * p.c + g * cpg + c) * p.h * p.w;
      const float* wp = w + (at.o * cpg + c) * p.kh * p.kw;
      for (int ky = 0; ky < p.kh; ++ky) {
        const int iy = at.oy * p.sh - p.ph + ky * p.dh;
        if (iy < 0 || iy >= p.h) continue;
        for (int kx = 0; kx < p.kw; ++kx) {
          const int ix = at.ox * p.sw - p.pw + kx * p.dw;
          if (ix >= 0 && ix < p.w) acc = fmaf(__ldg(wp + ky * p.kw + kx), __ldg(xp + iy * p.w + ix), acc);
        }
      }
    }
    y[i] = acc;
  }
}

extern "C" __global__ void sepnet_conv_backward_data(const float* __restrict__ dy, const float* __restrict__ w,
                                                     float* __restrict__ dx, ConvParams p) {
  const int cpg = p.c / p.groups, opg = p.o / p.groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < p.n * p.c * p.h * p.w; i += gridDim.x * blockDim.x) {
    const int ix = i % p.w;
    int t = i / p.w;
    const int iy = t % p.h;
    t /= p.h;
    const int c = t % p.c;
    const int n = t / p.c;
    const int g = c / cpg;
    float acc = 0.f;
    for (int ol = 0; ol < opg; ++ol) {
      const int o = g * opg + ol;
      const float* dyp = dy + (n * p.o + o) * p.oh * p.ow;
      const float* wp = w + (o * cpg + c - g * cpg) * p.kh * p.kw;
      for (int ky = 0; ky < p.kh; ++ky) {
        const int ty = iy + p.ph - ky * p.dh;
        if (ty < 0 || ty % p.sh != 0 || ty / p.sh >= p.oh) continue;
        for (int kx = 0; kx < p.kw; ++kx) {
          const int tx = ix + p.pw - kx * p.dw;
          if (tx < 0 || tx % p.sw != 0 || tx / p.sw >= p.ow) continue;
          acc = fmaf(__ldg(wp + ky * p.kw + kx), __ldg(dyp + (ty / p.sh) * p.ow + tx / p.sw), acc);
        }
      }
    }
    dx[i] = acc;
  }
}

// Block b: weight b = ((o * cpg + c) * kh + ky) * kw + kx; the sum over n, oy, ox of dy * x.
extern "C" __global__ void sepnet_conv_backward_weights(const float* __restrict__ x, const float* __restrict__ dy,
                                                        float* __restrict__ dw, ConvParams p) {
  __shared__ double shared[SEPNET_REDUCE_BLOCK];
  const int cpg = p.c / p.groups, opg = p.o / p.groups;
  const int b = blockIdx.x;
  const int kx = b % p.kw, ky = (b / p.kw) % p.kh, c = (b / (p.kw * p.kh)) % cpg, o = b / (p.kw * p.kh * cpg);
  const int g = o / opg;
  const int positions = p.oh * p.ow;
  double acc = 0;
  for (int j = threadIdx.x; j < p.n * positions; j += blockDim.x) {
    const int n = j / positions, q = j - n * positions;
    const int oy = q / p.ow, ox = q - oy * p.ow;
    const int iy = oy * p.sh - p.ph + ky * p.dh, ix = ox * p.sw - p.pw + kx * p.dw;
    if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
    acc += (double)__ldg(dy + (n * p.o + o) * positions + q) * __ldg(x + ((n * p.c + g * cpg + c) * p.h + iy) * p.w + ix);
  }
  const double s = block_sum(acc, shared);
  if (threadIdx.x == 0) dw[b] = (float)s;
}

// Block c: sum_a[c] = sum of a; sum_ab[c] = sum of a * (b - shift[c]) (b null: not written).
extern "C" __global__ void sepnet_channel_sums(const float* __restrict__ a, const float* __restrict__ b,
                                               const float* __restrict__ shift, double* __restrict__ sum_a,
                                               double* __restrict__ sum_ab, int batch, int channels, int inner) {
  __shared__ double shared[SEPNET_REDUCE_BLOCK];
  const int c = blockIdx.x;
  const float s = shift ? __ldg(shift + c) : 0.f;
  double sa = 0, sab = 0;
  for (int j = threadIdx.x; j < batch * inner; j += blockDim.x) {
    const int n = j / inner;
    const int k = (n * channels + c) * inner + (j - n * inner);
    const float v = __ldg(a + k);
    sa += v;
    if (b) sab += (double)v * (__ldg(b + k) - s);
  }
  const double ta = block_sum(sa, shared);
  const double tab = block_sum(sab, shared);
  if (threadIdx.x == 0) {
    sum_a[c] = ta;
    if (b) sum_ab[c] = tab;
  }
}

// y = A[c] * a + B[c] * b + C[c] (b null: no second term; A null: 1; C null: 0).
extern "C" __global__ void sepnet_channel_affine(const float* __restrict__ a, const float* __restrict__ b,
                                                 const float* __restrict__ A, const float* __restrict__ B,
                                                 const float* __restrict__ C, float* __restrict__ y, int count,
                                                 int channels, int inner) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int c = (i / inner) % channels;
    float v = (A ? __ldg(A + c) : 1.f) * __ldg(a + i);
    if (b) v += __ldg(B + c) * __ldg(b + i);
    y[i] = v + (C ? __ldg(C + c) : 0.f);
  }
}

// dx = dy where y > 0 or y is NaN, else 0.
extern "C" __global__ void sepnet_relu_backward(const float* __restrict__ y, const float* __restrict__ dy,
                                                float* __restrict__ dx, int count) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    dx[i] = __ldg(y + i) <= 0.f ? 0.f : __ldg(dy + i);
  }
}

// Field order as PoolParams in layers.cu.
struct PoolBackParams {
  int n, c, h, w;
  int kh, kw, sh, sw, ph, pw;
  int oh, ow;
  int max, include_pad;
};

extern "C" __global__ void sepnet_pool_backward(const float* __restrict__ x, const float* __restrict__ dy,
                                                float* __restrict__ dx, PoolBackParams p) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < p.n * p.c * p.h * p.w; i += gridDim.x * blockDim.x) {
    const int ix = i % p.w;
    int t = i / p.w;
    const int iy = t % p.h;
    const int plane = t / p.h;
    const float* xp = x + plane * p.h * p.w;
    const float* dyp = dy + plane * p.oh * p.ow;
    float acc = 0.f;
    // The windows holding (iy, ix): oy*sh - ph <= iy < oy*sh - ph + kh.
    const int oy0 = max(0, (iy + p.ph - p.kh + p.sh) / p.sh), oy1 = min(p.oh - 1, (iy + p.ph) / p.sh);
    const int ox0 = max(0, (ix + p.pw - p.kw + p.sw) / p.sw), ox1 = min(p.ow - 1, (ix + p.pw) / p.sw);
    for (int oy = oy0; oy <= oy1; ++oy) {
      const int y0 = oy * p.sh - p.ph, y1 = min(y0 + p.kh, p.h + p.ph);
      if (iy < y0 || iy >= y1) continue;
      for (int ox = ox0; ox <= ox1; ++ox) {
        const int x0 = ox * p.sw - p.pw, x1 = min(x0 + p.kw, p.w + p.pw);
        if (ix < x0 || ix >= x1) continue;
        const float g = __ldg(dyp + oy * p.ow + ox);
        if (p.max) {
          int arg = -1;
          float best = -INFINITY;
          for (int yy = max(y0, 0); yy < min(y1, p.h); ++yy)
            for (int xx = max(x0, 0); xx < min(x1, p.w); ++xx) {
              const float v = __ldg(xp + yy * p.w + xx);
              if (arg < 0 || v > best || (v != v && best == best)) {
                best = v;
                arg = yy * p.w + xx;
              }
            }
          if (arg == iy * p.w + ix) acc += g;
        } else {
          const int count = p.include_pad ? (y1 - y0) * (x1 - x0)
                                          : (min(y1, p.h) - max(y0, 0)) * (min(x1, p.w) - max(x0, 0));
          acc += g / (float)count;
        }
      }
    }
    dx[i] = acc;
  }
}

// y[n, o] = bias[o] + dot(w[o, :], x[n, :]).
extern "C" __global__ void sepnet_fc_train_forward(const float* __restrict__ x, const float* __restrict__ w,
                                                   const float* __restrict__ bias, float* __restrict__ y, int batch,
                                                   int in, int out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < batch * out; i += gridDim.x * blockDim.x) {
    const int n = i / out, o = i - n * out;
    float acc = 0.f;
    for (int k = 0; k < in; ++k) acc = fmaf(__ldg(w + o * in + k), __ldg(x + n * in + k), acc);
    y[i] = acc + (bias ? __ldg(bias + o) : 0.f);
  }
}

// dx[n, k] = sum over o of dy[n, o] * w[o, k].
extern "C" __global__ void sepnet_fc_backward_data(const float* __restrict__ dy, const float* __restrict__ w,
                                                   float* __restrict__ dx, int batch, int in, int out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < batch * in; i += gridDim.x * blockDim.x) {
    const int n = i / in, k = i - n * in;
    float acc = 0.f;
    for (int o = 0; o < out; ++o) acc = fmaf(__ldg(dy + n * out + o), __ldg(w + o * in + k), acc);
    dx[i] = acc;
  }
}

// dw[o, k] = sum over n of dy[n, o] * x[n, k]; db[o] = sum over n of dy[n, o] (threads past out*in, when db).
extern "C" __global__ void sepnet_fc_backward_weights(const float* __restrict__ x, const float* __restrict__ dy,
                                                      float* __restrict__ dw, float* __restrict__ db, int batch,
                                                      int in, int out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < out * in + (db ? out : 0); i += gridDim.x * blockDim.x) {
    if (i < out * in) {
      const int o = i / in, k = i - o * in;
      float acc = 0.f;
      for (int n = 0; n < batch; ++n) acc = fmaf(__ldg(dy + n * out + o), __ldg(x + n * in + k), acc);
      dw[i] = acc;
    } else {
      const int o = i - out * in;
      double acc = 0;
      for (int n = 0; n < batch; ++n) acc += __ldg(dy + n * out + o);
      db[o] = (float)acc;
    }
  }
}

// dst[i * dst_block + dst_offset + j] = src[i * src_block + src_offset + j] for i < count, j < length.
extern "C" __global__ void sepnet_copy_blocks(const float* __restrict__ src, float* __restrict__ dst, int count,
                                              int length, int src_block, int src_offset, int dst_block,
                                              int dst_offset) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count * length; i += gridDim.x * blockDim.x) {
    const int b = i / length, j = i - b * length;
    dst[b * dst_block + dst_offset + j] = __ldg(src + b * src_block + src_offset + j);
  }
}

// db[o] = sum of dy over n and positions (the convolution bias's gradient), one block per output.
extern "C" __global__ void sepnet_conv_backward_bias(const float* __restrict__ dy, float* __restrict__ db, int batch,
                                                     int outputs, int positions) {
  __shared__ double shared[SEPNET_REDUCE_BLOCK];
  const int o = blockIdx.x;
  double acc = 0;
  for (int j = threadIdx.x; j < batch * positions; j += blockDim.x) {
    const int n = j / positions;
    acc += __ldg(dy + (n * outputs + o) * positions + (j - n * positions));
  }
  const double s = block_sum(acc, shared);
  if (threadIdx.x == 0) db[o] = (float)s;
}
