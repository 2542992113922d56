// context.h: what every op is created with: a thread pool and the kernel table of one
// instruction set, plus the base class of op handles.
#pragma once

#include <memory>
#include <string>

#include "kernels.h"
#include "thread_pool.h"

namespace sepnet {

class Context {
 public:
  Context(int threads, const Kernels* kernels) : pool_(threads), kernels_(kernels) {}
  ThreadPool& pool() { return pool_; }
  const Kernels& k() const { return *kernels_; }
  int threads() const { return pool_.threads(); }

 private:
  ThreadPool pool_;
  const Kernels* kernels_;
};

// The instruction sets this CPU can run, best first, among those compiled in.
// Returns nullptr and sets *error for an unknown or unsupported name; "auto" picks the best.
const Kernels* select_kernels(const std::string& isa, std::string* error);

// An op built once for a problem (weights packed, scratch allocated); run() allocates nothing.
// Ops share ownership of their context, so destroying a context handle while ops still use it is
// safe: the pool lives until the last op is destroyed.
class Op {
 public:
  explicit Op(std::shared_ptr<Context> ctx) : owner_(std::move(ctx)), ctx_(owner_.get()) {}
  virtual ~Op() = default;
  // y = op(x) for `batch` samples (1..the batch it was built for). Returns SEPNET_OK or an error.
  virtual int run(const float* x, float* y, int batch) = 0;
  // The implementation, e.g. "native:pattern_conv_xor_avx512".
  const std::string& name() const { return name_; }
  // Why it runs this op (convolutions: the choice of conv_choice.h), or "".
  const std::string& reason() const { return reason_; }
  void set_reason(std::string reason) { reason_ = std::move(reason); }
  // About how much memory the op holds (packed weights, scratch), measured when it was created.
  size_t bytes() const { return bytes_; }
  void set_bytes(size_t bytes) { bytes_ = bytes; }

 protected:
  std::shared_ptr<Context> owner_;
  Context* ctx_;
  std::string name_;
  std::string reason_;
  size_t bytes_ = 0;
};

// Thread-local message for the last failed call, read by sepnet_last_error().
void set_error(const std::string& message);

}  // namespace sepnet
