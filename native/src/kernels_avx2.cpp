// kernels_avx2.cpp: kernels.inc compiled for avx2 (32-byte vectors); flags in native/native.cmake.
#define SEPNET_ISA_NS isa_avx2
#define SEPNET_ISA_NAME "avx2"
#define SEPNET_VEC_BYTES 32
#include "kernels.inc"

namespace sepnet {
const Kernels* kernels_avx2() { return &isa_avx2::kTable; }
}  // namespace sepnet
