// gemm_conv.cpp: see gemm_conv.h.
#include "gemm_conv.h"

#include <algorithm>

namespace sepnet {

GemmConvOp::GemmConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s, bool ov)
    : TiledConvOp(std::move(ctx), s, Tiling{"gemm", s.p.sh <= 2 && s.p.sw <= 2, ov}) {
  const ConvProblem& p = p_;
  const int cpg = p.cpg();
  const int taps = p.kh * p.kw;
  const long filter = static_cast<long>(cpg) * taps;
  // Float 1x1, stride 1, no padding: the input planes are the source rows (source()); copying them
  // into the scratch, zeroing it first, would cost as much as the GEMM on small channel counts.
  direct_ = !pattern_ && !prb_ && implicit_ && taps == 1 && p.sh == 1 && p.sw == 1 && p.ph == 0 && p.pw == 0 && p.dh == 1 &&
            p.dw == 1 && static_cast<long>(cpg) * p.h * p.w < (1L << 31);
  if (direct_) {
    direct_offs_.resize(cb_);
    for (int c = 0; c < cb_; ++c) direct_offs_[c] = static_cast<int32_t>(static_cast<long>(c) * p.h * p.w);
  }
  if (pattern_) {
    const int words = p.words_per_filter();
    w_.resize(static_cast<size_t>(p.o) * filter);
    for (int o = 0; o < p.o; ++o) {
      for (long i = 0; i < filter; ++i) w_[o * filter + i] = sign_bit(s.bits + static_cast<long>(o) * words, static_cast<int>(i)) ? -1.f : 1.f;
    }
  } else {
    w_.assign(s.weights, s.weights + static_cast<long>(p.o) * filter);
  }
  if (ov_) {
    const int lanes = ctx_->k().lanes;
    wv_.resize(w_.size());
    for (int o = 0; o < p.o; ++o) {
      for (long r = 0; r < filter; ++r) wv_[(static_cast<long>(o / lanes) * filter + r) * lanes + o % lanes] = w_[o * filter + r];
    }
    std::vector<float>().swap(w_);  // only the packed copy is read from here on
  }
}

const float* GemmConvOp::source(const float* xg, int c0, int cn, int t0, int len, Scratch& s, const int32_t** offs) const {
  // A tile's source rows are the input planes' own positions t0 .. t0 + tp_ - 1, read in place (the
  // position-major GEMM reads whole tiles, so its last, partial tile still takes the copy).
  if (direct_ && (ov_ || t0 + tp_ <= positions_)) {
    *offs = direct_offs_.data();
    return xg + static_cast<long>(c0) * p_.h * p_.w + t0;
  }
  return TiledConvOp::source(xg, c0, cn, t0, len, s, offs);
}

void GemmConvOp::accumulate(int b, int cn, int oa, int no, Scratch& s, const float* src, const int32_t* offs) const {
  const Kernels& k = ctx_->k();
  const int taps = p_.kh * p_.kw;
  const long filter = static_cast<long>(p_.cpg()) * taps;
  const long r0 = static_cast<long>(b) * cb_ * taps;
  float* acc = s.acc.data();
  if (ov_) {
    const int lanes = k.lanes;
    const int vectors = (no + lanes - 1) / lanes;
    for (int v = 0; v < vectors; v += 4) {
      const int nb = std::min(4, vectors - v);
      k.gemm_ov[nb](acc + v * lanes, chunk_, src, offs, cn * taps,
                    wv_.data() + (static_cast<long>(oa / lanes + v) * filter + r0) * lanes, filter, s.pos.data(), s.npos, b == 0);
    }
    return;
  }
  // The first block starts the accumulators.
  gemm_outputs(k, acc, tp_, src, offs, cn * taps, w_.data() + oa * filter + r0, filter, no, b == 0);
}

}  // namespace sepnet
