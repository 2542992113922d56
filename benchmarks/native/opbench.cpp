// opbench.cpp: times one convolution op of the native library directly through its C API, without
// the JVM: the quickest way to compare two builds of native/ on the same machine (run them
// alternately; this VM's speed drifts by 20% within minutes). JMH (OpBenchmark) remains the
// reference for published numbers.
//
//   cmake --build java/target/cmake --target sepnet_native      # after one mvn build
//   g++ -O2 -std=c++17 benchmarks/native/opbench.cpp -Inative/include
//       java/target/cmake/libsepnet_native.a -lpthread -o opbench       (one command line)
//   ./opbench KIND THREADS REPS n c h w o groups kh kw sh sw ph pw dh dw
//
// KIND: pattern (auto algorithm; PATTERN_ALGORITHM=1|2|3|4 forces xor|lookup|gemm|winograd), conv (float), or
// prb:G (fused residual block, 1x1 branch in G groups). Random inputs and signs; ReLU on. Prints
// the op's implementation and the median of 5 timed loops of REPS calls.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sepnet_native.h"

int main(int argc, char** argv) {
  if (argc != 18) {
    std::fprintf(stderr, "usage: %s pattern|conv|prb:G THREADS REPS n c h w o groups kh kw sh sw ph pw dh dw\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[1];
  const int threads = std::atoi(argv[2]);
  const int reps = std::atoi(argv[3]);
  int32_t pr[14];
  for (int i = 0; i < 14; ++i) pr[i] = std::atoi(argv[4 + i]);
  const int n = pr[0], c = pr[1], h = pr[2], w = pr[3], o = pr[4], g = pr[5], kh = pr[6], kw = pr[7];
  const int sh = pr[8], sw = pr[9], ph = pr[10], pw = pr[11], dh = pr[12], dw = pr[13];
  if (threads < 1 || reps < 1 || n < 1 || g < 1 || c % g || o % g) {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }
  const int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
  const long filter = static_cast<long>(c / g) * kh * kw;
  const int words = static_cast<int>((filter + 31) / 32);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  std::vector<uint32_t> bits(static_cast<size_t>(o) * words);
  for (int f = 0; f < o; ++f) {
    for (int i = 0; i < words; ++i) {
      const long used = std::min<long>(32, filter - 32L * i);
      bits[static_cast<size_t>(f) * words + i] = static_cast<uint32_t>(rng()) & (used == 32 ? 0xffffffffu : (1u << used) - 1);
    }
  }
  // Input and output 64-byte aligned, as the library's tensors are (HostTensor); OPBENCH_OFFSET=k
  // moves both k floats past that.
  const char* off = std::getenv("OPBENCH_OFFSET");
  const long shift = off ? std::atol(off) : 0;
  const auto aligned = [shift](std::vector<float>& v) {
    return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(v.data()) + 63) & ~static_cast<uintptr_t>(63)) + shift;
  };
  std::vector<float> alpha(o, 0.1f), weights(static_cast<size_t>(o) * filter), xs(static_cast<size_t>(n) * c * h * w + 16 + shift),
      ys(static_cast<size_t>(n) * o * oh * ow + 16 + shift);
  for (float& v : weights) v = u(rng);
  float* const xp = aligned(xs);
  float* const yp = aligned(ys);
  for (long i = 0; i < static_cast<long>(n) * c * h * w; ++i) xp[i] = u(rng);
  const int64_t ctx = sepnet_context_create(threads, "auto");
  if (!ctx) {
    std::fprintf(stderr, "%s\n", sepnet_last_error());
    return 1;
  }
  const char* forced = std::getenv("PATTERN_ALGORITHM");
  const int algorithm = forced ? std::atoi(forced) : SEPNET_PATTERN_AUTO;
  int64_t op = 0;
  if (kind == "pattern") {
    op = sepnet_pattern_conv_create(ctx, pr, bits.data(), alpha.data(), nullptr, 1, algorithm);
  } else if (kind == "conv") {
    op = sepnet_conv_create(ctx, pr, weights.data(), nullptr, 1);
  } else if (kind.rfind("prb:", 0) == 0) {
    const int g1 = std::atoi(kind.c_str() + 4);
    std::vector<float> w1(static_cast<size_t>(o) * (g1 > 0 ? c / g1 : 0), 0.01f);
    op = g1 > 0 ? sepnet_prb_create(ctx, pr, bits.data(), alpha.data(), w1.data(), g1, nullptr, 1, algorithm) : 0;
  }
  if (!op) {
    std::fprintf(stderr, "cannot create %s: %s\n", kind.c_str(), sepnet_last_error());
    return 1;
  }
  for (int i = 0; i < reps / 10 + 10; ++i) sepnet_op_run(op, xp, yp, n);
  std::vector<double> us;
  for (int k = 0; k < 5; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) sepnet_op_run(op, xp, yp, n);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps);
  }
  std::sort(us.begin(), us.end());
  const double flops = 2.0 * n * o * oh * ow * filter;
  std::printf("%s threads=%d %.1f us (min %.1f) %.1f GFLOP/s\n", sepnet_op_name(op), threads, us[2], us[0], flops / us[2] / 1e3);
  sepnet_op_destroy(op);
  sepnet_context_destroy(ctx);
  return 0;
}
