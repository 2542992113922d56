// lookup_conv.h: pattern convolution on signed row sums, kh additions per output and channel
// instead of kh*kw.
//
// LookupConvOp: for each input channel the 2^(kw-1) signed sums R0 +- R1 +- ... of a tap row's kw
// shifted rows are built once (Kernels::row_lookup; at stride 1 once per padded row, shared by
// every ky; strided, on im2col rows), and each output adds or subtracts one of them per (channel,
// ky) (Kernels::signed_sum): a row whose first sign is negative is minus the plane with every other
// sign flipped. Alpha, bias and ReLU in the epilogue; a residual block's 1x1 branch as in
// tiled_conv.h.
//
// LookupOvConvOp, 3x3 and 5x5 on AVX-512, output-vectorized: the signed sums of every tap row of a
// channel block's source rows are row tables (3x3: 8 per source position, 5x5: the 16 whose first
// sign is +), and per (channel, position) one permute per tap row picks each of 16 outputs' row sum
// (Kernels::lookup3_ov, lookup5_ov). At 3x3 stride 2 the row tables are built from the input rows
// themselves (Kernels::lookup3_rows_s2), without phase planes.
#pragma once

#include <memory>
#include <vector>

#include "tiled_conv.h"

namespace sepnet {

class LookupConvOp : public TiledConvOp {
 public:
  LookupConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s);

 private:
  void accumulate(int b, int cn, int oa, int no, Scratch& s, const float* src, const int32_t* offs) const override;

  std::vector<int32_t> idx_;   // plane offsets, positives first, per (output, block)
  std::vector<int32_t> list_;  // per (output, block): start in idx_, positives, negatives
};

class LookupOvConvOp : public TiledConvOp {
 public:
  LookupOvConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s);

 private:
  const float* source(const float* xg, int c0, int cn, int t0, int len, Scratch& s, const int32_t** offs) const override;
  void accumulate(int b, int cn, int oa, int no, Scratch& s, const float* src, const int32_t* offs) const override;

  bool tables_s2_ = false;   // 3x3 stride 2: row tables built from the input rows (no phase planes)
  std::vector<int32_t> iv_;  // packed table indices as [output vector][channel][lane]
};

}  // namespace sepnet
