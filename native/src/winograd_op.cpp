// winograd_op.cpp: see winograd_op.h.
#include "winograd_op.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "sepnet_native.h"

namespace sepnet {
namespace {

// Floats of the transformed input and of one output chunk's products a unit keeps (V and M): about
// 384 KiB, within the core's L2 with the chunk's transformed weights.
constexpr long kUnitFloats = 96L * 1024;

}  // namespace

WinogradOp::WinogradOp(std::shared_ptr<Context> ctx, const ConvProblem& p, const uint32_t* bits, const float* weights,
                       const float* alpha, const float* bias, bool relu)
    : Op(std::move(ctx)), p_(p), relu_(relu) {
  const Kernels& k = ctx_->k();
  const int L = k.lanes;
  const int cpg = p.cpg(), opg = p.opg();
  th_ = (p.oh + 1) / 2;
  tw_ = (p.ow + 1) / 2;
  // Outputs are computed in chunks of up to 4 vectors (one GEMM call per transform element), so the
  // products M of a chunk and the transformed input V, which every chunk reads, stay in L2.
  oc_ = std::min(opg, 4 * L);
  // Tile rows per unit: V and M (16 floats per tile and channel or output) within kUnitFloats, and
  // at least as many units as threads. (The first version sized M for all outputs: 7 tiles per
  // unit on 128->256 14x14, where each GEMM call then read 128 KiB of weights for 7 positions.)
  const long per_row = 16L * tw_ * (cpg + oc_);
  band_ = static_cast<int>(std::clamp(kUnitFloats / per_row, 1L, static_cast<long>(th_)));
  const long images = static_cast<long>(p.n) * p.groups;
  if (images * ((th_ + band_ - 1) / band_) < ctx_->threads()) {
    const long want = std::min<long>(th_, (ctx_->threads() + images - 1) / images);
    band_ = static_cast<int>((th_ + want - 1) / want);
  }
  bands_ = (th_ + band_ - 1) / band_;
  band_ = (th_ + bands_ - 1) / bands_;  // balanced: 16 tile rows in 2 bands are 8 + 8, not 12 + 4
  // Whole planes that are small take several images per unit (their tiles side by side), so a GEMM
  // call has more positions and a unit reads the weights once for all of them; as many units as
  // threads still. (7x7 and 8x8 planes have 16 tiles: a 6-position register tile then leaves a
  // third of its last group empty and every image read all the transformed weights.)
  imgs_ = 1;
  if (bands_ == 1) {
    const long per_image = per_row * th_;
    const long most = std::max(1L, static_cast<long>(p.n) * p.groups / ctx_->threads());
    imgs_ = static_cast<int>(std::clamp(kUnitFloats / per_image, 1L, std::min<long>(p.n, most)));
  }
  tiles_ = imgs_ * band_ * tw_;
  pitch_ = 2 * ((tw_ + L - 1) / L * L) + 2 + 2 * L;

  // U = G g G^T per (output, channel), G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
  const int words = p.words_per_filter();
  const int nv = opg / L;
  u_.assign(static_cast<size_t>(16) * p.groups * nv * cpg * L, 0.f);
  const float G[4][3] = {{1.f, 0.f, 0.f}, {.5f, .5f, .5f}, {.5f, -.5f, .5f}, {0.f, 0.f, 1.f}};
  for (int o = 0; o < p.o; ++o) {
    const uint32_t* fb = bits ? bits + static_cast<long>(o) * words : nullptr;
    const float* fw = bits ? nullptr : weights + static_cast<long>(o) * cpg * 9;
    const int g = o / opg, ol = o % opg;
    for (int c = 0; c < cpg; ++c) {
      float w[3][3], gw[4][3];
      for (int i = 0; i < 9; ++i) w[i / 3][i % 3] = fb ? (sign_bit(fb, c * 9 + i) ? -1.f : 1.f) : fw[c * 9 + i];
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 3; ++j) gw[i][j] = G[i][0] * w[0][j] + G[i][1] * w[1][j] + G[i][2] * w[2][j];
      }
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
          // Signs: exact (multiples of 1/4). Float weights: rounded once per sum of up to 3 terms.
          const float uij = gw[i][0] * G[j][0] + gw[i][1] * G[j][1] + gw[i][2] * G[j][2];
          const size_t at = ((((static_cast<size_t>(i * 4 + j) * p.groups + g) * nv + ol / L) * cpg + c) * L) + ol % L;
          u_[at] = uij;
        }
      }
    }
  }
  // One output vector per group (16 outputs): the GEMMs run position-major instead (vectors of 16
  // tiles, the weight broadcast), which needs the weights per output over the channels, and the
  // output transform then works on vectors of tiles (wino_output_pm). Output-vectorized, a single
  // output vector costs a broadcast load per multiply-add.
  pm_ = nv == 1;
  if (pm_) {
    upm_.resize(u_.size());
    for (int xi = 0; xi < 16; ++xi) {
      for (int g = 0; g < p.groups; ++g) {
        for (int c = 0; c < cpg; ++c) {
          for (int ol = 0; ol < opg; ++ol) {
            upm_[((static_cast<size_t>(xi) * p.groups + g) * opg + ol) * cpg + c] =
                u_[((static_cast<size_t>(xi) * p.groups + g) * cpg + c) * L + ol];
          }
        }
      }
    }
    std::vector<float>().swap(u_);
  }
  alpha_.assign(p.o, 1.f);
  if (alpha) std::copy(alpha, alpha + p.o, alpha_.begin());
  bias_.assign(p.o, 0.f);
  if (bias) std::copy(bias, bias + p.o, bias_.begin());
  // The 16 planes of V and of M apart by a multiple of 4 KiB plus a cache line: at whole multiples
  // the 16 streams of the transforms fall into the same cache sets (the input transform ran 2x slower).
  // (Each tile row's input transform writes whole vectors of tiles: up to L - 1 floats past a
  // plane's tiles, which the + 16 leaves room for; inside a plane later rows overwrite them.)
  vs_ = (static_cast<long>(cpg) * tiles_ + 1023) / 1024 * 1024 + 16;
  tpm_ = (tiles_ + kTileQuantum - 1) / kTileQuantum * kTileQuantum;  // position-major M: floats per output
  ms_ = ((pm_ ? static_cast<long>(tpm_) * opg : static_cast<long>(tiles_) * oc_) + 1023) / 1024 * 1024 + 16;
  coffs_.resize(cpg);
  for (int c = 0; c < cpg; ++c) coffs_[c] = c * tiles_;
  iota_.resize(std::max(tiles_, 2 * band_ * p.ow));
  for (size_t i = 0; i < iota_.size(); ++i) iota_[i] = static_cast<int32_t>(i);
  scratch_.resize(ctx_->threads());
  for (Scratch& s : scratch_) {
    s.pad.assign(static_cast<size_t>(2 * band_ + 2) * pitch_, 0.f);
    s.v.resize(static_cast<size_t>(16) * vs_ + L);
    s.m.resize(static_cast<size_t>(16) * ms_ + kTileQuantum);
    s.y.resize(static_cast<size_t>(2 * band_) * p.ow * oc_);
  }
  name_ = std::string("native:") + (bits ? "pattern_conv" : "conv") + "_winograd_" + k.isa;
}

