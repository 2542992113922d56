// api.cpp: the extern "C" surface of sepnet_native.h over the C++ ops. Handles are pointers:
// a context handle owns a shared_ptr<Context>, an op handle owns its Op.
#include <malloc.h>

#include <chrono>
#include <memory>
#include <new>
#include <string>

#include "context.h"
#include "conv_choice.h"
#include "layer_ops.h"
#include "page_buffer.h"
#include "sepnet_native.h"
#include "train_ops.h"

namespace sepnet {
namespace {

thread_local std::string g_last_error;

struct ContextHandle {
  std::shared_ptr<Context> ctx;
};

ContextHandle* context_of(int64_t h) { return reinterpret_cast<ContextHandle*>(static_cast<intptr_t>(h)); }
Op* op_of(int64_t h) { return reinterpret_cast<Op*>(static_cast<intptr_t>(h)); }
int64_t handle(void* p) { return static_cast<int64_t>(reinterpret_cast<intptr_t>(p)); }

// Bytes malloc has handed out in this process (0 where glibc cannot say).
size_t malloc_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
#else
  return 0;
#endif
}

// Runs a factory, turning a null context, bad arguments (message) or exhausted memory into 0 + error.
template <class F>
int64_t create(int64_t ctx, F&& make) {
  if (!ctx) {
    set_error("null context handle");
    return 0;
  }
  try {
    std::string problem;
    // What the op allocates, for the caller's memory accounting: malloc's growth (other threads may
    // add to it or take from it meanwhile: an estimate) plus the pages mapped for its scratch.
    const size_t heap0 = malloc_in_use(), pages0 = g_page_bytes;
    Op* op = make(context_of(ctx)->ctx, &problem);
    if (!op) {
      set_error(problem);
      return 0;
    }
    const size_t heap1 = malloc_in_use();
    op->set_bytes((heap1 > heap0 ? heap1 - heap0 : 0) + (g_page_bytes - pages0));
    return handle(op);
  } catch (const std::bad_alloc&) {
    set_error("out of memory while building the op");
    return 0;
  }
}

bool parse_conv(const int32_t* problem, ConvProblem* p, std::string* error) {
  if (!problem || !ConvProblem::parse(problem, p)) {
    *error = "invalid convolution problem";
    return false;
  }
  return true;
}

}  // namespace

void set_error(const std::string& message) { g_last_error = message; }

}  // namespace sepnet

using namespace sepnet;

extern "C" const char* sepnet_last_error(void) { return g_last_error.c_str(); }

extern "C" int64_t sepnet_context_create(int32_t threads, const char* isa) {
  if (threads < 1 || threads > 1024) {
    set_error("thread count " + std::to_string(threads) + " outside 1..1024");
    return 0;
  }
  std::string error;
  const Kernels* k = select_kernels(isa ? isa : "auto", &error);
  if (!k) {
    set_error(error);
    return 0;
  }
  try {
    return handle(new ContextHandle{std::make_shared<Context>(threads, k)});
  } catch (const std::exception& e) {
    set_error(std::string("could not start the thread pool: ") + e.what());
    return 0;
  }
}

extern "C" void sepnet_context_destroy(int64_t ctx) { delete context_of(ctx); }

extern "C" int64_t sepnet_context_retain(int64_t ctx) {
  if (!ctx) {
    set_error("null context handle");
    return 0;
  }
  return handle(new ContextHandle{context_of(ctx)->ctx});
}

extern "C" const char* sepnet_context_isa(int64_t ctx) { return ctx ? context_of(ctx)->ctx->k().isa : ""; }

extern "C" int32_t sepnet_context_threads(int64_t ctx) { return ctx ? context_of(ctx)->ctx->threads() : 0; }

extern "C" int64_t sepnet_conv_create(int64_t ctx, const int32_t* problem, const float* weights, const float* bias,
                                      int32_t relu) {
  return create(ctx, [&](const std::shared_ptr<Context>& c, std::string* error) -> Op* {
    ConvSpec s;
    if (!parse_conv(problem, &s.p, error)) return nullptr;
    if (!weights) {
      *error = "null weights";
      return nullptr;
    }
    s.weights = weights;
    s.bias = bias;
    s.relu = relu != 0;
    return create_conv(c, s, SEPNET_PATTERN_AUTO, error);
  });
}

