// nn::Error: the one exception type of the library, and the helpers that build its messages.
#pragma once

#include "nn/export.hpp"

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace nn {

/// Every failure the library reports. The message names the layer, loss or file, what was
/// expected and what was found, on one line.
class NN_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace detail

/// Throws nn::Error with the parts of the message streamed together.
template <class... Args>
[[noreturn]] void fail(Args&&... args) {
  throw Error(detail::concat(std::forward<Args>(args)...));
}

}  // namespace nn

// Checks a condition that depends on the caller's input; throws nn::Error when it fails.
#define NN_CHECK(cond, ...)        \
  do {                             \
    if (!(cond)) {                 \
      ::nn::fail(__VA_ARGS__);     \
    }                              \
  } while (false)
