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
// backward weights dW = sum over samples of dy * cols^T (the im2col rows transposed, so each dy value
// is broadcast against 64 of them). Holds per-thread scratch for its largest batch; run() is not used
// (returns SEPNET_E_HANDLE).
class ConvTrainOp : public Op {
 public:
  ConvTrainOp(std::shared_ptr<Context> ctx, const ConvProblem& p);
  int run(const float*, float*, int) override;
  int forward(const float* x, const float* w, const float* bias, float* y, int batch);
  int backward_data(const float* dy, const float* w, float* dx, int batch);
  int backward_weights(const float* x, const float* dy, float* dw, float* db, int batch);

 private:
  // Rows [k0, k1) of the im2col tile of sample plane xg (one group's channels) for positions
  // [t0, t0 + len): cols[(k - k0) * tp_ + j], zero where the tap falls in the padding.
  void im2col(const float* xg, int k0, int k1, int t0, int len, float* cols) const;
  void col2im(const float* dcols, int t0, int len, float* dxg) const;
  float* scratch(int thread, int which);
  int sample_chunks(int batch) const;

  ConvProblem p_;
  int k_;      // rows of a group's im2col: cpg * kh * kw
  int tp_;     // positions per tile (a multiple of kTileQuantum)
  long positions_;
  std::vector<std::vector<float>> scratch_;  // per thread: cols, acc, dy tile
  std::vector<float> wt_;                    // W^T per group, packed by backward_data
  std::vector<float> partial_;               // per sample chunk: its weight-gradient sums
  std::vector<int32_t> offs_k_, offs_o_, offs_t_;
};

// Pooling backward (geometry as sepnet_pool_create): dx = the gradient of max (all of dy to the
// first maximum in scan order, a NaN winning as in the forward) or average pooling; dx overwritten.
void pool_backward(Context* ctx, bool max, const int32_t* g, bool count_include_pad, const float* x, const float* dy,
                   float* dx, int batch);
// Per channel c of [batch, channels, inner]: sum_a[c] = sum of a, sum_ab[c] = sum of a * (b - shift[c])
// (b may be null: then sum_ab is not written), accumulated in double.
void channel_sums(Context* ctx, const float* a, const float* b, const float* shift, int batch, int channels, long inner,
                  double* sum_a, double* sum_ab);
// y = A[c] * a + B[c] * b + C[c] per channel (b null: no second term; B ignored).
void channel_affine(Context* ctx, const float* a, const float* b, const float* A, const float* B, const float* C, float* y,
                    int batch, int channels, long inner);
// dx[i] = y[i] > 0 || y[i] is NaN ? dy[i] : 0.
void relu_backward(Context* ctx, const float* y, const float* dy, float* dx, long n);
// Fully connected training: y = x W^T + b; dx = dy W; dW = dy^T x, db = column sums of dy (null: none).
void fc_forward(Context* ctx, const float* x, const float* w, const float* bias, float* y, int batch, int in, int out);
void fc_backward(Context* ctx, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int batch,
                 int in, int out);

}  // namespace sepnet
