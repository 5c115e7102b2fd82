#include "nn/device.hpp"

#include <charconv>

#include "cuda/runtime.hpp"
#include "nn/error.hpp"

namespace nn {

Device Device::parse(std::string_view text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  constexpr std::string_view prefix = "cuda:";
  if (text.size() > prefix.size() && text.substr(0, prefix.size()) == prefix) {
    const std::string_view digits = text.substr(prefix.size());
    int index = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec == std::errc() && end == digits.data() + digits.size() && digits[0] != '+' && index >= 0 &&
        index <= kMaxIndex)
      return cuda(index);
  }
  fail("device: expected cpu, cuda or cuda:N (N from 0 to ", kMaxIndex, "), found '", text, "'");
}

std::string Device::str() const { return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index_); }

namespace cuda {
bool built() { return detail::built(); }
int device_count() { return detail::device_count(); }
bool is_available() { return device_count() > 0; }
}  // namespace cuda

Device default_device() { return cuda::is_available() ? Device::cuda(0) : Device::cpu(); }

}  // namespace nn
