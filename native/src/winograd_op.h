// winograd_op.h: 3x3 stride-1 pattern (and float) convolution by Winograd's minimal filtering F(2x2, 3x3).
//
// Each 2x2 block of outputs (a tile) is computed from the 4x4 input block under it:
// Y = A^T [ sum_c (G g_c G^T) .* (B^T d_c B) ] A, 16 products per channel and output for 4 outputs
// instead of 36 multiply-adds. The pattern signs g (+-1) transform exactly (G's entries are 0, +-1/2
// and 1, so U = G g G^T holds multiples of 1/4), alpha and bias are applied in the epilogue. Float
// weights (alpha 1) transform with rounding; their error bound is in docs/native-backend.md.
// Per (group, band of tile rows, one or more samples) unit:
//  1. input transform (Kernels::wino_input): per channel, the band's input rows are copied into a
//     zero-padded buffer and each tile row transformed, V[xi][c][tile];
//  2. per chunk of up to 64 outputs: 16 GEMMs (Kernels::gemm_ov, output-vectorized):
//     M[xi][tile][o] = sum_c U[xi][o][c] V[xi][c][tile]; the output transform (Kernels::wino_output)
//     into position-major outputs; the output-vectorized epilogue (Kernels::ov_store: alpha, bias,
//     ReLU, vector stores).
// Every output's sums run in a fixed order, so results do not depend on the thread count.
//
// Error: for one output, the rounding error is at most 16 * gamma_{K+4} * S (K = 9*cpg products,
// S = |alpha| * sum of |x| over its 3x3 window and channels): see docs/native-backend.md.
#pragma once

#include <cstdint>
#include <vector>

#include "context.h"
#include <atomic>
#include <memory>

#include "conv_spec.h"
#include "page_buffer.h"

namespace sepnet {

// With 16 outputs per group the GEMMs run position-major instead and the output transform on
// vectors of tiles (Kernels::gemm, wino_output_pm). What it runs: 3x3, stride 1, dilation 1,
// padding up to 2, outputs per group a multiple of 16, AVX-512 kernels (conv_choice.cpp checks).
class WinogradOp : public Op {
 public:
  // Either bits (packed signs, see sepnet_native.h) with alpha (one per output), or float OIHW
  // weights (bits and alpha null); bias optional.
  WinogradOp(std::shared_ptr<Context> ctx, const ConvProblem& p, const uint32_t* bits, const float* weights,
             const float* alpha, const float* bias, bool relu);
  int run(const float* x, float* y, int batch) override;
  // The op that runs inputs holding NaN or an infinity, which the transforms would spread to
  // outputs whose window does not contain them (Inf - Inf = NaN): an exact, direct algorithm.
  void set_exact(Op* exact) { exact_.reset(exact); }

 private:
  struct Scratch {
    // On pages of their own (page_buffer.h), the GEMMs' products half a page past the transformed
    // inputs they are computed from: on a heap shared with the JVM's allocations the transforms
    // ran slower.
    std::vector<float, PageBuffer<0>> pad;
    std::vector<float, PageBuffer<0>> v;
    std::vector<float, PageBuffer<2048>> m;
    std::vector<float, PageBuffer<1024>> y;
  };
  void run_unit(const float* x, float* y, int64_t unit, int batch, int thread, std::atomic<bool>* nonfinite);

  ConvProblem p_;
  bool relu_;
  int th_, tw_;        // tile rows and columns
  int band_, bands_;   // tile rows per unit, units per (sample, group)
  int imgs_;           // images per unit (several only when a band is the whole plane)
  int tiles_;          // tiles per full unit: imgs_ * band_ * tw_
  int pitch_;          // floats per padded input row
  int oc_;             // outputs per chunk (up to 4 vectors: one GEMM call per transform element)
  long vs_, ms_;       // floats per transform element (xi) in V and in M
  std::vector<float> u_;         // transformed signs as [xi][group][output vector][channel][lane]
  bool pm_ = false;              // 16 outputs per group: position-major GEMMs (see winograd_op.cpp)
  std::vector<float> upm_;       // and their weights as [xi][group][output][channel]
  int tpm_ = 0;                  // position-major products: floats per output (tiles_ rounded up to 16)
  std::vector<float> alpha_, bias_;
  std::vector<int32_t> coffs_;   // row offsets of the GEMMs: channel c at c * tiles_
  std::vector<int32_t> iota_;    // 0, 1, 2, ...: GEMM positions and epilogue positions/outputs
  std::vector<Scratch> scratch_;
  std::unique_ptr<Op> exact_;
};

}  // namespace sepnet
