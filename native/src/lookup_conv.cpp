// lookup_conv.cpp: see lookup_conv.h.
#include "lookup_conv.h"

#include <algorithm>

namespace sepnet {

// The row sums need a tap row's kw taps in one source row, which the phase planes of stride 2 do
// not give: strided, the lookup builds im2col rows.
LookupConvOp::LookupConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s)
    : TiledConvOp(std::move(ctx), s, Tiling{"lookup", s.p.sh == 1 && s.p.sw == 1, false, 0, 1 << (s.p.kw - 1)}) {
  const ConvProblem& p = p_;
  const int cpg = p.cpg();
  const int words = p.words_per_filter();
  list_.resize(static_cast<size_t>(p.o) * blocks_ * 3);
  std::vector<int32_t> pos, neg;
  for (int o = 0; o < p.o; ++o) {
    const uint32_t* fb = s.bits + static_cast<long>(o) * words;
    for (int b = 0; b < blocks_; ++b) {
      const int c0 = b * cb_;
      const int cn = std::min(cb_, cpg - c0);
      pos.clear();
      neg.clear();
      for (int c = 0; c < cn; ++c) {
        for (int ky = 0; ky < p.kh; ++ky) {
          const int first = ((c0 + c) * p.kh + ky) * p.kw;  // bit of tap (c, ky, 0)
          // Plane m holds R0 + sum_k s_k R_k (s_k = -1 where bit k-1 of m is set); a row whose
          // first sign is negative is minus the plane with every other sign flipped.
          const bool first_negative = sign_bit(fb, first);
          int m = 0;
          for (int kx = 1; kx < p.kw; ++kx) {
            if (sign_bit(fb, first + kx) != first_negative) m |= 1 << (kx - 1);
          }
          const int32_t off = implicit_ ? (c * planes_ + m) * plane_len_ + ky * p.dh * wp_ : ((c * p.kh + ky) * planes_ + m) * tp_;
          (first_negative ? neg : pos).push_back(off);
        }
      }
      int32_t* entry = &list_[(static_cast<size_t>(o) * blocks_ + b) * 3];
      entry[0] = static_cast<int32_t>(idx_.size());
      entry[1] = static_cast<int32_t>(pos.size());
      entry[2] = static_cast<int32_t>(neg.size());
      idx_.insert(idx_.end(), pos.begin(), pos.end());
      idx_.insert(idx_.end(), neg.begin(), neg.end());
    }
  }
}

void LookupConvOp::accumulate(int b, int cn, int oa, int no, Scratch& s, const float*, const int32_t*) const {
  const Kernels& k = ctx_->k();
  const ConvProblem& p = p_;
  if (implicit_) {
    for (int c = 0; c < cn; ++c) {
      k.row_lookup(s.planes.data() + static_cast<long>(c) * planes_ * plane_len_, plane_len_,
                   s.src.data() + static_cast<long>(c) * src_stride_, p.dw, p.kw, plane_len_);
    }
  } else {
    for (int r = 0; r < cn * p.kh; ++r) {
      k.row_lookup(s.planes.data() + static_cast<long>(r) * planes_ * tp_, tp_, s.src.data() + static_cast<long>(r) * p.kw * tp_,
                   tp_, p.kw, tp_);
    }
  }
  k.signed_sum(s.acc.data(), tp_, s.planes.data(), idx_.data(), &list_[(static_cast<size_t>(oa) * blocks_ + b) * 3], blocks_ * 3,
               no, b == 0);
}

LookupOvConvOp::LookupOvConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s)
    : TiledConvOp(std::move(ctx), s, Tiling{"lookup", true, true, s.p.kw == 3 ? 8 : 16}) {
  const ConvProblem& p = p_;
  const int cpg = p.cpg();
  // 3x3 stride 2: the row tables straight from the input rows; building the four phase planes first
  // and the tables from them costs as much again.
  tables_s2_ = p.kh == 3 && p.kw == 3 && p.sh == 2 && p.sw == 2 && p.dh == 1 && p.dw == 1 && ctx_->k().lookup3_rows_s2;
  // Lane o % 16 of vector (o / 16, c): the table entry of tap row ky in bits 5*ky .. 5*ky + 4,
  // entry m with bit kx set where sign (c, ky, kx) is negative; 3x3 keeps rows 0 and 1 in one
  // 16-entry vector, so row 1's entries are m + 8.
  const int words = p.words_per_filter();
  const int lanes = ctx_->k().lanes;
  iv_.assign(static_cast<size_t>(p.o) * cpg, 0);
  for (int o = 0; o < p.o; ++o) {
    const uint32_t* fb = s.bits + static_cast<long>(o) * words;
    for (int c = 0; c < cpg; ++c) {
      int32_t packed = 0;
      for (int ky = 0; ky < p.kh; ++ky) {
        int m = 0;
        for (int kx = 0; kx < p.kw; ++kx) {
          if (sign_bit(fb, (c * p.kh + ky) * p.kw + kx)) m |= 1 << kx;
        }
        if (p.kw == 5) m = m & 1 ? ((m ^ 31) >> 1) | 16 : m >> 1;  // first sign +, bit 4: negate
        packed |= ((p.kw == 3 && ky == 1 ? 8 : 0) + m) << (5 * ky);
      }
      iv_[(static_cast<size_t>(o / lanes) * cpg + c) * lanes + o % lanes] = packed;
    }
  }
}

