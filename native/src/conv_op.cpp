// conv_op.cpp: see conv_op.h.
#include "conv_op.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "sepnet_native.h"
#include "winograd_op.h"

namespace sepnet {
namespace {

constexpr int kMinTile = 256;               // output positions per tile: at least (where there are as many),
constexpr int kMaxTile = 1024;              // at most,
constexpr long kAccBytes = 256L * 1024;     // and as many as keep one group's accumulators within this
constexpr long kBlockBytes = 256L * 1024;   // default: source rows + lookup planes of one channel block
constexpr long kDepthwiseCvMaxPlane = 256;  // depthwise, strided: output planes up to this size use 16-channel lanes
constexpr long kStreamBytes = 1L << 20;     // outputs per sample at least this large are written with non-temporal stores,
constexpr long kStreamBatchBytes = 8L << 20;  // and outputs of a whole call at least this large (see ConvOp::run)

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

const char* mode_name(ConvMode m) {
  switch (m) {
    case ConvMode::kFloat: return "gemm";
    case ConvMode::kPatternXor: return "xor";
    case ConvMode::kPatternLookup: return "lookup";
    case ConvMode::kPatternGemm: return "gemm";
    case ConvMode::kPatternWinograd: return "winograd";
  }
  return "?";
}

}  // namespace

namespace {

// The output-vectorized kernels' conditions; `any_size` drops the one on the output's size.
bool ov_fits(const ConvProblem& p, const Kernels& k, bool any_size) {
  // Measured on AVX-512 only (2-vCPU EPYC, 2026-11-26, 2 threads, us, position-major -> ov):
  //  - 32+ outputs per group: 3x3 16->32 32x32 s2 23.3 -> 15.8, 32->64 16x16 s2 32.0 -> 19.1, batch 32
  //    737 -> 509 and 608 -> 374; 1x1 32->64 28x28 43.0 -> 36.7, 128->64 14x14 35.9 -> 31.6.
  //  - one output vector (16 outputs): every multiply-add needs its own broadcast load (3x3 16->16
  //    32x32 at batch 32: 826 -> 2161). Few rows (1x1 with 16 or 64 inputs and 32 outputs: 69.2 ->
  //    80.3, 34.4 -> 36.9): the position-by-position epilogue costs more than the GEMM saves.
  //  - outputs too large for the caches (per sample), which the position-major GEMM writes with
  //    non-temporal stores (SEP-Net stem, 1.6 MB: 185-205 -> 294).
  const long rows = static_cast<long>(p.cpg()) * p.kh * p.kw;
  const long sample_bytes = static_cast<long>(p.o) * p.oh * p.ow * static_cast<long>(sizeof(float));
  return std::string(k.isa) == "avx512" && p.opg() % k.lanes == 0 && (any_size || sample_bytes < kStreamBytes) && rows >= 32 &&
         (p.opg() >= 4 * k.lanes || (p.opg() >= 2 * k.lanes && rows >= 128));
}

// AUTO takes the output-vectorized lookup for 5x5 wherever it fits (measured at or above the GEMM
// on all 8 SEP-Net 5x5 layers, see docs/native-backend.md) and for 3x3 from this many outputs per
// group. First measurement (2026-11-26, benchmarks/native/opbench.cpp, 2 threads, us, gemm_ov ->
// lookup_ov, two alternated runs, before the row tables were aligned): 192+ outputs gained
// (128->192 28x28 963/991 -> 909/917, 144->288 14x14 471/487 -> 329/322, 192->384 7x7 202/208 ->
// 165/194; batch 32: 128->256 14x14 10288/10115 -> 8013/7092), 128 and fewer did not (96->128 28x28
// 488/500 -> 510/518, 64->64 8x8 28.0/29.2 -> 21.3/26.7, batch 32 517/518 -> 537/514, 32->32 16x16
// 24.7/28.0 -> 33.0/32.4): the row tables cost the same whatever the outputs.
constexpr int kLookupOvMinOutputs = 160;
// Since the row tables were aligned and the epilogue transposed, it also wins from 64 outputs when
// there are 64+ input channels (same tool, lookup forced -> gemm, two runs: 64->64 8x8 16.3/16.7 ->
// 20.9/20.6, batch 32 366/429 -> 498/489; 96->128 28x28 482/479 -> 500/504, batch 32 15541/15479 ->
// 16552/16515), not with 32 (32->64 16x16 s2 23.1/22.8 -> 20.3/17.3 at batch 1; 32 outputs: 16->32
// 32x32 s2 at batch 32 546/537 -> 462/469).

}  // namespace

bool choose_ov(const ConvProblem& p, const Kernels& k) { return ov_fits(p, k, false); }

// Four outputs per set (8 class sums) where there are as many. Measured (opbench, xor forced, one
// thread pinned to one vCPU, us, sets of 1 / 2 / 3 / 4, 2026-11-26): 16->32 32x32 s2 at batch 32
// 1318 / 821 / 690 / 664, 32->64 16x16 s2 1486 / 711 / 658 / 554, 5x5 16->32 28x28 9423 / 4754 /
// 3447 / 2727, residual block 128->256 14x14 s2 (4 groups) 5182 / 3051 / 2408 / 2010; the stem
// (3 inputs, 27 taps for 8 classes) 13436 / 9911 / 9626 / 9624.
int sign_set_size(const ConvProblem& p) { return std::clamp(p.opg(), 1, 4); }

// Groups as even as possible (see conv_op.h): 32 outputs are 6+6+5+5+5+5, not 6*5+2: a 2-output
// call uses a third of the registers and ran at about half speed.
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

bool lookup_ov_fits(const ConvProblem& p, const Kernels& k) {
  // Any output size: outputs too large for the caches measured 64->192 56x56 2093/2085 us with the
  // position-major GEMM and non-temporal stores against 1441-2061 us output-vectorized.
  const bool kernel = (p.kh == 3 && p.kw == 3 && k.lookup3_rows) || (p.kh == 5 && p.kw == 5 && k.lookup5_rows);
  return kernel && p.sh <= 2 && p.sw <= 2 && ov_fits(p, k, true);
}

ConvMode choose_pattern_mode(const ConvProblem& p, const Kernels& k, bool prb) {
  // 3x3 stride 1 with up to 32 outputs per group on xor's sign sets, ahead of Winograd (opbench, two
  // threads, min of 4-5 alternated runs, us, AUTO's previous choice -> xor, 2026-11-26): ResNet-20's
  // 16->16 32x32 21.0 -> 16.6 and at batch 32 495 -> 369, 32->32 16x16 18.2 -> 13.8 and 380 -> 328
  // (batch 8 96.7 -> 79.6); 8->16 56x56 40.4 -> 27.5, 16->32 28x28 29.7 -> 18.7, 64->32 14x14 25.6 ->
  // 20.0, 128->32 7x7 19.2 -> 16.1, 32->24 56x56 128 -> 93. One thread alike (32->32 16x16 at batch
  // 32 640 -> 654, 16->16 32x32 1019 -> 948); 48 outputs slower (48->48 16x16 at batch 32 639 -> 695).
  const bool avx512 = std::string(k.isa) == "avx512";
  const bool sets_fill = p.cpg() * p.kh * p.kw >= 72;
  if (avx512 && !prb && p.kh == 3 && p.kw == 3 && p.sh == 1 && p.sw == 1 && p.opg() <= 32 && sets_fill) {
    return ConvMode::kPatternXor;
  }
  // Winograd F(2x2, 3x3) for the rest where it fits (outputs per group a multiple of 16; 16 and 32
  // only with under 8 inputs per group since the rule above), on planes at least 16 wide, or
  // at least 8 wide for ops built for 8+ images. Measured (benchmarks/native/sweep-lookup-ov.sh and
  // opbench, alternated, two rounds, us; AUTO's previous choice -> Winograd; see
  // docs/native-backend.md): 64->192 56x56 1597/2008 -> 1287/1269, 96->128 28x28 503/342 -> 339/402,
  // 128->192 28x28 807/682 -> 606/601, 32->32 16x16 21.6/21.8 -> 18.7/18.6 and at batch 32 611/602 ->
  // 411/417; at batch 32 14x14 and 8x8 too (96->208 4771/4532 -> 4173/4240, 144->288 9007/8843 ->
  // 8042/8019, 128->256 7007/6908 -> 6272/6251, 64->64 8x8 429/431 -> 332/327), not 7x7 (160->320
  // 3100/3088 -> 3093/3116); at batch 1 mixed on 14x14 (96->208 165/145 -> 174/169, 144->288 305/265 ->
  // 262/263) and slower on 7x7 (192->384 134/147 -> 188/202). 16 outputs (position-major GEMMs):
  // 16->16 32x32 27.8/32.6 -> 22.2/23.3, batch 32 814/876 -> 638/680; 3->16 32x32 18.0/17.6 ->
  // 14.1/13.0, batch 32 364/374 -> 229/197.
  if (!prb && winograd_fits(p, k) && (p.ow >= 16 || (p.ow >= 8 && p.n >= 8 && p.opg() >= 32))) {
    return ConvMode::kPatternWinograd;
  }
  // xor's sign sets (see the ConvOp constructor) for residual blocks with 8+ inputs per group and
  // for 5x5 with up to 48 outputs per group. Measured (opbench, two threads, min of 3 alternated
  // runs, us, AUTO's previous choice -> xor, 2026-11-26): blocks 128->64 7x7 14.8 -> 13.6 and at
  // batch 32 395 -> 335, 64->32 14x14 15.4 -> 13.1 and 385 -> 320, 128->256 14x14 s2 46.0 -> 43.9 and
  // 1330 -> 1239, 32->32 112x112 s2 5865 -> 5517, 64->128 28x28 s2 1704 -> 1721 and 32->16 28x28
  // 428 -> 444 (the worst two); with 4 inputs per group slower (16->32 28x28 476 -> 599, 2 inputs
  // 667 -> 976). 5x5 16->32 28x28 69.2 -> 56.2 and 1957 -> 1546, but 16->48 14x14 and the other 5x5
  // layers 11-44% slower (one thread), as were 3x3 layers but for a few at batch 1. Since the scratch
  // placement (page_buffer.h) also 5x5 with 48 outputs: 16->48 14x14, two threads, min of 5, 24.8 ->
  // 19.4 at batch 1 and 562 -> 525 at batch 32 (one thread 30.8 -> 33.0 and 1280 -> 1168); 64 outputs
  // stay on the lookup (32->64 14x14 at batch 32 1063 against 1315).
  // And 3x3 stride 2 with up to 32 outputs per group when built for 8+ images, since calls of
  // 1-8 MB keep ordinary stores (ResNet-20's 16->32 32x32 s2, two threads, min of 5: batch 32 317 ->
  // 245, batch 8 81.0 -> 57.2, on 28x28 290 -> 277; at batch 1 11.3 -> 13.2, and 32->64 16x16 s2 at
  // batch 32 267 -> 280).
  if (avx512 && prb && sets_fill) return ConvMode::kPatternXor;
  if (avx512 && !prb && p.kh == 5 && p.kw == 5 && p.opg() <= 48 && sets_fill) return ConvMode::kPatternXor;
  if (avx512 && !prb && p.kh == 3 && p.kw == 3 && p.sh == 2 && p.sw == 2 && p.opg() <= 32 && p.n >= 8 && sets_fill) {
    return ConvMode::kPatternXor;
  }
  // (A residual block runs neither output-vectorized kernel: the 1x1 branch's GEMM is position-major.)
  // The output-vectorized lookup also for 3x3 stride 2 with 64+ outputs per group on output planes of
  // 17 to 64 positions (opbench, two threads, min of 3-5 alternated runs, us, output-vectorized GEMM
  // -> lookup, 2026-11-26): ResNet-20's 32->64 16x16 s2 batch 32 271.9 -> 251.1, batch 8 67.0 -> 59.1,
  // batch 1 13.0 -> 12.4; 32->80 16x16 s2 batch 32 380 -> 295; 32->64 15x15 s2 batch 4 33.4 -> 29.9.
  // 8x8 s2 (4x4 out) alike (85.6 -> 86.5), so not there. On larger planes mixed: 32->64 28x28 s2
  // batch 32 776 -> 808 but batch 1 31.6 -> 30.5, 24->96 28x28 s2 850 -> 1014 and 39.0 -> 28.4,
  // 48->64 56x56 s2 batch 1 140 -> 209.
  const bool small_s2 = p.kh == 3 && p.kw == 3 && p.sh == 2 && p.sw == 2 && p.opg() >= 64 &&
                        static_cast<long>(p.oh) * p.ow > 16 && static_cast<long>(p.oh) * p.ow <= 64;
  if (!prb && lookup_ov_fits(p, k) &&
      (p.kw == 5 || p.opg() >= kLookupOvMinOutputs || (p.opg() >= 64 && p.cpg() >= 64) || small_s2)) {
    return ConvMode::kPatternLookup;
  }
  const bool lookup_saves = p.kw >= 2 && p.kw <= 7 && static_cast<long>(p.opg()) * (p.kw - 1) > (1L << p.kw);
  if (std::string(k.isa) == "generic") return lookup_saves ? ConvMode::kPatternLookup : ConvMode::kPatternXor;
  return lookup_saves && p.kw >= 5 && (prb || !choose_ov(p, k)) ? ConvMode::kPatternLookup : ConvMode::kPatternGemm;
}

ConvOp::ConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s)
    : Op(std::move(ctx)), p_(s.p), p1_(s.p), mode_(s.mode), relu_(s.relu), prb_(s.pointwise != nullptr) {
  const ConvProblem& p = p_;
  const int cpg = p.cpg();
  const int opg = p.opg();
  const int taps = p.kh * p.kw;
  if (!prb_ && cpg == 1 && opg == 1) {
    setup_depthwise(s);
    return;
  }
  // The phase layout for strides 1 and 2; the lookup's row sums need a tap row's kx taps in one
  // source row, so a strided lookup uses im2col.
  // The output-vectorized lookup reads each tap by its offset, as the GEMM does: any layout works.
  ovl_ = !prb_ && mode_ == ConvMode::kPatternLookup && lookup_ov_fits(p, ctx_->k());
  implicit_ = p.sh <= 2 && p.sw <= 2 && ((p.sh == 1 && p.sw == 1) || mode_ != ConvMode::kPatternLookup || ovl_);
  wp_ = implicit_ ? (p.w + 2 * p.pw + p.sw - 1) / p.sw : p.ow;
  positions_ = p.oh * wp_;
  // Tiles of up to `tile` positions: as many as keep a group's accumulators within kAccBytes,
  // between kMinTile and kMaxTile. Each tile builds its own source rows, including the kh - 1 rows
  // below it that its taps reach, and rows cut by its ends take the slower partial-row paths: larger
  // tiles build less (2-vCPU EPYC, 2026-11-26, opbench, one thread pinned, us, 256 -> 1024
  // positions: SEP-Net stem 3->32 224x224 s2 at batch 32 9919/9633 -> 7975/7818, its 32->64 56x56
  // s2 block 5252/5265 -> 3262/3258, 1x1 64->128 56x56 19255/19354 -> 16089/16030; two threads, stem
  // 6381/6083 -> 4316/4410), while 1x1 with 256 outputs, whose accumulators then outgrow the L2,
  // slowed (256->256 28x28 at batch 1, 698/701 -> 815/814).
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
  ov_ = ovl_ || (implicit_ && !prb_ && (mode_ == ConvMode::kFloat || mode_ == ConvMode::kPatternGemm) && choose_ov(p, ctx_->k()));
  if (ov_) {
    // The output-vectorized GEMM takes any positions: tiles are whole output rows (as many as below),
    // and when the images give fewer units than threads, the rows are split between
    // the threads instead of the outputs, so no thread builds the other's source rows (ResNet-20's
    // 32->64 16x16 s2 at batch 1: each thread built all 8 rows for 32 outputs).
    // Only where building the source rows is the larger cost (k x k, not 1 x 1) and every thread can
    // keep all the weights in its L2 (each then reads all of them): 1x1 128->256 and 256->640 on
    // 7x7 took 51 and 152 us with the rows split against 31-37 and 85-105 with the outputs split.
    // (The lookup's packed indices take one int per output and channel, not kh*kw floats.)
    const long weight_bytes = static_cast<long>(opg) * cpg * (ovl_ ? 1 : taps) * static_cast<long>(sizeof(float));
    const bool split_rows = taps > 1 && weight_bytes <= kBlockBytes;
    // Tiles of up to `tile` positions where the images alone give each thread 4+ tiles, and
    // kMinTile otherwise; the 5x5 lookup keeps kMinTile below 64 outputs, since its larger row
    // tables leave fewer channels per block (measured, two threads, us, kMinTile -> 1024 positions:
    // 1x1 32->64 28x28 at batch 32 864/858/846 -> 700/762/677 but at batch 1 28.4/31.5/28.7 ->
    // 34.1/35.5/35.7; 5x5 32->96 28x28 9745/9072/7865 -> 7712/8143/7915 and at batch 1 310/271/324 ->
    // 260/269/259, but 16->32 2484/2406/2072 -> 2739/2753/2723 and 69.6/69.4/80.3 -> 88.2/81.2/86.5).
    const int wide = std::max(1, tile / wp_);
    const bool many = per_image_units * ((p.oh + wide - 1) / wide) >= ctx_->threads() * 4L;
    int rows = many && (!ovl_ || opg >= 64) ? wide : std::max(1, kMinTile / wp_);
    int row_tiles = (p.oh + rows - 1) / rows;
    if (split_rows && per_image_units * row_tiles < ctx_->threads()) {
      row_tiles = static_cast<int>(std::min<long>(p.oh, (ctx_->threads() + per_image_units - 1) / per_image_units));
    }
    rows = (p.oh + row_tiles - 1) / row_tiles;  // balanced: 16 rows in 2 tiles of 8, not 15 + 1
    tp_ = rows * wp_;
  }
  tiles_ = (positions_ + tp_ - 1) / tp_;
  planes_ = mode_ == ConvMode::kPatternLookup && !ovl_ ? 1 << (p.kw - 1) : 0;
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
  const long block_bytes = s.block_bytes > 0 ? s.block_bytes : kBlockBytes;
  cb_ = static_cast<int>(std::clamp(block_bytes / per_channel, 1L, static_cast<long>(cpg)));
  if (ovl_) {  // the row tables take 8 (3x3) or 16 (5x5) floats per source float
    table_ = p.kw == 3 ? 8 : 16;
    // 3x3 stride 2: the row tables straight from the input rows. Building the four phase planes first
    // and the tables from them took 15% and 30% of ResNet-20's 32->64 16x16 s2 at batch 32 (one
    // thread, perf).
    tables_s2_ = p.kh == 3 && p.kw == 3 && p.sh == 2 && p.sw == 2 && p.dh == 1 && p.dw == 1 && ctx_->k().lookup3_rows_s2;
    cb_ = static_cast<int>(std::clamp(block_bytes / ((1 + table_) * per_channel), 1L, static_cast<long>(cpg)));
  }
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

  // Float 1x1, stride 1, no padding: the input planes are the source rows (run_unit). Copying them
  // into the scratch (zeroing it first) took 42% of 32->16 56x56 at batch 32 (perf).
  direct_ = mode_ == ConvMode::kFloat && !prb_ && implicit_ && taps == 1 && p.sh == 1 && p.sw == 1 && p.ph == 0 &&
            p.pw == 0 && p.dh == 1 && p.dw == 1 && static_cast<long>(cpg) * p.h * p.w < (1L << 31);
  if (direct_) {
    direct_offs_.resize(cb_);
    for (int c = 0; c < cb_; ++c) direct_offs_[c] = static_cast<int32_t>(static_cast<long>(c) * p.h * p.w);
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
  if (ov_) chunk_ = round_up(chunk_, 2 * ctx_->k().lanes);  // whole pairs of output vectors (see choose_ov)
  if (mode_ == ConvMode::kPatternXor) {  // whole sign sets (see below)
    set_ = sign_set_size(p);
    classes_ = 1 << (set_ - 1);
    chunk_ = round_up(chunk_, set_);
  }
  chunks_ = (opg + chunk_ - 1) / chunk_;

  bias_.assign(p.o, 0.f);
  if (s.bias) std::copy(s.bias, s.bias + p.o, bias_.begin());
  if (mode_ == ConvMode::kFloat) {
    w_.assign(s.weights, s.weights + static_cast<long>(p.o) * cpg * taps);
  } else if (mode_ == ConvMode::kPatternGemm) {
    alpha_.assign(s.alpha, s.alpha + p.o);
    const int words = p.words_per_filter();
    const long filter = static_cast<long>(cpg) * taps;
    w_.resize(static_cast<size_t>(p.o) * filter);
    for (int o = 0; o < p.o; ++o) {
      for (long i = 0; i < filter; ++i) w_[o * filter + i] = sign_bit(s.bits + static_cast<long>(o) * words, static_cast<int>(i)) ? -1.f : 1.f;
    }
  } else if (ovl_) {
    // Lane o % 16 of vector (o / 16, c): the table entry of tap row ky in bits 5*ky .. 5*ky + 4,
    // entry m with bit kx set where sign (c, ky, kx) is negative; 3x3 keeps rows 0 and 1 in one
    // 16-entry vector, so row 1's entries are m + 8.
    alpha_.assign(s.alpha, s.alpha + p.o);
    const int words = p.words_per_filter();
    const int lanes = ctx_->k().lanes;
    iv_.assign(static_cast<size_t>(p.o) * cpg, 0);
    for (int o = 0; o < p.o; ++o) {
      const uint32_t* fb = s.bits + static_cast<long>(o) * words;
      for (int c = 0; c < cpg; ++c) {
        int32_t packed = 0;
        for (int ky = 0; ky < p.kh; ++ky) {
          int m = 0;
          for (int kx = 0; kx < p.kw; ++kx) {
            if (sign_bit(fb, (c * p.kh + ky) * p.kw + kx)) m |= 1 << kx;
          }
          if (p.kw == 5) m = m & 1 ? ((m ^ 31) >> 1) | 16 : m >> 1;  // first sign +, bit 4: negate
          packed |= ((p.kw == 3 && ky == 1 ? 8 : 0) + m) << (5 * ky);
        }
        iv_[(static_cast<size_t>(o / lanes) * cpg + c) * lanes + o % lanes] = packed;
      }
    }
  } else if (mode_ == ConvMode::kPatternXor) {
    // Sign sets: outputs set_*t .. set_*t + m - 1 of a group (m = set_, or fewer for a group's last
    // outputs) share their additions. Tap (c, ky, kx) has sign s_i in output i of the set; its class
    // K has bit i - 1 set where s_i != s_0 (i = 1 .. m-1). Class sum S_K = sum over K's taps of s_0*x
    // (one list per class and channel block, positives first), then output i = sum over K of
    // (bit i - 1 of K ? -S_K : S_K) (Kernels::sign_combine, in run_unit): each tap is added once per
    // set instead of once per output, and 2^(m-1) class sums are combined per position.
    alpha_.assign(s.alpha, s.alpha + p.o);
    const int words = p.words_per_filter();
    const int sets = (opg + set_ - 1) / set_;
    vpg_ = sets * classes_;
    list_.assign(static_cast<size_t>(p.groups) * vpg_ * blocks_ * 3, 0);
    std::vector<int32_t> pos[8], neg[8];
    for (int g = 0; g < p.groups; ++g) {
      for (int t = 0; t < sets; ++t) {
        const int o0 = g * opg + t * set_;
        const int m = std::min(set_, opg - t * set_);
        for (int b = 0; b < blocks_; ++b) {
          const int c0 = b * cb_;
          const int cn = std::min(cb_, cpg - c0);
          for (int k = 0; k < classes_; ++k) {
            pos[k].clear();
            neg[k].clear();
          }
          for (int r = 0; r < cn * taps; ++r) {
            const int bit = c0 * taps + r;  // the tap's sign bit in each filter
            const bool s0 = sign_bit(s.bits + static_cast<long>(o0) * words, bit);
            int k = 0;
            for (int i = 1; i < m; ++i) {
              if (sign_bit(s.bits + static_cast<long>(o0 + i) * words, bit) != s0) k |= 1 << (i - 1);
            }
            (s0 ? neg : pos)[k].push_back(row_offs_[r]);
          }
          for (int k = 0; k < classes_; ++k) {
            int32_t* entry = &list_[((static_cast<size_t>(g) * vpg_ + t * classes_ + k) * blocks_ + b) * 3];
            entry[0] = static_cast<int32_t>(idx_.size());
            entry[1] = static_cast<int32_t>(pos[k].size());
            entry[2] = static_cast<int32_t>(neg[k].size());
            idx_.insert(idx_.end(), pos[k].begin(), pos[k].end());
            idx_.insert(idx_.end(), neg[k].begin(), neg[k].end());
          }
        }
      }
    }
  } else {
    alpha_.assign(s.alpha, s.alpha + p.o);
    const int words = p.words_per_filter();
    list_.resize(static_cast<size_t>(p.o) * blocks_ * 3);
    std::vector<int32_t> pos, neg;
    for (int o = 0; o < p.o; ++o) {
      const uint32_t* fb = s.bits + static_cast<long>(o) * words;
      for (int b = 0; b < blocks_; ++b) {
        const int c0 = b * cb_;
        const int cn = std::min(cb_, cpg - c0);
        pos.clear();
        neg.clear();
        for (int c = 0; c < cn; ++c) {
          for (int ky = 0; ky < p.kh; ++ky) {
            const int first = ((c0 + c) * p.kh + ky) * p.kw;  // bit of tap (c, ky, 0)
            // Plane m holds R0 + sum_k s_k R_k (s_k = -1 where bit k-1 of m is set); a row whose
            // first sign is negative is minus the plane with every other sign flipped.
            const bool first_negative = sign_bit(fb, first);
            int m = 0;
            for (int kx = 1; kx < p.kw; ++kx) {
              if (sign_bit(fb, first + kx) != first_negative) m |= 1 << (kx - 1);
            }
            const int32_t off = implicit_ ? (c * planes_ + m) * plane_len_ + ky * p.dh * wp_
                                          : ((c * p.kh + ky) * planes_ + m) * tp_;
            (first_negative ? neg : pos).push_back(off);
          }
        }
        int32_t* entry = &list_[(static_cast<size_t>(o) * blocks_ + b) * 3];
        entry[0] = static_cast<int32_t>(idx_.size());
        entry[1] = static_cast<int32_t>(pos.size());
        entry[2] = static_cast<int32_t>(neg.size());
        idx_.insert(idx_.end(), pos.begin(), pos.end());
        idx_.insert(idx_.end(), neg.begin(), neg.end());
      }
    }
  }
  if (ov_ && !ovl_) {
    const int lanes = ctx_->k().lanes;
    const long filter = static_cast<long>(cpg) * taps;
    wv_.resize(w_.size());
    for (int o = 0; o < p.o; ++o) {
      for (long r = 0; r < filter; ++r) wv_[(static_cast<long>(o / lanes) * filter + r) * lanes + o % lanes] = w_[o * filter + r];
    }
    std::vector<float>().swap(w_);  // only the packed copy is read from here on
  }
  cb1_ = 0;
  if (prb_) {
    p1_.kh = p1_.kw = 1;
    p1_.ph = p1_.pw = 0;
    p1_.dh = p1_.dw = 1;
    p1_.groups = s.groups1;
    const int cpg1 = p1_.cpg();
    w1_.assign(s.pointwise, s.pointwise + static_cast<long>(p.o) * cpg1);
    cb1_ = static_cast<int>(std::clamp(block_bytes / (tp_ * static_cast<long>(sizeof(float))), 1L,
                                       static_cast<long>(cpg1)));
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
    if (ovl_) {
      sc.src.resize(sc.src.size() + kTileQuantum + (p.kw - 1) * static_cast<size_t>(span_));  // row tables read past the block
      // On whole cache lines (PageBuffer): a row table read across two lines costs two loads (and
      // the two threads' tables, aligned differently, unbalanced them).
      sc.tab.resize((static_cast<size_t>(cb_) * src_stride_ + 2) * table_);
    }
  }
  const bool pattern = mode_ != ConvMode::kFloat;
  name_ = std::string("native:") + (prb_ ? "prb_" : pattern ? "pattern_conv_" : "conv_") + mode_name(mode_) +
          (ov_ ? "_ov_" : implicit_ ? "_" : "_im2col_") + ctx_->k().isa;
}

void ConvOp::setup_depthwise(const ConvSpec& s) {
  const ConvProblem& p = p_;
  const int taps = p.kh * p.kw;
  depthwise_ = true;
  implicit_ = false;
  bias_.assign(p.o, 0.f);
  if (s.bias) std::copy(s.bias, s.bias + p.o, bias_.begin());
  const bool pattern = mode_ != ConvMode::kFloat;
  if (!pattern) {
    w_.assign(s.weights, s.weights + static_cast<long>(p.o) * taps);
  } else {
    alpha_.assign(s.alpha, s.alpha + p.o);
    const int words = p.words_per_filter();
    w_.resize(static_cast<size_t>(p.o) * taps);
    for (int o = 0; o < p.o; ++o) {
      for (int i = 0; i < taps; ++i) w_[o * taps + i] = sign_bit(s.bits + static_cast<long>(o) * words, i) ? -1.f : 1.f;
    }
  }
  name_ = std::string("native:") + (pattern ? "pattern_conv_" : "conv_") + "depthwise_" + ctx_->k().isa;  // every path
  if (setup_depthwise_grid()) return;
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
  // planes. Measured (OpBenchmark, batch 1, 2-vCPU EPYC, 2026-11-26), µs, rows path → lanes:
  // 28²×256 s2 167 → 137, 14²×512 s2 150 → 54.5; but 56²×128 s2 89.3 → 414 and every stride-1
  // layer slower (14²×512 140 → 322), hence the rule.
  cv_ = (p.sh > 1 || p.sw > 1) && static_cast<long>(p.oh) * p.ow <= kDepthwiseCvMaxPlane && p.c >= 16;
  if (cv_) {
    cv_blocks_ = (p.c + 15) / 16;
    wcv_.assign(static_cast<size_t>(cv_blocks_) * taps * 16, 0.f);
    for (int c = 0; c < p.c; ++c) {
      for (int t = 0; t < taps; ++t) wcv_[(static_cast<size_t>(c / 16) * taps + t) * 16 + c % 16] = w_[static_cast<size_t>(c) * taps + t];
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
bool ConvOp::setup_depthwise_grid() {
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

void ConvOp::run_depthwise_grid(const float* x, float* y, long first, long last, int thread) {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  Scratch& s = scratch_[thread];
  const int taps = p.kh * p.kw;
  const long in_plane = static_cast<long>(p.h) * p.w;
  const int n = p.oh * p.ow;
  const long plane = static_cast<long>(grid_rows_) * p.ow + grid_guard_;
  float* g = s.src.data() + grid_guard_;
  const bool scale_here = mode_ != ConvMode::kFloat;
  for (long i = first; i < last; ++i) {
    const int ch = static_cast<int>(i % p.c);
    const float* xc = x + i * in_plane;
    k.grid_fill(g, plane, xc, p.h, p.w, p.sh, p.ow);
    k.depthwise_grid(y + i * n, n, s.rows.data(), w_.data() + static_cast<long>(ch) * taps, grid_end_.data(), s.masks.data(),
                     static_cast<int>(grid_end_.size()), grid_period_, scale_here ? alpha_[ch] : 1.f, bias_[ch], relu_ ? 1 : 0);
  }
}

void ConvOp::run_depthwise(const float* x, float* y, long first, long last, int thread) {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  Scratch& s = scratch_[thread];
  const int taps = p.kh * p.kw;
  const long in_plane = static_cast<long>(p.h) * p.w;
  const long out_plane = static_cast<long>(p.oh) * p.ow;
  float* plane = s.src.data();
  const bool scale_here = mode_ != ConvMode::kFloat;
  for (long i = first; i < last; ++i) {
    // One group per channel and o == c, so (sample, channel) i is plane i of both x and y.
    const int ch = static_cast<int>(i % p.c);
    const float* xc = x + i * in_plane;
    for (int iy = 0; iy < p.h; ++iy) {
      std::memcpy(plane + static_cast<long>(iy + p.ph) * pitch_ + p.pw, xc + static_cast<long>(iy) * p.w, sizeof(float) * p.w);
    }
    const float* wc = w_.data() + static_cast<long>(ch) * taps;
    float* yc = y + i * out_plane;
    const float alpha = scale_here ? alpha_[ch] : 1.f;
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

void ConvOp::run_depthwise_cv(const float* x, float* y, int64_t unit, int thread) {
  const ConvProblem& p = p_;
  Scratch& s = scratch_[thread];
  const int n = static_cast<int>(unit / cv_blocks_);
  const int blk = static_cast<int>(unit % cv_blocks_);
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
  ctx_->k().depthwise16(s.acc.data(), src, wcv_.data() + static_cast<size_t>(blk) * taps * 16, p.kh, p.kw, p.oh, p.ow, p.sh,
                        p.sw, p.dh, p.dw, pitch_);
  const bool scale_here = mode_ != ConvMode::kFloat;
  for (int c = 0; c < cn; ++c) {
    const int ch = c0 + c;
    const float alpha = scale_here ? alpha_[ch] : 1.f;
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

void ConvOp::fill_source(float* src, const float* xg, int c0, int cn, int t0, int len) const {
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

// The row tables of a tile of whole output rows (t0, len multiples of wp_; the ow output columns of
// each, the only ones tile_positions keeps) for channels xb ..
// xb + cn - 1 of the input: tap rows 0 and 2 on the plane rows of phase a = 0 (one more row than the
// tile's), tap row 1 on those of a = 1, where accumulate_block's row offsets expect them.
void ConvOp::tables_s2(Scratch& s, const float* xb, int cn, int t0, int len) const {
  const ConvProblem& p = p_;
  const Kernels& k = ctx_->k();
  float* tab = s.tab.data();
  const long hw = static_cast<long>(p.h) * p.w;
  const int r0 = t0 / wp_;
  const int rows = len / wp_;
  for (int c = 0; c < cn; ++c) {
    const float* xc = xb + c * hw;
    float* t = tab + static_cast<long>(c) * src_stride_ * 8;
    k.lookup3_rows_s2(t, xc, p.h, p.w, p.ph, p.pw, wp_, p.ow, r0, rows + 1);
    k.lookup3_rows_s2(t + static_cast<long>(p.sw) * span_ * 8, xc, p.h, p.w, p.ph - 1, p.pw, wp_, p.ow, r0, rows);
  }
}

void ConvOp::accumulate_block(int b, int cn, int oa, int no, Scratch& s, const float* src, const int32_t* offs) const {
  const Kernels& k = ctx_->k();
  const ConvProblem& p = p_;
  const int taps = p.kh * p.kw;
  float* acc = s.acc.data();
  if (ovl_) {
    const int lanes = k.lanes;
    const int vectors = (no + lanes - 1) / lanes;
    const int32_t* iv = iv_.data() + (static_cast<long>(oa / lanes) * p.cpg() + static_cast<long>(b) * cb_) * lanes;
    // Row tables where tap rows start: the phase planes of the first tap column (b = 0).
    int32_t d[5];
    for (int kx = 0; kx < p.kw; ++kx) d[kx] = row_offs_[kx] - row_offs_[0];
    float* tab = s.tab.data();
    for (int c = 0; c < cn && !tables_s2_; ++c) {
      for (int a = 0; a < p.sh; ++a) {
        const long i0 = static_cast<long>(c) * src_stride_ + a * p.sw * span_;
        if (p.kw == 3) {
          k.lookup3_rows(tab + i0 * 8, s.src.data() + i0, plane_len_, d[1], d[2]);
        } else {
          k.lookup5_rows(tab + i0 * 16, s.src.data() + i0, plane_len_, d);
        }
      }
    }
    // Groups of positions outermost: their row tables stay in L1 while every output vector reads
    // them. 3x3: 24 positions (8, 16, 24 and 48 measured alike); 5x5 (5 tables of 64 bytes per
    // position and channel): about 24 KiB, whole register tiles of 6 positions (24 positions
    // measured up to 2x slower).
    const long group_bytes = static_cast<long>(cn) * p.kh * table_ * static_cast<long>(sizeof(float));
    // 3x3: whole register tiles of the size lookup3_ov picks for two vectors (7 positions for 49).
    const int tiles8 = std::max(1, (s.npos + 7) / 8);
    const int mp = std::max(1, (s.npos + tiles8 - 1) / tiles8);
    const int group = p.kw == 3 ? 24 / mp * mp : static_cast<int>(std::clamp(24L * 1024 / group_bytes / 6 * 6, 6L, 24L));
    for (int p0 = 0; p0 < s.npos; p0 += group) {
      const int m = std::min(group, s.npos - p0);
      for (int v = 0; v < vectors; v += 2) {
        const auto kernel = p.kw == 3 ? k.lookup3_ov[std::min(2, vectors - v)] : k.lookup5_ov[std::min(2, vectors - v)];
        kernel(acc + v * lanes, chunk_, tab, row_offs_.data(), s.pos.data() + p0, m,
               iv + static_cast<long>(v) * p.cpg() * lanes, p.cpg(), cn, b == 0);
      }
    }
    return;
  }
  if (ov_) {
    const int lanes = k.lanes;
    const long filter = static_cast<long>(p.cpg()) * taps;
    const long r0 = static_cast<long>(b) * cb_ * taps;
    const int vectors = (no + lanes - 1) / lanes;
    for (int v = 0; v < vectors; v += 4) {
      const int nb = std::min(4, vectors - v);
      k.gemm_ov[nb](acc + v * lanes, chunk_, src, offs, cn * taps,
                    wv_.data() + (static_cast<long>(oa / lanes + v) * filter + r0) * lanes, filter, s.pos.data(), s.npos, b == 0);
    }
    return;
  }
  if (mode_ == ConvMode::kFloat || mode_ == ConvMode::kPatternGemm) {
    const long filter = static_cast<long>(p.cpg()) * taps;
    const long r0 = static_cast<long>(b) * cb_ * taps;
    // The first block starts the accumulators (they were not cleared for the GEMM modes).
    gemm_outputs(k, acc, tp_, src, offs, cn * taps, w_.data() + oa * filter + r0, filter, no, b == 0);
    return;
  }
  const float* planes = s.src.data();
  if (mode_ == ConvMode::kPatternLookup) {
    if (implicit_) {
      for (int c = 0; c < cn; ++c) {
        k.row_lookup(s.planes.data() + static_cast<long>(c) * planes_ * plane_len_, plane_len_,
                     s.src.data() + static_cast<long>(c) * src_stride_, p.dw, p.kw, plane_len_);
      }
    } else {
      for (int r = 0; r < cn * p.kh; ++r) {
        k.row_lookup(s.planes.data() + static_cast<long>(r) * planes_ * tp_, tp_,
                     s.src.data() + static_cast<long>(r) * p.kw * tp_, tp_, p.kw, tp_);
      }
    }
    planes = s.planes.data();
  }
  if (mode_ == ConvMode::kPatternXor) {  // the unit's sign sets' class sums (see the constructor)
    const int opg = p.opg();
    const long va = static_cast<long>(oa / opg) * vpg_ + (oa % opg) / set_ * classes_;
    k.signed_sum(acc, tp_, planes, idx_.data(), &list_[(va * blocks_ + b) * 3], blocks_ * 3, (no + set_ - 1) / set_ * classes_,
                 b == 0);
    return;
  }
  k.signed_sum(acc, tp_, planes, idx_.data(), &list_[(static_cast<size_t>(oa) * blocks_ + b) * 3], blocks_ * 3, no, b == 0);
}

void ConvOp::add_pointwise(const float* xn, int oa, int no, int t0, int len, Scratch& s) const {
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

int ConvOp::tile_positions(int t0, int len, Scratch& s) const {
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

void ConvOp::write_outputs(float* yn, int oa, int no, int t0, int len, bool stream, const Scratch& s) const {
  const Kernels& k = ctx_->k();
  if (ov_) {  // acc is position-major: acc[pos * chunk_ + i]; read it in that order
    const long plane = static_cast<long>(p_.oh) * p_.ow;
    const bool scale_here = mode_ != ConvMode::kFloat;
    const float* alpha = scale_here ? alpha_.data() + oa : nullptr;
    const float* bias = bias_.data() + oa;
    k.ov_store(yn + oa * plane, plane, s.acc.data(), chunk_, s.pos.data(), s.out.data(), s.npos, no, alpha, bias, relu_ ? 1 : 0);
    return;
  }
  const auto epilogue = stream ? k.epilogue_nt : k.epilogue;
  const long plane = static_cast<long>(p_.oh) * p_.ow;
  const bool scale_here = mode_ != ConvMode::kFloat && !prb_;
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

void ConvOp::run_unit(const float* x, float* y, int64_t unit, int thread, bool stream) {
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
  // Float 1x1 at stride 1 without padding: a tile's source rows are the input planes' own positions
  // t0 .. t0 + tp_ - 1, read in place (the position-major GEMM reads whole tiles, so its last,
  // partial tile still takes the copy).
  const bool direct = direct_ && (ov_ || t0 + tp_ <= positions_);
  const long hw = static_cast<long>(p.h) * p.w;
  for (int b = 0; b < blocks_; ++b) {
    const int c0 = b * cb_;
    const int cn = std::min(cb_, cpg - c0);
    if (direct) {
      accumulate_block(b, cn, oa, no, s, xg + c0 * hw + t0, direct_offs_.data());
      continue;
    }
    if (tables_s2_) {
      tables_s2(s, xg + c0 * hw, cn, t0, len);
    } else {
      fill_source(s.src.data(), xg, c0, cn, t0, len);
    }
    accumulate_block(b, cn, oa, no, s, s.src.data(), row_offs_.data());
  }
  if (mode_ == ConvMode::kPatternXor) {
    // Each set's outputs from its class sums, in place: set t's outputs go to rows t*set_ .., at or
    // before its own class rows t*classes_ .., and each position's class sums are read before its
    // outputs are written.
    for (int i = 0, t = 0; i < no; i += set_, ++t) {
      k.sign_combine(s.acc.data() + static_cast<long>(i) * tp_, s.acc.data() + static_cast<long>(t) * classes_ * tp_, tp_,
                     std::min(set_, no - i));
    }
  }
  if (prb_) {
    for (int i = 0; i < no; ++i) k.scale(s.acc.data() + static_cast<long>(i) * tp_, tp_, alpha_[oa + i]);
    add_pointwise(xn, oa, no, t0, len, s);
  }
  write_outputs(y + static_cast<long>(n) * p.o * p.oh * p.ow, oa, no, t0, len, stream, s);
  if (stream) store_fence();
}

int ConvOp::run(const float* x, float* y, int batch) {
  if (!x || !y) return SEPNET_E_NULL;
  if (batch < 1 || batch > p_.n) return SEPNET_E_SHAPE;
  if (depthwise_ && cv_) {
    const int64_t units = static_cast<int64_t>(batch) * cv_blocks_;
    ctx_->pool().parallel_for(units, [&](int64_t u, int t) { run_depthwise_cv(x, y, u, t); });
    return SEPNET_OK;
  }
  if (depthwise_) {
    // Runs of whole planes, about 8 per thread. The scratch planes were zeroed when allocated and
    // only their interiors are ever written, so their padding stays zero.
    const long total = static_cast<long>(batch) * p_.c;
    const long per = std::max(1L, (total + ctx_->threads() * 8L - 1) / (ctx_->threads() * 8L));
    const int64_t units = (total + per - 1) / per;
    ctx_->pool().parallel_for(units, [&](int64_t u, int t) {
      const long first = u * per, last = std::min(total, (u + 1) * per);
      if (grid_) {
        run_depthwise_grid(x, y, first, last, t);
      } else {
        run_depthwise(x, y, first, last, t);
      }
    });
    return SEPNET_OK;
  }
  const int64_t units = static_cast<int64_t>(batch) * p_.groups * tiles_ * chunks_;
  // Outputs larger than the caches are written around them: measured on the SEP-Net stem (3->32,
  // 224x224, stride 2, 1.6 MB out; 2-vCPU EPYC, 2026-11-26) 235 -> 177 us with 2 threads. Calls
  // whose samples are small but add up to 1-8 MB ran faster with ordinary stores (opbench, two
  // threads, min of 3 alternated runs, us, batch 32, non-temporal from 1 MB -> from 8 MB): residual
  // blocks 16->32 28x28 421 -> 371, 32->64 14x14 367 -> 325, 8->16 56x56 555 -> 447, 64->128 28x28
  // s2 1460 -> 1360, the others alike; at batch 1 the stem and the 32->32 112x112 s2 block kept
  // the non-temporal stores (125 / 97.4 us against 131 / 100 with ordinary ones).
  const long sample_bytes = static_cast<long>(p_.o) * p_.oh * p_.ow * static_cast<long>(sizeof(float));
  const bool stream = sample_bytes >= kStreamBytes || batch * sample_bytes >= kStreamBatchBytes;
  ctx_->pool().parallel_for(units, [&](int64_t u, int t) { run_unit(x, y, u, t, stream); });
  return SEPNET_OK;
}

}  // namespace sepnet
