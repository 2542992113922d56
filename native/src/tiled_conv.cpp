// tiled_conv.cpp: see tiled_conv.h.
#include "tiled_conv.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "sepnet_native.h"

namespace sepnet {
namespace {

constexpr int kMinTile = 256;              // output positions per tile: at least (where there are as many),
constexpr int kMaxTile = 1024;             // at most,
constexpr long kAccBytes = 256L * 1024;    // and as many as keep one group's accumulators within this
constexpr long kBlockBytes = 256L * 1024;  // source rows (+ lookup planes or row tables) of one channel block

int round_up(int v, int q) { return (v + q - 1) / q * q; }

void zero(float* p, long n) { std::memset(p, 0, sizeof(float) * n); }

// Implicit layout: dst[j] = the zero-padded input plane at flat padded index z0 + j (padded row
// z / wp, padded column z % wp), for j < len.
void build_padded(float* dst, const float* xc, long z0, int len, const ConvProblem& q, int wp) {
  // Zeroed once, then the input parts of each padded row copied in: one division per call, not one
  // per row (small planes have many short rows).
  zero(dst, len);
  int pr = static_cast<int>(z0 / wp);
  int pc = static_cast<int>(z0 - static_cast<long>(pr) * wp);
  for (int j = 0; j < len; pc = 0, ++pr) {
    const int seg = std::min(len - j, wp - pc);
    const int iy = pr - q.ph;
    if (iy >= 0 && iy < q.h) {
      const int lo = std::clamp(q.pw - pc, 0, seg);
      const int hi = std::clamp(q.pw + q.w - pc, lo, seg);
      const float* src = xc + static_cast<long>(iy) * q.w + (pc + lo - q.pw);
      float* d = dst + j + lo;
      for (int t = 0; t < hi - lo; ++t) d[t] = src[t];
    }
    j += seg;
  }
}

int ceil_div(int x, int d) { return x >= 0 ? (x + d - 1) / d : -((-x) / d); }

// Phase layout (stride sh x sw, each 1 or 2): phase plane (a, b) of the zero-padded input holds the
// padded pixels (a + sh*r, b + sw*q) at flat index r * wq + q. Output (oy, ox) at flat position
// t = oy * wq + ox reads tap (ky, kx) from plane ((ky*dh) % sh, (kx*dw) % sw) at t plus
// ((ky*dh) / sh) * wq + (kx*dw) / sw: a constant offset per tap, as at stride 1 (one plane). So a
// strided convolution needs no im2col copy: each input value is stored once per tile.
// dst[j] = plane (a, b) at flat index z0 + j, for j < len.
void build_phase(const Kernels& k, float* dst, const float* xc, long z0, int len, const ConvProblem& q, int wq, int a,
                 int b) {
  const int lo_col = ceil_div(q.pw - b, q.sw);       // first plane column inside the input
  const int hi_col = ceil_div(q.pw + q.w - b, q.sw);  // one past the last
  zero(dst, len);  // once; then each plane row's input part (see build_padded)
  int r = static_cast<int>(z0 / wq);
  int col = static_cast<int>(z0 - static_cast<long>(r) * wq);
  for (int j = 0; j < len; col = 0, ++r) {
    const int seg = std::min(len - j, wq - col);
    const int iy = a + q.sh * r - q.ph;
    if (iy >= 0 && iy < q.h) {
      const int lo = std::clamp(lo_col - col, 0, seg);
      const int hi = std::clamp(hi_col - col, lo, seg);
      const int n = hi - lo;
      float* d = dst + j + lo;
      const float* src = xc + static_cast<long>(iy) * q.w + (b + q.sw * (col + lo) - q.pw);
      if (q.sw == 1) {
        for (int t = 0; t < n; ++t) d[t] = src[t];
      } else if (n >= k.lanes) {  // sw == 2: the even elements, a vector at a time
        // Readable: the rest of the channel's plane (a row's last even element may be its last).
        k.gather2(d, src, n, static_cast<int>(xc + static_cast<long>(q.h) * q.w - src));
      } else {
        for (int t = 0; t < n; ++t) d[t] = src[2 * t];
      }
    }
    j += seg;
  }
}

// im2col layout: row (c, ky, kx) of dst (tp floats) holds, for output pixels p0 .. p0 + len - 1
// (flat oy * ow + ox), the input value under tap (ky, kx), zero in padding, zeros after len.
void build_col(float* col, int tp, const float* xg, int c0, int cn, int p0, int len, const ConvProblem& q) {
  const long hw = static_cast<long>(q.h) * q.w;
  for (int c = 0; c < cn; ++c) {
    const float* xc = xg + (c0 + c) * hw;
    for (int ky = 0; ky < q.kh; ++ky) {
      for (int kx = 0; kx < q.kw; ++kx) {
        float* dst = col + (static_cast<long>(c * q.kh + ky) * q.kw + kx) * tp;
        const int off = kx * q.dw - q.pw;  // input column of output column ox: ox * sw + off
        int lo_all, hi_all;
        q.valid_cols(kx * q.dw, &lo_all, &hi_all);
        int j = 0;
        int p = p0;
        while (j < len) {
          const int oy = p / q.ow;
          const int ox = p - oy * q.ow;
          const int seg = std::min(len - j, q.ow - ox);
          const int iy = oy * q.sh - q.ph + ky * q.dh;
          float* d = dst + j;
          if (iy < 0 || iy >= q.h) {
            zero(d, seg);
          } else {
            const float* row = xc + static_cast<long>(iy) * q.w;
            const int lo = std::clamp(lo_all - ox, 0, seg);
            const int hi = std::clamp(hi_all - ox, lo, seg);
            zero(d, lo);
            for (int s = lo; s < hi; ++s) d[s] = row[(ox + s) * q.sw + off];
            zero(d + hi, seg - hi);
          }
          j += seg;
          p += seg;
        }
        zero(dst + len, tp - len);
      }
    }
  }
}

}  // namespace

// Register tiles as even as possible: 32 outputs are 6+6+5+5+5+5, not 6*5+2, since a 2-output call
// uses a third of the registers (and runs at about half speed).
void gemm_outputs(const Kernels& k, float* acc, int tp, const float* base, const int32_t* offs, int rows,
                  const float* w, long w_stride, int count, bool init) {
  const int groups = (count + k.gemm_max - 1) / k.gemm_max;
  for (int g = 0, i = 0; g < groups; ++g) {
    const int m = count / groups + (g < count % groups ? 1 : 0);
    float* a[kMaxGemmRows];
    const float* wr[kMaxGemmRows];
    for (int q = 0; q < m; ++q) {
      a[q] = acc + static_cast<long>(i + q) * tp;
      wr[q] = w + (i + q) * w_stride;
    }
    k.gemm[m](a, tp, base, offs, rows, wr, init ? 1 : 0);
    i += m;
  }
}

TiledConvOp::TiledConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s, const Tiling& t)
    : Op(std::move(ctx)),
      p_(s.p),
      relu_(s.relu),
      prb_(s.prb()),
      pattern_(s.pattern()),
      implicit_(t.implicit),
      ov_(t.ov),
      planes_(t.planes),
      table_(t.table),
      set_(t.set),
      classes_(1 << (t.set - 1)),
      p1_(s.p) {
  const ConvProblem& p = p_;
  const int cpg = p.cpg();
  const int opg = p.opg();
  const int taps = p.kh * p.kw;
  const bool ovl = table_ > 0;
  wp_ = implicit_ ? (p.w + 2 * p.pw + p.sw - 1) / p.sw : p.ow;
  positions_ = p.oh * wp_;
  // Tiles of up to `tile` positions: as many as keep a group's accumulators within kAccBytes,
  // between kMinTile and kMaxTile. Each tile builds its own source rows, including the kh - 1 rows
  // below it that its taps reach, and rows cut by its ends take the slower partial-row paths, so
  // larger tiles build less; past kAccBytes the accumulators outgrow the L2.
  // When there are few tiles (under 16 per thread), as many as a multiple of the thread count (per
  // sample and group), so every thread gets the same amount of work.
  const long per_image_units = static_cast<long>(p.groups) * p.n;
  const int tile = static_cast<int>(
      std::clamp(kAccBytes / static_cast<long>(sizeof(float)) / opg, static_cast<long>(kMinTile), static_cast<long>(kMaxTile)));
  int tiles = (positions_ + tile - 1) / tile;
  if (per_image_units * tiles < ctx_->threads() * 16L && tiles > 1) {
    tiles = round_up(tiles, std::max(1, static_cast<int>(ctx_->threads() / std::min<long>(per_image_units, ctx_->threads()))));
  }
  tp_ = round_up((positions_ + tiles - 1) / tiles, kTileQuantum);
  if (ov_) {
    // Output-vectorized kernels take any positions: tiles are whole output rows (as many as below),
    // and when the images give fewer units than threads, the rows are split between the threads
    // instead of the outputs, so no thread builds the other's source rows. Only where building the
    // source rows is the larger cost (k x k, not 1 x 1) and every thread can keep all the weights in
    // its L2 (each then reads all of them). (The lookup's packed indices take one int per output
    // and channel, not kh*kw floats.)
    const long weight_bytes = static_cast<long>(opg) * cpg * (ovl ? 1 : taps) * static_cast<long>(sizeof(float));
    const bool split_rows = taps > 1 && weight_bytes <= kBlockBytes;
    // Tiles of up to `tile` positions where the images alone give each thread 4+ tiles, and
    // kMinTile otherwise (small tiles balance the threads better); the 5x5 lookup keeps kMinTile
    // below 64 outputs, since its larger row tables leave fewer channels per block.
    const int wide = std::max(1, tile / wp_);
    const bool many = per_image_units * ((p.oh + wide - 1) / wide) >= ctx_->threads() * 4L;
    int rows = many && (!ovl || opg >= 64) ? wide : std::max(1, kMinTile / wp_);
    int row_tiles = (p.oh + rows - 1) / rows;
    if (split_rows && per_image_units * row_tiles < ctx_->threads()) {
      row_tiles = static_cast<int>(std::min<long>(p.oh, (ctx_->threads() + per_image_units - 1) / per_image_units));
    }
    rows = (p.oh + row_tiles - 1) / row_tiles;  // balanced: 16 rows in 2 tiles of 8, not 15 + 1
    tp_ = rows * wp_;
  }
  tiles_ = (positions_ + tp_ - 1) / tp_;
  // implicit: plane rows below the tile that taps reach
  const int halo_rows = implicit_ ? (p.kh - 1) * p.dh / p.sh * wp_ : 0;
  if (implicit_) {
    plane_len_ = round_up(tp_ + halo_rows, kTileQuantum);
    span_ = plane_len_ + round_up((p.kw - 1) * p.dw / p.sw, 16);
    src_stride_ = p.sh * p.sw * span_;
  } else {
    plane_len_ = tp_;
    src_stride_ = taps * tp_;
  }
  const long plane_floats = implicit_ ? static_cast<long>(planes_) * plane_len_ : static_cast<long>(p.kh) * planes_ * tp_;
  const long per_channel = (src_stride_ + plane_floats) * static_cast<long>(sizeof(float));
  // The row tables take table_ floats per source float.
  cb_ = static_cast<int>(std::clamp(kBlockBytes / ((1 + table_) * per_channel), 1L, static_cast<long>(cpg)));
  blocks_ = (cpg + cb_ - 1) / cb_;

  // Source offset of row (c, ky, kx) within a block.
  row_offs_.resize(static_cast<size_t>(cb_) * taps);
  for (int c = 0; c < cb_; ++c) {
    for (int ky = 0; ky < p.kh; ++ky) {
      for (int kx = 0; kx < p.kw; ++kx) {
        const int r = (c * p.kh + ky) * p.kw + kx;
        const int phase = (ky * p.dh % p.sh) * p.sw + kx * p.dw % p.sw;
        row_offs_[r] = implicit_ ? c * src_stride_ + phase * span_ + ky * p.dh / p.sh * wp_ + kx * p.dw / p.sw : r * tp_;
      }
    }
  }

  // Split a group's outputs into chunks only when there are fewer (sample, group, tile) units than
  // threads.
  const long base = static_cast<long>(p.n) * p.groups * tiles_;
  chunks_ = 1;
  if (base < ctx_->threads()) {
    const int tile_rows = ctx_->k().gemm_max;
    chunks_ = static_cast<int>(std::min<long>((ctx_->threads() + base - 1) / base, (opg + tile_rows - 1) / tile_rows));
  }
  // Even chunks (gemm_outputs splits each into register tiles as even as possible): 64 outputs on
  // 2 threads are 32 + 32, not 36 + 28.
  chunk_ = (opg + chunks_ - 1) / chunks_;
  if (ov_) chunk_ = round_up(chunk_, 2 * ctx_->k().lanes);  // whole pairs of output vectors
  chunk_ = round_up(chunk_, set_);                           // whole sign sets
  chunks_ = (opg + chunk_ - 1) / chunk_;

  bias_.assign(p.o, 0.f);
  if (s.bias) std::copy(s.bias, s.bias + p.o, bias_.begin());
  if (pattern_) alpha_.assign(s.alpha, s.alpha + p.o);

  if (prb_) {
    p1_.kh = p1_.kw = 1;
    p1_.ph = p1_.pw = 0;
    p1_.dh = p1_.dw = 1;
    p1_.groups = s.groups1;
    const int cpg1 = p1_.cpg();
    w1_.assign(s.pointwise, s.pointwise + static_cast<long>(p.o) * cpg1);
    cb1_ = static_cast<int>(std::clamp(kBlockBytes / (tp_ * static_cast<long>(sizeof(float))), 1L, static_cast<long>(cpg1)));
    pw_offs_.resize(cb1_);
    for (int c = 0; c < cb1_; ++c) pw_offs_[c] = c * tp_;
    // The 1x1 branch reads the k x k branch's source rows when they hold its inputs: every channel
    // of the group in one block (so they are all still in the scratch) and 1x1 groups inside the
    // k x k groups. Its input at position t is then the centre tap (see add_pointwise), found at a
    // constant offset per channel: no copy of its own.
    reuse_src_ = implicit_ && blocks_ == 1 && s.groups1 % p.groups == 0;
    if (reuse_src_) {
      const int phase = (p.ph % p.sh) * p.sw + p.pw % p.sw;
      const int centre = p.ph / p.sh * wp_ + p.pw / p.sw;
      src1_offs_.resize(cpg1);
      for (int c = 0; c < cpg1; ++c) src1_offs_[c] = c * src_stride_ + phase * span_ + centre;
    }
  }

  scratch_.resize(ctx_->threads());
  for (Scratch& sc : scratch_) {
    sc.src.resize(static_cast<size_t>(cb_) * src_stride_);
    sc.planes.resize(static_cast<size_t>(cb_) * plane_floats);
    sc.acc.resize(static_cast<size_t>(std::max(chunk_, (chunk_ + set_ - 1) / set_ * classes_)) * tp_);
    sc.pw.resize(static_cast<size_t>(cb1_) * tp_);
    if (ov_) {
      sc.pos.resize(tp_);
      sc.out.resize(tp_);
    }
    if (ovl) {
      sc.src.resize(sc.src.size() + kTileQuantum + (p.kw - 1) * static_cast<size_t>(span_));  // row tables read past the block
      // On whole cache lines (PageBuffer): a row table read across two lines costs two loads.
      sc.tab.resize((static_cast<size_t>(cb_) * src_stride_ + 2) * table_);
    }
  }
  name_ = std::string("native:") + (prb_ ? "prb_" : pattern_ ? "pattern_conv_" : "conv_") + t.name +
          (ov_ ? "_ov_" : implicit_ ? "_" : "_im2col_") + ctx_->k().isa;
}

