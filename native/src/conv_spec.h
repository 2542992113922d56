// conv_spec.h: what every convolution op is built from, and the register-tiled GEMM call that the
// GEMM-based ops (GemmConvOp, the residual blocks' 1x1 branch, WinogradOp) share.
#pragma once

#include <cstdint>

#include "conv_problem.h"
#include "kernels.h"

namespace sepnet {

// One convolution op's arguments (pointers are read while the op is built, not kept): float
// weights, or pattern signs with one alpha per output; a 1x1 branch makes it a pattern residual
// block.
struct ConvSpec {
  ConvProblem p;                     // the k x k problem; p.n is the largest batch
  const float* weights = nullptr;    // float: OIHW weights
  const uint32_t* bits = nullptr;    // pattern: packed signs (see sepnet_native.h)
  const float* alpha = nullptr;      // pattern: one per output
  const float* bias = nullptr;       // optional, one per output
  const float* pointwise = nullptr;  // residual block: o x (c / groups1) 1x1 weights, or null
  int groups1 = 1;                   // residual block: groups of the 1x1 branch
  bool relu = false;

  bool pattern() const { return bits != nullptr; }
  bool prb() const { return pointwise != nullptr; }
};

// acc + i*tp (+)= W_i . rows for outputs i < count, W_i = w + i*w_stride, rows r at base + offs[r]
// (Kernels::gemm on tp positions), in register tiles of at most gemm_max outputs as even as possible.
void gemm_outputs(const Kernels& k, float* acc, int tp, const float* base, const int32_t* offs, int rows,
                  const float* w, long w_stride, int count, bool init);

}  // namespace sepnet
