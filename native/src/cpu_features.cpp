// cpu_features.cpp: library identity and the CPU features seen at run time.
#include "sepnet_native.h"

extern "C" int sepnet_native_abi_version(void) { return SEPNET_NATIVE_ABI_VERSION; }

extern "C" const char* sepnet_native_cpu_features(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const char* features = [] {
    __builtin_cpu_init();
    static char text[96];
    text[0] = '\0';
    auto add = [](const char* name) {
      char* end = text;
      while (*end) ++end;
      if (end != text) *end++ = ' ';
      while (*name) *end++ = *name++;
      *end = '\0';
    };
    if (__builtin_cpu_supports("avx512f")) add("avx512f");
    if (__builtin_cpu_supports("avx512bw")) add("avx512bw");
    if (__builtin_cpu_supports("avx2")) add("avx2");
    if (__builtin_cpu_supports("fma")) add("fma");
    if (__builtin_cpu_supports("popcnt")) add("popcnt");
    if (text[0] == '\0') add("sse2");
    return text;
  }();
  return features;
#else
  return "portable";
#endif
}