void TiledConvOp::fill_source(float* src, const float* xg, int c0, int cn, int t0, int len) const {
  const long hw = static_cast<long>(p_.h) * p_.w;
  if (implicit_) {
    for (int c = 0; c < cn; ++c) {
      float* dst = src + static_cast<long>(c) * src_stride_;
      const float* xc = xg + (c0 + c) * hw;
      if (p_.sh == 1 && p_.sw == 1) {
        build_padded(dst, xc, t0, src_stride_, p_, wp_);
        continue;
      }
      if (p_.sh == 2 && p_.sw == 2 && ctx_->k().phases2) {
        ctx_->k().phases2(dst, span_, xc, p_.h, p_.w, p_.ph, p_.pw, wp_, t0, span_);
        continue;
      }
      for (int a = 0; a < p_.sh; ++a) {
        for (int b = 0; b < p_.sw; ++b) build_phase(ctx_->k(), dst + (a * p_.sw + b) * span_, xc, t0, span_, p_, wp_, a, b);
      }
    }
  } else {
    build_col(src, tp_, xg, c0, cn, t0, len, p_);
  }
}

void TiledConvOp::add_pointwise(const float* xn, int oa, int no, int t0, int len, Scratch& s) const {
  const Kernels& k = ctx_->k();
  const ConvProblem& q = p1_;
  const int cpg1 = q.cpg();
  const int opg1 = q.opg();
  const long hw = static_cast<long>(q.h) * q.w;
  float* acc = s.acc.data();
  const int end = oa + no;
  // Implicit layout: the 1x1 input of position t is the k x k branch's centre tap, the padded pixel
  // (sh*oy + ph, sw*ox + pw) (the k x k padding is dilation*(k-1)/2, so the centre is the pixel
  // itself): phase plane (ph % sh, pw % sw) at t + (ph / sh) * wp + pw / sw.
  const long centre = static_cast<long>(p_.ph / p_.sh) * wp_ + p_.pw / p_.sw;
  for (int o = oa; o < end;) {
    const int g1 = o / opg1;
    const int stop = std::min(end, (g1 + 1) * opg1);
    if (reuse_src_) {  // the group's inputs are in the k x k source rows (see the constructor)
      const float* base = s.src.data() + static_cast<long>(g1 * cpg1 % p_.cpg()) * src_stride_;
      gemm_outputs(k, acc + static_cast<long>(o - oa) * tp_, tp_, base, src1_offs_.data(), cpg1,
                   w1_.data() + static_cast<long>(o) * cpg1, cpg1, stop - o, false);
      o = stop;
      continue;
    }
    const float* x1 = xn + static_cast<long>(g1) * cpg1 * hw;
    for (int c0 = 0; c0 < cpg1; c0 += cb1_) {
      const int cn = std::min(cb1_, cpg1 - c0);
      if (implicit_) {
        for (int c = 0; c < cn; ++c) {
          build_phase(k, s.pw.data() + static_cast<long>(c) * tp_, x1 + (c0 + c) * hw, t0 + centre, tp_, p_, wp_, p_.ph % p_.sh,
                      p_.pw % p_.sw);
        }
      } else {
        build_col(s.pw.data(), tp_, x1, c0, cn, t0, len, q);
      }
      gemm_outputs(k, acc + static_cast<long>(o - oa) * tp_, tp_, s.pw.data(), pw_offs_.data(), cn,
                   w1_.data() + static_cast<long>(o) * cpg1 + c0, cpg1, stop - o, false);
    }
    o = stop;
  }
}

