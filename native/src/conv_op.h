// conv_op.h: the convolution engine behind float convolution, pattern convolution and the fused
// pattern residual block.
//
// Layouts. Stride 1 uses the *implicit* layout: outputs are computed at padded width
// wp = w + 2*pw (columns past the real output width are computed and dropped), so tap (ky, kx) of
// every output is the input at a constant offset ky*dh*wp + kx*dw in a zero-padded copy of the
// input rows, and no im2col matrix is built. Other strides build an im2col tile (rows = channel x
// ky x kx, one value per output pixel, zero in padding).
//
// Algorithms, per output o and input-channel block:
//  - float:          acc[o] += sum_r W[o][r] * row_r          (4-output register-blocked GEMM)
//  - pattern_xor:    acc[o] += sum(+rows) - sum(-rows)        (signs by add/subtract, no multiplies)
//  - pattern_gemm:   the float GEMM on the signs unpacked to +-1, alpha applied in the epilogue
//  (float and pattern_gemm run output-vectorized on AVX-512 where choose_ov says so: the vector
//  lanes hold outputs, only a tile's valid positions are computed, acc is position-major)
//  - pattern_lookup: the 2^(kw-1) signed sums R0 +- R1 +- ... of each channel's kw shifted rows are
//                    built once (implicit: once per padded row, shared by every ky), and each output
//                    adds or subtracts one of them per (channel, ky): kh terms per channel instead of
//                    kh*kw. 3x3 and 5x5 on AVX-512 where choose_ov's shapes hold (lookup_ov_fits)
//                    run it output-vectorized instead: the signed sums of every tap row of the
//                    source block (row tables), and per (channel, position) one permute per tap
//                    row picks each of 16 outputs' row sum (Kernels::lookup3_ov, lookup5_ov).
//  (3x3 stride-1 pattern convolutions that AUTO or the caller gives to Winograd's F(2x2, 3x3) do not
//  come here: WinogradOp, winograd_op.h.)
// The epilogue writes y = act(alpha*acc + pointwise + bias) once. A pattern residual block scales
// acc by alpha, adds the 1x1 branch (a GEMM on the centre tap of the same padded input), then the
// epilogue. Work units are (sample, group, tile of output positions, chunk of outputs); each output
// sums its channels in a fixed order, so results do not depend on the thread count.
//
// Depthwise convolutions (one input and one output channel per group, no 1x1 branch) take their own
// path whatever the algorithm: a unit is a run of whole (sample, channel) planes. At strides 1 and 2
// where every tap right of the output grid reads padding (all "same"-padded kernels), each plane is
// laid out on the output grid (setup_depthwise_grid in conv_op.cpp: the input itself at stride 1,
// its four phase planes at stride 2, Kernels::grid_fill), so every tap is one read at the output's
// own flat index plus a constant, with a column mask per shift: a whole plane is a few vectors
// (Kernels::depthwise_grid) written straight to the output, with alpha and bias applied there.
// Other depthwise shapes copy each plane into a zero-padded buffer and sum shifted padded rows
// (Kernels::depthwise_row), or, strided on small planes, 16 channels per vector (depthwise16).
// Pattern signs are +-1 weights with alpha in the epilogue.
#pragma once

#include <cstdint>
#include <vector>

#include "context.h"
#include "conv_problem.h"
#include "page_buffer.h"

