// xor_conv.cpp: see xor_conv.h.
#include "xor_conv.h"

#include <algorithm>

namespace sepnet {

XorConvOp::XorConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s)
    // Four outputs per set (8 class sums) where there are as many: each output fewer per set adds
    // every input row once more per output.
    : TiledConvOp(std::move(ctx), s, Tiling{"xor", s.p.sh <= 2 && s.p.sw <= 2, false, 0, 0, std::clamp(s.p.opg(), 1, 4)}) {
  const ConvProblem& p = p_;
  const int cpg = p.cpg();
  const int opg = p.opg();
  const int taps = p.kh * p.kw;
  const int words = p.words_per_filter();
  const int sets = (opg + set_ - 1) / set_;
  sets_per_group_ = sets * classes_;
  list_.assign(static_cast<size_t>(p.groups) * sets_per_group_ * blocks_ * 3, 0);
  std::vector<int32_t> pos[8], neg[8];
  for (int g = 0; g < p.groups; ++g) {
    for (int t = 0; t < sets; ++t) {
      const int o0 = g * opg + t * set_;
      const int m = std::min(set_, opg - t * set_);
      for (int b = 0; b < blocks_; ++b) {
        const int c0 = b * cb_;
        const int cn = std::min(cb_, cpg - c0);
        for (int k = 0; k < classes_; ++k) {
          pos[k].clear();
          neg[k].clear();
        }
        for (int r = 0; r < cn * taps; ++r) {
          const int bit = c0 * taps + r;  // the tap's sign bit in each filter
          const bool s0 = sign_bit(s.bits + static_cast<long>(o0) * words, bit);
          int k = 0;
          for (int i = 1; i < m; ++i) {
            if (sign_bit(s.bits + static_cast<long>(o0 + i) * words, bit) != s0) k |= 1 << (i - 1);
          }
          (s0 ? neg : pos)[k].push_back(row_offs_[r]);
        }
        for (int k = 0; k < classes_; ++k) {
          int32_t* entry = &list_[((static_cast<size_t>(g) * sets_per_group_ + t * classes_ + k) * blocks_ + b) * 3];
          entry[0] = static_cast<int32_t>(idx_.size());
          entry[1] = static_cast<int32_t>(pos[k].size());
          entry[2] = static_cast<int32_t>(neg[k].size());
          idx_.insert(idx_.end(), pos[k].begin(), pos[k].end());
          idx_.insert(idx_.end(), neg[k].begin(), neg[k].end());
        }
      }
    }
  }
}

void XorConvOp::accumulate(int b, int, int oa, int no, Scratch& s, const float*, const int32_t*) const {
  // The class sums of the unit's sign sets, from the source rows in the scratch.
  const int opg = p_.opg();
  const long va = static_cast<long>(oa / opg) * sets_per_group_ + (oa % opg) / set_ * classes_;
  ctx_->k().signed_sum(s.acc.data(), tp_, s.src.data(), idx_.data(), &list_[(va * blocks_ + b) * 3], blocks_ * 3,
                       (no + set_ - 1) / set_ * classes_, b == 0);
}

void XorConvOp::finish(int no, Scratch& s) const {
  // Each set's outputs from its class sums, in place: set t's outputs go to rows t*set_ .., at or
  // before its own class rows t*classes_ .., and each position's class sums are read before its
  // outputs are written.
  const Kernels& k = ctx_->k();
  for (int i = 0, t = 0; i < no; i += set_, ++t) {
    k.sign_combine(s.acc.data() + static_cast<long>(i) * tp_, s.acc.data() + static_cast<long>(t) * classes_ * tp_, tp_,
                   std::min(set_, no - i));
  }
}

}  // namespace sepnet
