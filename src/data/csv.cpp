#include "nn/data/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "nn/error.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/limits.hpp"

namespace nn::data {

namespace {

constexpr uint64_t kMaxFileBytes = uint64_t{4} << 30;

struct Line {
  int64_t number;  // 1-based
  std::string_view text;
};

// A field as quoted in an error message: at most 40 characters of it.
std::string cut(std::string_view s) { return s.size() > 40 ? std::string(s.substr(0, 37)) + "..." : std::string(s); }

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits one line into trimmed fields; a quoted field keeps its inner text ("" is one quote).
void split_fields(std::string_view line, char delim, std::vector<std::string>& out, const std::string& file,
                  int64_t line_no) {
  out.clear();
  size_t i = 0;
  for (;;) {
    // One field, from i to the next delimiter outside quotes.
    std::string field;
    size_t j = i;
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t') && line[j] != delim) ++j;
    if (j < line.size() && line[j] == '"') {
      ++j;
      bool closed = false;
      while (j < line.size()) {
        if (line[j] == '"') {
          if (j + 1 < line.size() && line[j + 1] == '"') {
            field += '"';
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        field += line[j++];
      }
      NN_CHECK(closed, file, ":", line_no, ": field ", out.size() + 1, ": a quote is not closed on its line");
      while (j < line.size() && line[j] != delim) {
        NN_CHECK(line[j] == ' ' || line[j] == '\t' || line[j] == '\r', file, ":", line_no, ": field ",
                 out.size() + 1, ": unexpected text after a closing quote");
        ++j;
      }
    } else {
      j = i;
      while (j < line.size() && line[j] != delim) ++j;
      field = std::string(trim(line.substr(i, j - i)));
    }
    out.push_back(std::move(field));
    if (j >= line.size()) break;
    i = j + 1;  // past the delimiter
  }
}

bool parse_number(std::string_view s, double& value) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool is_number(std::string_view s) {
  double v;
  return parse_number(s, v);
}

struct Table {
  std::string file;
  std::string text;  // the whole file; lines point into it
  std::vector<Line> lines;       // data lines (non-blank, header excluded)
  std::vector<std::string> names;  // header names, empty without a header
  int64_t header_line = 0;
  size_t ncols = 0;
};

Table load_table(const std::filesystem::path& path, const CsvOptions& options) {
  Table t;
  t.file = path.string();
  // A regular file only (a FIFO or /dev/zero is refused instead of read forever), at most 4 GiB.
  t.text = io::read_file(path, kMaxFileBytes, "CSV file '" + t.file + "'");

  std::string_view all = t.text;
  if (all.substr(0, 3) == "\xEF\xBB\xBF") all.remove_prefix(3);  // a UTF-8 byte-order mark
  int64_t number = 0;
  while (!all.empty()) {
    ++number;
    const size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    t.lines.push_back({number, line});
  }
  NN_CHECK(!t.lines.empty(), t.file, ": the file is empty, expected a header or rows of numbers");

  std::vector<std::string> first, second;
  split_fields(t.lines[0].text, options.delimiter, first, t.file, t.lines[0].number);
  bool header = false;
  if (options.has_header) {
    header = *options.has_header;
  } else if (t.lines.size() >= 2) {
    split_fields(t.lines[1].text, options.delimiter, second, t.file, t.lines[1].number);
    for (size_t j = 0; j < first.size() && j < second.size(); ++j)
      if (!is_number(first[j]) && is_number(second[j])) header = true;
  } else {
    for (const auto& f : first)
      if (!is_number(f)) header = true;
  }
  t.ncols = first.size();
  if (header) {
    t.names = std::move(first);
    t.header_line = t.lines[0].number;
    t.lines.erase(t.lines.begin());
    NN_CHECK(!t.lines.empty(), t.file, ": no data rows, only a header (line ", t.header_line, ")");
  }
  return t;
}

std::string column_label(const Table& t, size_t j) {
  std::string s = "column " + std::to_string(j + 1);
  if (!t.names.empty()) s += " ('" + cut(t.names[j]) + "')";
  return s;
}

size_t resolve_column(const Table& t, const std::string& spec) {
  for (size_t j = 0; j < t.names.size(); ++j)
    if (t.names[j] == spec) return j;
  int64_t index = 0;
  const std::string_view s = trim(spec);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), index);
  if (!s.empty() && ec == std::errc() && ptr == s.data() + s.size()) {
    const auto n = static_cast<int64_t>(t.ncols);
    NN_CHECK(index >= -n && index < n, t.file, ": column index ", index, " is out of range for ", n, " columns");
    return static_cast<size_t>(index < 0 ? index + n : index);
  }
  if (t.names.empty()) fail(t.file, ": no column named '", spec, "' (the file has no header row)");
  std::string list;
  for (size_t j = 0; j < t.names.size() && j < 20; ++j) list += (list.empty() ? "'" : ", '") + cut(t.names[j]) + "'";
  if (t.names.size() > 20) list += " and " + std::to_string(t.names.size() - 20) + " more";
  fail(t.file, ": no column named '", spec, "' (columns: ", list, ")");
}

// Parses every row: features into x ([N, F]) and the raw text of the `special` columns.
struct Parsed {
  Tensor x;
  std::vector<std::vector<std::string>> special;  // [column k][row]
};

Parsed parse_rows(const Table& t, const CsvOptions& options, const std::vector<size_t>& special_cols) {
  std::vector<char> is_special(t.ncols, 0);
  for (size_t c : special_cols) is_special[c] = 1;
  std::vector<size_t> feature_cols;
  for (size_t j = 0; j < t.ncols; ++j)
    if (!is_special[j]) feature_cols.push_back(j);
  NN_CHECK(!feature_cols.empty(), t.file, ": no feature columns: all ", t.ncols,
           " columns are labels or targets");
  const auto n = static_cast<int64_t>(t.lines.size());
  const auto f = static_cast<int64_t>(feature_cols.size());
  // Every row holds ncols fields, so n x ncols cannot exceed the file's bytes (plus one per row).
  // A larger product means some row is short: find it before allocating n x f floats.
  uint64_t cells = 0;
  if (!io::mul_ok(static_cast<uint64_t>(n), t.ncols, cells) || cells > t.text.size() + t.lines.size()) {
    std::vector<std::string> fields;
    for (const Line& line : t.lines) {
      split_fields(line.text, options.delimiter, fields, t.file, line.number);
      NN_CHECK(fields.size() == t.ncols, t.file, ":", line.number, ": expected ", t.ncols, " fields, found ",
               fields.size());
    }
  }
  Parsed p;
  p.x = Tensor(Shape{n, f});
  p.special.assign(special_cols.size(), {});
  for (auto& s : p.special) s.reserve(t.lines.size());
  std::vector<std::string> fields;
  for (int64_t i = 0; i < n; ++i) {
    const Line& line = t.lines[static_cast<size_t>(i)];
    split_fields(line.text, options.delimiter, fields, t.file, line.number);
    NN_CHECK(fields.size() == t.ncols, t.file, ":", line.number, ": expected ", t.ncols, " fields, found ",
             fields.size());
    float* row = p.x.data() + i * f;
    for (int64_t k = 0; k < f; ++k) {
      const size_t j = feature_cols[static_cast<size_t>(k)];
      double v = 0.0;
      if (!parse_number(fields[j], v))
        fail(t.file, ":", line.number, ": ", column_label(t, j), ": expected a number, found '", cut(fields[j]), "'");
      // NaN and infinities ("nan", "inf") would poison training without a word; float32 overflow too.
      if (!std::isfinite(static_cast<float>(v)))
        fail(t.file, ":", line.number, ": ", column_label(t, j), ": expected a finite number, found '", cut(fields[j]),
             "'");
      row[k] = static_cast<float>(v);
    }
    for (size_t k = 0; k < special_cols.size(); ++k) p.special[k].push_back(std::move(fields[special_cols[k]]));
  }
  return p;
}

std::string stem_of(const std::filesystem::path& path) { return path.stem().string(); }

}  // namespace

Dataset read_csv(const std::filesystem::path& path, const CsvOptions& options) {
  const Table t = load_table(path, options);
  const size_t label_col = options.label_column.empty() ? t.ncols - 1 : resolve_column(t, options.label_column);
  Parsed p = parse_rows(t, options, {label_col});
  const auto& texts = p.special[0];
  const size_t n = texts.size();

  // Numeric labels?
  std::vector<double> values(n);
  bool numeric = true, whole = true;
  for (size_t i = 0; i < n && numeric; ++i) {
    numeric = parse_number(texts[i], values[i]);
    // A NaN or infinite label is no class (as a map key NaN would even land in an existing one).
    if (numeric && !std::isfinite(values[i]))
      fail(t.file, ":", t.lines[i].number, ": ", column_label(t, label_col), ": expected a class label, found '",
           cut(texts[i]), "'");
    if (numeric && !(values[i] >= 0 && values[i] < 2147483647.0 && std::floor(values[i]) == values[i]))
      whole = false;
  }
  std::vector<int32_t> labels(n);
  std::vector<std::string> class_names;
  if (numeric && whole) {
    for (size_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>(values[i]);
  } else if (numeric) {
    std::map<double, std::string> seen;  // value -> its first spelling
    for (size_t i = 0; i < n; ++i) seen.emplace(values[i], texts[i]);
    std::map<double, int32_t> index;
    for (const auto& [v, text] : seen) {
      index.emplace(v, static_cast<int32_t>(class_names.size()));
      class_names.push_back(text);
    }
    for (size_t i = 0; i < n; ++i) labels[i] = index.at(values[i]);
  } else {
    std::unordered_map<std::string, int32_t> index;
    for (size_t i = 0; i < n; ++i) {
      auto [it, inserted] = index.emplace(texts[i], static_cast<int32_t>(class_names.size()));
      if (inserted) class_names.push_back(texts[i]);
      labels[i] = it->second;
    }
  }
  const auto num_classes = static_cast<int64_t>(class_names.size());
  Dataset d = Dataset::classification(std::move(p.x), std::move(labels), num_classes);
  d.class_names = std::move(class_names);
  d.name = stem_of(path);
  return d;
}

Dataset read_csv_regression(const std::filesystem::path& path, const CsvOptions& options) {
  const Table t = load_table(path, options);
  std::vector<size_t> cols;
  if (!options.target_columns.empty()) {
    for (const auto& spec : options.target_columns) {
      const size_t c = resolve_column(t, spec);
      NN_CHECK(std::find(cols.begin(), cols.end(), c) == cols.end(), t.file, ": ", column_label(t, c),
               " is named twice as a target");
      cols.push_back(c);
    }
  } else {
    cols.push_back(options.label_column.empty() ? t.ncols - 1 : resolve_column(t, options.label_column));
  }
  Parsed p = parse_rows(t, options, cols);
  const auto n = static_cast<int64_t>(t.lines.size());
  const auto k = static_cast<int64_t>(cols.size());
  Tensor targets(Shape{n, k});
  for (int64_t c = 0; c < k; ++c)
    for (int64_t i = 0; i < n; ++i) {
      const std::string& s = p.special[static_cast<size_t>(c)][static_cast<size_t>(i)];
      double v = 0.0;
      if (!parse_number(s, v) || !std::isfinite(static_cast<float>(v)))
        fail(t.file, ":", t.lines[static_cast<size_t>(i)].number, ": ", column_label(t, cols[static_cast<size_t>(c)]),
             ": expected a finite number (regression target), found '", cut(s), "'");
      targets.at(i, c) = static_cast<float>(v);
    }
  Dataset d = Dataset::regression(std::move(p.x), std::move(targets));
  d.name = stem_of(path);
  return d;
}

Tensor read_csv_features(const std::filesystem::path& path, const CsvOptions& options) {
  const Table t = load_table(path, options);
  return std::move(parse_rows(t, options, {}).x);
}

}  // namespace nn::data