void WinogradOp::run_unit(const float* x, float* y, int64_t unit, int batch, int thread, std::atomic<bool>* nonfinite) {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  const int L = k.lanes;
  Scratch& s = scratch_[thread];
  const int band = static_cast<int>(unit % bands_);
  const int g = static_cast<int>(unit / bands_ % p.groups);
  const int n0 = static_cast<int>(unit / bands_ / p.groups) * imgs_;
  const int imgs = std::min(imgs_, batch - n0);
  const int cpg = p.cpg(), opg = p.opg(), nv = opg / L;
  const int ty0 = band * band_;
  const int rows = std::min(band_, th_ - ty0);  // tile rows of this unit, per image
  const int img_tiles = rows * tw_;
  const int tiles = imgs * img_tiles;
  const int in_rows = 2 * rows + 2;
  const long hw = static_cast<long>(p.h) * p.w;

  // 1. Input transform, channel by channel (outermost: a tile row's whole-vector stores spill into
  // tiles written later, the next image's or the next channel's), then image by image: the band's
  // padded rows, then each tile row.
  const long vs = vs_;
  for (int c = 0; c < cpg; ++c) {
   for (int j = 0; j < imgs; ++j) {
    const float* xc = x + (static_cast<long>(n0 + j) * p.c + static_cast<long>(g) * cpg + c) * hw;
    for (int r = 0; r < in_rows; ++r) {
      float* d = s.pad.data() + static_cast<long>(r) * pitch_;
      const int iy = 2 * ty0 + r - p.ph;
      if (iy < 0 || iy >= p.h) {
        std::memset(d, 0, sizeof(float) * (2 * tw_ + 2));
        continue;
      }
      // Columns: pw zeros, the input row, zeros up to the last column a tile reads (2*tw + 2); what
      // lies past it only reaches lanes of tiles past tw, which are not stored.
      std::memset(d, 0, sizeof(float) * p.pw);
      if (!k.copy_finite(d + p.pw, xc + static_cast<long>(iy) * p.w, p.w)) nonfinite->store(true, std::memory_order_relaxed);
      std::memset(d + p.pw + p.w, 0, sizeof(float) * (2 * tw_ + 2 - p.pw - p.w));
    }
    for (int ty = 0; ty < rows;) {
      float* vt = s.v.data() + static_cast<long>(c) * tiles_ + static_cast<long>(j) * img_tiles + static_cast<long>(ty) * tw_;
      const float* pt = s.pad.data() + static_cast<long>(2 * ty) * pitch_;
      if (tw_ <= 8 && ty + 1 < rows) {  // two tile rows per vector
        k.wino_input2(vt, vs, pt, pitch_, tw_);
        ty += 2;
      } else {
        k.wino_input(vt, vs, pt, pitch_, tw_);
        ty += 1;
      }
    }
   }
  }
  const long ms = ms_;
  const int oy0 = 2 * ty0;
  const int out_rows = std::min(2 * rows, p.oh - oy0);
  const long plane = static_cast<long>(p.oh) * p.ow;
  if (pm_) {
    // 2'. 16 outputs: position-major GEMMs (M[xi][output][tile]) in register tiles of at most
    // gemm_max outputs, as even as possible, then the output transform and epilogue per output.
    // (All tpm_ positions, also on a partial unit: V's rows are read up to 15 floats past tiles_.)
    for (int xi = 0; xi < 16; ++xi) {
      gemm_outputs(k, s.m.data() + xi * ms, tpm_, s.v.data() + xi * vs, coffs_.data(), cpg,
                   upm_.data() + (static_cast<size_t>(xi) * p.groups + g) * opg * cpg, cpg, opg, true);
    }
    for (int j = 0; j < imgs; ++j) {
      for (int o = 0; o < opg; ++o) {
        const int oo = g * opg + o;
        k.wino_output_pm(y + (static_cast<long>(n0 + j) * p.o + oo) * plane + static_cast<long>(oy0) * p.ow, p.ow, out_rows,
                         s.m.data() + static_cast<long>(o) * tpm_ + static_cast<long>(j) * img_tiles, ms, tw_, rows,
                         alpha_[oo], bias_[oo], relu_ ? 1 : 0);
      }
    }
    return;
  }
  // 2. Per chunk of outputs: the 16 GEMMs, output-vectorized (M[xi][tile][output]), the output
  // transform, and the epilogue on the band's output rows.
  // Chunks as even as possible (13 vectors: 4 + 3 + 3 + 3, not 4 + 4 + 4 + 1: a one-vector GEMM
  // loads a broadcast per multiply-add).
  const int chunks = (nv * L + oc_ - 1) / oc_;
  for (int ci = 0; ci < chunks; ++ci) {
    const int v0 = ci * nv / chunks, v1 = (ci + 1) * nv / chunks;
    const int o0 = v0 * L, no = (v1 - v0) * L, nb = v1 - v0;
    for (int xi = 0; xi < 16; ++xi) {
      const float* uw = u_.data() + ((static_cast<size_t>(xi) * p.groups + g) * nv + v0) * cpg * L;
      k.gemm_ov[nb](s.m.data() + xi * ms, oc_, s.v.data() + xi * vs, coffs_.data(), cpg, uw, cpg, iota_.data(), tiles, 1);
    }
    for (int j = 0; j < imgs; ++j) {
      float* yb = y + (static_cast<long>(n0 + j) * p.o + static_cast<long>(g) * opg + o0) * plane + static_cast<long>(oy0) * p.ow;
      k.wino_output(s.y.data(), oc_, s.m.data() + static_cast<long>(j) * img_tiles * oc_, ms, oc_, img_tiles, tw_, p.ow,
                    out_rows, nb);
      k.ov_store(yb, plane, s.y.data(), oc_, iota_.data(), iota_.data(), out_rows * p.ow, no, alpha_.data() + g * opg + o0,
                 bias_.data() + g * opg + o0, relu_ ? 1 : 0);
    }
  }
}

int WinogradOp::run(const float* x, float* y, int batch) {
  if (!x || !y) return SEPNET_E_NULL;
  if (batch < 1 || batch > p_.n) return SEPNET_E_SHAPE;
  const int64_t units = static_cast<int64_t>((batch + imgs_ - 1) / imgs_) * p_.groups * bands_;
  std::atomic<bool> nonfinite{false};
  ctx_->pool().parallel_for(units, [&](int64_t u, int t) { run_unit(x, y, u, batch, t, &nonfinite); });
  if (nonfinite.load() && exact_) return exact_->run(x, y, batch);
  return SEPNET_OK;
}

}  // namespace sepnet
