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
#include <mutex>
#include <new>
#include <vector>

namespace sepnet {

// Recently released mappings, reused by allocations of the same size: a training step rebuilds its
// convolutions with new weights every step, and fresh mappings cost a page fault per page on first
// touch. Bounded (kMaxBytes); the contents of a reused mapping are whatever its last user left (the
// vectors that allocate here initialize their elements).
class MappingCache {
 public:
  static constexpr size_t kMaxBytes = size_t{128} << 20;
  static MappingCache& instance() {
    static MappingCache* cache = new MappingCache();  // never destroyed: buffers may be released at exit
    return *cache;
  }
  void* take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = free_.size(); i-- > 0;) {
      if (free_[i].bytes == bytes) {
        void* p = free_[i].p;
        free_[i] = free_.back();
        free_.pop_back();
        held_ -= bytes;
        return p;
      }
    }
    return nullptr;
  }
  // Keeps p for reuse (evicting the oldest as needed); false when it is larger than the whole cache.
  bool give(void* p, size_t bytes) {
    if (bytes > kMaxBytes) return false;
    std::lock_guard<std::mutex> lock(mu_);
    while (held_ + bytes > kMaxBytes) {
      munmap(free_.front().p, free_.front().bytes);
      held_ -= free_.front().bytes;
      free_.erase(free_.begin());
    }
    free_.push_back({p, bytes});
    held_ += bytes;
    return true;
  }

 private:
  struct Entry {
    void* p;
    size_t bytes;
  };
  std::mutex mu_;
  std::vector<Entry> free_;  // oldest first
  size_t held_ = 0;
};

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
    void* p = MappingCache::instance().take(bytes);
    if (!p) p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    *static_cast<size_t*>(p) = bytes;
    g_page_bytes += bytes;
    return reinterpret_cast<float*>(static_cast<char*>(p) + kHeader + Offset);
  }
  void deallocate(float* q, size_t) {
    char* p = reinterpret_cast<char*>(q) - kHeader - Offset;
    const size_t bytes = *reinterpret_cast<size_t*>(p);
    if (!MappingCache::instance().give(p, bytes)) munmap(p, bytes);
  }
  bool operator==(const PageBuffer&) const { return true; }
  bool operator!=(const PageBuffer&) const { return false; }
};

}  // namespace sepnet
