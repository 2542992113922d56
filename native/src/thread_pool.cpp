// thread_pool.cpp: see thread_pool.h.
#include "thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#define SEPNET_PAUSE() _mm_pause()
#else
#define SEPNET_PAUSE() std::this_thread::yield()
#endif

namespace sepnet {
namespace {
constexpr auto kSpin = std::chrono::microseconds(200);  // spin this long before sleeping
}

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads), shares_(threads_) {
  for (int i = 1; i < threads_; ++i) workers_.emplace_back(&ThreadPool::worker, this, i);
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::drain(int thread) {
  for (int k = 0; k < threads_; ++k) {
    Share& s = shares_[(thread + k) % threads_];
    const int64_t g = grain_;
    for (int64_t i = s.next.fetch_add(g); i < s.end; i = s.next.fetch_add(g)) {
      const int64_t end = std::min(i + g, s.end);
      for (int64_t j = i; j < end; ++j) (*job_)(j, thread);
    }
  }
}

void ThreadPool::parallel_for(int64_t items, const std::function<void(int64_t, int)>& fn) {
  if (items <= 0) return;
  if (threads_ == 1 || items == 1) {
    for (int64_t i = 0; i < items; ++i) fn(i, 0);
    return;
  }
  std::lock_guard<std::mutex> call(call_mutex_);
  job_ = &fn;
  // Items are claimed a few at a time where there are many (each claim is an atomic add on a line
  // the other threads may be stealing from), at most 1/64 of a thread's share at once.
  grain_ = std::max<int64_t>(1, items / (static_cast<int64_t>(threads_) * 64));
  for (int t = 0; t < threads_; ++t) {
    shares_[t].next.store(items * t / threads_);
    shares_[t].end = items * (t + 1) / threads_;
  }
  busy_.store(threads_ - 1);
  generation_.fetch_add(1);  // publishes job_ and the shares to the workers
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(sleep_mutex_);  // a sleeper is either waiting or sees the new generation
    wake_.notify_all();
  }
  drain(0);
  while (busy_.load() != 0) SEPNET_PAUSE();
  job_ = nullptr;
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;  // the generation before any loop: a worker that starts late still runs the first one
  for (;;) {
    // Spin for a new loop, then sleep until one comes.
    auto spin_end = std::chrono::steady_clock::now() + kSpin;
    int polls = 0;
    while (generation_.load() == seen) {
      SEPNET_PAUSE();
      if (++polls % 64 == 0 && std::chrono::steady_clock::now() > spin_end) {
        std::unique_lock<std::mutex> lock(sleep_mutex_);
        sleepers_.fetch_add(1);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        sleepers_.fetch_sub(1);
        break;
      }
    }
    seen = generation_.load();
    if (stop_.load()) return;
    drain(index);
    busy_.fetch_sub(1);
  }
}

}  // namespace sepnet
