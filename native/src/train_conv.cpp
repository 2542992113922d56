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
constexpr int kBlockRows = 64; // im2col rows per weight-gradient work item: the GEMM's 4 vectors of columns
constexpr int kMinItems = 16;   // weight-gradient work items wanted: samples are split into chunks below that
constexpr int kMaxChunks = 8;   // most sample chunks (their partial sums are added in chunk order)
constexpr long kMaxPartial = 1L << 22;  // most floats of partial sums (16 MiB)

int round_up(long v, int q) { return static_cast<int>((v + q - 1) / q * q); }
}  // namespace

ConvTrainOp::ConvTrainOp(std::shared_ptr<Context> ctx, const ConvProblem& p) : Op(std::move(ctx)), p_(p) {
  k_ = p.cpg() * p.kh * p.kw;
  positions_ = static_cast<long>(p.oh) * p.ow;
  tp_ = std::min(kMaxTile, round_up(positions_, kTileQuantum));
  const int rows = std::max(k_, p.opg());
  const long per_thread = static_cast<long>(k_) * tp_ +
                          std::max(static_cast<long>(rows) * tp_, static_cast<long>(p.opg()) * kBlockRows) +
                          std::max(static_cast<long>(p.opg()) * tp_, static_cast<long>(tp_) * kBlockRows);
  scratch_.assign(ctx_->threads(), std::vector<float>(per_thread));
  offs_k_.resize(rows);
  for (int r = 0; r < rows; ++r) offs_k_[r] = r * tp_;
  offs_t_.resize(tp_);
  for (int r = 0; r < tp_; ++r) offs_t_[r] = r * kBlockRows;
  wt_.resize(static_cast<size_t>(p.groups) * k_ * p.opg());
  const int chunks = sample_chunks(p.n);
  if (chunks > 1) partial_.resize(static_cast<size_t>(chunks) * p.o * k_);
  name_ = std::string("native:conv_train_gemm_") + ctx_->k().isa;
}

int ConvTrainOp::run(const float*, float*, int) { return SEPNET_E_HANDLE; }

// dst[j * dst_pitch + r] = src[r * src_pitch + j] for r < rows, j < cols, in 16 x 16 blocks so that
// both sides stay within a few cache lines at a time.
static void transpose(const float* src, int src_pitch, float* dst, int dst_pitch, int rows, int cols) {
  constexpr int B = 16;
  for (int r0 = 0; r0 < rows; r0 += B) {
    const int r1 = std::min(rows, r0 + B);
    for (int j0 = 0; j0 < cols; j0 += B) {
      const int j1 = std::min(cols, j0 + B);
      for (int r = r0; r < r1; ++r) {
        const float* s = src + static_cast<long>(r) * src_pitch;
        for (int j = j0; j < j1; ++j) dst[static_cast<long>(j) * dst_pitch + r] = s[j];
      }
    }
  }
}

// Sample chunks of the weight gradient for `batch`: enough work items for the threads when a layer
// has few blocks of im2col rows (the first layer: 27 rows), from the problem and batch alone, so
// the chunks' sums, added in chunk order, are the same for any thread count.
int ConvTrainOp::sample_chunks(int batch) const {
  const int blocks = (k_ + kBlockRows - 1) / kBlockRows;
  const long items = static_cast<long>(p_.groups) * blocks;
  if (items >= kMinItems) return 1;
  const long fit = std::max(1L, kMaxPartial / (static_cast<long>(p_.o) * k_));
  return static_cast<int>(std::min<long>({batch, kMaxChunks, (kMinItems + items - 1) / items, fit}));
}

float* ConvTrainOp::scratch(int thread, int which) {
  float* s = scratch_[thread].data();
  const long rows = std::max(k_, p_.opg());
  const long acc = std::max(rows * tp_, static_cast<long>(p_.opg()) * kBlockRows);
  if (which == 0) return s;                                         // im2col tile
  if (which == 1) return s + static_cast<long>(k_) * tp_;           // accumulators
  return s + static_cast<long>(k_) * tp_ + acc;                     // dy tile, or transposed im2col rows
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
  const int blocks = (k_ + kBlockRows - 1) / kBlockRows;
  const int chunks = sample_chunks(batch);
  const int per_chunk = (batch + chunks - 1) / chunks;
  // One item per sample chunk, group and block of up to 64 im2col rows: dW[o][k] += sum over the
  // chunk's positions of dy[o][p] * cols[k][p], as a GEMM whose register tiles hold 6 outputs x 64
  // rows (the rows transposed to position-major, each dy value broadcast), summed over samples and
  // tiles in order. With several chunks each writes its partial sums, added below in chunk order.
  ctx_->pool().parallel_for(static_cast<int64_t>(chunks) * p.groups * blocks, [&](int64_t u, int thread) {
    const int chunk = static_cast<int>(u / (static_cast<long>(p.groups) * blocks));
    const int g = static_cast<int>(u / blocks % p.groups);
    const int k0 = static_cast<int>(u % blocks) * kBlockRows;
    const int k1 = std::min(k_, k0 + kBlockRows);
    const int kb = k1 - k0;
    const int n0 = chunk * per_chunk, n1 = std::min(batch, n0 + per_chunk);
    float* cols = scratch(thread, 0);
    float* acc = scratch(thread, 1);
    float* colst = scratch(thread, 2);
    // Columns past kb stay zero: the GEMM reads whole vectors of each transposed row.
    std::fill(colst, colst + static_cast<long>(tp_) * kBlockRows, 0.f);
    if (n0 >= n1) std::fill(acc, acc + static_cast<long>(opg) * kBlockRows, 0.f);
    bool first = true;
    for (int n = n0; n < n1; ++n) {
      const float* xg = x + (static_cast<long>(n) * p.c + static_cast<long>(g) * p.cpg()) * plane;
      for (int t = 0; t < tiles; ++t) {
        const int t0 = t * tp_;
        const int len = static_cast<int>(std::min<long>(tp_, positions_ - t0));
        im2col(xg, k0, k1, t0, len, cols);
        transpose(cols, tp_, colst, kBlockRows, kb, len);
        const float* w = dy + (static_cast<long>(n) * p.o + static_cast<long>(g) * opg) * positions_ + t0;
        gemm_outputs(k, acc, kBlockRows, colst, offs_t_.data(), len, w, positions_, opg, first);
        first = false;
      }
    }
    float* out = chunks > 1 ? partial_.data() + static_cast<long>(chunk) * p.o * k_ : dw;
    for (int oo = 0; oo < opg; ++oo) {
      float* d = out + (static_cast<long>(g) * opg + oo) * k_ + k0;
      const float* a = acc + static_cast<long>(oo) * kBlockRows;
      for (int r = 0; r < kb; ++r) d[r] = a[r];
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