int TiledConvOp::tile_positions(int t0, int len, Scratch& s) const {
  int n = 0;
  for (int j = 0; j < len; ++j) {
    const int t = t0 + j;
    const int oy = t / wp_;
    const int ox = t - oy * wp_;
    if (ox < p_.ow) {
      s.pos[n] = j;
      s.out[n] = oy * p_.ow + ox;
      ++n;
    }
  }
  return n;
}

void TiledConvOp::write_outputs(float* yn, int oa, int no, int t0, int len, bool stream, const Scratch& s) const {
  const Kernels& k = ctx_->k();
  if (ov_) {  // acc is position-major: acc[pos * chunk_ + i]; read it in that order
    const long plane = static_cast<long>(p_.oh) * p_.ow;
    const float* alpha = pattern_ ? alpha_.data() + oa : nullptr;
    const float* bias = bias_.data() + oa;
    k.ov_store(yn + oa * plane, plane, s.acc.data(), chunk_, s.pos.data(), s.out.data(), s.npos, no, alpha, bias, relu_ ? 1 : 0);
    return;
  }
  const auto epilogue = stream ? k.epilogue_nt : k.epilogue;
  const long plane = static_cast<long>(p_.oh) * p_.ow;
  const bool scale_here = pattern_ && !prb_;  // a residual block scaled its k x k branch already
  for (int i = 0; i < no; ++i) {
    const int o = oa + i;
    const float* acc = s.acc.data() + static_cast<long>(i) * tp_;
    float* yo = yn + o * plane;
    const float alpha = scale_here ? alpha_[o] : 1.f;
    if (!implicit_) {
      epilogue(yo + t0, acc, len, alpha, bias_[o], relu_ ? 1 : 0);
      continue;
    }
    // Positions are oy * wp + ox; columns ox >= ow were computed for convenience and are dropped
    // (one kernel call per output walks the rows: a call per row cost more than a short row's work).
    k.epilogue_rows(yo, acc, t0, len, wp_, p_.ow, alpha, bias_[o], relu_ ? 1 : 0, stream ? 1 : 0);
  }
}

