// train_ops.h: the back-propagation kernels (sepnet_native.h's training section). Every result is
// computed by one thread in a fixed order (work split over samples, channels or output rows; sums
// over the batch never split across threads), so results do not depend on the thread count.
#pragma once

#include <vector>

#include "context.h"
#include "conv_problem.h"

namespace sepnet {

// Float convolution with the weights given at each call (training changes them every step), as
// GEMMs on im2col tiles of positions: forward y = W * x + b, backward data dx = col2im(W^T dy),
// backward weights dW[o][k] = sum over samples and positions of dy[o] * (the input at tap k)
// (train_wgrad.cpp: outputs or positions in lanes). Holds per-thread scratch for its largest batch;
// run() is not used (returns SEPNET_E_HANDLE).
class ConvTrainOp : public Op {
 public:
  ConvTrainOp(std::shared_ptr<Context> ctx, const ConvProblem& p);
  int run(const float*, float*, int) override;
  int forward(const float* x, const float* w, const float* bias, float* y, int batch);
  int backward_data(const float* dy, const float* w, float* dx, int batch);
  int backward_weights(const float* x, const float* dy, float* dw, float* db, int batch);
  // Bytes of its buffers (scratch, packed weights, partial sums).
  size_t held_bytes() const;

 private:
  // Rows [k0, k1) of the im2col tile of sample plane xg (one group's channels) for positions
  // [t0, t0 + len): cols[(k - k0) * pitch + j], zero where the tap falls in the padding.
  void im2col(const float* xg, int k0, int k1, int t0, int len, float* cols, long pitch) const;
  void col2im(const float* dcols, int t0, int len, float* dxg) const;
  // The shifted planes of cn channels from xc: plane ((ci * kw + kx) * sh + a) at planes + that * pplane_,
  // row r, column q = the input at row r*sh + a - ph, column q*sw + kx*dw - pw (0 outside); tap row k's
  // values for positions q = oy*ow + ox are then planes[tap_offs_[k] + q].
  void shifted(const float* xc, int cn, float* planes) const;
  long tap_offset(int r) const { return tap_offs_[r]; }
  float* scratch(int thread, int which);
  void setup_weight_gradients();
  int sample_chunks(int batch) const;
  // One weight-gradient item (samples [n0, n1), group g, channels [c0, c0 + cn)) into acc, a thread's
  // dw_scratch_, in that layout's order (train_wgrad.cpp).
  void bcast_item(const float* x, const float* dy, int g, int c0, int cn, int n0, int n1, float* acc);
  void lanes_item(const float* x, const float* dy, int g, int c0, int cn, int n0, int n1, float* acc);

  ConvProblem p_;
  int k_;      // rows of a group's im2col: cpg * kh * kw
  int tp_;     // positions per tile (a multiple of kTileQuantum)
  long positions_;
  std::vector<std::vector<float>> scratch_;  // per thread: im2col tile, accumulators, dy tile
  std::vector<float> wt_;                    // W^T per group, packed by backward_data
  std::vector<float> partial_;               // per sample chunk: its weight-gradient sums
  std::vector<int32_t> offs_k_;
  int cb_ = 1, cblocks_ = 1;                    // weight gradients: channels per item, items per group
  int prow_ = 0;                                // rows of a shifted plane
  long pplane_ = 0;                             // floats of a shifted plane
  int seg_ = 1;                                 // samples per weight-gradient pass
  bool packed_ = false;                         // weight gradients on packed im2col rows (small planes)
  long psample_ = 0;                            // floats of one sample's shifted planes
  std::vector<long> tap_offs_;                  // per row of a channel block: its run's offset
  std::vector<std::vector<float>> dw_scratch_;  // per thread: accumulators, then shifted planes or image and dy pass
  bool bcast_ = false;                          // weight gradients with outputs in lanes
  int opgv_ = 0;                                // outputs per group rounded up to whole vectors
  int hp_ = 0, wp_ = 0;                         // the zero-padded image every tap reads (outputs in lanes)
  int brows_ = 1;                               // output rows per pass of dy (outputs in lanes)
};

// Pooling backward (geometry as sepnet_pool_create): dx = the gradient of max (all of dy to the
// first maximum in scan order, a NaN winning as in the forward) or average pooling; dx overwritten.
void pool_backward(Context* ctx, bool max, const int32_t* g, bool count_include_pad, const float* x, const float* dy,
                   float* dx, int batch);
// Per channel c of [batch, channels, inner]: sum_a[c] = sum of a, sum_ab[c] = sum of a * (b - shift[c])
// (b may be null: then sum_ab is not written), accumulated in double; a masked as in channel_affine.
void channel_sums(Context* ctx, const float* a, const float* mask, const float* b, const float* shift, int batch, int channels,
                  long inner, double* sum_a, double* sum_ab);
// y = A[c] * a + B[c] * b + C[c] per channel (b null: no second term; B ignored), then ReLU when relu.
// With a mask (a ReLU's output, or null), a is taken as 0 wherever the mask is <= 0 (NaN passes).
void channel_affine(Context* ctx, const float* a, const float* mask, const float* b, const float* A, const float* B,
                    const float* C, bool relu, float* y, int batch, int channels, long inner);
// dx[i] = y[i] > 0 || y[i] is NaN ? dy[i] : 0.
void relu_backward(Context* ctx, const float* y, const float* dy, float* dx, long n);
// Fully connected training: y = x W^T + b; dx = dy W; dW = dy^T x, db = column sums of dy (null: none).
void fc_forward(Context* ctx, const float* x, const float* w, const float* bias, float* y, int batch, int in, int out);
void fc_backward(Context* ctx, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int batch,
                 int in, int out);

}  // namespace sepnet
