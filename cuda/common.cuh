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

// Applies a sign bit to a float without multiplying: bit = 1 flips the IEEE sign.
__device__ __forceinline__ float apply_sign(float v, unsigned negative) {
  return __int_as_float(__float_as_int(v) ^ (int)(negative << 31));
}
