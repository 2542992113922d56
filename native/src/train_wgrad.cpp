// train_wgrad.cpp: ConvTrainOp's weight gradients (train_ops.h), dW[o][c][ky][kx] = sum over samples and
// output positions of dy[o] * (the input at that tap). Two layouts of the same sums:
//  - outputs in lanes (Kernels::dot_bcast) when a group's outputs fill whole vectors: each sample's input
//    is laid out position-major with its channels side by side (a zero-padded image), dy's rows
//    position-major with the outputs side by side; each tap then meets dy as vectors of outputs times
//    broadcast input values, the sums held in registers over a pass of positions;
//  - positions in lanes (Kernels::dot_lanes) otherwise (depthwise, small groups): runs of shifted input
//    planes against dy rows, one partial sum per lane, the lanes added at the end.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "conv_spec.h"
#include "sepnet_native.h"
#include "train_ops.h"

namespace sepnet {
namespace {
constexpr long kLaneAcc = 1L << 16;  // most accumulators (floats) of a weight-gradient item: 256 KiB, in L2
constexpr int kMinItems = 16;   // weight-gradient work items wanted: samples are split into chunks below that
constexpr int kMaxChunks = 8;   // most sample chunks (their partial sums are added in chunk order)
constexpr long kMaxPartial = 1L << 22;  // most floats of partial sums (16 MiB)
// Positions per weight-gradient pass, lanes layout (smaller planes: several samples per pass): the
// pass's input runs stay in L1 while every output's dy rows meet them.
constexpr int kDotTile = 1024;
// Floats of dy per pass, outputs-in-lanes layout (32 KiB): the pass's dy stays in L1 while every tap
// and block of channels meets it.
constexpr long kBcastTile = 8192;

int round_up(long v, int q) { return static_cast<int>((v + q - 1) / q * q); }
}  // namespace

void ConvTrainOp::setup_weight_gradients() {
  const ConvProblem& p = p_;
  const int taps = p.kh * p.kw;
  const int lanes = ctx_->k().lanes;
  opgv_ = round_up(p.opg(), lanes);
  // Outputs in lanes when they waste at most 1/8 of the lanes and each float of dy transposed meets at
  // least 32 inputs (a first layer's one channel x 9 taps: positions in lanes).
  bcast_ = p.opg() >= lanes && static_cast<long>(opgv_ - p.opg()) * 8 <= opgv_ && p.cpg() * taps >= 32;
  // Blocks of cb_ input channels, as many as keep an item's accumulators within kLaneAcc, split evenly.
  const long per_channel = bcast_ ? static_cast<long>(opgv_) * taps : static_cast<long>(p.opg()) * taps * lanes;
  const int cb_max = static_cast<int>(std::max(1L, std::min<long>(p.cpg(), kLaneAcc / per_channel)));
  cblocks_ = (p.cpg() + cb_max - 1) / cb_max;
  cb_ = (p.cpg() + cblocks_ - 1) / cblocks_;
  if (bcast_) {
    hp_ = (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1;
    wp_ = (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1;
    brows_ = static_cast<int>(std::clamp<long>(kBcastTile / (static_cast<long>(opgv_) * p.ow), 1, p.oh));
    const long floats = static_cast<long>(opgv_) * cb_ * taps + static_cast<long>(hp_) * wp_ * cb_ +
                        static_cast<long>(brows_) * p.ow * opgv_;
    dw_scratch_.assign(ctx_->threads(), std::vector<float>(floats));
  } else {
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
    const long planes =
        (packed_ ? (static_cast<long>(cb_) * taps + p.opg()) * seg_ * positions_ + psample_ : seg_ * psample_) + lanes;
    dw_scratch_.assign(ctx_->threads(), std::vector<float>(static_cast<long>(p.opg()) * cb_ * taps * lanes + planes));
  }
  const int chunks = sample_chunks(p.n);
  if (chunks > 1) partial_.resize(static_cast<size_t>(chunks) * p.o * k_);
}

// Sample chunks of the weight gradient for `batch`: enough work items for the threads when a layer
// has few blocks of input channels (the first layer has one), from the problem and batch alone, so
// the chunks' sums, added in chunk order, are the same for any thread count.
int ConvTrainOp::sample_chunks(int batch) const {
  const long items = static_cast<long>(p_.groups) * cblocks_;
  if (items >= kMinItems) return 1;
  const long fit = std::max(1L, kMaxPartial / (static_cast<long>(p_.o) * k_));
  return static_cast<int>(std::min<long>({batch, kMaxChunks, (kMinItems + items - 1) / items, fit}));
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

// Outputs in lanes: acc[(tap*cn + c)*opgv_ + o] += the item's sums for input channel c0 + c of group g.
void ConvTrainOp::bcast_item(const float* x, const float* dy, int g, int c0, int cn, int n0, int n1, float* acc) {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  const int L = k.lanes, taps = p.kh * p.kw, opg = p.opg();
  const long plane = static_cast<long>(p.h) * p.w;
  const long img = static_cast<long>(hp_) * wp_ * cn;
  float* xp = acc + static_cast<long>(opgv_) * cb_ * taps;  // the padded image: (hp_ x wp_) x cn
  float* dyt = xp + static_cast<long>(hp_) * wp_ * cb_;      // one pass of dy: positions x opgv_
  std::fill(acc, acc + static_cast<long>(opgv_) * cn * taps, 0.f);
  if (opgv_ > opg) std::fill(dyt, dyt + static_cast<long>(brows_) * p.ow * opgv_, 0.f);  // lanes past opg stay 0
  const int cols = std::min(p.w, wp_ - p.pw);  // input columns some tap reads
  // The padding is zeroed once: each sample's transposes write exactly the same interior positions.
  std::fill(xp, xp + img, 0.f);
  for (int n = n0; n < n1; ++n) {
    const float* xc = x + (static_cast<long>(n) * p.c + static_cast<long>(g) * p.cpg() + c0) * plane;
    for (int iy = 0; iy < p.h && iy + p.ph < hp_ && cols > 0; ++iy) {
      k.transpose(xp + (static_cast<long>(iy + p.ph) * wp_ + p.pw) * cn, cn, xc + static_cast<long>(iy) * p.w, plane, cn, cols);
    }
    const float* dyn = dy + (static_cast<long>(n) * p.o + static_cast<long>(g) * opg) * positions_;
    for (int oy0 = 0; oy0 < p.oh; oy0 += brows_) {
      const int rows = std::min(brows_, p.oh - oy0);
      k.transpose(dyt, opgv_, dyn + static_cast<long>(oy0) * p.ow, positions_, opg, rows * p.ow);
      for (int o0 = 0; o0 < opgv_; o0 += kBcastV * L) {
        const int ov = std::min(kBcastV, (opgv_ - o0) / L);
        const int rbm = k.bcast_rb[ov];
        for (int t = 0; t < taps; ++t) {
          const float* xt = xp + ((static_cast<long>(oy0) * p.sh + (t / p.kw) * p.dh) * wp_ + (t % p.kw) * p.dw) * cn;
          for (int c = 0; c < cn; c += rbm) {
            k.dot_bcast[ov][std::min(rbm, cn - c)](acc + (static_cast<long>(t) * cn + c) * opgv_ + o0, opgv_, dyt + o0, opgv_,
                                                   xt + c, static_cast<long>(p.sw) * cn,
                                                   static_cast<long>(p.sh) * wp_ * cn, rows, p.ow);
          }
        }
      }
    }
  }
}

// Positions in lanes: acc[(o*cn*taps + r)*lanes + lane] += the item's sums for row r (channel c0 + r / taps, tap r % taps).
void ConvTrainOp::lanes_item(const float* x, const float* dy, int g, int c0, int cn, int n0, int n1, float* lacc) {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  const int opg = p.opg(), taps = p.kh * p.kw;
  const long plane = static_cast<long>(p.h) * p.w;
  const int kb = cn * taps, kb_max = cb_ * taps;
  const int ma = k.dot_ma, nb = k.dot_nb, L = k.lanes;
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
}

int ConvTrainOp::backward_weights(const float* x, const float* dy, float* dw, float* db, int batch) {
  if (!x || !dy || !dw) return SEPNET_E_NULL;
  if (batch < 1 || batch > p_.n) return SEPNET_E_SHAPE;
  const ConvProblem& p = p_;
  const int opg = p.opg();
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
  const int L = ctx_->k().lanes;
  // One item per sample chunk, group and block of cb_ input channels, its sums in a fixed order of its
  // own; with several chunks each writes its partial sums, added below in chunk order.
  ctx_->pool().parallel_for(static_cast<int64_t>(chunks) * p.groups * cblocks_, [&](int64_t u, int thread) {
    const int chunk = static_cast<int>(u / (static_cast<long>(p.groups) * cblocks_));
    const int g = static_cast<int>(u / cblocks_ % p.groups);
    const int c0 = static_cast<int>(u % cblocks_) * cb_;
    const int cn = std::min(p.cpg(), c0 + cb_) - c0;
    const int n0 = chunk * per_chunk, n1 = std::min(batch, n0 + per_chunk);
    float* acc = dw_scratch_[thread].data();
    float* out = chunks > 1 ? partial_.data() + static_cast<long>(chunk) * p.o * k_ : dw;
    if (bcast_) {
      bcast_item(x, dy, g, c0, cn, n0, n1, acc);
      for (int oo = 0; oo < opg; ++oo) {
        float* d = out + (static_cast<long>(g) * opg + oo) * k_ + static_cast<long>(c0) * taps;
        for (int c = 0; c < cn; ++c) {
          for (int t = 0; t < taps; ++t) d[c * taps + t] = acc[(static_cast<long>(t) * cn + c) * opgv_ + oo];
        }
      }
      return;
    }
    lanes_item(x, dy, g, c0, cn, n0, n1, acc);
    const int kb = cn * taps;
    for (int oo = 0; oo < opg; ++oo) {
      float* d = out + (static_cast<long>(g) * opg + oo) * k_ + static_cast<long>(c0) * taps;
      const float* a = acc + static_cast<long>(oo) * kb * L;
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
