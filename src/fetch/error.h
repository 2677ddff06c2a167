// Errors carry their context as text: the operator reading a failed build
// needs "which file, which place, what was expected, what was seen".
#pragma once
#include <stdexcept>
#include <string>

namespace allocpipe {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace allocpipe
