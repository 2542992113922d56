// conv_choice.cpp: see conv_choice.h. The AUTO rules come from measurements on a 2-vCPU AVX-512
// machine (docs/native-backend.md has them and the runs behind them).
#include "conv_choice.h"

#include <string>

#include "depthwise_op.h"
#include "gemm_conv.h"
#include "lookup_conv.h"
#include "sepnet_native.h"
#include "tiled_conv.h"
#include "winograd_op.h"
#include "xor_conv.h"

namespace sepnet {
namespace {

struct Query {
  const ConvProblem& p;
  const Kernels& k;
  bool pattern;
  bool prb;

  bool isa(const char* name) const { return std::string(k.isa) == name; }
  std::string kernel() const { return std::to_string(p.kh) + "x" + std::to_string(p.kw); }
  // Sign sets fill: enough taps per output filter for the class sums to share additions.
  bool sets_fill() const { return p.cpg() * p.kh * p.kw >= 72; }
  // The lookup does fewer additions than adding every tap: outputs per group * (kw - 1) > 2^kw.
  bool lookup_saves() const { return p.kw >= 2 && p.kw <= 7 && static_cast<long>(p.opg()) * (p.kw - 1) > (1L << p.kw); }
};

std::string str(long v) { return std::to_string(v); }

// The output-vectorized kernels' conditions ("" when they hold); `any_size` drops the one on the
// output's size. One output vector per group would need a broadcast load per multiply-add, few taps
// per filter leave the position-by-position epilogue the larger cost, and outputs too large for the
// caches run faster through the position-major epilogue's non-temporal stores.
std::string ov_refuses(const Query& q, bool any_size) {
  const ConvProblem& p = q.p;
  const long rows = static_cast<long>(p.cpg()) * p.kh * p.kw;
  const long sample_bytes = static_cast<long>(p.o) * p.oh * p.ow * static_cast<long>(sizeof(float));
  const int lanes = q.k.lanes;
  if (!q.isa("avx512")) return std::string("needs the AVX-512 kernels; this context runs ") + q.k.isa;
  if (p.opg() % lanes != 0) return "needs outputs per group a multiple of " + str(lanes) + "; this has " + str(p.opg());
  if (!any_size && sample_bytes >= kStreamBytes) return "needs outputs under " + str(kStreamBytes) + " bytes per image; this has " + str(sample_bytes);
  if (rows < 32) return "needs 32+ taps per output filter; this has " + str(rows);
  if (p.opg() < 4 * lanes && (p.opg() < 2 * lanes || rows < 128)) {
    return "needs " + str(4 * lanes) + "+ outputs per group, or " + str(2 * lanes) + "+ with 128+ taps per filter; this has " +
           str(p.opg()) + " and " + str(rows);
  }
  return "";
}

std::string needs_pattern(const Query& q) { return q.pattern ? "" : "needs pattern (binarized) weights"; }

// --------------------------------------------------------------- the implementations

std::string depthwise_refuses(const Query& q) {
  if (q.prb) return "runs no residual block";
  if (q.p.cpg() != 1 || q.p.opg() != 1) {
    return "needs one input and one output channel per group; this has " + str(q.p.cpg()) + " and " + str(q.p.opg());
  }
  return "";
}
const char* depthwise_takes(const Query&) { return "one input and one output channel per group"; }
Op* depthwise_create(const std::shared_ptr<Context>& c, const ConvSpec& s) { return new DepthwiseOp(c, s); }

std::string xor_refuses(const Query& q) { return needs_pattern(q); }
const char* xor_takes(const Query& q) {
  const ConvProblem& p = q.p;
  if (q.isa("avx512") && q.sets_fill()) {
    if (q.prb) return "residual block, 72+ taps per filter (AVX-512)";
    if (p.kh == 3 && p.kw == 3 && p.sh == 1 && p.sw == 1 && p.opg() <= 32) {
      return "3x3 stride 1, up to 32 outputs per group, 72+ taps per filter (AVX-512)";
    }
    if (p.kh == 5 && p.kw == 5 && p.opg() <= 48) return "5x5, up to 48 outputs per group, 72+ taps per filter (AVX-512)";
    if (p.kh == 3 && p.kw == 3 && p.sh == 2 && p.sw == 2 && p.opg() <= 32 && p.n >= 8) {
      return "3x3 stride 2, up to 32 outputs per group, built for 8+ images, 72+ taps per filter (AVX-512)";
    }
  }
  if (q.isa("generic") && !q.lookup_saves()) return "portable kernels, where the lookup does not add less";
  return nullptr;
}
Op* xor_create(const std::shared_ptr<Context>& c, const ConvSpec& s) { return new XorConvOp(c, s); }

std::string winograd_refuses(const Query& q) {
  const ConvProblem& p = q.p;
  if (q.prb) return "runs no residual block";
  if (!q.k.wino_input || !q.k.ov_store || !q.k.wino_output_pm) return std::string("needs the AVX-512 kernels; this context runs ") + q.k.isa;
  if (p.kh != 3 || p.kw != 3) return "needs a 3x3 kernel; this is " + q.kernel();
  if (p.sh != 1 || p.sw != 1) return "needs stride 1; this is " + str(p.sh) + "x" + str(p.sw);
  if (p.dh != 1 || p.dw != 1) return "needs dilation 1; this is " + str(p.dh) + "x" + str(p.dw);
  if (p.ph > 2 || p.pw > 2) return "needs padding of at most 2; this is " + str(p.ph) + "x" + str(p.pw);
  if (p.opg() % q.k.lanes != 0) return "needs outputs per group a multiple of " + str(q.k.lanes) + "; this has " + str(p.opg());
  return "";
}
const char* winograd_takes(const Query& q) {
  const ConvProblem& p = q.p;
  if (!q.pattern) return "float 3x3 stride 1 (2.25x fewer multiply-adds)";
  if (p.ow >= 16) return "3x3 stride 1, planes 16+ wide";
  if (p.ow >= 8 && p.n >= 8 && p.opg() >= 32) return "3x3 stride 1, planes 8+ wide, 32+ outputs per group, built for 8+ images";
  return nullptr;
}
Op* winograd_create(const std::shared_ptr<Context>& c, const ConvSpec& s) {
  std::unique_ptr<WinogradOp> op(new WinogradOp(c, s.p, s.bits, s.bits ? nullptr : s.weights, s.alpha, s.bias, s.relu));
  op->set_exact(new GemmConvOp(c, s, false));
  return op.release();
}

std::string lookup_ov_refuses(const Query& q) {
  const ConvProblem& p = q.p;
  if (!q.pattern) return needs_pattern(q);
  if (q.prb) return "runs no residual block";
  const bool three = p.kh == 3 && p.kw == 3, five = p.kh == 5 && p.kw == 5;
  if (!three && !five) return "needs a 3x3 or 5x5 kernel; this is " + q.kernel();
  if ((three && !q.k.lookup3_rows) || (five && !q.k.lookup5_rows)) return std::string("needs the AVX-512 kernels; this context runs ") + q.k.isa;
  if (p.sh > 2 || p.sw > 2) return "needs strides up to 2; this is " + str(p.sh) + "x" + str(p.sw);
  return ov_refuses(q, true);
}
const char* lookup_ov_takes(const Query& q) {
  const ConvProblem& p = q.p;
  const long out = static_cast<long>(p.oh) * p.ow;
  if (p.kw == 5) return "5x5";
  if (p.opg() >= 160) return "3x3, 160+ outputs per group";
  if (p.opg() >= 64 && p.cpg() >= 64) return "3x3, 64+ inputs and outputs per group";
  if (p.sh == 2 && p.sw == 2 && p.opg() >= 64 && out > 16 && out <= 64) {
    return "3x3 stride 2, 64+ outputs per group, output planes of 17 to 64 positions";
  }
  return nullptr;
}
Op* lookup_ov_create(const std::shared_ptr<Context>& c, const ConvSpec& s) { return new LookupOvConvOp(c, s); }

std::string lookup_refuses(const Query& q) {
  if (!q.pattern) return needs_pattern(q);
  if (q.p.kw < 2 || q.p.kw > 7) return "needs a kernel width of 2 to 7; this is " + str(q.p.kw);
  return "";
}
const char* lookup_takes(const Query& q) {
  if (!q.lookup_saves()) return nullptr;
  if (q.isa("generic")) return "portable kernels, fewer additions than adding every tap";
  if (q.p.kw >= 5 && (q.prb || !ov_refuses(q, false).empty())) return "kernel 5+ wide, fewer additions than the GEMM's multiply-adds";
  return nullptr;
}
Op* lookup_create(const std::shared_ptr<Context>& c, const ConvSpec& s) { return new LookupConvOp(c, s); }

std::string gemm_ov_refuses(const Query& q) {
  if (q.prb) return "runs no residual block";
  if (q.p.sh > 2 || q.p.sw > 2) return "needs strides up to 2; this is " + str(q.p.sh) + "x" + str(q.p.sw);
  return ov_refuses(q, false);
}
const char* always(const Query&) { return "any problem it runs"; }
Op* gemm_ov_create(const std::shared_ptr<Context>& c, const ConvSpec& s) { return new GemmConvOp(c, s, true); }

std::string gemm_refuses(const Query&) { return ""; }
Op* gemm_create(const std::shared_ptr<Context>& c, const ConvSpec& s) { return new GemmConvOp(c, s, false); }

struct Impl {
  const char* name;
  int algorithm;     // the SEPNET_PATTERN_* that forces it
  const char* rule;  // when AUTO takes it, in words (conv_ranking)
  std::string (*refuses)(const Query&);
  const char* (*takes)(const Query&);  // AUTO: the case of its rule that holds, or nullptr
  Op* (*create)(const std::shared_ptr<Context>&, const ConvSpec&);
};

const Impl kRanked[] = {
    {"depthwise", SEPNET_PATTERN_GEMM, "whenever it runs the problem", depthwise_refuses, depthwise_takes, depthwise_create},
    {"xor", SEPNET_PATTERN_XOR,
     "AVX-512 with 72+ taps per filter: residual blocks, 3x3 stride 1 up to 32 outputs per group, 5x5 up to 48, 3x3 stride 2 "
     "up to 32 built for 8+ images; portable kernels where the lookup does not add less",
     xor_refuses, xor_takes, xor_create},
    {"winograd", SEPNET_PATTERN_WINOGRAD,
     "float: whenever it runs the problem; pattern: planes 16+ wide, or 8+ wide with 32+ outputs per group built for 8+ images",
     winograd_refuses, winograd_takes, winograd_create},
    {"lookup_ov", SEPNET_PATTERN_LOOKUP,
     "5x5; 3x3 with 160+ outputs per group, 64+ inputs and outputs per group, or stride 2 with 64+ outputs on output planes of "
     "17 to 64 positions",
     lookup_ov_refuses, lookup_ov_takes, lookup_ov_create},
    {"lookup", SEPNET_PATTERN_LOOKUP,
     "where it adds less (outputs per group x (kw - 1) > 2^kw): portable kernels; kernels 5+ wide not on the output-vectorized "
     "GEMM",
     lookup_refuses, lookup_takes, lookup_create},
    {"gemm_ov", SEPNET_PATTERN_GEMM, "whenever it runs the problem", gemm_ov_refuses, always, gemm_ov_create},
    {"gemm", SEPNET_PATTERN_GEMM, "always (it runs every problem)", gemm_refuses, always, gemm_create},
};

const char* algorithm_name(int a) {
  switch (a) {
    case SEPNET_PATTERN_XOR: return "xor";
    case SEPNET_PATTERN_LOOKUP: return "lookup";
    case SEPNET_PATTERN_GEMM: return "gemm";
    case SEPNET_PATTERN_WINOGRAD: return "winograd";
    default: return nullptr;
  }
}

}  // namespace

Op* create_conv(const std::shared_ptr<Context>& ctx, const ConvSpec& s, int algorithm, std::string* error) {
  const Query q{s.p, ctx->k(), s.pattern(), s.prb()};
  if (algorithm == SEPNET_PATTERN_AUTO) {
    for (const Impl& impl : kRanked) {
      if (!impl.refuses(q).empty()) continue;
      const char* why = impl.takes(q);
      if (!why) continue;
      Op* op = impl.create(ctx, s);
      op->set_reason(std::string("auto: ") + why);
      return op;
    }
    *error = "no implementation runs this convolution";  // gemm runs every problem: unreachable
    return nullptr;
  }
  const char* name = algorithm_name(algorithm);
  if (!name) {
    *error = "unknown pattern algorithm " + std::to_string(algorithm);
    return nullptr;
  }
  std::string refusals;
  for (const Impl& impl : kRanked) {
    if (impl.algorithm != algorithm) continue;
    const std::string no = impl.refuses(q);
    if (no.empty()) {
      Op* op = impl.create(ctx, s);
      op->set_reason(std::string("forced: ") + name);
      return op;
    }
    refusals += (refusals.empty() ? "" : "; ") + std::string(impl.name) + " " + no;
  }
  *error = std::string("the ") + name + " algorithm cannot run this problem: " + refusals;
  return nullptr;
}

const std::string& conv_ranking() {
  static const std::string text = [] {
    std::string t;
    int rank = 1;
    for (const Impl& impl : kRanked) {
      t += std::to_string(rank++) + ". " + impl.name + " (" + algorithm_name(impl.algorithm) + "): " + impl.rule + "\n";
    }
    return t;
  }();
  return text;
}

}  // namespace sepnet