// At 3x3 stride 2, the row tables of a tile of whole output rows (t0, len multiples of wp_; the ow
// output columns of each, the only ones tile_positions keeps) for the block's channels: tap rows 0
// and 2 on the plane rows of phase a = 0 (one more row than the tile's), tap row 1 on those of
// a = 1, where the row offsets expect them.
const float* LookupOvConvOp::source(const float* xg, int c0, int cn, int t0, int len, Scratch& s, const int32_t** offs) const {
  if (!tables_s2_) return TiledConvOp::source(xg, c0, cn, t0, len, s, offs);
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  float* tab = s.tab.data();
  const long hw = static_cast<long>(p.h) * p.w;
  const float* xb = xg + c0 * hw;
  const int r0 = t0 / wp_;
  const int rows = len / wp_;
  for (int c = 0; c < cn; ++c) {
    const float* xc = xb + c * hw;
    float* t = tab + static_cast<long>(c) * src_stride_ * 8;
    k.lookup3_rows_s2(t, xc, p.h, p.w, p.ph, p.pw, wp_, p.ow, r0, rows + 1);
    k.lookup3_rows_s2(t + static_cast<long>(p.sw) * span_ * 8, xc, p.h, p.w, p.ph - 1, p.pw, wp_, p.ow, r0, rows);
  }
  return s.src.data();
}

void LookupOvConvOp::accumulate(int b, int cn, int oa, int no, Scratch& s, const float*, const int32_t*) const {
  const Kernels& k = ctx_->k();
  const ConvProblem& p = p_;
  float* acc = s.acc.data();
  const int lanes = k.lanes;
  const int vectors = (no + lanes - 1) / lanes;
  const int32_t* iv = iv_.data() + (static_cast<long>(oa / lanes) * p.cpg() + static_cast<long>(b) * cb_) * lanes;
  // Row tables where tap rows start: the phase planes of the first tap column (b = 0).
  int32_t d[5];
  for (int kx = 0; kx < p.kw; ++kx) d[kx] = row_offs_[kx] - row_offs_[0];
  float* tab = s.tab.data();
  for (int c = 0; c < cn && !tables_s2_; ++c) {
    for (int a = 0; a < p.sh; ++a) {
      const long i0 = static_cast<long>(c) * src_stride_ + a * p.sw * span_;
      if (p.kw == 3) {
        k.lookup3_rows(tab + i0 * 8, s.src.data() + i0, plane_len_, d[1], d[2]);
      } else {
        k.lookup5_rows(tab + i0 * 16, s.src.data() + i0, plane_len_, d);
      }
    }
  }
  // Groups of positions outermost, so their row tables stay in L1 while every output vector reads
  // them: 3x3, 24 positions in whole register tiles of the size lookup3_ov picks for two vectors (7
  // positions for 49); 5x5 (5 tables of 64 bytes per position and channel), about 24 KiB in whole
  // register tiles of 6 positions.
  const long group_bytes = static_cast<long>(cn) * p.kh * table_ * static_cast<long>(sizeof(float));
  const int tiles8 = std::max(1, (s.npos + 7) / 8);
  const int mp = std::max(1, (s.npos + tiles8 - 1) / tiles8);
  const int group = p.kw == 3 ? 24 / mp * mp : static_cast<int>(std::clamp(24L * 1024 / group_bytes / 6 * 6, 6L, 24L));
  for (int p0 = 0; p0 < s.npos; p0 += group) {
    const int m = std::min(group, s.npos - p0);
    for (int v = 0; v < vectors; v += 2) {
      const auto kernel = p.kw == 3 ? k.lookup3_ov[std::min(2, vectors - v)] : k.lookup5_ov[std::min(2, vectors - v)];
      kernel(acc + v * lanes, chunk_, tab, row_offs_.data(), s.pos.data() + p0, m, iv + static_cast<long>(v) * p.cpg() * lanes,
             p.cpg(), cn, b == 0);
    }
  }
}

}  // namespace sepnet