namespace sepnet {

enum class ConvMode { kFloat, kPatternXor, kPatternLookup, kPatternGemm, kPatternWinograd };  // Winograd: WinogradOp

struct ConvSpec {
  ConvProblem p;                     // the k x k problem; p.n is the largest batch
  ConvMode mode = ConvMode::kFloat;
  const float* weights = nullptr;    // kFloat: OIHW float weights
  const uint32_t* bits = nullptr;    // pattern modes: packed signs (see sepnet_native.h)
  const float* alpha = nullptr;      // pattern modes: one per output
  const float* bias = nullptr;       // optional, one per output
  const float* pointwise = nullptr;  // PRB: o x (c / groups1) 1x1 weights, or null
  int groups1 = 1;                   // PRB: groups of the 1x1 branch
  bool relu = false;
  long block_bytes = 0;              // tuning: bytes per input-channel block (0: the default)
};

// The "auto" rule, from measurements (docs/native-backend.md). On AVX-512 Winograd (WinogradOp, see
// winograd_op.h) for 3x3 stride-1 pattern convolutions on planes 16+ wide (8+ wide with 32+ outputs
// per group when built for 8+ images), xor's sign sets for residual blocks with 8+ inputs per group
// (3x3), 5x5 with up to 32 outputs per group and 3x3 stride 2 with up to 32 outputs per group
// when built for 8+ images, the output-vectorized lookup for 3x3 with many
// outputs, for 3x3 stride 2 with 64+ outputs on small output planes and for the other 5x5
// (lookup_ov_fits). With FMA (AVX2, AVX-512) the register-blocked GEMM on +-1 is fastest
// for kw <= 3 and the lookup for kw >= 5 when it does fewer additions (outputs per group * (kw - 1)
// > 2^kw), unless the output-vectorized GEMM runs the layer
// (choose_ov), which beat the lookup on 5x5 too. On the portable kernels (no FMA) the lookup wins
// whenever it does fewer additions, and xor, which matches the GEMM there with 32x smaller
// weights, otherwise.
ConvMode choose_pattern_mode(const ConvProblem& p, const Kernels& k, bool prb);

// acc + i*tp (+)= W_i . rows for outputs i < count, W_i = w + i*w_stride, rows r at base + offs[r]
// (Kernels::gemm on tp positions), in register tiles of at most gemm_max outputs as even as possible.
void gemm_outputs(const Kernels& k, float* acc, int tp, const float* base, const int32_t* offs, int rows,
                  const float* w, long w_stride, int count, bool init);

// Whether the output-vectorized GEMM (Kernels::gemm_ov) runs a convolution: see conv_op.cpp.
bool choose_ov(const ConvProblem& p, const Kernels& k);

// The xor algorithm's outputs per sign set (1 to 4; see the ConvOp constructor).
int sign_set_size(const ConvProblem& p);

// Whether the lookup algorithm runs output-vectorized (Kernels::lookup3_ov / lookup5_ov: 3x3 or 5x5,
// AVX-512, strides up to 2, as choose_ov on outputs per group and channels) instead of on row-sum
// planes.
bool lookup_ov_fits(const ConvProblem& p, const Kernels& k);

class ConvOp : public Op {
 public:
  ConvOp(std::shared_ptr<Context> ctx, const ConvSpec& spec);
  int run(const float* x, float* y, int batch) override;

 private:
  struct Scratch {
    // Each on pages of its own, the accumulators half a page past the source rows and row tables
    // (page_buffer.h).
    std::vector<float, PageBuffer<0>> src;
    std::vector<float> planes;
    std::vector<float, PageBuffer<2048>> acc;
    // The residual block's 1x1 source rows a quarter page on. Against a plain vector on a JVM-like
    // heap (opbench with GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432, two threads, min of 3
    // and of 4 alternated runs, us, 2026-11-26): blocks 32->16 28x28 at batch 1 13.6/13.4 ->
    // 10.1/10.2, at batch 32 128->256 14x14 s2 876/885 -> 851/824, 64->128 28x28 s2 1071/1057 ->
    // 1065/1035, 64->128 7x7 259/259 -> 259/259 (at 3072: 10.3/10.0, 855/843, 1034/1042, 260/259).
    std::vector<float, PageBuffer<1024>> pw;
    std::vector<float, PageBuffer<0>> tab;  // output-vectorized lookup: row tables of a channel block
    std::vector<const float*> rows;  // depthwise: the kh padded rows of one output row (grid: each tap's source)
    std::vector<const int32_t*> masks;  // depthwise grid: each class's column mask or null
    std::vector<int32_t> pos, out;   // output-vectorized GEMM: a tile's valid positions, their output offsets
    int npos = 0;
  };
  void run_unit(const float* x, float* y, int64_t unit, int thread, bool stream);
  void setup_depthwise(const ConvSpec& spec);
  void run_depthwise(const float* x, float* y, long first, long last, int thread);
  void run_depthwise_cv(const float* x, float* y, int64_t unit, int thread);
  bool setup_depthwise_grid();
  void run_depthwise_grid(const float* x, float* y, long first, long last, int thread);
  void fill_source(float* src, const float* xg, int c0, int cn, int t0, int len) const;
  void accumulate_block(int b, int cn, int oa, int no, Scratch& s, const float* src, const int32_t* offs) const;
  void tables_s2(Scratch& s, const float* xb, int cn, int t0, int len) const;
  void add_pointwise(const float* xn, int oa, int no, int t0, int len, Scratch& s) const;
  void write_outputs(float* yn, int oa, int no, int t0, int len, bool stream, const Scratch& s) const;
  int tile_positions(int t0, int len, Scratch& s) const;

