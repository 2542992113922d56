// kernels_generic.cpp: kernels.inc compiled for generic (16-byte vectors); flags in native/native.cmake.
#define SEPNET_ISA_NS isa_generic
#define SEPNET_ISA_NAME "generic"
#define SEPNET_VEC_BYTES 16
#include "kernels.inc"

namespace sepnet {
const Kernels* kernels_generic() { return &isa_generic::kTable; }
}  // namespace sepnet
