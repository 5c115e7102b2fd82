// What the report tests share (report_*_test.cpp): a small XML well-formedness check for SVG and
// HTML, counting occurrences, the colours of a picture, and a made-up training history.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "nn/report/image.hpp"
#include "nn/train/history.hpp"

namespace nn::test::report_checks {

// A small XML well-formedness check (elements nest and match, attributes are quoted, entities are
// known); returns "" when well-formed, else what is wrong and where.
std::string xml_problem(const std::string& s);

// How often `what` occurs in `text` (overlapping occurrences included).
size_t count(const std::string& text, const std::string& what);

// The number of distinct RGB colours in img.
size_t distinct_colors(const nn::report::Image& img);

// `epochs` epochs of falling losses and rising accuracies, a stepped learning rate; without
// `validation`, the validation figures are NaN.
nn::train::History sample_history(int64_t epochs, bool validation = true);

}  // namespace nn::test::report_checks
