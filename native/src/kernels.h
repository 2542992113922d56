// kernels.h: the table of inner kernels, one instance per instruction set (AVX-512, AVX2, SSE2).
// kernels.inc holds the single source; kernels_<isa>.cpp compiles it with that ISA's flags, so
// the same loops become 16-, 8- or 4-lane vector code. Ops pick a table at creation time.
#pragma once

#include <cstdint>

namespace sepnet {

// Tiles are multiples of this many floats: a whole number of vectors on every ISA.
constexpr int kTileQuantum = 16;
// Most outputs one GEMM call handles.
constexpr int kMaxGemmRows = 6;
// Largest register tile of dot_lanes: rows of a x rows of b.
constexpr int kDotRowsA = 4;
constexpr int kDotRowsB = 6;
// Largest tile of dot_bcast: vectors of outputs x broadcast values.
constexpr int kBcastV = 4;
constexpr int kBcastR = 16;

struct Kernels {
  const char* isa;  // "avx512", "avx2", "generic"
  int lanes;        // floats per vector

  // GEMM on m outputs at once (1 <= m <= gemm_max), row r of the input being base + offs[r]:
  // acc[i][j] (+)= sum_r w[i][r] * row_r[j] for i < m, j < tp (tp % kTileQuantum == 0); with init
  // the accumulators start from zero instead of acc's contents (which are then not read). The
  // register tile is gemm_max outputs x a few vectors, sized to the ISA's register file.
  int gemm_max;
  void (*gemm[kMaxGemmRows + 1])(float* const* acc, int tp, const float* base, const int32_t* offs, int rows,
                                  const float* const* w, int init);
  // Output-vectorized GEMM on nb (1..4) vectors of `lanes` outputs and the n positions pos[]: for
  // p < n, v < nb, lane < lanes: acc[pos[p]*ld + v*lanes + lane] (+)= sum_r
  // wv[(v*wstride + r)*lanes + lane] * base[offs[r] + pos[p]] (init: from zero). Same sums, in the
  // same order, as gemm, laid out position-major.
  void (*gemm_ov[5])(float* acc, int ld, const float* base, const int32_t* offs, int rows, const float* wv, long wstride,
                     const int32_t* pos, int n, int init);
  // Output-vectorized lookup for 3x3 patterns (AVX-512 only; nullptr elsewhere). lookup3_rows
  // writes the row tables R[i*8 + m] (i < n, n even; m < 8) = sum over kx < 3, in that order, of
  // (bit kx of m ? -1 : 1) * src[i + d_kx], d = (0, d1, d2); src is read up to n + d2.
  // lookup3_ov[nb] (nb = 1, 2 vectors of 16 outputs): acc[pos[p]*ld + v*16 + lane] (+)= sum over
  // c < cn, then ky < 3, of entry e_ky = (iv[(v*istride + c)*16 + lane] >> 5*ky) & 31 of position
  // p's table: R[(offs[(c*3 + e/8)*3] + pos[p])*8 + e%8] (row e/8's table, e = e_ky).
  void (*lookup3_rows)(float* R, const float* src, int n, int d1, int d2);
  // Stride 2 (dilation 1) from the input itself: R[((r - r0)*wq + q)*8 + m] for plane rows r0 <= r <
  // r0 + rows, q < cols <= wq (and q = cols where cols is odd) = sum over kx < 3 of (bit kx of m ?
  // -1 : 1) * x(2r - ph, 2q - pw + kx), x the h x w plane xc, zero outside it.
  void (*lookup3_rows_s2)(float* R, const float* xc, int h, int w, int ph, int pw, int wq, int cols, int r0, int rows);
  void (*lookup3_ov[3])(float* acc, int ld, const float* R, const int32_t* offs, const int32_t* pos, int n,
                        const int32_t* iv, long istride, int cn, int init);
  // The same for 5x5 (AVX-512 only): lookup5_rows writes R[i*16 + e] (i < n; e < 16) = src[i] +
  // sum over kx = 1..4, in that order, of (bit kx-1 of e ? -1 : 1) * src[i + d[kx]] (the sums whose
  // first sign is +); lookup5_ov[nb]: acc[pos[p]*ld + v*16 + lane] (+)= sum over c < cn, then
  // ky < 5, of s * R[(offs[(c*5 + ky)*5] + pos[p])*16 + (f & 15)], f = (iv[(v*istride + c)*16 + lane]
  // >> 5*ky) & 31, s = -1 where bit 4 of f is set.
  void (*lookup5_rows)(float* R, const float* src, int n, const int32_t* d);
  void (*lookup5_ov[3])(float* acc, int ld, const float* R, const int32_t* offs, const int32_t* pos, int n,
                        const int32_t* iv, long istride, int cn, int init);
  // The output-vectorized kernels' epilogue (AVX-512 only): for q < n, i < no,
  // y[i*plane + out[q]] = act(fma(alpha[i], acc[pos[q]*lda + i], bias[i])) (alpha null: 1; relu:
  // max with 0); runs of 16 positions with adjacent outputs are transposed to vector stores.
  void (*ov_store)(float* y, long plane, const float* acc, int lda, const int32_t* pos, const int32_t* out, int n, int no,
                   const float* alpha, const float* bias, int relu);
  // Winograd F(2x2, 3x3) transforms (AVX-512 only; see kernels.inc and winograd_op.h): wino_input
  // writes the 16 transformed values of each tile of a tile row, V[xi*xs + t] for t < tw (and
  // garbage up to t < tw rounded up to the vector width);
  // wino_output turns the 16 products of each tile and output vector into its 2x2 outputs,
  // position-major (Y[(oy*ow + ox)*ldy + output]).
  void (*wino_input)(float* V, long xs, const float* P, int pitch, int tw);
  // wino_input2: two tile rows of at most 8 tiles at once (rows P + i*pitch and P + (2 + i)*pitch),
  // V[xi*xs + t] for t < 2*tw (garbage up to t < 16); reads 18 floats of each row.
  void (*wino_input2)(float* V, long xs, const float* P, int pitch, int tw);
  void (*wino_output)(float* Y, int ldy, const float* M, long ms, int lda, int tiles, int tw, int ow, int rows, int nv);
  // wino_output_pm: the same for one output with its products position-major over tiles
  // (M[xi*ms + ty*tw + tx]), the epilogue applied, written straight to the output rows y + oy*ow.
  void (*wino_output_pm)(float* y, int ow, int out_rows, const float* M, long ms, int tw, int rows, float alpha,
                         float bias, int relu);
  // Stride 2 x 2 (AVX-512; nullptr elsewhere): the four phase planes (a, b) of one channel's
  // zero-padded input (h x w, padding ph, pw; planes wq wide) at dst + (2a + b) * pstride, flat
  // indices z0 .. z0 + len - 1: plane (a, b) at (r, col) holds padded pixel (a + 2r, b + 2col).
  void (*phases2)(float* dst, long pstride, const float* xc, int h, int w, int ph, int pw, int wq, long z0, int len);
  // For outputs i < no (accumulator acc + i*tp, entry list + i*list_stride = {start, npos, nneg}):
  // acc[j] += sum of planes[idx[e] + j] over its npos positive entries - sum over its nneg negative
  // ones (with init, acc[j] = that sum: acc is not read). Lane chunks are the outer loop, so one
  // chunk of the planes stays in cache for all outputs.
  void (*signed_sum)(float* acc, int tp, const float* planes, const int32_t* idx, const int32_t* list,
                     int list_stride, int no, int init);
  // Builds the 2^(kw-1) signed sums of kw input rows R_k = rows + k*step (n floats each, n a
  // multiple of the vector width): plane m (at planes + m*plane_stride) = R0 + sum_k s_k R_k,
  // s_k = -1 where bit k-1 of m is set; each plane is a left-to-right sum (error gamma_{kw-1}).
  void (*row_lookup)(float* planes, long plane_stride, const float* rows, long step, int kw, int n);
  // Depthwise rows: y[j] = sum over ky < kh, then kx < kw, of w[ky*kw + kx] * rows[ky][j*sw + kx*dw]
  // for j < n, in that order. Strides 1 and 2 are vectorized and compute whole vectors: they write
  // y up to n rounded up to kTileQuantum and read up to 2*kTileQuantum*sw floats past the last
  // tap of output n - 1 (zero padding there gives harmless extra outputs).
  void (*depthwise_row)(float* y, const float* const* rows, const float* w, int kh, int kw, int n, int sw, int dw);
  // Depthwise on 16 channels at once, channel-interleaved (x[(row * cols + col) * 16 + lane]): for
  // every output (oy, ox) and lane, y[(oy * ow + ox) * 16 + lane] = sum over ky < kh, then kx < kw,
  // of w[(ky*kw + kx) * 16 + lane] * x at row oy*sh + ky*dh, column ox*sw + kx*dw (the input is
  // zero-padded, so every tap is inside it).
  void (*depthwise16)(float* y, const float* x, const float* w, int kh, int kw, int oh, int ow, int sh, int sw, int dh,
                      int dw, int cols);
  // Depthwise on the output grid, one channel's output plane of n floats (any n): for p < n,
  // y[p] = act(alpha * (K_0 + K_1 + ... + K_{ncls-1}) + bias), summed in that order, where class g's
  // taps are t in [end[g-1], end[g]) (end[-1] = 0) and K_g = sum over them, in order, of
  // w[t] * src[t][p], set to 0 where masks[g] (if not null; 0 or -1 per entry) holds 0 at p % period.
  // Reads src[t][p] and masks[g][p % period] for p up to n rounded up to the vector width (period is
  // a multiple of it); writes exactly y[0 .. n-1].
  void (*depthwise_grid)(float* y, int n, const float* const* src, const float* w, const int32_t* end,
                         const int32_t* const* masks, int ncls, int period, float alpha, float bias, int relu);
  // The grid planes of one h x w channel plane x for depthwise_grid, rows wq floats apart: stride 1,
  // dst[iy*wq + c] = x[iy*w + c] for c < min(w, wq); stride 2, plane (a, b) at dst + (2a + b)*pstride
  // gets dst[r*wq + c] = x[(2r + a)*w + 2c + b] for 2r + a < h, c < wq, 2c + b < w. Rows are written
  // in increasing order, each possibly followed by zeros up to kTileQuantum - 1 floats past its
  // values (AVX-512); nothing else is written, so the layout's zero entries must follow each plane's
  // rows and its guard must hold at least kTileQuantum floats.
  void (*grid_fill)(float* dst, long pstride, const float* x, int h, int w, int s, int wq);
  // dst[j] = src[2*j] for j < n, where src[0 .. avail-1] may be read (avail >= 2n - 1); writes no
  // other float of dst.
  void (*gather2)(float* dst, const float* src, int n, int avail);
  // acc[j] *= s for j < tp.
  void (*scale)(float* acc, int tp, float s);
  // A sign set's m outputs (1 <= m <= 4) from its 2^(m-1) class sums S_K = cls + K*tp:
  // out + i*tp = sum over K, in increasing order, of (bit i-1 of K ? -S_K : S_K) (i = 0: all +),
  // for tp positions (tp % kTileQuantum == 0). out may be cls or below it: each position's sums are
  // read before its outputs are written.
  void (*sign_combine)(float* out, const float* cls, int tp, int m);
  // y[j] = act(alpha * acc[j] + bias) for j < n (any n).
  void (*epilogue)(float* y, const float* acc, int n, float alpha, float bias, int relu);
  // The same with stores that bypass the caches (for outputs too large to stay in them; the writes
  // need no read of the old lines). Same values. Call store_fence() before other threads read them.
  void (*epilogue_nt)(float* y, const float* acc, int n, float alpha, float bias, int relu);
  // The epilogue of one output's tile in the padded-row layout: acc[j] is position t0 + j = oy*wp + ox
  // (j < len); positions with ox < ow go to y[oy*ow + ox], the others are dropped. nt: epilogue_nt.
  // Without nt a row may be written with whole vectors that run onto outputs of the tile's later
  // rows (written again by them); nothing outside the tile's outputs is written.
  void (*epilogue_rows)(float* y, const float* acc, int t0, int len, int wp, int ow, float alpha, float bias, int relu, int nt);
  // y[j] = act(scale * x[j] + shift) for j < n.
  void (*affine)(float* y, const float* x, long n, float scale, float shift, int relu);
  // y[j] = act(a[j] + b[j]) for j < n.
  void (*add)(float* y, const float* a, const float* b, long n, int relu);
  // y[j] = max(x[j], 0) for j < n.
  void (*relu)(float* y, const float* x, long n);
  // d[j] = s[j] for j < n; false when any of them is NaN or infinite.
  bool (*copy_finite)(float* d, const float* s, int n);
  // out[i] = dot(w + i*n, x) for i < 4, in a fixed summation order.
  void (*dot4)(float* out, const float* w, const float* x, int n);
  // dot(w, x) in a fixed summation order.
  float (*dot1)(const float* w, const float* x, int n);
  // Runs n iterations of 12 independent vector multiply-adds (fused where the ISA has FMA) and
  // returns a value that depends on all of them: the peak-throughput probe.
  float (*fma_probe)(long n, float m);
  // Lane-wise dot products (the weight gradient's inner kernel), dot_lanes[ma][nb] for ma <= dot_ma,
  // nb <= dot_nb (the ISA's register tile; larger entries exist but spill): for i < ma, j < nb,
  // lane < lanes: acc[i][j*lanes + lane] += sum over segments g < segs, then v < ceil(n / lanes), of
  // a[i][g*sa + v*lanes + lane] * b[j][g*sb + v*lanes + lane], the floats past each segment's n
  // taken as zero (not read).
  int dot_ma, dot_nb;
  // One shifted plane: dst[r*ow + q] for r < rows, q < ow = src[iy*w + c], iy = r*sh + a0,
  // c = ix0 + q*sw, 0 where iy or c falls outside the h x w plane src. Rows are written in order
  // with whole vectors: up to lanes - 1 floats past the plane may be written too.
  void (*shift_plane)(float* dst, const float* src, int h, int w, int rows, int sh, int a0, int ow, int sw, int ix0);
  // Batch norm's sums of a'[i] and a'[i] * (b[i] - s) (b may be null: no second sum) for i < n: the first
  // n - n % 16 terms added into the 16 float partial sums lanes_a, lanes_ab (lane l takes i % 16 == l), the
  // rest into *ta, *tab in double, in order: the same order on every ISA. a'[i] = a[i], or with a mask m (a
  // ReLU's output: its backward pass on the fly) 0 where m[i] <= 0 (NaN passes).
  void (*lane_sums)(const float* a, const float* m, const float* b, float s, long n, float* lanes_a, float* lanes_ab, double* ta,
                    double* tab);
  // y[j] = ka * a'[j] + kb * b[j] + kc for j < n, a' as in lane_sums: m may be null, or b (then y[j] = ka * a'[j] + kc;
  // m must not be null then).
  void (*affine2)(float* y, const float* a, const float* m, const float* b, long n, float ka, float kb, float kc);
  // dst[q * stride] += src[q] for q < n (col2im's rows); no other float of dst is changed.
  void (*add_strided)(float* dst, const float* src, int n, int stride);
  // dx[j] = dy[j] where y[j] (a ReLU's output) is positive or NaN, else 0, for j < n.
  void (*relu_backward)(float* dx, const float* y, const float* dy, long n);
  void (*dot_lanes[kDotRowsA + 1][kDotRowsB + 1])(float* const* acc, const float* const* a, const float* const* b, int n,
                                                  int segs, long sa, long sb);
  // dst[j*ldd + i] = src[i*lds + j] for i < rows, j < cols.
  void (*transpose)(float* dst, long ldd, const float* src, long lds, int rows, int cols);
  // Weight-gradient products with outputs in lanes, dot_bcast[ov][rb] for ov <= kBcastV, rb <= bcast_rb[ov]
  // (the ISA's register tile for ov vectors; larger entries exist but spill): with positions p = (r, q) for
  // r < rows, q < cols taken in that order, a_p = a + (r*cols + q)*sa and x_p = x + r*rx + q*sx,
  // acc[j*lda + v*lanes + lane] += sum over p of a_p[v*lanes + lane] * x_p[j] for j < rb, v < ov, each
  // sum formed in position order from zero before it is added.
  int bcast_rb[kBcastV + 1];
  void (*dot_bcast[kBcastV + 1][kBcastR + 1])(float* acc, long lda, const float* a, long sa, const float* x, long sx, long rx,
                                              int rows, int cols);
};

// Orders earlier non-temporal stores before later stores (sfence on x86-64; nothing elsewhere).
void store_fence();

// Tables of the instruction sets compiled into this library (nullptr when not compiled).
const Kernels* kernels_avx512();
const Kernels* kernels_avx2();
const Kernels* kernels_generic();

}  // namespace sepnet
