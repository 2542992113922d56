// thread_pool.h: a fixed set of worker threads that run parallel loops. The calling thread works
// too, so a pool of N threads has N - 1 workers. One loop runs at a time per pool (calls from
// several threads are serialized). Each thread takes the items of its own contiguous share first,
// then helps with the others' (atomic counters): a thread that ran items i .. j of one loop runs
// the same items of the next loop over as many items, so what it wrote stays in its core's caches.
//
// Workers spin for a short while (kSpin) after each loop before sleeping on a condition variable:
// waking a sleeping thread costs tens of microseconds on virtual machines, more than many
// convolutions take, while a loop that follows soon finds the workers awake.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sepnet {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }

  // Calls fn(item, thread) for every item in [0, items), thread in [0, threads()), and returns
  // when all calls have returned. Each thread index is used by one thread at a time, so it can
  // pick per-thread scratch memory.
  void parallel_for(int64_t items, const std::function<void(int64_t, int)>& fn);

 private:
  void worker(int index);
  void drain(int thread);

  const int threads_;
  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  const std::function<void(int64_t, int)>* job_ = nullptr;
  int64_t grain_ = 1;  // items per claim of the running loop
  // Per thread: the next item of its own contiguous share and the share's end (a cache line each).
  struct alignas(64) Share {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  std::vector<Share> shares_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> busy_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace sepnet