  ConvProblem p_;
  ConvProblem p1_;  // the 1x1 branch of a PRB
  ConvMode mode_;
  bool relu_;
  bool prb_;
  bool depthwise_ = false;  // the depthwise path (see above)
  int pitch_ = 0, prows_ = 0;  // depthwise: padded row pitch and padded rows per plane
  bool flat_ = false;          // depthwise stride 1: the plane as one long row
  bool grid_ = false;          // depthwise on the output grid (setup_depthwise_grid, Kernels::depthwise_grid)
  int grid_rows_ = 0;          // grid: rows per grid plane
  int grid_guard_ = 0;         // grid: zero floats before, between and after the grid planes
  int grid_period_ = 0;        // grid: entries per column mask
  std::vector<int32_t> grid_off_;    // grid: per tap (class order), its source's offset in the scratch
  std::vector<int32_t> grid_end_;    // grid: end of each class's taps
  std::vector<int32_t> grid_masks_;  // grid: the masked classes' column masks, grid_period_ each
  std::vector<int32_t> grid_mask_of_;  // grid: per class, its mask's offset in grid_masks_ or -1
  bool cv_ = false;            // depthwise on small planes: 16 channels interleaved per vector lane
  int cv_blocks_ = 0;          // depthwise cv: blocks of 16 channels
  std::vector<float> wcv_;     // depthwise cv: weights per block, [block][tap][16]
  bool implicit_;        // phase layout of the padded input (stride 1 or 2, see conv_op.cpp), else im2col
  int wp_;               // row pitch of the output layout: ceil((w + 2pw) / sw) (implicit) or ow
  int span_ = 0;         // implicit: floats per phase plane in the source scratch
  int positions_;        // output positions in the layout: oh * wp_
  int tp_, tiles_;       // positions per tile, tiles
  int src_stride_;       // floats per channel in the source scratch
  int plane_len_;        // lookup: floats per signed-sum plane
  int planes_;           // lookup: 2^(kw-1)
  int cb_, blocks_;      // input-channel blocking of the k x k branch
  int cb1_;              // and of the 1x1 branch
  int chunk_, chunks_;   // output chunking within a group
  std::vector<float> w_, w1_, alpha_, bias_;
  bool ov_ = false;        // output-vectorized GEMM (see Kernels::gemm_ov): outputs in vector lanes
  std::vector<float> wv_;  // ov: weights as [output vector][row][lane]
  bool ovl_ = false;         // ov lookup (3x3 patterns, see Kernels::lookup3_ov): ov_ is set too
  std::vector<int32_t> iv_;  // ov lookup: packed table indices as [output vector][channel][lane]
  int table_ = 0;            // ov lookup: floats per row table (2^kw)
  bool tables_s2_ = false;   // ov lookup, 3x3 stride 2: row tables built from the input (no phase planes)
  std::vector<int32_t> row_offs_;  // source offset of row (c, ky, kx) within a block
  bool direct_ = false;            // float 1x1, stride 1, no padding: the GEMMs read the input planes (see run_unit)
  std::vector<int32_t> direct_offs_;  // and there input channel c of a block at c * h * w
  std::vector<int32_t> pw_offs_;   // source offset of channel c in the 1x1 scratch
  bool reuse_src_ = false;         // PRB: the 1x1 branch reads the k x k source rows (add_pointwise)
  std::vector<int32_t> src1_offs_; // and there its input channel c's centre tap
  std::vector<int32_t> idx_;       // pattern modes: offsets, positives first, per (o, block)
  std::vector<int32_t> list_;      // per (o, block): start, positives, negatives (xor: per (class row, block))
  int set_ = 1;                    // xor: outputs per sign set
  int classes_ = 1;                // xor: class sums per set, 2^(set_ - 1)
  int vpg_ = 0;                    // xor: class rows per group
  std::vector<Scratch> scratch_;
};

}  // namespace sepnet
