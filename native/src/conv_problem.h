// conv_problem.h: the 14-int convolution descriptor shared by the native kernels.
#pragma once

#include <cstdint>

namespace sepnet {

struct ConvProblem {
  int n, c, h, w, o, groups, kh, kw, sh, sw, ph, pw, dh, dw;
  int oh, ow;

  // Reads and checks the descriptor; returns false for any inconsistent value.
  static bool parse(const int32_t* p, ConvProblem* out) {
    ConvProblem q{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                  p[8], p[9], p[10], p[11], p[12], p[13], 0, 0};
    if (q.n < 1 || q.c < 1 || q.h < 1 || q.w < 1 || q.o < 1 || q.groups < 1 || q.kh < 1 ||
        q.kw < 1 || q.sh < 1 || q.sw < 1 || q.ph < 0 || q.pw < 0 || q.dh < 1 || q.dw < 1)
      return false;
    if (q.c % q.groups != 0 || q.o % q.groups != 0) return false;
    int eh = q.h + 2 * q.ph - q.dh * (q.kh - 1) - 1;
    int ew = q.w + 2 * q.pw - q.dw * (q.kw - 1) - 1;
    if (eh < 0 || ew < 0) return false;
    q.oh = eh / q.sh + 1;
    q.ow = ew / q.sw + 1;
    *out = q;
    return true;
  }

  int cpg() const { return c / groups; }
  int opg() const { return o / groups; }
  int words_per_filter() const { return (cpg() * kh * kw + 31) / 32; }

  // Output columns [lo, hi) whose input column ox*sw - pw + off lies inside [0, w).
  void valid_cols(int off, int* lo, int* hi) const {
    int first = off < pw ? (pw - off + sw - 1) / sw : 0;  // smallest ox with ix >= 0
    int last = (w - 1 + pw - off);                       // ix <= w - 1  <=>  ox*sw <= last
    int end = last < 0 ? 0 : last / sw + 1;
    *lo = first;
    *hi = end < ow ? end : ow;
  }
};

// Bit i of a filter's packed signs (bit i % 32 of word i / 32; set: -1).
inline bool sign_bit(const uint32_t* row, int i) { return (row[i >> 5] >> (i & 31)) & 1u; }

}  // namespace sepnet
