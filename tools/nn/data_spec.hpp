// Data specs of the nn command: "blobs", "moons:n=500,noise=0.2", "fashion-mnist", "csv:PATH", ...
#pragma once

#include <optional>
#include <string>

#include "nn/data/dataset.hpp"

namespace nn::cli {

struct DataOptions {
  std::string data_dir;      // folder of the Fashion-MNIST files; empty: the Debian package's
  std::string label_column;  // csv: the label column (name or index); empty: the last column
};

struct LoadedData {
  data::Dataset train;                 // what training (and a validation split) uses
  std::optional<data::Dataset> test;   // a separate test set, when the source has one
  std::string description;             // "fashion-mnist (60000 train, 10000 test)"
  bool images = false;                 // samples are images (28x28)
};

// Loads the dataset a spec names. `split` picks the part for eval/predict ("train" or "test" where the
// source has both; the spec's own ":test" suffix wins).
LoadedData load_data(const std::string& spec, const DataOptions& options);

// The help text listing every spec.
std::string data_spec_help();

}  // namespace nn::cli
