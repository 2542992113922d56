// xor_conv.h: pattern convolution by sign sets: no multiplications, each input row added or
// subtracted by its sign, and shared by up to 4 outputs at once.
//
// Outputs set*t .. set*t + m - 1 of a group (m = set, or fewer for a group's last outputs) form a
// sign set. Tap (c, ky, kx) has sign s_i in output i of the set; its class K has bit i - 1 set where
// s_i != s_0 (i = 1 .. m-1). Class sum S_K = sum over K's taps of s_0 * x (one list of source rows
// per class and channel block, positives first: Kernels::signed_sum), then output i = sum over K
// of (bit i - 1 of K ? -S_K : S_K) (Kernels::sign_combine): each tap is added once per set instead
// of once per output, and 2^(m-1) class sums are combined per position. Alpha, bias and ReLU in the
// epilogue; a residual block's 1x1 branch as in tiled_conv.h.
#pragma once

#include <memory>
#include <vector>

#include "tiled_conv.h"

namespace sepnet {

class XorConvOp : public TiledConvOp {
 public:
  XorConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s);

 private:
  void accumulate(int b, int cn, int oa, int no, Scratch& s, const float* src, const int32_t* offs) const override;
  void finish(int no, Scratch& s) const override;

  int sets_per_group_ = 0;     // class rows per group: sets * classes_
  std::vector<int32_t> idx_;   // source-row offsets, positives first, per (class row, block)
  std::vector<int32_t> list_;  // per (class row, block): start in idx_, positives, negatives
};

}  // namespace sepnet
