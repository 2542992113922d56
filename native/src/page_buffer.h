// Scratch buffers on pages of their own, at a chosen byte offset within the first page.
//
// Where a buffer lands relative to the others changed the speed of the same convolution by up to a
// third: ResNet-20's 32->64 16x16 s2 at batch 32 (two threads, benchmarks/native/opbench.cpp,
// 2026-11-26) took 188-224 us when glibc gave each scratch vector its own mapping (page offset 16)
// and 260-343 us when the vectors shared the heap (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=
// 33554432, which is how they land inside a JVM), evenly over every kernel (perf). With the
// accumulators and the row tables both at the start of a page it was slow again (320-332 us), with
// the accumulators half a page further (page offset 2048 + 64) fast (196.6 us) whatever the heap:
// loads of one buffer alias recent stores to the other 4 KiB apart (4K aliasing). So ConvOp's
// accumulators sit half a page past its source rows and row tables.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace sepnet {

// An allocator of floats from anonymous mappings: the data starts kHeader + Offset bytes into the
// mapping (the header keeps the mapping's size for deallocate), so on a 64-byte boundary.
template <size_t Offset>
struct PageBuffer {
  using value_type = float;
  static constexpr size_t kHeader = 64;
  static_assert(Offset % 64 == 0 && Offset < 4096, "a cache-line offset within the first page");
  template <class U>
  struct rebind {
    using other = PageBuffer<Offset>;
  };
  PageBuffer() = default;
  template <class U>
  explicit PageBuffer(const U&) {}

  float* allocate(size_t n) {
    const size_t bytes = n * sizeof(float) + kHeader + Offset;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    *static_cast<size_t*>(p) = bytes;
    return reinterpret_cast<float*>(static_cast<char*>(p) + kHeader + Offset);
  }
  void deallocate(float* q, size_t) {
    char* p = reinterpret_cast<char*>(q) - kHeader - Offset;
    munmap(p, *reinterpret_cast<size_t*>(p));
  }
  bool operator==(const PageBuffer&) const { return true; }
  bool operator!=(const PageBuffer&) const { return false; }
};

}  // namespace sepnet
