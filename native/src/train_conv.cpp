// train_conv.cpp: ConvTrainOp (train_ops.h). Weights come with each call, so nothing is packed at
// creation; the GEMMs are the kernel table's register-blocked ones (Kernels::gemm).
#include <algorithm>
#include <cstring>

#include "conv_spec.h"
#include "sepnet_native.h"
#include "train_ops.h"

namespace sepnet {
namespace {
constexpr int kMaxTile = 256;  // positions per tile: a 3x3 tile of 64 channels (576 rows) stays in L2
constexpr int kBlockRows = 12; // im2col rows per weight-gradient work item
constexpr int kDotOutputs = 8; // fewer outputs per group than this: weight gradients as dot products
constexpr int kMinItems = 16;   // weight-gradient work items wanted: samples are split into chunks below that
constexpr int kMaxChunks = 8;   // most sample chunks (their partial sums are added in chunk order)

int round_up(long v, int q) { return static_cast<int>((v + q - 1) / q * q); }
}  // namespace

ConvTrainOp::ConvTrainOp(std::shared_ptr<Context> ctx, const ConvProblem& p) : Op(std::move(ctx)), p_(p) {
  k_ = p.cpg() * p.kh * p.kw;
  positions_ = static_cast<long>(p.oh) * p.ow;
  tp_ = std::min(kMaxTile, round_up(positions_, kTileQuantum));
  opgp_ = round_up(p.opg(), kTileQuantum);
  const int rows = std::max(k_, p.opg());
  const long per_thread = static_cast<long>(k_) * tp_ + static_cast<long>(rows) * tp_ +
                          std::max(static_cast<long>(p.opg()) * tp_, static_cast<long>(kBlockRows) * opgp_);
  scratch_.assign(ctx_->threads(), std::vector<float>(per_thread));
  offs_k_.resize(rows);
  for (int r = 0; r < rows; ++r) offs_k_[r] = r * tp_;
  offs_t_.resize(tp_);
  for (int r = 0; r < tp_; ++r) offs_t_[r] = r * opgp_;
  wt_.resize(static_cast<size_t>(p.groups) * k_ * p.opg());
  if (p.opg() >= kDotOutputs) dyt_.resize(static_cast<size_t>(p.n) * p.groups * positions_ * opgp_);
  const int chunks = sample_chunks(p.n);
  if (chunks > 1) partial_.resize(static_cast<size_t>(chunks) * p.o * k_);
  name_ = std::string("native:conv_train_gemm_") + ctx_->k().isa;
}

int ConvTrainOp::run(const float*, float*, int) { return SEPNET_E_HANDLE; }

// Sample chunks of the weight gradient for `batch`: enough work items for the threads when a layer
// has few blocks of im2col rows (the first layer: 27 rows), from the problem and batch alone, so
// the chunks' sums, added in chunk order, are the same for any thread count.
int ConvTrainOp::sample_chunks(int batch) const {
  const int blocks = (k_ + kBlockRows - 1) / kBlockRows;
  const long items = static_cast<long>(p_.groups) * blocks;
  if (items >= kMinItems) return 1;
  return static_cast<int>(std::min<long>({batch, kMaxChunks, (kMinItems + items - 1) / items}));
}

float* ConvTrainOp::scratch(int thread, int which) {
  float* s = scratch_[thread].data();
  const int rows = std::max(k_, p_.opg());
  if (which == 0) return s;                                    // im2col tile
  if (which == 1) return s + static_cast<long>(k_) * tp_;      // accumulators
  return s + static_cast<long>(k_) * tp_ + static_cast<long>(rows) * tp_;  // dy tile
}

// The columns q < run of an output row whose input column ix0 + q*sw lies inside [0, w): [*lo, *hi).
static void inside(int ix0, int sw, int w, int run, int* lo, int* hi) {
  const int first = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
  const int last = ix0 > w - 1 ? -1 : (w - 1 - ix0) / sw;  // the last q with ix0 + q*sw <= w - 1
  *lo = std::min(first, run);
  *hi = std::max(*lo, std::min(run, last + 1));
}

void ConvTrainOp::im2col(const float* xg, int k0, int k1, int t0, int len, float* cols) const {
  const ConvProblem& p = p_;
  const int taps = p.kh * p.kw;
  for (int k = k0; k < k1; ++k) {
    const int c = k / taps, ky = (k / p.kw) % p.kh, kx = k % p.kw;
    const float* plane = xg + static_cast<long>(c) * p.h * p.w;
    float* dst = cols + static_cast<long>(k - k0) * tp_;
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
        const float* s = src + j;
        if (p.sw == 1) {
          float* r = row + ix0;
          for (int q = lo; q < hi; ++q) r[q] += s[q];
        } else {
          for (int q = lo; q < hi; ++q) row[ix0 + q * p.sw] += s[q];
        }
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
    im2col(x + (static_cast<long>(n) * p.c + static_cast<long>(g) * p.cpg()) * p.h * p.w, 0, k_, t0, len, cols);
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
  const int tiles = static_cast<int>((positions_ + tp_ - 1) / tp_);
  const long plane = static_cast<long>(p.h) * p.w;
  const Kernels& k = ctx_->k();
  if (db) {
    ctx_->pool().parallel_for(p.o, [&](int64_t o, int) {
      double s = 0;
      for (int n = 0; n < batch; ++n) {
        const float* d = dy + (static_cast<long>(n) * p.o + o) * positions_;
        for (long i = 0; i < positions_; ++i) s += d[i];
      }
      db[o] = static_cast<float>(s);
    });
  }
  const bool dots = opg < kDotOutputs;
  if (!dots) {
    // dy transposed (position-major, outputs padded with zeros) per sample and group: the GEMM's rows.
    ctx_->pool().parallel_for(static_cast<int64_t>(batch) * p.groups, [&](int64_t u, int) {
      const int g = static_cast<int>(u % p.groups);
      const int n = static_cast<int>(u / p.groups);
      float* dst = dyt_.data() + (static_cast<long>(n) * p.groups + g) * positions_ * opgp_;
      for (long i = 0; i < positions_; ++i) std::fill(dst + i * opgp_ + opg, dst + (i + 1) * opgp_, 0.f);
      for (int oo = 0; oo < opg; ++oo) {
        const float* src = dy + (static_cast<long>(n) * p.o + g * opg + oo) * positions_;
        for (long i = 0; i < positions_; ++i) dst[i * opgp_ + oo] = src[i];
      }
    });
  }
  const int blocks = (k_ + kBlockRows - 1) / kBlockRows;
  const int chunks = sample_chunks(batch);
  const int per_chunk = (batch + chunks - 1) / chunks;
  // One item per sample chunk, group and block of im2col rows; it sums over its samples and tiles
  // in order. With several chunks each writes its partial sums, added below in chunk order.
  ctx_->pool().parallel_for(static_cast<int64_t>(chunks) * p.groups * blocks, [&](int64_t u, int thread) {
    const int chunk = static_cast<int>(u / (static_cast<long>(p.groups) * blocks));
    const int g = static_cast<int>(u / blocks % p.groups);
    const int k0 = static_cast<int>(u % blocks) * kBlockRows;
    const int k1 = std::min(k_, k0 + kBlockRows);
    const int kb = k1 - k0;
    const int n0 = chunk * per_chunk, n1 = std::min(batch, n0 + per_chunk);
    float* cols = scratch(thread, 0);
    float* acc = scratch(thread, 2);
    if (dots || n0 >= n1) std::fill(acc, acc + kb * (dots ? opg : opgp_), 0.f);
    bool first = true;
    for (int n = n0; n < n1; ++n) {
      const float* xg = x + (static_cast<long>(n) * p.c + static_cast<long>(g) * p.cpg()) * plane;
      for (int t = 0; t < tiles; ++t) {
        const int t0 = t * tp_;
        const int len = static_cast<int>(std::min<long>(tp_, positions_ - t0));
        im2col(xg, k0, k1, t0, len, cols);
        if (dots) {
          for (int oo = 0; oo < opg; ++oo) {
            const float* d = dy + (static_cast<long>(n) * p.o + g * opg + oo) * positions_ + t0;
            for (int r = 0; r < kb; ++r) acc[r * opg + oo] += k.dot1(cols + static_cast<long>(r) * tp_, d, len);
          }
        } else {
          const float* rows = dyt_.data() + ((static_cast<long>(n) * p.groups + g) * positions_ + t0) * opgp_;
          gemm_outputs(k, acc, opgp_, rows, offs_t_.data(), len, cols, tp_, kb, first);
        }
        first = false;
      }
    }
    const int pitch = dots ? opg : opgp_;
    float* out = chunks > 1 ? partial_.data() + static_cast<long>(chunk) * p.o * k_ : dw;
    for (int r = 0; r < kb; ++r) {
      for (int oo = 0; oo < opg; ++oo) out[(static_cast<long>(g) * opg + oo) * k_ + k0 + r] = acc[r * pitch + oo];
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
