// cpu_features.cpp: CPU feature detection and the choice of a kernel table.
#include <string>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "context.h"
#include "sepnet_native.h"

namespace sepnet {

void store_fence() {
#if defined(__x86_64__)
  _mm_sfence();
#endif
}

namespace {

bool supports(const char* isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const std::string name(isa);
  if (name == "avx512") return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  if (name == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return std::string(isa) == "generic";
}

const Kernels* compiled(const std::string& isa) {
  if (isa == "avx512") return kernels_avx512();
  if (isa == "avx2") return kernels_avx2();
  if (isa == "generic") return kernels_generic();
  return nullptr;
}

}  // namespace

const Kernels* select_kernels(const std::string& isa, std::string* error) {
  static const char* const kBestFirst[] = {"avx512", "avx2", "generic"};
  if (isa == "auto") {
    for (const char* name : kBestFirst) {
      if (supports(name) && compiled(name)) return compiled(name);
    }
  }
  const Kernels* k = compiled(isa);
  if (!k) {
    *error = "unknown instruction set '" + isa + "'; expected auto, avx512, avx2 or generic";
    return nullptr;
  }
  if (!supports(isa.c_str())) {
    *error = "this CPU cannot run " + isa + " (it has: " + sepnet_native_cpu_features() + ")";
    return nullptr;
  }
  return k;
}

}  // namespace sepnet

extern "C" int sepnet_native_abi_version(void) { return SEPNET_NATIVE_ABI_VERSION; }

extern "C" const char* sepnet_native_cpu_features(void) {
  static const std::string features = [] {
    std::string s;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    const char* names[] = {"avx512f", "avx512bw", "avx512vl", "avx2", "fma", "popcnt"};
    const int any[6] = {__builtin_cpu_supports("avx512f"), __builtin_cpu_supports("avx512bw"),
                        __builtin_cpu_supports("avx512vl"), __builtin_cpu_supports("avx2"),
                        __builtin_cpu_supports("fma"), __builtin_cpu_supports("popcnt")};
    for (int i = 0; i < 6; ++i) {
      if (any[i]) s += (s.empty() ? "" : " ") + std::string(names[i]);
    }
    if (s.empty()) s = "sse2";
#else
    s = "portable";
#endif
    return s;
  }();
  return features.c_str();
}

extern "C" const char* sepnet_native_isas(void) {
  static const std::string list = [] {
    std::string s;
    for (const char* name : {"avx512", "avx2", "generic"}) {
      std::string error;
      if (sepnet::select_kernels(name, &error)) s += (s.empty() ? "" : " ") + std::string(name);
    }
    return s;
  }();
  return list.c_str();
}
