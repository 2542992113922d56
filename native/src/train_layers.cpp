// train_layers.cpp: the non-convolution training kernels of train_ops.h. Work items are planes,
// channels, samples or output rows; each result is summed by one thread in a fixed order.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "train_ops.h"

namespace sepnet {
namespace {
constexpr long kChunk = 1L << 14;  // floats per element-wise work item
}

void pool_backward(Context* ctx, bool max, const int32_t* g, bool count_include_pad, const float* x, const float* dy,
                   float* dx, int batch) {
  const int c = g[1], ih = g[2], iw = g[3], kh = g[4], kw = g[5], sh = g[6], sw = g[7], ph = g[8], pw = g[9], oh = g[10],
            ow = g[11];
  const long in_plane = static_cast<long>(ih) * iw, out_plane = static_cast<long>(oh) * ow;
  ctx->pool().parallel_for(static_cast<int64_t>(batch) * c, [&](int64_t u, int) {
    const float* xp = x + u * in_plane;
    const float* d = dy + u * out_plane;
    float* out = dx + u * in_plane;
    std::fill(out, out + in_plane, 0.f);
    for (int oy = 0; oy < oh; ++oy) {
      const int y0 = oy * sh - ph, y1 = std::min(y0 + kh, ih + ph);
      const int ya = std::max(y0, 0), yb = std::min(y1, ih);
      for (int ox = 0; ox < ow; ++ox) {
        const int x0 = ox * sw - pw, x1 = std::min(x0 + kw, iw + pw);
        const int xa = std::max(x0, 0), xb = std::min(x1, iw);
        const float grad = d[oy * ow + ox];
        if (max) {
          long arg = -1;
          float best = -INFINITY;
          for (int iy = ya; iy < yb; ++iy) {
            for (int ix = xa; ix < xb; ++ix) {
              const float v = xp[iy * iw + ix];
              // The forward's rule: the first maximum in scan order; a NaN wins unless one came first.
              if (arg < 0 || v > best || (v != v && best == best)) {
                best = v;
                arg = iy * iw + ix;
              }
            }
          }
          if (arg >= 0) out[arg] += grad;
        } else {
          const int count = count_include_pad ? (y1 - y0) * (x1 - x0) : (yb - ya) * (xb - xa);
          const float share = grad / static_cast<float>(count);
          for (int iy = ya; iy < yb; ++iy) {
            for (int ix = xa; ix < xb; ++ix) out[iy * iw + ix] += share;
          }
        }
      }
    }
  });
}

void channel_sums(Context* ctx, const float* a, const float* mask, const float* b, const float* shift, int batch, int channels,
                  long inner, double* sum_a, double* sum_ab) {
  const Kernels& k = ctx->k();
  ctx->pool().parallel_for(channels, [&](int64_t c, int) {
    double sa = 0, sab = 0;
    float la[16] = {}, lab[16] = {};
    long held = 0;  // terms in the float lanes since they were last added to the double sums
    auto flush = [&] {
      for (int l = 0; l < 16; ++l) {
        sa += la[l];
        sab += lab[l];
        la[l] = lab[l] = 0.f;
      }
      held = 0;
    };
    const float s = b && shift ? shift[c] : 0.f;
    // The lanes take runs of up to 1024 terms (64 per lane), across samples where planes are small,
    // then their totals go to the double sums.
    for (int n = 0; n < batch; ++n) {
      const long base = (static_cast<long>(n) * channels + c) * inner;
      for (long i0 = 0; i0 < inner; i0 += 1024) {
        const long len = std::min(inner - i0, 1024L);
        if (held + len > 1024) flush();
        k.lane_sums(a + base + i0, mask ? mask + base + i0 : nullptr, b ? b + base + i0 : nullptr, s, len, la, lab, &sa, &sab);
        held += len;
      }
    }
    flush();
    sum_a[c] = sa;
    if (b) sum_ab[c] = sab;
  });
}

void channel_affine(Context* ctx, const float* a, const float* mask, const float* b, const float* A, const float* B,
                    const float* C, bool relu, float* y, int batch, int channels, long inner) {
  const Kernels& k = ctx->k();
  ctx->pool().parallel_for(static_cast<int64_t>(batch) * channels, [&](int64_t u, int) {
    const int c = static_cast<int>(u % channels);
    const long base = u * inner;
    const float ka = A ? A[c] : 1.f, kc = C ? C[c] : 0.f;
    if (b || mask) {
      k.affine2(y + base, a + base, mask ? mask + base : nullptr, b ? b + base : nullptr, inner, ka, b ? B[c] : 0.f, kc);
      if (relu) k.relu(y + base, y + base, inner);
    } else {
      k.affine(y + base, a + base, inner, ka, kc, relu ? 1 : 0);
    }
  });
}

void relu_backward(Context* ctx, const float* y, const float* dy, float* dx, long n) {
  const Kernels& k = ctx->k();
  ctx->pool().parallel_for((n + kChunk - 1) / kChunk, [&](int64_t u, int) {
    const long i0 = u * kChunk, i1 = std::min(n, i0 + kChunk);
    k.relu_backward(dx + i0, y + i0, dy + i0, i1 - i0);
  });
}

void fc_forward(Context* ctx, const float* x, const float* w, const float* bias, float* y, int batch, int in, int out) {
  const Kernels& k = ctx->k();
  ctx->pool().parallel_for(batch, [&](int64_t n, int) {
    const float* xn = x + n * in;
    float* yn = y + n * out;
    int o = 0;
    float d[4];
    for (; o + 4 <= out; o += 4) {
      k.dot4(d, w + static_cast<long>(o) * in, xn, in);
      for (int i = 0; i < 4; ++i) yn[o + i] = d[i] + (bias ? bias[o + i] : 0.f);
    }
    for (; o < out; ++o) yn[o] = k.dot1(w + static_cast<long>(o) * in, xn, in) + (bias ? bias[o] : 0.f);
  });
}

void fc_backward(Context* ctx, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int batch,
                 int in, int out) {
  if (dx) {
    ctx->pool().parallel_for(batch, [&](int64_t n, int) {
      float* d = dx + n * in;
      std::fill(d, d + in, 0.f);
      for (int o = 0; o < out; ++o) {
        const float g = dy[n * out + o];
        const float* wo = w + static_cast<long>(o) * in;
        for (int i = 0; i < in; ++i) d[i] += g * wo[i];
      }
    });
  }
  ctx->pool().parallel_for(out, [&](int64_t o, int) {
    float* d = dw + o * in;
    std::fill(d, d + in, 0.f);
    double s = 0;
    for (int n = 0; n < batch; ++n) {
      const float g = dy[static_cast<long>(n) * out + o];
      const float* xn = x + static_cast<long>(n) * in;
      for (int i = 0; i < in; ++i) d[i] += g * xn[i];
      s += g;
    }
    if (db) db[o] = static_cast<float>(s);
  });
}

}  // namespace sepnet
