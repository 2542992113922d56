// depthwise_op.cpp: see depthwise_op.h.
#include "depthwise_op.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "sepnet_native.h"

namespace sepnet {
namespace {

constexpr long kLanesMaxPlane = 256;  // strided: output planes up to this size run 16 channels per vector

int round_up(int v, int q) { return (v + q - 1) / q * q; }

}  // namespace

DepthwiseOp::DepthwiseOp(std::shared_ptr<Context> ctx, const ConvSpec& s)
    : Op(std::move(ctx)), p_(s.p), relu_(s.relu), pattern_(s.pattern()) {
  const ConvProblem& p = p_;
  const int taps = p.kh * p.kw;
  bias_.assign(p.o, 0.f);
  if (s.bias) std::copy(s.bias, s.bias + p.o, bias_.begin());
  if (!pattern_) {
    w_.assign(s.weights, s.weights + static_cast<long>(p.o) * taps);
  } else {
    alpha_.assign(s.alpha, s.alpha + p.o);
    const int words = p.words_per_filter();
    w_.resize(static_cast<size_t>(p.o) * taps);
    for (int o = 0; o < p.o; ++o) {
      for (int i = 0; i < taps; ++i) w_[o * taps + i] = sign_bit(s.bits + static_cast<long>(o) * words, i) ? -1.f : 1.f;
    }
  }
  name_ = std::string("native:") + (pattern_ ? "pattern_conv_" : "conv_") + "depthwise_" + ctx_->k().isa;  // every path
  if (setup_grid()) return;
  // Every tap of every output is inside the padded plane, and the whole-vector reads of
  // depthwise_row (up to 2 * kTileQuantum * stride floats past the last tap) stay inside its row's
  // slack or, for the last row, the slack after the plane.
  // Stride 1 treats the padded plane as one long row (outputs at flat index oy * pitch + ox, the
  // columns past ow computed and dropped), so a small plane is a few vectors, not one call per row.
  const int slack = 2 * kTileQuantum * std::max(1, std::min(p.sw, 2));
  flat_ = p.sh == 1 && p.sw == 1;
  const int width = std::max(p.w + 2 * p.pw, (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1);
  pitch_ = flat_ ? width : round_up(width + slack, kTileQuantum);
  prows_ = std::max(p.h + 2 * p.ph, (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1);
  // Strided layers with small output planes: per-row calls would dominate; 16 channels are computed
  // at once instead, each in its own vector lane, on a channel-interleaved zero-padded copy of their
  // planes. On larger planes and at stride 1 the interleaving costs more than the calls it saves.
  lanes_ = (p.sh > 1 || p.sw > 1) && static_cast<long>(p.oh) * p.ow <= kLanesMaxPlane && p.c >= 16;
  if (lanes_) {
    lane_blocks_ = (p.c + 15) / 16;
    wl_.assign(static_cast<size_t>(lane_blocks_) * taps * 16, 0.f);
    for (int c = 0; c < p.c; ++c) {
      for (int t = 0; t < taps; ++t) wl_[(static_cast<size_t>(c / 16) * taps + t) * 16 + c % 16] = w_[static_cast<size_t>(c) * taps + t];
    }
    const int cols = std::max(p.w + 2 * p.pw, (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1);
    pitch_ = cols;
    scratch_.resize(ctx_->threads());
    for (Scratch& sc : scratch_) {
      sc.src.assign(static_cast<size_t>(prows_) * cols * 16, 0.f);
      sc.acc.assign(static_cast<size_t>(p.oh) * p.ow * 16, 0.f);
    }
    return;
  }
  const long acc_len = flat_ ? static_cast<long>(p.oh) * pitch_ : p.ow;
  scratch_.resize(ctx_->threads());
  for (Scratch& sc : scratch_) {
    sc.src.resize(static_cast<size_t>(prows_) * pitch_ + slack + kTileQuantum + (p.kw - 1) * p.dw);
    sc.acc.resize(static_cast<size_t>(round_up(static_cast<int>(acc_len), kTileQuantum)));
    sc.rows.resize(p.kh);
  }
}

// The output-grid layout. With stride s (1 or 2), tap (ky, kx) of output (oy, ox) reads image row
// s*oy + ry, ry = ky*dh - ph = s*qy + a (0 <= a < s), i.e. row oy + qy of the "grid plane" a whose
// row r is image row s*r + a; columns likewise (qx, b). Grid plane (a, b) holds image pixel
// (s*r + a, s*c + b) at flat index r*ow + c for c < ow (zero where that pixel is outside the image),
// so each tap is one grid plane read at the output's own flat index plus qy*ow + qx: a whole plane
// of outputs is a few vectors, written straight to the output with no padded columns to drop. Where
// ox + qx leaves [0, ow) the read wraps into the next or previous row, so each class of taps with
// the same qx != 0 is masked there (those pixels are padding: the layout is used only where columns
// right of the grid are); rows above and below the planes read zero guards. Stride 1 is one grid
// plane, the input itself when ow == w; stride 2 is the four phase planes.
bool DepthwiseOp::setup_grid() {
  const ConvProblem& p = p_;
  const int s = p.sh;
  if (p.sw != s || (s != 1 && s != 2)) return false;
  const auto floor_div = [](int v, int d) { return v >= 0 ? v / d : -((-v + d - 1) / d); };
  struct Tap {
    int plane, qy, qx, t;
  };
  std::vector<Tap> taps;
  for (int ky = 0; ky < p.kh; ++ky) {
    for (int kx = 0; kx < p.kw; ++kx) {
      const int ry = ky * p.dh - p.ph, rx = kx * p.dw - p.pw;
      const int qy = floor_div(ry, s), qx = floor_div(rx, s);
      const int a = ry - qy * s, b = rx - qx * s;
      if (qx > 0 && static_cast<long>(s) * p.ow + b < p.w) return false;  // would read image columns right of the grid
      taps.push_back({a * s + b, qy, qx, ky * p.kw + kx});
    }
  }
  std::stable_sort(taps.begin(), taps.end(), [](const Tap& l, const Tap& r) { return l.qx < r.qx; });
  const long n = static_cast<long>(p.oh) * p.ow;
  const long rows = (p.h + s - 1) / s;
  long lo = 0, hi = 0;
  for (const Tap& t : taps) {
    lo = std::min(lo, static_cast<long>(t.qy) * p.ow + t.qx);
    hi = std::max(hi, static_cast<long>(t.qy) * p.ow + t.qx);
  }
  const long n_read = (n + kTileQuantum - 1) / kTileQuantum * kTileQuantum;
  const long guard = std::max({-lo, n_read + hi - rows * p.ow, static_cast<long>(kTileQuantum)});  // grid_fill: 16+
  const long plane = rows * p.ow + guard;
  const long total = guard + static_cast<long>(s) * s * plane;
  if (total > (1L << 30)) return false;
  grid_ = true;
  grid_rows_ = static_cast<int>(rows);
  grid_guard_ = static_cast<int>(guard);
  grid_period_ = p.ow / std::gcd(p.ow, kTileQuantum) * kTileQuantum;
  const int ntaps = p.kh * p.kw;
  grid_off_.clear();
  grid_end_.clear();
  grid_mask_of_.clear();
  grid_masks_.clear();
  for (int i = 0; i < ntaps; ++i) {
    const Tap& t = taps[i];
    grid_off_.push_back(static_cast<int32_t>(guard + t.plane * plane + static_cast<long>(t.qy) * p.ow + t.qx));
    if (i + 1 < ntaps && taps[i + 1].qx == t.qx) continue;
    grid_end_.push_back(i + 1);  // the last tap of its class
    if (t.qx == 0) {
      grid_mask_of_.push_back(-1);
      continue;
    }
    grid_mask_of_.push_back(static_cast<int32_t>(grid_masks_.size()));
    for (int q = 0; q < grid_period_; ++q) {
      const int c = q % p.ow + t.qx;
      grid_masks_.push_back(c >= 0 && c < p.ow ? -1 : 0);
    }
  }
  // Weights in class order.
  std::vector<float> w(w_.size());
  for (int ch = 0; ch < p.o; ++ch) {
    for (int i = 0; i < ntaps; ++i) w[static_cast<size_t>(ch) * ntaps + i] = w_[static_cast<size_t>(ch) * ntaps + taps[i].t];
  }
  w_.swap(w);
  scratch_.resize(ctx_->threads());
  for (Scratch& sc : scratch_) {
    sc.src.assign(static_cast<size_t>(total), 0.f);  // guards and never-written entries stay zero
    sc.rows.resize(ntaps);
    for (int i = 0; i < ntaps; ++i) sc.rows[i] = sc.src.data() + grid_off_[i];
    sc.masks.resize(grid_end_.size());
    for (size_t g = 0; g < grid_end_.size(); ++g) {
      sc.masks[g] = grid_mask_of_[g] < 0 ? nullptr : grid_masks_.data() + grid_mask_of_[g];
    }
  }
  return true;
}

int DepthwiseOp::run(const float* x, float* y, int batch) {
  if (!x || !y) return SEPNET_E_NULL;
  if (batch < 1 || batch > p_.n) return SEPNET_E_SHAPE;
  if (lanes_) {
    const int64_t units = static_cast<int64_t>(batch) * lane_blocks_;
    ctx_->pool().parallel_for(units, [&](int64_t u, int t) { run_lanes(x, y, u, t); });
    return SEPNET_OK;
  }
  // Runs of whole planes, about 8 per thread. The scratch planes were zeroed when allocated and
  // only their interiors are ever written, so their padding stays zero.
  const long total = static_cast<long>(batch) * p_.c;
  const long per = std::max(1L, (total + ctx_->threads() * 8L - 1) / (ctx_->threads() * 8L));
  const int64_t units = (total + per - 1) / per;
  ctx_->pool().parallel_for(units, [&](int64_t u, int t) {
    const long first = u * per, last = std::min(total, (u + 1) * per);
    if (grid_) {
      run_grid(x, y, first, last, t);
    } else {
      run_rows(x, y, first, last, t);
    }
  });
  return SEPNET_OK;
}

void DepthwiseOp::run_grid(const float* x, float* y, long first, long last, int thread) {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  Scratch& s = scratch_[thread];
  const int taps = p.kh * p.kw;
  const long in_plane = static_cast<long>(p.h) * p.w;
  const int n = p.oh * p.ow;
  const long plane = static_cast<long>(grid_rows_) * p.ow + grid_guard_;
  float* g = s.src.data() + grid_guard_;
  for (long i = first; i < last; ++i) {
    const int ch = static_cast<int>(i % p.c);
    const float* xc = x + i * in_plane;
    k.grid_fill(g, plane, xc, p.h, p.w, p.sh, p.ow);
    k.depthwise_grid(y + i * n, n, s.rows.data(), w_.data() + static_cast<long>(ch) * taps, grid_end_.data(), s.masks.data(),
                     static_cast<int>(grid_end_.size()), grid_period_, pattern_ ? alpha_[ch] : 1.f, bias_[ch], relu_ ? 1 : 0);
  }
}

void DepthwiseOp::run_rows(const float* x, float* y, long first, long last, int thread) {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  Scratch& s = scratch_[thread];
  const int taps = p.kh * p.kw;
  const long in_plane = static_cast<long>(p.h) * p.w;
  const long out_plane = static_cast<long>(p.oh) * p.ow;
  float* plane = s.src.data();
  for (long i = first; i < last; ++i) {
    // One group per channel and o == c, so (sample, channel) i is plane i of both x and y.
    const int ch = static_cast<int>(i % p.c);
    const float* xc = x + i * in_plane;
    for (int iy = 0; iy < p.h; ++iy) {
      std::memcpy(plane + static_cast<long>(iy + p.ph) * pitch_ + p.pw, xc + static_cast<long>(iy) * p.w, sizeof(float) * p.w);
    }
    const float* wc = w_.data() + static_cast<long>(ch) * taps;
    float* yc = y + i * out_plane;
    const float alpha = pattern_ ? alpha_[ch] : 1.f;
    if (flat_) {
      for (int ky = 0; ky < p.kh; ++ky) s.rows[ky] = plane + static_cast<long>(ky * p.dh) * pitch_;
      k.depthwise_row(s.acc.data(), s.rows.data(), wc, p.kh, p.kw, p.oh * pitch_, 1, p.dw);
      for (int oy = 0; oy < p.oh; ++oy) {
        k.epilogue(yc + static_cast<long>(oy) * p.ow, s.acc.data() + static_cast<long>(oy) * pitch_, p.ow, alpha, bias_[ch], relu_ ? 1 : 0);
      }
      continue;
    }
    for (int oy = 0; oy < p.oh; ++oy) {
      for (int ky = 0; ky < p.kh; ++ky) s.rows[ky] = plane + static_cast<long>(oy * p.sh + ky * p.dh) * pitch_;
      k.depthwise_row(s.acc.data(), s.rows.data(), wc, p.kh, p.kw, p.ow, p.sw, p.dw);
      k.epilogue(yc + static_cast<long>(oy) * p.ow, s.acc.data(), p.ow, alpha, bias_[ch], relu_ ? 1 : 0);
    }
  }
}

void DepthwiseOp::run_lanes(const float* x, float* y, int64_t unit, int thread) {
  const ConvProblem& p = p_;
  Scratch& s = scratch_[thread];
  const int n = static_cast<int>(unit / lane_blocks_);
  const int blk = static_cast<int>(unit % lane_blocks_);
  const int c0 = blk * 16;
  const int cn = std::min(16, p.c - c0);
  const int taps = p.kh * p.kw;
  const long in_plane = static_cast<long>(p.h) * p.w;
  const int out_plane = p.oh * p.ow;
  // Interleave the block's planes into the padded scratch; padding (and, for a short last block,
  // the unused lanes' garbage, never written back) stays as it is.
  float* src = s.src.data();
  for (int c = 0; c < cn; ++c) {
    const float* xc = x + (static_cast<long>(n) * p.c + c0 + c) * in_plane;
    for (int iy = 0; iy < p.h; ++iy) {
      float* d = src + (static_cast<long>(iy + p.ph) * pitch_ + p.pw) * 16 + c;
      const float* r = xc + static_cast<long>(iy) * p.w;
      for (int ix = 0; ix < p.w; ++ix) d[ix * 16] = r[ix];
    }
  }
  ctx_->k().depthwise16(s.acc.data(), src, wl_.data() + static_cast<size_t>(blk) * taps * 16, p.kh, p.kw, p.oh, p.ow, p.sh,
                        p.sw, p.dh, p.dw, pitch_);
  for (int c = 0; c < cn; ++c) {
    const int ch = c0 + c;
    const float alpha = pattern_ ? alpha_[ch] : 1.f;
    const float bias = bias_[ch];
    float* yc = y + (static_cast<long>(n) * p.c + ch) * out_plane;
    const float* a = s.acc.data() + c;
    if (relu_) {
      for (int i = 0; i < out_plane; ++i) {
        const float v = alpha * a[i * 16] + bias;
        yc[i] = v > 0.f ? v : 0.f;
      }
    } else {
      for (int i = 0; i < out_plane; ++i) yc[i] = alpha * a[i * 16] + bias;
    }
  }
}

}  // namespace sepnet
