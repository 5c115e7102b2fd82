// Fuzz target: a device name as `nn train --device` takes it, through nn::Device::parse. A name it
// accepts prints back to a name that parses to the same device; anything else is an nn::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nn/device.hpp"
#include "nn/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const nn::Device d = nn::Device::parse(text);
    if (!(nn::Device::parse(d.str()) == d)) __builtin_trap();
    if (d.is_cuda() && (d.index() < 0 || d.index() > nn::Device::kMaxIndex)) __builtin_trap();
  } catch (const nn::Error&) {
  }
  return 0;
}