extern "C" int64_t sepnet_pattern_conv_create(int64_t ctx, const int32_t* problem, const uint32_t* bits,
                                              const float* alpha, const float* bias, int32_t relu,
                                              int32_t algorithm) {
  return create(ctx, [&](const std::shared_ptr<Context>& c, std::string* error) -> Op* {
    ConvSpec s;
    if (!parse_conv(problem, &s.p, error)) return nullptr;
    if (!bits || !alpha) {
      *error = "null sign bits or alpha";
      return nullptr;
    }
    s.bits = bits;
    s.alpha = alpha;
    s.bias = bias;
    s.relu = relu != 0;
    return create_conv(c, s, algorithm, error);
  });
}

extern "C" int64_t sepnet_prb_create(int64_t ctx, const int32_t* problem, const uint32_t* bits, const float* alpha,
                                     const float* w1, int32_t groups1, const float* bias, int32_t relu,
                                     int32_t algorithm) {
  return create(ctx, [&](const std::shared_ptr<Context>& c, std::string* error) -> Op* {
    ConvSpec s;
    if (!parse_conv(problem, &s.p, error)) return nullptr;
    const ConvProblem& p = s.p;
    if (!bits || !alpha || !w1) {
      *error = "null sign bits, alpha or 1x1 weights";
      return nullptr;
    }
    if (groups1 < 1 || p.c % groups1 != 0 || p.o % groups1 != 0) {
      *error = "1x1 groups " + std::to_string(groups1) + " do not divide the channels";
      return nullptr;
    }
    if ((p.h - 1) / p.sh + 1 != p.oh || (p.w - 1) / p.sw + 1 != p.ow) {
      *error = "the 1x1 branch's output size differs from the k x k branch's";
      return nullptr;
    }
    s.bits = bits;
    s.alpha = alpha;
    s.pointwise = w1;
    s.groups1 = groups1;
    s.bias = bias;
    s.relu = relu != 0;
    return create_conv(c, s, algorithm, error);
  });
}

extern "C" int64_t sepnet_fc_create(int64_t ctx, int32_t batch, int32_t in, int32_t out, const float* w,
                                    const float* bias, int32_t relu) {
  return create(ctx, [&](const std::shared_ptr<Context>& c, std::string* error) -> Op* {
    if (batch < 1 || in < 1 || out < 1 || !w) {
      *error = "invalid fully connected layer";
      return nullptr;
    }
    return new FcOp(c, batch, in, out, w, bias, relu != 0);
  });
}

extern "C" int64_t sepnet_pool_create(int64_t ctx, int32_t max, const int32_t* g, int32_t count_include_pad) {
  return create(ctx, [&](const std::shared_ptr<Context>& c, std::string* error) -> Op* {
    if (!g) {
      *error = "null pooling geometry";
      return nullptr;
    }
    for (int i = 0; i < 12; ++i) {
      if (g[i] < (i == 8 || i == 9 ? 0 : 1)) {
        *error = "invalid pooling geometry";
        return nullptr;
      }
    }
    return new PoolOp(c, max != 0, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11],
                      count_include_pad != 0);
  });
}

extern "C" int64_t sepnet_affine_create(int64_t ctx, int32_t batch, int32_t channels, int64_t inner,
                                        const float* scale, const float* shift, int32_t relu) {
  return create(ctx, [&](const std::shared_ptr<Context>& c, std::string* error) -> Op* {
    if (batch < 1 || channels < 1 || inner < 1 || !scale || !shift) {
      *error = "invalid batch norm";
      return nullptr;
    }
    return new AffineOp(c, batch, channels, static_cast<long>(inner), scale, shift, relu != 0);
  });
}

extern "C" int32_t sepnet_op_run(int64_t op, const float* x, float* y, int32_t batch) {
  if (!op) return SEPNET_E_HANDLE;
  return op_of(op)->run(x, y, batch);
}

