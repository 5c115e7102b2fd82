// Fuzz target: a CSV file, through data::read_csv, data::read_csv_features and data::read_csv_regression. The first byte
// picks the options (delimiter, header detection, label column), the rest is the file.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "nn/data/csv.hpp"
#include "nn/error.hpp"
#include "nn/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const nn::TensorSizeLimit limit(nn_fuzz::kTensorLimitBytes, nn_fuzz::kTensorTotalBytes);
  const uint8_t pick = data[0];
  const auto path = nn_fuzz::write_input(data + 1, size - 1, "table.csv");
  nn::data::CsvOptions o;
  o.delimiter = (pick & 3) == 0 ? ',' : (pick & 3) == 1 ? ';' : (pick & 3) == 2 ? '\t' : ' ';
  if ((pick >> 2) & 1) o.has_header = ((pick >> 3) & 1) != 0;
  static const char* const columns[] = {"", "0", "-1", "label", "1", "99", "-99", "x"};
  o.label_column = columns[(pick >> 4) & 7];
  try {
    const nn::data::Dataset d = nn::data::read_csv(path, o);
    (void)d;
  } catch (const nn::Error&) {
  }
  try {
    const nn::Tensor x = nn::data::read_csv_features(path, o);
    (void)x;
  } catch (const nn::Error&) {
  }
  if (pick & 0x80) o.target_columns = {"0", "-1"};
  try {
    const nn::data::Dataset d = nn::data::read_csv_regression(path, o);
    (void)d;
  } catch (const nn::Error&) {
  }
  return 0;
}