void TiledConvOp::run_unit(const float* x, float* y, int64_t unit, int thread, bool stream) {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  Scratch& s = scratch_[thread];
  const int chunk = static_cast<int>(unit % chunks_);
  int64_t t = unit / chunks_;
  const int tile = static_cast<int>(t % tiles_);
  t /= tiles_;
  const int g = static_cast<int>(t % p.groups);
  const int n = static_cast<int>(t / p.groups);
  const int cpg = p.cpg();
  const int opg = p.opg();
  const int oa = g * opg + chunk * chunk_;
  const int ob = std::min(oa + chunk_, (g + 1) * opg);
  if (oa >= ob) return;
  const int no = ob - oa;
  const int t0 = tile * tp_;
  const int len = std::min(tp_, positions_ - t0);
  const float* xn = x + static_cast<long>(n) * p.c * p.h * p.w;
  const float* xg = xn + static_cast<long>(g) * cpg * p.h * p.w;
  if (ov_) s.npos = tile_positions(t0, len, s);
  for (int b = 0; b < blocks_; ++b) {
    const int c0 = b * cb_;
    const int cn = std::min(cb_, cpg - c0);
    const int32_t* offs = row_offs_.data();
    const float* src = source(xg, c0, cn, t0, len, s, &offs);
    accumulate(b, cn, oa, no, s, src, offs);
  }
  finish(no, s);
  if (prb_) {
    for (int i = 0; i < no; ++i) k.scale(s.acc.data() + static_cast<long>(i) * tp_, tp_, alpha_[oa + i]);
    add_pointwise(xn, oa, no, t0, len, s);
  }
  write_outputs(y + static_cast<long>(n) * p.o * p.oh * p.ow, oa, no, t0, len, stream, s);
  if (stream) store_fence();
}

void TiledConvOp::finish(int, Scratch&) const {}

const float* TiledConvOp::source(const float* xg, int c0, int cn, int t0, int len, Scratch& s, const int32_t**) const {
  fill_source(s.src.data(), xg, c0, cn, t0, len);
  return s.src.data();
}

int TiledConvOp::run(const float* x, float* y, int batch) {
  if (!x || !y) return SEPNET_E_NULL;
  if (batch < 1 || batch > p_.n) return SEPNET_E_SHAPE;
  const int64_t units = static_cast<int64_t>(batch) * p_.groups * tiles_ * chunks_;
  // Outputs larger than the caches are written around them (non-temporal stores); calls whose
  // samples are small but add up to a few MB keep ordinary stores, which measured faster there
  // (docs/native-backend.md).
  const long sample_bytes = static_cast<long>(p_.o) * p_.oh * p_.ow * static_cast<long>(sizeof(float));
  const bool stream = sample_bytes >= kStreamBytes || batch * sample_bytes >= kStreamBatchBytes;
  ctx_->pool().parallel_for(units, [&](int64_t u, int t) { run_unit(x, y, u, t, stream); });
  return SEPNET_OK;
}

}  // namespace sepnet