extern "C" const char* sepnet_op_name(int64_t op) { return op ? op_of(op)->name().c_str() : ""; }

extern "C" const char* sepnet_op_reason(int64_t op) { return op ? op_of(op)->reason().c_str() : ""; }

extern "C" int64_t sepnet_op_bytes(int64_t op) { return op ? static_cast<int64_t>(op_of(op)->bytes()) : 0; }

extern "C" const char* sepnet_native_conv_ranking(void) { return conv_ranking().c_str(); }

extern "C" void sepnet_op_destroy(int64_t op) { delete op_of(op); }

extern "C" double sepnet_measure_peak_gflops(int64_t ctx, int32_t millis) {
  if (!ctx || millis < 1) return 0;
  Context* c = context_of(ctx)->ctx.get();
  const Kernels& k = c->k();
  // Calibrate the iteration count on one thread, then run it on every thread at once.
  long n = 1L << 16;
  double seconds = 0;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    volatile float sink = k.fma_probe(n, 0.999f);
    (void)sink;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (seconds * 1000 >= millis / 4.0 || n > (1L << 40)) break;
    n *= 2;
  }
  const long iterations = static_cast<long>(n * (millis / 1000.0) / seconds) + 1;
  const auto t0 = std::chrono::steady_clock::now();
  c->pool().parallel_for(c->threads(), [&](int64_t, int) {
    volatile float sink = k.fma_probe(iterations, 0.999f);
    (void)sink;
  });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * 12 * k.lanes * static_cast<double>(iterations) * c->threads() / s / 1e9;
}

extern "C" int32_t sepnet_add(int64_t ctx, const float* a, const float* b, float* y, int64_t n, int32_t relu) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!a || !b || !y) return SEPNET_E_NULL;
  eltwise_add(context_of(ctx)->ctx.get(), a, b, y, static_cast<long>(n), relu != 0);
  return SEPNET_OK;
}

extern "C" int32_t sepnet_relu(int64_t ctx, const float* x, float* y, int64_t n) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!x || !y) return SEPNET_E_NULL;
  eltwise_relu(context_of(ctx)->ctx.get(), x, y, static_cast<long>(n));
  return SEPNET_OK;
}

extern "C" int32_t sepnet_softmax(int64_t ctx, const float* x, float* y, int32_t rows, int32_t cols) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!x || !y) return SEPNET_E_NULL;
  if (rows < 1 || cols < 1) return SEPNET_E_SHAPE;
  softmax_rows(context_of(ctx)->ctx.get(), x, y, rows, cols);
  return SEPNET_OK;
}

extern "C" int32_t sepnet_copy_blocks(int64_t ctx, const float* src, float* dst, int32_t count, int64_t src_block,
                                      int64_t dst_block, int64_t dst_offset) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!src || !dst) return SEPNET_E_NULL;
  if (count < 0 || src_block < 0 || dst_offset < 0 || dst_offset + src_block > dst_block) return SEPNET_E_SHAPE;
  copy_blocks(context_of(ctx)->ctx.get(), src, dst, count, static_cast<long>(src_block), static_cast<long>(dst_block),
              static_cast<long>(dst_offset));
  return SEPNET_OK;
}

namespace {
ConvTrainOp* trainer_of(int64_t op) { return dynamic_cast<ConvTrainOp*>(op_of(op)); }
}  // namespace

extern "C" int64_t sepnet_conv_train_create(int64_t ctx, const int32_t* problem) {
  const int64_t op = create(ctx, [&](const std::shared_ptr<Context>& c, std::string* error) -> Op* {
    ConvProblem p;
    if (!parse_conv(problem, &p, error)) return nullptr;
    return new ConvTrainOp(c, p);
  });
  // Its buffers counted exactly: the heap's change while it was built also counts other threads' allocations.
  if (op) trainer_of(op)->set_bytes(trainer_of(op)->held_bytes());
  return op;
}

extern "C" int32_t sepnet_conv_train_forward(int64_t op, const float* x, const float* w, const float* bias, float* y,
                                             int32_t batch) {
  ConvTrainOp* t = op ? trainer_of(op) : nullptr;
  return t ? t->forward(x, w, bias, y, batch) : SEPNET_E_HANDLE;
}

