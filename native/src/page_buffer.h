// Scratch buffers on pages of their own, at a chosen byte offset within the first page.
//
// Where a buffer lands relative to the others changes the speed of the same convolution by up to a
// third: inside a JVM the scratch vectors share the heap, and loads of one buffer alias recent
// stores to another 4 KiB apart (4K aliasing). So every op's scratch buffers are mappings of their
// own, the accumulators half a page past the source rows and row tables they are computed from
// (docs/native-backend.md has the measurements).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace sepnet {

// Bytes mapped by PageBuffer on this thread so far: op creation reads it to report an op's memory.
inline thread_local size_t g_page_bytes = 0;

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
    g_page_bytes += bytes;
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
