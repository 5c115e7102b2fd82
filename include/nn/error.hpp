/// @file
/// nn::Error: the one exception type of the library, and the helpers that build its messages
/// (nn::fail, NN_CHECK).
#pragma once

#include "nn/export.hpp"

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace nn {

/// Every failure the library reports. The message names the layer, loss or file, what was
/// expected and what was found, on one line.
///
/// A std::runtime_error, so `catch (const std::exception& e)` catches it too; what() gives the
/// message, e.g. "Linear: expected input (N, 784), found [64, 28, 28]". Other exceptions that can
/// leave the library are std::bad_alloc (out of memory) and whatever a user callback throws.
class NN_API Error : public std::runtime_error {
 public:
  /// An error with this message (what() returns it).
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// @cond INTERNAL
namespace detail {
// Streams the arguments, in order, into one string (the message nn::fail throws).
template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace detail
/// @endcond

/// Throws nn::Error with the parts of the message streamed together (each through
/// `operator<<` into a std::ostringstream): `nn::fail("Linear: expected ", n, " features")`.
/// @throws nn::Error always.
template <class... Args>
[[noreturn]] void fail(Args&&... args) {
  throw Error(detail::concat(std::forward<Args>(args)...));
}

}  // namespace nn

/// Checks a condition that depends on the caller's input; when it is false, throws nn::Error
/// with the remaining arguments streamed together as by nn::fail:
/// `NN_CHECK(x.rank() == 2, "Linear: expected rank 2, found ", x.rank());`
#define NN_CHECK(cond, ...)        \
  do {                             \
    if (!(cond)) {                 \
      ::nn::fail(__VA_ARGS__);     \
    }                              \
  } while (false)
