// Data specs of the nn command: "blobs", "moons:n=500,noise=0.2", "fashion-mnist", "csv:PATH", ...
#pragma once

#include <optional>
#include <string>

#include "nn/data/dataset.hpp"
#include "nn/data/scaler.hpp"

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

// How loaded data is split and scaled: the one sequence `nn train`, the classic neurons and `nn report`
// share, so that a report judges exactly the part its run held out.
struct PrepareOptions {
  double val_split = 0.0;  // held out for validation when > 0 and the data has 10 samples or more
  uint64_t seed = 0;       // of the split
  bool stratify = true;    // for classification data
  // --scale: auto (none for images, standard otherwise), none, standard or minmax, fitted on the
  // training part and applied to every part. Ignored when `fitted` is given.
  std::string scale = "auto";
  const data::Scaler* fitted = nullptr;  // apply this scaler as it is (a saved model's)
  bool keep_raw_points = false;  // keep a copy of two-feature classification data as loaded
  bool judged_only = false;      // keep only the part a report judges (see judged()), then scale it
};

struct PreparedData {
  data::Dataset train, val;  // val is empty when has_val is false
  bool has_val = false;
  std::optional<data::Dataset> test;
  data::Scaler scaler;                     // fitted on train, applied to every part
  std::optional<data::Dataset> raw_points;  // keep_raw_points: the data before split and scaling
  std::string description;
  bool images = false;
  // The part a run is judged on: the test set where the source has one, else the validation
  // split, else the training data; judged_on() says which, with its size.
  data::Dataset& judged() { return test ? *test : has_val ? val : train; }
  std::string judged_on() const;
};

// Splits off the validation part in place (one copy of the data), then fits and applies the scaler.
PreparedData prepare_data(LoadedData loaded, const PrepareOptions& options);

// The help text listing every spec.
std::string data_spec_help();

}  // namespace nn::cli
