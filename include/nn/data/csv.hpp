/// @file
/// @brief Reading CSV files as datasets: nn::data::read_csv (classification) and
/// nn::data::read_csv_regression.
///
/// Every column but the label (or target) columns is a numeric feature.
/// Fields may be surrounded by whitespace and quoted ("..." with "" for a quote); CR LF line endings
/// and blank lines (a blank last line, say) are accepted. Errors (nn::Error) name the file, the line
/// (1-based) and the column (1-based, with its header name when there is one):
/// @code{.unparsed}
///   data.csv:7: column 3 ('petal'): expected a number, found 'abc'
///   data.csv:4: expected 5 fields, found 4
/// @endcode
#pragma once

#include "nn/export.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"

namespace nn::data {

/// How read_csv and read_csv_regression interpret a file; the defaults read a comma-separated file
/// whose last column is the label, with the header detected.
struct NN_API CsvOptions {
  /// The label column: a header name, or a 0-based index ("4"; "-1" is the last column). A header
  /// name takes precedence over reading the text as an index. Empty: the last column.
  std::string label_column{};
  /// Regression only: the target columns (names or indices as above). Empty: label_column alone.
  std::vector<std::string> target_columns{};
  /// Whether the first row names the columns. nullopt: detect it: the first row is a header when one
  /// of its cells is not a number while the cell below it is (or when there is no second row and a
  /// cell is not a number).
  std::optional<bool> has_header{};
  char delimiter = ',';  ///< the field separator: ',' (the default), or ';' or a tab for other dialects
};

/// A classification dataset: features [N, F] float32, one label per row. A label column of
/// non-negative integers ("3", "3.0") is used as class indices as it is (num_classes = 1 + the
/// largest); other numbers (-1 / 1, say) are mapped to 0..K-1 in increasing order, and text labels
/// ("Iris-setosa") to 0..K-1 in order of first appearance. Mapped labels set class_names to the
/// label texts. The dataset is named after the file's stem.
/// @throws nn::Error when the file cannot be read, is empty, has rows of different widths, a
/// non-numeric feature, an unknown label column, or no feature column.
NN_API Dataset read_csv(const std::filesystem::path& path, const CsvOptions& options = {});

/// A regression dataset: features [N, F] and float targets [N, T] (T target columns, [N, 1] for
/// one) — all numeric. Errors as read_csv.
NN_API Dataset read_csv_regression(const std::filesystem::path& path, const CsvOptions& options = {});

/// Every column as a feature: [N, F] float32 (rows of samples to predict, say). The header is
/// detected as for read_csv; label_column and target_columns are ignored.
NN_API Tensor read_csv_features(const std::filesystem::path& path, const CsvOptions& options = {});

}  // namespace nn::data
