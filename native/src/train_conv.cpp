// train_conv.cpp: ConvTrainOp (train_ops.h). Weights come with each call, so nothing is packed at
// creation; the GEMMs are the kernel table's register-blocked ones (Kernels::gemm), the weight
// gradients its lane-wise dot products (Kernels::dot_lanes).
#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "conv_spec.h"
#include "sepnet_native.h"
#include "train_ops.h"

namespace sepnet {
namespace {
constexpr int kMaxTile = 256;  // positions per tile: a 3x3 tile of 64 channels (576 rows) stays in L2
constexpr long kLaneAcc = 1L << 16;  // most lane accumulators (floats) of a weight-gradient item: 256 KiB, in L2
constexpr int kMinItems = 16;   // weight-gradient work items wanted: samples are split into chunks below that
constexpr int kMaxChunks = 8;   // most sample chunks (their partial sums are added in chunk order)
constexpr long kMaxPartial = 1L << 22;  // most floats of partial sums (16 MiB)
// Positions per weight-gradient pass (smaller planes: several samples per pass): the pass's input runs
// stay in L1 while every output's dy rows meet them.
constexpr int kDotTile = 1024;

int round_up(long v, int q) { return static_cast<int>((v + q - 1) / q * q); }
}  // namespace

ConvTrainOp::ConvTrainOp(std::shared_ptr<Context> ctx, const ConvProblem& p) : Op(std::move(ctx)), p_(p) {
  k_ = p.cpg() * p.kh * p.kw;
  positions_ = static_cast<long>(p.oh) * p.ow;
  tp_ = std::min(kMaxTile, round_up(positions_, kTileQuantum));
  const int rows = std::max(k_, p.opg());
  const long per_thread = static_cast<long>(k_) * tp_ + static_cast<long>(rows) * tp_ + static_cast<long>(p.opg()) * tp_;
  scratch_.assign(ctx_->threads(), std::vector<float>(per_thread));
  offs_k_.resize(rows);
  for (int r = 0; r < rows; ++r) offs_k_[r] = r * tp_;
  // Weight gradients: blocks of cb_ input channels, as many as keep an item's lane accumulators
  // (outputs x rows x lanes) within kLaneAcc, split evenly.
  const int taps = p.kh * p.kw;
  const int lanes = ctx_->k().lanes;
  const long per_channel = static_cast<long>(p.opg()) * taps * lanes;
  const int cb_max = static_cast<int>(std::max(1L, std::min<long>(p.cpg(), kLaneAcc / per_channel)));
  cblocks_ = (p.cpg() + cb_max - 1) / cb_max;
  cb_ = (p.cpg() + cblocks_ - 1) / cblocks_;
  prow_ = p.oh + (p.kh - 1) * p.dh / p.sh;
  pplane_ = static_cast<long>(prow_) * p.ow;
  tap_offs_.resize(static_cast<size_t>(cb_) * taps);
  for (int r = 0; r < cb_ * taps; ++r) {
    const int ci = r / taps, ky = r % taps / p.kw, kx = r % p.kw;
    const int off = ky * p.dh;
    tap_offs_[r] = ((static_cast<long>(ci) * p.kw + kx) * p.sh + off % p.sh) * pplane_ + static_cast<long>(off / p.sh) * p.ow;
  }
  // Planes whose positions end in a part-filled vector by more than 1/8 (7x7: 49 of 64 lanes) are
  // packed instead: the im2col rows and dy rows of samples whose positions fill whole vectors side by side.
  const long vectors = (positions_ + lanes - 1) / lanes;
  packed_ = positions_ < kDotTile && vectors * lanes * 8 > positions_ * 9;
  seg_ = static_cast<int>(std::min<long>(p.n, std::max(1L, kDotTile / positions_)));
  if (packed_) {
    const long unit = lanes / std::gcd(positions_, static_cast<long>(lanes));  // samples per whole vectors
    seg_ = static_cast<int>(std::min<long>(p.n, std::max(unit, seg_ / unit * unit)));
  }
  psample_ = static_cast<long>(cb_) * p.kw * p.sh * pplane_;
  // (+ lanes: shift_plane may write a vector's worth past the last plane)
  const long planes = (packed_ ? (static_cast<long>(cb_) * taps + p.opg()) * seg_ * positions_ + psample_ : seg_ * psample_) + lanes;
  dw_scratch_.assign(ctx_->threads(), std::vector<float>(static_cast<long>(p.opg()) * cb_ * taps * lanes + planes));
  wt_.resize(static_cast<size_t>(p.groups) * k_ * p.opg());
  const int chunks = sample_chunks(p.n);
  if (chunks > 1) partial_.resize(static_cast<size_t>(chunks) * p.o * k_);
  name_ = std::string("native:conv_train_gemm_") + ctx_->k().isa;
}

int ConvTrainOp::run(const float*, float*, int) { return SEPNET_E_HANDLE; }

// Sample chunks of the weight gradient for `batch`: enough work items for the threads when a layer
// has few blocks of input channels (the first layer has one), from the problem and batch alone, so
// the chunks' sums, added in chunk order, are the same for any thread count.
int ConvTrainOp::sample_chunks(int batch) const {
  const long items = static_cast<long>(p_.groups) * cblocks_;
  if (items >= kMinItems) return 1;
  const long fit = std::max(1L, kMaxPartial / (static_cast<long>(p_.o) * k_));
  return static_cast<int>(std::min<long>({batch, kMaxChunks, (kMinItems + items - 1) / items, fit}));
}

float* ConvTrainOp::scratch(int thread, int which) {
  float* s = scratch_[thread].data();
  const long rows = std::max(k_, p_.opg());
  if (which == 0) return s;                                         // im2col tile
  if (which == 1) return s + static_cast<long>(k_) * tp_;           // accumulators
  return s + static_cast<long>(k_) * tp_ + rows * tp_;              // dy tile
}

// The columns q < run of an output row whose input column ix0 + q*sw lies inside [0, w): [*lo, *hi).
static void inside(int ix0, int sw, int w, int run, int* lo, int* hi) {
  const int first = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
  const int last = ix0 > w - 1 ? -1 : (w - 1 - ix0) / sw;  // the last q with ix0 + q*sw <= w - 1
  *lo = std::min(first, run);
  *hi = std::max(*lo, std::min(run, last + 1));
}

void ConvTrainOp::shifted(const float* xc, int cn, float* planes) const {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  for (int ci = 0; ci < cn; ++ci) {
    const float* src = xc + static_cast<long>(ci) * p.h * p.w;
    for (int kx = 0; kx < p.kw; ++kx) {
      for (int a = 0; a < p.sh; ++a) {
        k.shift_plane(planes + ((static_cast<long>(ci) * p.kw + kx) * p.sh + a) * pplane_, src, p.h, p.w, prow_, p.sh, a - p.ph,
                      p.ow, p.sw, kx * p.dw - p.pw);
      }
    }
  }
}

void ConvTrainOp::im2col(const float* xg, int k0, int k1, int t0, int len, float* cols, long pitch) const {
  const ConvProblem& p = p_;
  const int taps = p.kh * p.kw;
  for (int k = k0; k < k1; ++k) {
    const int c = k / taps, ky = (k / p.kw) % p.kh, kx = k % p.kw;
    const float* plane = xg + static_cast<long>(c) * p.h * p.w;
    float* dst = cols + (k - k0) * pitch;
    int oy = t0 / p.ow, ox = t0 % p.ow;
    for (int j = 0; j < len; oy++, ox = 0) {
      const int run = std::min(len - j, p.ow - ox);
      const int iy = oy * p.sh - p.ph + ky * p.dh;
      float* d = dst + j;
      if (iy < 0 || iy >= p.h) {
        std::fill(d, d + run, 0.f);
      } else {
        const float* row = plane + static_cast<long>(iy) * p.w;
        const int ix0 = ox * p.sw - p.pw + kx * p.dw;
        int lo, hi;
        inside(ix0, p.sw, p.w, run, &lo, &hi);
        std::fill(d, d + lo, 0.f);
        if (p.sw == 1) {
          std::memcpy(d + lo, row + ix0 + lo, sizeof(float) * (hi - lo));
        } else {
          for (int q = lo; q < hi; ++q) d[q] = row[ix0 + q * p.sw];
        }
        std::fill(d + hi, d + run, 0.f);
      }
      j += run;
    }
  }
}

void ConvTrainOp::col2im(const float* dcols, int t0, int len, float* dxg) const {
  const ConvProblem& p = p_;
  const Kernels& kt = ctx_->k();
  const int taps = p.kh * p.kw;
  const int pitch = round_up(len, kTileQuantum);
  for (int k = 0; k < k_; ++k) {
    const int c = k / taps, ky = (k / p.kw) % p.kh, kx = k % p.kw;
    float* plane = dxg + static_cast<long>(c) * p.h * p.w;
    const float* src = dcols + static_cast<long>(k) * pitch;
    int oy = t0 / p.ow, ox = t0 % p.ow;
    for (int j = 0; j < len; oy++, ox = 0) {
      const int run = std::min(len - j, p.ow - ox);
      const int iy = oy * p.sh - p.ph + ky * p.dh;
      if (iy >= 0 && iy < p.h) {
        float* row = plane + static_cast<long>(iy) * p.w;
        const int ix0 = ox * p.sw - p.pw + kx * p.dw;
        int lo, hi;
        inside(ix0, p.sw, p.w, run, &lo, &hi);
        if (hi > lo) kt.add_strided(row + ix0 + static_cast<long>(lo) * p.sw, src + j + lo, hi - lo, p.sw);
      }
      j += run;
    }
  }
}

int ConvTrainOp::forward(const float* x, const float* w, const float* bias, float* y, int batch) {
  if (!x || !w || !y) return SEPNET_E_NULL;
  if (batch < 1 || batch > p_.n) return SEPNET_E_SHAPE;
  const ConvProblem& p = p_;
  const int opg = p.opg();
  const int tiles = static_cast<int>((positions_ + tp_ - 1) / tp_);
  const Kernels& k = ctx_->k();
  ctx_->pool().parallel_for(static_cast<int64_t>(batch) * p.groups * tiles, [&](int64_t u, int thread) {
    const int t = static_cast<int>(u % tiles);
    const int g = static_cast<int>(u / tiles % p.groups);
    const int n = static_cast<int>(u / tiles / p.groups);
    const int t0 = t * tp_;
    const int len = static_cast<int>(std::min<long>(tp_, positions_ - t0));
    const int tpl = round_up(len, kTileQuantum);
    float* cols = scratch(thread, 0);
    float* acc = scratch(thread, 1);
    im2col(x + (static_cast<long>(n) * p.c + static_cast<long>(g) * p.cpg()) * p.h * p.w, 0, k_, t0, len, cols, tp_);
    gemm_outputs(k, acc, tpl, cols, offs_k_.data(), k_, w + static_cast<long>(g) * opg * k_, k_, opg, true);
    for (int oo = 0; oo < opg; ++oo) {
      const int o = g * opg + oo;
      const float b = bias ? bias[o] : 0.f;
      float* dst = y + (static_cast<long>(n) * p.o + o) * positions_ + t0;
      const float* src = acc + static_cast<long>(oo) * tpl;
      for (int j = 0; j < len; ++j) dst[j] = src[j] + b;
    }
  });
  return SEPNET_OK;
}

int ConvTrainOp::backward_data(const float* dy, const float* w, float* dx, int batch) {
  if (!dy || !w || !dx) return SEPNET_E_NULL;
  if (batch < 1 || batch > p_.n) return SEPNET_E_SHAPE;
  const ConvProblem& p = p_;
  const int opg = p.opg();
  for (int g = 0; g < p.groups; ++g) {
    for (int kk = 0; kk < k_; ++kk) {
      for (int oo = 0; oo < opg; ++oo) {
        wt_[(static_cast<long>(g) * k_ + kk) * opg + oo] = w[(static_cast<long>(g) * opg + oo) * k_ + kk];
      }
    }
  }
  const int tiles = static_cast<int>((positions_ + tp_ - 1) / tp_);
  const long plane = static_cast<long>(p.h) * p.w;
  const Kernels& k = ctx_->k();
  // One item per sample and group: the col2im sums into its own input channels, in tile order.
  ctx_->pool().parallel_for(static_cast<int64_t>(batch) * p.groups, [&](int64_t u, int thread) {
    const int g = static_cast<int>(u % p.groups);
    const int n = static_cast<int>(u / p.groups);
    float* dxg = dx + (static_cast<long>(n) * p.c + static_cast<long>(g) * p.cpg()) * plane;
    std::fill(dxg, dxg + p.cpg() * plane, 0.f);
    float* dcols = scratch(thread, 1);
    float* tile = scratch(thread, 2);
    for (int t = 0; t < tiles; ++t) {
      const int t0 = t * tp_;
      const int len = static_cast<int>(std::min<long>(tp_, positions_ - t0));
      const int tpl = round_up(len, kTileQuantum);
      for (int oo = 0; oo < opg; ++oo) {
        const float* src = dy + (static_cast<long>(n) * p.o + g * opg + oo) * positions_ + t0;
        float* d = tile + static_cast<long>(oo) * tp_;
        std::memcpy(d, src, sizeof(float) * len);
        std::fill(d + len, d + tpl, 0.f);
      }
      gemm_outputs(k, dcols, tpl, tile, offs_k_.data(), opg, wt_.data() + static_cast<long>(g) * k_ * opg, opg, k_, true);
      col2im(dcols, t0, len, dxg);
    }
  });
  return SEPNET_OK;
}

int ConvTrainOp::backward_weights(const float* x, const float* dy, float* dw, float* db, int batch) {
  if (!x || !dy || !dw) return SEPNET_E_NULL;
  if (batch < 1 || batch > p_.n) return SEPNET_E_SHAPE;
  const ConvProblem& p = p_;
  const int opg = p.opg();
  const long plane = static_cast<long>(p.h) * p.w;
  const Kernels& k = ctx_->k();
  if (db) {
    // Batch norm's per-channel sums (16 float lanes of up to 64 terms each, added in double), not one
    // double chain per output.
    std::vector<double> sums(p.o);
    channel_sums(ctx_, dy, nullptr, nullptr, nullptr, batch, p.o, positions_, sums.data(), nullptr);
    for (int o = 0; o < p.o; ++o) db[o] = static_cast<float>(sums[o]);
  }
  const int chunks = sample_chunks(batch);
  const int per_chunk = (batch + chunks - 1) / chunks;
  const int taps = p.kh * p.kw;
  const int kb_max = cb_ * taps;
  const int ma = k.dot_ma, nb = k.dot_nb, L = k.lanes;
  // One item per sample chunk, group and block of cb_ input channels: dW[o][k] = sum over the chunk's
  // samples and positions of dy[o][q] * x at tap k of q. The tap's values are a contiguous run of a
  // shifted plane (shifted()), so dy rows and input runs meet as lane-wise dot products (dot_lanes),
  // each lane summing in position order; the lanes are added in lane order at the end. With several
  // chunks each writes its partial sums, added below in chunk order.
  ctx_->pool().parallel_for(static_cast<int64_t>(chunks) * p.groups * cblocks_, [&](int64_t u, int thread) {
    const int chunk = static_cast<int>(u / (static_cast<long>(p.groups) * cblocks_));
    const int g = static_cast<int>(u / cblocks_ % p.groups);
    const int c0 = static_cast<int>(u % cblocks_) * cb_;
    const int cn = std::min(p.cpg(), c0 + cb_) - c0;
    const int kb = cn * taps;
    const int n0 = chunk * per_chunk, n1 = std::min(batch, n0 + per_chunk);
    float* lacc = dw_scratch_[thread].data();
    float* planes = lacc + static_cast<long>(opg) * kb_max * L;
    std::fill(lacc, lacc + static_cast<long>(opg) * kb * L, 0.f);
    const float* rows[kDotRowsB];
    const float* outs[kDotRowsA];
    float* accs[kDotRowsA];
    // All outputs x rows of the block against one pass: row r's run is rows(r), output o's outs(o),
    // n floats in segs segments (sa, sb floats apart).
    auto pass = [&](auto row_at, auto out_at, int n, int segs, long sa, long sb) {
      for (int r0 = 0; r0 < kb; r0 += nb) {
        const int rn = std::min(nb, kb - r0);
        for (int j = 0; j < rn; ++j) rows[j] = row_at(r0 + j);
        for (int o0 = 0; o0 < opg; o0 += ma) {
          const int on = std::min(ma, opg - o0);
          for (int i = 0; i < on; ++i) {
            outs[i] = out_at(o0 + i);
            accs[i] = lacc + (static_cast<long>(o0 + i) * kb + r0) * L;
          }
          k.dot_lanes[on][rn](accs, outs, rows, n, segs, sa, sb);
        }
      }
    };
    for (int s0 = n0; s0 < n1; s0 += seg_) {
      const int sn = std::min(seg_, n1 - s0);
      const float* xs = x + (static_cast<long>(s0) * p.c + static_cast<long>(g) * p.cpg()) * plane;
      const float* dys = dy + (static_cast<long>(s0) * p.o + static_cast<long>(g) * opg) * positions_;
      if (packed_) {
        // The samples' tap runs and dy rows side by side (runs of sn * positions, whole vectors), the
        // runs copied from each sample's shifted planes.
        const long run = sn * positions_;
        float* dyp = planes + static_cast<long>(kb_max) * seg_ * positions_;
        float* sp = dyp + static_cast<long>(opg) * seg_ * positions_;
        for (int si = 0; si < sn; ++si) {
          shifted(xs + si * p.c * plane + c0 * plane, cn, sp);
          for (int r = 0; r < kb; ++r) {
            std::memcpy(planes + r * run + si * positions_, sp + tap_offset(r), sizeof(float) * positions_);
          }
          for (int o = 0; o < opg; ++o) {
            std::memcpy(dyp + o * run + si * positions_, dys + (static_cast<long>(si) * p.o + o) * positions_,
                        sizeof(float) * positions_);
          }
        }
        pass([&](int r) { return planes + r * run; }, [&](int o) { return dyp + o * run; }, static_cast<int>(run), 1, 0, 0);
        continue;
      }
      for (int si = 0; si < sn; ++si) shifted(xs + si * p.c * plane + c0 * plane, cn, planes + si * psample_);
      for (long t0 = 0; t0 < positions_; t0 += kDotTile) {
        const int len = static_cast<int>(std::min<long>(kDotTile, positions_ - t0));
        pass([&](int r) { return planes + tap_offset(r) + t0; }, [&](int o) { return dys + o * positions_ + t0; }, len, sn,
             static_cast<long>(p.o) * positions_, psample_);
      }
    }
    float* out = chunks > 1 ? partial_.data() + static_cast<long>(chunk) * p.o * k_ : dw;
    for (int oo = 0; oo < opg; ++oo) {
      float* d = out + (static_cast<long>(g) * opg + oo) * k_ + static_cast<long>(c0) * taps;
      const float* a = lacc + static_cast<long>(oo) * kb * L;
      for (int r = 0; r < kb; ++r) {
        float sum = 0.f;
        for (int l = 0; l < L; ++l) sum += a[static_cast<long>(r) * L + l];
        d[r] = sum;
      }
    }
  });
  if (chunks > 1) {
    const long weights = static_cast<long>(p.o) * k_;
    ctx_->pool().parallel_for((weights + 4095) / 4096, [&](int64_t u, int) {
      const long i0 = u * 4096, i1 = std::min(weights, i0 + 4096);
      for (long i = i0; i < i1; ++i) {
        float s = partial_[i];
        for (int c = 1; c < chunks; ++c) s += partial_[static_cast<long>(c) * weights + i];
        dw[i] = s;
      }
    });
  }
  return SEPNET_OK;
}

}  // namespace sepnet
