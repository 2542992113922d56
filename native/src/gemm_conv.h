// gemm_conv.h: float convolution, and pattern convolution on its signs unpacked to +-1 floats
// (alpha in the epilogue), as register-blocked GEMMs over the driver's source rows (tiled_conv.h):
// position-major (Kernels::gemm: a register tile of up to gemm_max outputs by a few vectors of
// positions), or output-vectorized on AVX-512 (Kernels::gemm_ov: vector lanes hold 16 outputs, each
// position's input value broadcast). c*kh*kw fused multiply-adds per output.
#pragma once

#include <memory>
#include <vector>

#include "tiled_conv.h"

namespace sepnet {

class GemmConvOp : public TiledConvOp {
 public:
  // ov: the output-vectorized layout (the caller checked that it fits: conv_choice.cpp).
  GemmConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s, bool ov);

 private:
  const float* source(const float* xg, int c0, int cn, int t0, int len, Scratch& s, const int32_t** offs) const override;
  void accumulate(int b, int cn, int oa, int no, Scratch& s, const float* src, const int32_t* offs) const override;

  std::vector<float> w_;   // position-major: OIHW weights (signs as +-1)
  std::vector<float> wv_;  // output-vectorized: the same as [output vector][row][lane]
  bool direct_ = false;    // float 1x1, stride 1, no padding: the GEMMs read the input planes in place
  std::vector<int32_t> direct_offs_;  // and there input channel c of a block at c * h * w
};

}  // namespace sepnet
