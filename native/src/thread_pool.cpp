// thread_pool.cpp: see thread_pool.h.
#include "thread_pool.h"

namespace sepnet {

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  for (int i = 1; i < threads_; ++i) workers_.emplace_back(&ThreadPool::worker, this, i);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::drain(int thread) {
  for (int64_t i = next_.fetch_add(1); i < items_; i = next_.fetch_add(1)) (*job_)(i, thread);
}

void ThreadPool::parallel_for(int64_t items, const std::function<void(int64_t, int)>& fn) {
  if (items <= 0) return;
  if (threads_ == 1 || items == 1) {
    for (int64_t i = 0; i < items; ++i) fn(i, 0);
    return;
  }
  std::lock_guard<std::mutex> call(call_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    items_ = items;
    next_.store(0);
    busy_ = threads_ - 1;
    ++generation_;
  }
  wake_.notify_all();
  drain(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return busy_ == 0; });
  job_ = nullptr;
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    drain(index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--busy_ == 0) done_.notify_one();
    }
  }
}

}  // namespace sepnet
