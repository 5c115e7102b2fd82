/// @file
/// @brief Binding saved tensors to live ones by name: the one matching rule of model loading
/// (load_state_dict) and checkpoint restore.
///
/// Every target says the shape its source must have; a binding lists what is missing, unexpected
/// or shaped differently, and copies nothing until apply(), so a caller checks everything before it
/// changes anything (all or nothing).
#pragma once

#include "nn/export.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nn/layers/module.hpp"
#include "nn/tensor.hpp"

namespace nn::io {

/// Name -> tensor, in the module's order (parameters and buffers).
using StateDict = std::vector<std::pair<std::string, Tensor>>;

/// What a binding found (load_state_dict returns it).
struct NN_API LoadReport {
  std::vector<std::string> missing;     ///< in the module, not in the dict
  std::vector<std::string> unexpected;  ///< in the dict, not in the module
  std::vector<std::string> mismatched;  ///< "fc1.weight: expected [128, 784], found [128, 100]"
  /// True when every list is empty (everything matched).
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  /// "All keys matched successfully", or the three lists.
  std::string str() const;
};

/// The module's parameters, then its buffers (BatchNorm's running statistics), by dotted name. The
/// pointers point into the module and are valid as long as it lives and keeps its structure.
NN_API std::vector<std::pair<std::string, Tensor*>> named_tensors(Module& module);

/// nn::Error unless every value of every tensor is finite: "<where>: tensor '0.weight' holds inf at
/// index 3; <why>". Models and checkpoints are never written with a non-finite weight.
NN_API void require_finite(const std::vector<std::pair<std::string, const Tensor*>>& tensors, std::string_view where,
                           std::string_view why);

/// A live tensor that a binding may fill, and the shape its source must have.
struct NN_API BindTarget {
  std::string name;          ///< the name its source must carry ("0.weight")
  Tensor* tensor = nullptr;  ///< the tensor to fill (not owned)
  Shape shape;            ///< the shape its source must have
  bool optional = false;  ///< no source: the target is emptied (a state never sized), not reported missing
};

/// Lets every layer whose size is still deferred take it from the dict's tensor of the same name
/// (Module::infer_from_saved), as PyTorch's lazy modules do; load_state_dict does this first.
NN_API void infer_deferred_sizes(Module& module, const StateDict& dict);

/// The targets of a module's tensors: each must get a source of its own current shape.
NN_API std::vector<BindTarget> module_targets(Module& module);

/// Targets paired with sources by name: what matches, what does not, and the copies to make.
///
/// @code
/// nn::io::TensorBinding b(nn::io::module_targets(model), dict, "load");
/// if (!b.report().ok()) throw nn::Error(b.report().str());
/// b.apply();
/// @endcode
/// The binding keeps pointers to the targets' tensors and to the sources: both must outlive it.
class NN_API TensorBinding {
 public:
  /// Pairs targets and sources by name (a hash map: linear in their number). Missing: a target
  /// without a source; unexpected: a source without a target (in the sources' order); mismatched:
  /// a source of another shape than its target's. nn::Error "<what>: '<name>' is given twice" for
  /// a name twice among the targets or among the sources.
  TensorBinding(std::vector<BindTarget> targets, const StateDict& sources, std::string_view what);

  const LoadReport& report() const { return report_; }  ///< what is missing, unexpected and mismatched
  /// Copies every matched source into its target and empties the optional targets that had none;
  /// leaves missing and mismatched targets as they are.
  void apply() const;

 private:
  LoadReport report_;
  std::vector<std::pair<Tensor*, const Tensor*>> copies_;  // source null: empty the target
};

}  // namespace nn::io
