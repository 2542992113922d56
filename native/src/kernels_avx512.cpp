// kernels_avx512.cpp: kernels.inc compiled for avx512 (64-byte vectors); flags in native/native.cmake.
#define SEPNET_ISA_NS isa_avx512
#define SEPNET_ISA_NAME "avx512"
#define SEPNET_VEC_BYTES 64
#include "kernels.inc"

namespace sepnet {
const Kernels* kernels_avx512() { return &isa_avx512::kTable; }
}  // namespace sepnet
