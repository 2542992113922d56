// depthwise_op.h: depthwise convolution (one input and one output channel per group), float or
// pattern (signs as +-1 weights, alpha in the epilogue). A unit is a run of whole (sample, channel)
// planes, by one of three paths:
//  - grid: at strides 1 and 2 where every tap right of the output grid reads padding (all
//    "same"-padded kernels), each plane is laid out on the output grid (setup_grid: the input
//    itself at stride 1, its four phase planes at stride 2, Kernels::grid_fill), so every tap is one
//    read at the output's own flat index plus a constant, with a column mask per shift: a whole
//    plane is a few vectors (Kernels::depthwise_grid) written straight to the output.
//  - rows: other shapes copy each plane into a zero-padded buffer and sum shifted padded rows
//    (Kernels::depthwise_row); stride 1 treats the padded plane as one long row.
//  - lanes: strided layers on small output planes compute 16 channels per vector, one in each lane
//    (Kernels::depthwise16), on a channel-interleaved copy of their planes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "context.h"
#include "conv_spec.h"
#include "page_buffer.h"

namespace sepnet {

class DepthwiseOp : public Op {
 public:
  DepthwiseOp(std::shared_ptr<Context> ctx, const ConvSpec& s);
  int run(const float* x, float* y, int batch) override;

 private:
  struct Scratch {
    std::vector<float, PageBuffer<0>> src;     // the padded plane, grid planes or interleaved planes
    std::vector<float, PageBuffer<2048>> acc;  // rows and lanes: sums before the epilogue
    std::vector<const float*> rows;            // the kh padded rows of one output row (grid: each tap's source)
    std::vector<const int32_t*> masks;         // grid: each class's column mask or null
  };
  bool setup_grid();
  void run_grid(const float* x, float* y, long first, long last, int thread);
  void run_rows(const float* x, float* y, long first, long last, int thread);
  void run_lanes(const float* x, float* y, int64_t unit, int thread);

  ConvProblem p_;
  bool relu_;
  bool pattern_;
  std::vector<float> w_, alpha_, bias_;  // w_: per channel its taps (grid: in class order)
  int pitch_ = 0, prows_ = 0;  // rows and lanes: padded row pitch and padded rows per plane
  bool flat_ = false;          // rows, stride 1: the plane as one long row
  bool grid_ = false;
  int grid_rows_ = 0;                  // rows per grid plane
  int grid_guard_ = 0;                 // zero floats before, between and after the grid planes
  int grid_period_ = 0;                // entries per column mask
  std::vector<int32_t> grid_off_;      // per tap (class order), its source's offset in the scratch
  std::vector<int32_t> grid_end_;      // end of each class's taps
  std::vector<int32_t> grid_masks_;    // the masked classes' column masks, grid_period_ each
  std::vector<int32_t> grid_mask_of_;  // per class, its mask's offset in grid_masks_ or -1
  bool lanes_ = false;
  int lane_blocks_ = 0;        // lanes: blocks of 16 channels
  std::vector<float> wl_;      // lanes: weights per block, [block][tap][16]
  std::vector<Scratch> scratch_;
};

}  // namespace sepnet
