// common.cuh: types shared by every op family in cuda/.
#pragma once

// Convolution problem, passed by value as one kernel parameter. Field order matches
// org.sepnet.backend.cuda.CudaConvParams (16 x int32).
struct ConvParams {
  int n, c, h, w;     // input NCHW
  int o, groups;      // output channels, groups (c and o divisible by groups)
  int kh, kw;         // kernel
  int sh, sw;         // stride
  int ph, pw;         // padding (zeros)
  int dh, dw;         // dilation
  int oh, ow;         // output size
};

// ReLU and max as the reference computes them (docs/reliability.md): a NaN propagates, where
// fmaxf would drop it; -0 stays -0.
__device__ __forceinline__ float relu_f(float v) { return v < 0.f ? 0.f : v; }
__device__ __forceinline__ float nan_max(float a, float b) { return (b > a || b != b) ? b : a; }

// Applies a sign bit to a float without multiplying: bit = 1 flips the IEEE sign.
__device__ __forceinline__ float apply_sign(float v, unsigned negative) {
  return __int_as_float(__float_as_int(v) ^ (int)(negative << 31));
}

// Output element (n, o, oy, ox) of flat NCHW output index idx.
struct OutputIndex {
  int n, o, oy, ox;
};

// Decodes idx; false when idx is past the last output element. Indices are 32-bit: a device
// tensor holds fewer than 2^29 floats (CudaTensor checks), and 64-bit division is slow on GPUs.
__device__ __forceinline__ bool decode_output(const ConvParams& p, int idx, OutputIndex* at) {
  if (idx >= p.n * p.o * p.oh * p.ow) return false;
  at->ox = idx % p.ow;
  int t = idx / p.ow;
  at->oy = t % p.oh;
  t /= p.oh;
  at->o = t % p.o;
  at->n = t / p.o;
  return true;
}
