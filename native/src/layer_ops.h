// layer_ops.h: the non-convolution ops: fully connected, pooling, per-channel affine (inference
// batch norm), and the stateless element-wise ops.
#pragma once

#include <vector>

#include "context.h"

namespace sepnet {

// y[n, o] = act(W[o, :] . x[n, :] + b[o]); W is out x in, row-major.
class FcOp : public Op {
 public:
  FcOp(std::shared_ptr<Context> ctx, int batch, int in, int out, const float* w, const float* bias, bool relu);
  int run(const float* x, float* y, int batch) override;

 private:
  int batch_, in_, out_, chunk_;
  bool relu_;
  std::vector<float> w_, bias_;
};

// Max or average pooling of NCHW planes (geometry as in PoolDesc; avg divides by the window
// clipped to the padded input, or by its real values when !count_include_pad).
class PoolOp : public Op {
 public:
  PoolOp(std::shared_ptr<Context> ctx, bool max, int n, int c, int ih, int iw, int kh, int kw, int sh, int sw, int ph,
         int pw, int oh, int ow, bool count_include_pad);
  int run(const float* x, float* y, int batch) override;

 private:
  void plane(const float* x, float* y) const;
  bool max_, include_pad_;
  int n_, c_, ih_, iw_, kh_, kw_, sh_, sw_, ph_, pw_, oh_, ow_;
};

// y[n, c, :] = act(scale[c] * x[n, c, :] + shift[c]).
class AffineOp : public Op {
 public:
  AffineOp(std::shared_ptr<Context> ctx, int batch, int channels, long inner, const float* scale, const float* shift, bool relu);
  int run(const float* x, float* y, int batch) override;

 private:
  int batch_, channels_;
  long inner_;
  bool relu_;
  std::vector<float> scale_, shift_;
};

void eltwise_add(Context* ctx, const float* a, const float* b, float* y, long n, bool relu);
void eltwise_relu(Context* ctx, const float* x, float* y, long n);
void softmax_rows(Context* ctx, const float* x, float* y, int rows, int cols);
void copy_blocks(Context* ctx, const float* src, float* dst, int count, long src_block, long dst_block, long dst_offset);

}  // namespace sepnet
