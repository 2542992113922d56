// tiled_conv.h: the driver that the k x k convolution algorithms share (GemmConvOp, LookupConvOp,
// LookupOvConvOp, XorConvOp): the layout of the input, tiles of output positions, channel blocks,
// work units, the pattern residual block's 1x1 branch and the epilogue. An algorithm adds its
// packed weights and what one channel block adds to the accumulators (accumulate).
//
// Layouts. Stride 1 uses the *implicit* layout: outputs are computed at padded width
// wp = w + 2*pw (columns past the real output width are computed and dropped), so tap (ky, kx) of
// every output is the input at a constant offset ky*dh*wp + kx*dw in a zero-padded copy of the
// input rows, and no im2col matrix is built. Stride 2 does the same on the input's phase planes
// (fill_source). Other strides, and the lookup on signed-sum planes at strides above 1, build an
// im2col tile (rows = channel x ky x kx, one value per output pixel, zero in padding).
//
// Output-vectorized algorithms (AVX-512) keep 16 outputs in the lanes of a vector: a tile is whole
// output rows, only its valid positions are computed (tile_positions), the accumulators are
// position-major and Kernels::ov_store writes them.
//
// The epilogue writes y = act(alpha*acc + pointwise + bias) once. A pattern residual block scales
// acc by alpha, adds the 1x1 branch (a GEMM on the centre tap of the same padded input), then the
// epilogue. Work units are (sample, group, tile of output positions, chunk of outputs); each output
// sums its channels in a fixed order, so results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "context.h"
#include "conv_spec.h"
#include "page_buffer.h"

namespace sepnet {

// Outputs of at least this many bytes per sample are written with non-temporal stores (kept in the
// caches they would only evict what the next layer reads), and so are calls writing at least
// kStreamBatchBytes in all.
constexpr long kStreamBytes = 1L << 20;
constexpr long kStreamBatchBytes = 8L << 20;

// What an algorithm asks of the driver's layout and scratch memory.
struct Tiling {
  const char* name;  // the algorithm's part of the op name: "gemm", "lookup" or "xor"
  bool implicit;     // the phase layout of the padded input (strides 1 and 2), else im2col tiles
  bool ov;           // output-vectorized (see above)
  int table = 0;     // output-vectorized lookup: floats per row-table entry (8 for 3x3, 16 for 5x5)
  int planes = 0;    // lookup on signed-sum planes: planes per channel and tap row (2^(kw-1))
  int set = 1;       // xor: outputs per sign set; chunks of outputs hold whole sets
};

class TiledConvOp : public Op {
 public:
  int run(const float* x, float* y, int batch) override;

 protected:
  TiledConvOp(std::shared_ptr<Context> ctx, const ConvSpec& s, const Tiling& t);

  struct Scratch {
    // Each on pages of its own, the accumulators half a page past the source rows and row tables,
    // the 1x1 branch's source rows a quarter page on (page_buffer.h: 4K aliasing).
    std::vector<float, PageBuffer<0>> src;
    std::vector<float> planes;  // lookup: signed-sum planes of a channel block
    std::vector<float, PageBuffer<2048>> acc;
    std::vector<float, PageBuffer<1024>> pw;
    std::vector<float, PageBuffer<0>> tab;  // output-vectorized lookup: row tables of a channel block
    std::vector<int32_t> pos, out;          // output-vectorized: a tile's valid positions, their output offsets
    int npos = 0;
  };

  // Adds channel block b (cn channels; source row r at src + offs[r]) to the accumulators of
  // outputs oa .. oa + no - 1; the first block (b == 0) starts them.
  virtual void accumulate(int b, int cn, int oa, int no, Scratch& s, const float* src, const int32_t* offs) const = 0;
  // After the last block: the accumulators' final form (xor turns class sums into outputs).
  virtual void finish(int no, Scratch& s) const;
  // The source rows of channels c0 .. c0 + cn - 1 of the group's input xg for the tile at t0
  // (len positions); *offs starts as the rows' offsets (row_offs_) and may be replaced.
  virtual const float* source(const float* xg, int c0, int cn, int t0, int len, Scratch& s, const int32_t** offs) const;

  // Builds the source rows (implicit: padded rows or phase planes; else im2col) into src.
  void fill_source(float* src, const float* xg, int c0, int cn, int t0, int len) const;

  ConvProblem p_;
  bool relu_;
  bool prb_;
  bool pattern_;
  bool implicit_;
  bool ov_;
  int wp_;               // row pitch of the output layout: ceil((w + 2pw) / sw) (implicit) or ow
  int span_ = 0;         // implicit: floats per phase plane in the source scratch
  int positions_;        // output positions in the layout: oh * wp_
  int tp_, tiles_;       // positions per tile, tiles
  int src_stride_;       // floats per channel in the source scratch
  int plane_len_;        // lookup: floats per signed-sum plane
  int planes_;           // lookup: signed-sum planes per channel and tap row (Tiling::planes)
  int table_;            // output-vectorized lookup: floats per row-table entry (Tiling::table)
  int cb_, blocks_;      // input-channel blocking of the k x k branch
  int chunk_, chunks_;   // output chunking within a group
  int set_ = 1;          // xor: outputs per sign set
  int classes_ = 1;      // xor: class sums per set, 2^(set_ - 1)
  std::vector<float> alpha_, bias_;
  std::vector<int32_t> row_offs_;  // source offset of row (c, ky, kx) within a block

 private:
  void run_unit(const float* x, float* y, int64_t unit, int thread, bool stream);
  void add_pointwise(const float* xn, int oa, int no, int t0, int len, Scratch& s) const;
  void write_outputs(float* yn, int oa, int no, int t0, int len, bool stream, const Scratch& s) const;
  int tile_positions(int t0, int len, Scratch& s) const;

  ConvProblem p1_;                  // the residual block's 1x1 branch
  int cb1_ = 0;                     // and its input-channel blocking
  std::vector<float> w1_;           // its weights
  std::vector<int32_t> pw_offs_;    // source offset of channel c in the 1x1 scratch
  bool reuse_src_ = false;          // the 1x1 branch reads the k x k source rows (add_pointwise)
  std::vector<int32_t> src1_offs_;  // and there its input channel c's centre tap
  std::vector<Scratch> scratch_;
};

}  // namespace sepnet
