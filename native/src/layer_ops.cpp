// layer_ops.cpp: see layer_ops.h. Work is split over samples, channels or fixed-size chunks; each
// output is computed by one thread in a fixed order, so results do not depend on the thread count.
#include "layer_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "sepnet_native.h"

namespace sepnet {
namespace {
constexpr long kChunk = 1L << 14;  // floats per element-wise work item

// Runs of whole planes, about 4 per thread: one work item per small plane makes the threads contend
// for the pool's item counter.
void for_planes(Context* ctx, long planes, const std::function<void(long)>& fn) {
  const long per = std::max(1L, (planes + ctx->threads() * 4L - 1) / (ctx->threads() * 4L));
  ctx->pool().parallel_for((planes + per - 1) / per, [&](int64_t u, int) {
    for (long i = u * per, end = std::min(planes, (u + 1) * per); i < end; ++i) fn(i);
  });
}
}

FcOp::FcOp(std::shared_ptr<Context> ctx, int batch, int in, int out, const float* w, const float* bias, bool relu)
    : Op(std::move(ctx)), batch_(batch), in_(in), out_(out), relu_(relu), w_(w, w + static_cast<long>(in) * out), bias_(out, 0.f) {
  if (bias) std::copy(bias, bias + out, bias_.begin());
  // About 64K multiply-adds per work item, in whole groups of 4 outputs.
  chunk_ = std::max(4, (65536 / std::max(in, 1)) / 4 * 4);
  name_ = std::string("native:fc_dot4_") + ctx_->k().isa;
}

int FcOp::run(const float* x, float* y, int batch) {
  if (!x || !y) return SEPNET_E_NULL;
  if (batch < 1 || batch > batch_) return SEPNET_E_SHAPE;
  const int chunks = (out_ + chunk_ - 1) / chunk_;
  const Kernels& k = ctx_->k();
  ctx_->pool().parallel_for(static_cast<int64_t>(batch) * chunks, [&](int64_t u, int) {
    const int n = static_cast<int>(u / chunks);
    const int o0 = static_cast<int>(u % chunks) * chunk_;
    const int o1 = std::min(out_, o0 + chunk_);
    const float* xn = x + static_cast<long>(n) * in_;
    float* yn = y + static_cast<long>(n) * out_;
    int o = o0;
    float d[4];
    for (; o + 4 <= o1; o += 4) {
      k.dot4(d, w_.data() + static_cast<long>(o) * in_, xn, in_);
      for (int i = 0; i < 4; ++i) {
        const float v = d[i] + bias_[o + i];
        yn[o + i] = relu_ && v < 0.f ? 0.f : v;
      }
    }
    for (; o < o1; ++o) {
      const float v = k.dot1(w_.data() + static_cast<long>(o) * in_, xn, in_) + bias_[o];
      yn[o] = relu_ && v < 0.f ? 0.f : v;
    }
  });
  return SEPNET_OK;
}

PoolOp::PoolOp(std::shared_ptr<Context> ctx, bool max, int n, int c, int ih, int iw, int kh, int kw, int sh, int sw, int ph,
               int pw, int oh, int ow, bool count_include_pad)
    : Op(std::move(ctx)), max_(max), include_pad_(count_include_pad), n_(n), c_(c), ih_(ih), iw_(iw), kh_(kh), kw_(kw),
      sh_(sh), sw_(sw), ph_(ph), pw_(pw), oh_(oh), ow_(ow) {
  name_ = std::string("native:") + (max ? "max_pool" : "avg_pool");
}

void PoolOp::plane(const float* x, float* y) const {
  for (int oy = 0; oy < oh_; ++oy) {
    const int y0 = oy * sh_ - ph_;
    const int y1 = std::min(y0 + kh_, ih_ + ph_);
    const int ya = std::max(y0, 0);
    const int yb = std::min(y1, ih_);
    for (int ox = 0; ox < ow_; ++ox) {
      const int x0 = ox * sw_ - pw_;
      const int x1 = std::min(x0 + kw_, iw_ + pw_);
      const int xa = std::max(x0, 0);
      const int xb = std::min(x1, iw_);
      float r;
      if (max_) {
        r = -INFINITY;
        for (int iy = ya; iy < yb; ++iy) {
          for (int ix = xa; ix < xb; ++ix) {
            const float v = x[iy * iw_ + ix];
            if (v > r || v != v) r = v;  // a NaN wins and stays, as in the reference
          }
        }
      } else {
        float s = 0.f;
        for (int iy = ya; iy < yb; ++iy) {
          for (int ix = xa; ix < xb; ++ix) s += x[iy * iw_ + ix];
        }
        const int count = include_pad_ ? (y1 - y0) * (x1 - x0) : (yb - ya) * (xb - xa);
        r = s / static_cast<float>(count);
      }
      y[oy * ow_ + ox] = r;
    }
  }
}

int PoolOp::run(const float* x, float* y, int batch) {
  if (!x || !y) return SEPNET_E_NULL;
  if (batch < 1 || batch > n_) return SEPNET_E_SHAPE;
  const long in_plane = static_cast<long>(ih_) * iw_;
  const long out_plane = static_cast<long>(oh_) * ow_;
  for_planes(ctx_, static_cast<long>(batch) * c_, [&](long u) { plane(x + u * in_plane, y + u * out_plane); });
  return SEPNET_OK;
}

AffineOp::AffineOp(std::shared_ptr<Context> ctx, int batch, int channels, long inner, const float* scale, const float* shift, bool relu)
    : Op(std::move(ctx)), batch_(batch), channels_(channels), inner_(inner), relu_(relu), scale_(scale, scale + channels),
      shift_(shift, shift + channels) {
  name_ = std::string("native:batch_norm_") + ctx_->k().isa;
}

int AffineOp::run(const float* x, float* y, int batch) {
  if (!x || !y) return SEPNET_E_NULL;
  if (batch < 1 || batch > batch_) return SEPNET_E_SHAPE;
  const Kernels& k = ctx_->k();
  for_planes(ctx_, static_cast<long>(batch) * channels_, [&](long u) {
    const int c = static_cast<int>(u % channels_);
    k.affine(y + u * inner_, x + u * inner_, inner_, scale_[c], shift_[c], relu_ ? 1 : 0);
  });
  return SEPNET_OK;
}

void eltwise_add(Context* ctx, const float* a, const float* b, float* y, long n, bool relu) {
  const Kernels& k = ctx->k();
  ctx->pool().parallel_for((n + kChunk - 1) / kChunk, [&](int64_t u, int) {
    const long s = u * kChunk;
    k.add(y + s, a + s, b + s, std::min(kChunk, n - s), relu ? 1 : 0);
  });
}

void eltwise_relu(Context* ctx, const float* x, float* y, long n) {
  const Kernels& k = ctx->k();
  ctx->pool().parallel_for((n + kChunk - 1) / kChunk, [&](int64_t u, int) {
    const long s = u * kChunk;
    k.relu(y + s, x + s, std::min(kChunk, n - s));
  });
}

void softmax_rows(Context* ctx, const float* x, float* y, int rows, int cols) {
  ctx->pool().parallel_for(rows, [&](int64_t r, int) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double m = -INFINITY;
    for (int i = 0; i < cols; ++i) m = std::max(m, static_cast<double>(xr[i]));
    double sum = 0;
    for (int i = 0; i < cols; ++i) sum += std::exp(xr[i] - m);
    for (int i = 0; i < cols; ++i) yr[i] = static_cast<float>(std::exp(xr[i] - m) / sum);
  });
}

void copy_blocks(Context* ctx, const float* src, float* dst, int count, long src_block, long dst_block, long dst_offset) {
  ctx->pool().parallel_for(count, [&](int64_t i, int) {
    std::memcpy(dst + i * dst_block + dst_offset, src + i * src_block, sizeof(float) * src_block);
  });
}

}  // namespace sepnet
