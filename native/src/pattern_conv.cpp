// pattern_conv.cpp: pattern (binarized k x k) convolution and the fused pattern residual block on
// the CPU, portable C++.
//
// Algorithm: for each (n, o) the output plane is the accumulator. For every tap (c, ky, kx) of
// filter o, the sign bit becomes an XOR mask, and each output row adds the matching input row with
// the mask XOR-ed into the IEEE sign bit (no multiplications); the valid column range is computed
// once per tap, so padding costs no branches in the inner loop, which the compiler vectorizes for
// stride 1. Epilogue: y = alpha * acc (+ pointwise term) (+ bias) (ReLU).
#include <cstring>

#include "conv_problem.h"
#include "sepnet_native.h"

namespace sepnet {
namespace {

inline float xor_sign(float v, uint32_t mask) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  u ^= mask;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

// Adds the pattern response of filter o over the input channels of its group into plane y.
void accumulate_pattern(const ConvProblem& p, const float* xg, const uint32_t* fb, float* y) {
  const int cpg = p.cpg();
  int bit = 0;
  for (int c = 0; c < cpg; ++c) {
    const float* xc = xg + static_cast<long>(c) * p.h * p.w;
    for (int ky = 0; ky < p.kh; ++ky) {
      for (int kx = 0; kx < p.kw; ++kx, ++bit) {
        const uint32_t mask = ((fb[bit >> 5] >> (bit & 31)) & 1u) << 31;
        const int xoff = kx * p.dw;
        int lo, hi;
        p.valid_cols(xoff, &lo, &hi);
        if (lo >= hi) continue;
        for (int oy = 0; oy < p.oh; ++oy) {
          const int iy = oy * p.sh - p.ph + ky * p.dh;
          if (iy < 0 || iy >= p.h) continue;
          // Input column of output column ox: ox*sw + shift (inside the row for ox in [lo, hi)).
          const float* xr = xc + static_cast<long>(iy) * p.w;
          const int shift = xoff - p.pw;
          float* yr = y + static_cast<long>(oy) * p.ow;
          if (p.sw == 1) {
            for (int ox = lo; ox < hi; ++ox) yr[ox] += xor_sign(xr[ox + shift], mask);
          } else {
            for (int ox = lo; ox < hi; ++ox) yr[ox] += xor_sign(xr[ox * p.sw + shift], mask);
          }
        }
      }
    }
  }
}

// Adds the 1x1 branch of filter o: sum over the group's channels of w[c] * x[c, oy*sh, ox*sw].
// The caller checked that every (oy*sh, ox*sw) lies inside the input.
void accumulate_pointwise(const ConvProblem& p, const float* xg, int cpg1, const float* wo, float* y) {
  for (int c = 0; c < cpg1; ++c) {
    const float wv = wo[c];
    const float* xc = xg + static_cast<long>(c) * p.h * p.w;
    for (int oy = 0; oy < p.oh; ++oy) {
      const float* xr = xc + static_cast<long>(oy) * p.sh * p.w;
      float* yr = y + static_cast<long>(oy) * p.ow;
      for (int ox = 0; ox < p.ow; ++ox) yr[ox] += wv * xr[ox * p.sw];
    }
  }
}

void epilogue(float* y, long size, float alpha, const float* pointwise, float bias, bool relu) {
  for (long i = 0; i < size; ++i) {
    float v = alpha * y[i];
    if (pointwise) v += pointwise[i];
    v += bias;
    y[i] = relu && v < 0.f ? 0.f : v;
  }
}

}  // namespace
}  // namespace sepnet

using sepnet::ConvProblem;

extern "C" int sepnet_pattern_conv2d(const float* x, const uint32_t* bits, const float* alpha,
                                     const float* bias, float* y, const int32_t* problem,
                                     int32_t relu) {
  if (!x || !bits || !alpha || !y || !problem) return SEPNET_E_NULL;
  ConvProblem p;
  if (!ConvProblem::parse(problem, &p)) return SEPNET_E_SHAPE;
  const long plane = static_cast<long>(p.oh) * p.ow;
  const long in_plane = static_cast<long>(p.h) * p.w;
  for (int n = 0; n < p.n; ++n) {
    for (int o = 0; o < p.o; ++o) {
      const int g = o / p.opg();
      float* yp = y + (static_cast<long>(n) * p.o + o) * plane;
      std::memset(yp, 0, sizeof(float) * plane);
      const float* xg = x + (static_cast<long>(n) * p.c + static_cast<long>(g) * p.cpg()) * in_plane;
      sepnet::accumulate_pattern(p, xg, bits + static_cast<long>(o) * p.words_per_filter(), yp);
      sepnet::epilogue(yp, plane, alpha[o], nullptr, bias ? bias[o] : 0.f, relu != 0);
    }
  }
  return SEPNET_OK;
}

extern "C" int sepnet_prb_conv2d(const float* x, const uint32_t* bits, const float* alpha,
                                 const float* w1, const float* bias, float* y,
                                 const int32_t* problem, int32_t groups1, int32_t relu) {
  if (!x || !bits || !alpha || !w1 || !y || !problem) return SEPNET_E_NULL;
  ConvProblem p;
  if (!ConvProblem::parse(problem, &p)) return SEPNET_E_SHAPE;
  if (groups1 < 1 || p.c % groups1 != 0 || p.o % groups1 != 0) return SEPNET_E_SHAPE;
  if ((p.h - 1) / p.sh + 1 != p.oh || (p.w - 1) / p.sw + 1 != p.ow) return SEPNET_E_SHAPE;
  const long plane = static_cast<long>(p.oh) * p.ow;
  const long in_plane = static_cast<long>(p.h) * p.w;
  const int cpg1 = p.c / groups1;
  const int opg1 = p.o / groups1;
  for (int n = 0; n < p.n; ++n) {
    const float* xn = x + static_cast<long>(n) * p.c * in_plane;
    for (int o = 0; o < p.o; ++o) {
      const int g = o / p.opg();
      float* yp = y + (static_cast<long>(n) * p.o + o) * plane;
      std::memset(yp, 0, sizeof(float) * plane);
      sepnet::accumulate_pattern(p, xn + static_cast<long>(g) * p.cpg() * in_plane,
                                 bits + static_cast<long>(o) * p.words_per_filter(), yp);
      // Scale the pattern sum in place, then add the 1x1 branch and the bias.
      const float a = alpha[o];
      for (long i = 0; i < plane; ++i) yp[i] *= a;
      sepnet::accumulate_pointwise(p, xn + static_cast<long>(o / opg1) * cpg1 * in_plane, cpg1,
                                   w1 + static_cast<long>(o) * cpg1, yp);
      sepnet::epilogue(yp, plane, 1.f, nullptr, bias ? bias[o] : 0.f, relu != 0);
    }
  }
  return SEPNET_OK;
}
