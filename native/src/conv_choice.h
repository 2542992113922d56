// conv_choice.h: which implementation runs a convolution. One ranked list (conv_choice.cpp), most
// specialised first, decides it for float convolutions, pattern convolutions and pattern residual
// blocks: each implementation says whether it can run a problem and, if not, why (refuses). AUTO
// takes the first that can and whose measured rule holds; a forced pattern algorithm takes the
// first of its own implementations that can run the problem, or is refused with their reasons,
// never replaced by another. The op's reason() says which implementation and why.
#pragma once

#include <memory>
#include <string>

#include "context.h"
#include "conv_spec.h"

namespace sepnet {

// Builds the op for s with the pattern algorithm `algorithm` (SEPNET_PATTERN_*; float convolutions
// take SEPNET_PATTERN_AUTO). Returns nullptr and sets *error when the forced algorithm cannot run
// the problem or is unknown.
Op* create_conv(const std::shared_ptr<Context>& ctx, const ConvSpec& s, int algorithm, std::string* error);

// The ranked list in words, one implementation per line: its rank, name, the pattern algorithm
// that forces it, and the rule AUTO takes it by.
const std::string& conv_ranking();

}  // namespace sepnet