extern "C" int32_t sepnet_conv_train_backward_data(int64_t op, const float* dy, const float* w, float* dx, int32_t batch) {
  ConvTrainOp* t = op ? trainer_of(op) : nullptr;
  return t ? t->backward_data(dy, w, dx, batch) : SEPNET_E_HANDLE;
}

extern "C" int32_t sepnet_conv_train_backward_weights(int64_t op, const float* x, const float* dy, float* dw, float* db,
                                                      int32_t batch) {
  ConvTrainOp* t = op ? trainer_of(op) : nullptr;
  return t ? t->backward_weights(x, dy, dw, db, batch) : SEPNET_E_HANDLE;
}

extern "C" int32_t sepnet_pool_backward(int64_t ctx, int32_t max, const int32_t* g, int32_t count_include_pad,
                                        const float* x, const float* dy, float* dx, int32_t batch) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!g || !x || !dy || !dx) return SEPNET_E_NULL;
  for (int i = 0; i < 12; ++i) {
    if (g[i] < (i == 8 || i == 9 ? 0 : 1)) return SEPNET_E_SHAPE;
  }
  if (batch < 1 || batch > g[0]) return SEPNET_E_SHAPE;
  pool_backward(context_of(ctx)->ctx.get(), max != 0, g, count_include_pad != 0, x, dy, dx, batch);
  return SEPNET_OK;
}

extern "C" int32_t sepnet_channel_sums(int64_t ctx, const float* a, const float* mask, const float* b, const float* shift,
                                       int32_t batch, int32_t channels, int64_t inner, double* sum_a, double* sum_ab) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!a || !sum_a || (b && !sum_ab)) return SEPNET_E_NULL;
  if (batch < 1 || channels < 1 || inner < 1) return SEPNET_E_SHAPE;
  channel_sums(context_of(ctx)->ctx.get(), a, mask, b, shift, batch, channels, static_cast<long>(inner), sum_a, sum_ab);
  return SEPNET_OK;
}

extern "C" int32_t sepnet_channel_affine(int64_t ctx, const float* a, const float* mask, const float* b, const float* A,
                                         const float* B, const float* C, int32_t relu, float* y, int32_t batch,
                                         int32_t channels, int64_t inner) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!a || !y || (b && !B)) return SEPNET_E_NULL;
  if (batch < 1 || channels < 1 || inner < 1) return SEPNET_E_SHAPE;
  channel_affine(context_of(ctx)->ctx.get(), a, mask, b, A, B, C, relu != 0, y, batch, channels, static_cast<long>(inner));
  return SEPNET_OK;
}

extern "C" int32_t sepnet_relu_backward(int64_t ctx, const float* y, const float* dy, float* dx, int64_t n) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!y || !dy || !dx) return SEPNET_E_NULL;
  relu_backward(context_of(ctx)->ctx.get(), y, dy, dx, static_cast<long>(n));
  return SEPNET_OK;
}

extern "C" int32_t sepnet_fc_train_forward(int64_t ctx, const float* x, const float* w, const float* bias, float* y,
                                           int32_t batch, int32_t in, int32_t out) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!x || !w || !y) return SEPNET_E_NULL;
  if (batch < 1 || in < 1 || out < 1) return SEPNET_E_SHAPE;
  fc_forward(context_of(ctx)->ctx.get(), x, w, bias, y, batch, in, out);
  return SEPNET_OK;
}

extern "C" int32_t sepnet_fc_train_backward(int64_t ctx, const float* x, const float* w, const float* dy, float* dx,
                                            float* dw, float* db, int32_t batch, int32_t in, int32_t out) {
  if (!ctx) return SEPNET_E_HANDLE;
  if (!x || !w || !dy || !dw) return SEPNET_E_NULL;
  if (batch < 1 || in < 1 || out < 1) return SEPNET_E_SHAPE;
  fc_backward(context_of(ctx)->ctx.get(), x, w, dy, dx, dw, db, batch, in, out);
  return SEPNET_OK;
}
