// train_conv.cpp: ConvTrainOp's forward and input-gradient passes (train_ops.h; the weight gradients
// are in train_wgrad.cpp). Weights come with each call, so nothing is packed at creation; the GEMMs
// are the kernel table's register-blocked ones (Kernels::gemm).
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_spec.h"
#include "sepnet_native.h"
#include "train_ops.h"

namespace sepnet {
namespace {
constexpr int kMaxTile = 256;  // positions per tile: a 3x3 tile of 64 channels (576 rows) stays in L2

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
  wt_.resize(static_cast<size_t>(p.groups) * k_ * p.opg());
  setup_weight_gradients();
  name_ = std::string("native:conv_train_gemm_") + ctx_->k().isa;
}

size_t ConvTrainOp::held_bytes() const {
  size_t b = sizeof(float) * (wt_.capacity() + partial_.capacity()) + sizeof(int32_t) * offs_k_.capacity() +
             sizeof(long) * tap_offs_.capacity();
  for (const auto& v : scratch_) b += sizeof(float) * v.capacity();
  for (const auto& v : dw_scratch_) b += sizeof(float) * v.capacity();
  return b;
}

int ConvTrainOp::run(const float*, float*, int) { return SEPNET_E_HANDLE; }

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

}  // namespace sepnet
