/// @file
/// nn::Device (where a tensor's storage lives: the CPU or one CUDA GPU) and nn::cuda's questions
/// about the CUDA backend: whether it was built, how many GPUs the machine has.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace nn {

/// Where a tensor's storage lives and where the work on it runs: the CPU (the default and the
/// reference) or CUDA GPU number `index`. A small value type, cheap to copy and compare.
/// @code
/// nn::Device d = nn::Device::parse("cuda:1");  // d.is_cuda(), d.index() == 1, d.str() == "cuda:1"
/// model.to(nn::default_device());                // the first GPU when there is one, else the CPU
/// @endcode
class NN_API Device {
 public:
  /// The kinds of device.
  enum class Type : uint8_t {
    cpu,   ///< the host's memory and cores
    cuda,  ///< a CUDA GPU
  };
  /// The CPU.
  constexpr Device() = default;
  /// The CPU.
  static constexpr Device cpu() { return Device(); }
  /// CUDA GPU number `index` (0 for the first). Whether it exists is checked where it is used.
  static constexpr Device cuda(int index = 0) { return Device(Type::cuda, index); }
  /// The device named by `text`: "cpu", "cuda" (GPU 0) or "cuda:N" with N in 0..kMaxIndex.
  /// @throws nn::Error naming the text and the accepted forms otherwise.
  static Device parse(std::string_view text);
  /// The highest GPU number parse() accepts.
  static constexpr int kMaxIndex = 1023;

  Type type() const { return type_; }                  ///< cpu or cuda
  int index() const { return index_; }                 ///< the GPU number; 0 for the CPU
  bool is_cpu() const { return type_ == Type::cpu; }   ///< whether this is the CPU
  bool is_cuda() const { return type_ == Type::cuda; } ///< whether this is a CUDA GPU
  std::string str() const;                             ///< "cpu", "cuda:0"
  /// The same type and the same index.
  bool operator==(const Device&) const = default;

 private:
  constexpr Device(Type type, int index) : type_(type), index_(static_cast<int16_t>(index)) {}
  Type type_ = Type::cpu;
  int16_t index_ = 0;
};

/// The CUDA backend: whether this nn has it and how many GPUs it sees.
namespace cuda {
/// Whether this nn was compiled with the CUDA backend (the NN_CUDA build option).
NN_API bool built();
/// The number of CUDA GPUs usable now: 0 when nn was built without CUDA, when the machine has no
/// CUDA driver or no GPU. Never throws.
NN_API int device_count();
/// Whether at least one CUDA GPU can be used: device_count() > 0.
NN_API bool is_available();
}  // namespace cuda

/// The device `--device auto` picks: cuda:0 when a GPU is available, else the CPU.
NN_API Device default_device();

}  // namespace nn
