// Report pictures of a classifier: decision regions over a 2-D grid with the points drawn, and image
// grids that mark misclassified images.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/report/chart.hpp"
#include "nn/report/color.hpp"
#include "nn/report/confusion.hpp"
#include "nn/report/curves.hpp"
#include "nn/report/decision_regions.hpp"
#include "nn/report/image.hpp"
#include "nn/report/image_grid.hpp"
#include "nn/report/metrics_file.hpp"
#include "nn/report/report.hpp"

#include "support/report_checks.hpp"
#include "support/support.hpp"

namespace {


namespace report = nn::report;
using nn::Shape;
using nn::Tensor;
using nn::test::report_checks::count;
using nn::test::report_checks::distinct_colors;
using nn::test::report_checks::xml_problem;

// ---- decision regions and image grids -----------------------------------------------------------

TEST(ReportDecisionRegions, GridFollowsTheClassifierAndPointsAreDrawn) {
  // Points left of x = 0 are class 0, right of it class 1; the classifier says the same.
  Tensor x(Shape{4, 2}, std::vector<float>{-2, -1, -1, 1, 1, -1, 2, 1});
  auto data = nn::data::Dataset::classification(std::move(x), {0, 0, 1, 1});
  data.name = "halves";
  int64_t calls = 0;
  const auto r = report::decision_regions(
      [&](const Tensor& batch, std::span<int32_t> out) {
        ++calls;
        ASSERT_EQ(batch.dim(1), 2);
        for (int64_t i = 0; i < batch.dim(0); ++i) out[static_cast<size_t>(i)] = batch.at(i, 0) > 0.0f ? 1 : 0;
      },
      data, {.grid = 50, .batch = 1000, .pixel_scale = 2});
  EXPECT_EQ(calls, 3);  // 2500 grid points in batches of 1000
  EXPECT_EQ(r.grid, 50);
  EXPECT_LT(r.x0, -2.0);
  EXPECT_GT(r.x1, 2.0);
  EXPECT_EQ(r.classes[0], 0);        // top left
  EXPECT_EQ(r.classes[49], 1);       // top right
  EXPECT_EQ(r.classes[49 * 50], 0);  // bottom left
  EXPECT_EQ(r.picture.width, 100);
  EXPECT_EQ(r.regions.at(0, 0), report::mix(report::category_color(0), {255, 255, 255}, 0.55));
  // The points add their colours and dark edges to the picture.
  EXPECT_GT(distinct_colors(r.picture), distinct_colors(r.regions));
  EXPECT_EQ(xml_problem(r.svg), "");
  EXPECT_EQ(count(r.svg, "<circle"), 4u + 2u);  // four points and two legend markers
  EXPECT_EQ(report::decode_png(report::encode_png(r.picture)).rgb, r.picture.rgb);
  // Same input, same picture.
  const auto again = report::decision_regions(
      [&](const Tensor& batch, std::span<int32_t> out) {
        for (int64_t i = 0; i < batch.dim(0); ++i) out[static_cast<size_t>(i)] = batch.at(i, 0) > 0.0f ? 1 : 0;
      },
      data, {.grid = 50, .batch = 1000, .pixel_scale = 2});
  EXPECT_EQ(again.svg, r.svg);
}

TEST(ReportDecisionRegions, RejectsOtherShapesAndBadClasses) {
  auto three = nn::data::Dataset::classification(Tensor(Shape{2, 3}), {0, 1});
  auto ok = [](const Tensor&, std::span<int32_t> out) { std::fill(out.begin(), out.end(), 0); };
  EXPECT_THROW(report::decision_regions(ok, three), nn::Error);
  auto two = nn::data::Dataset::classification(Tensor(Shape{2, 2}, std::vector<float>{0, 0, 1, 1}), {0, 1});
  EXPECT_THROW(report::decision_regions([](const Tensor&, std::span<int32_t> out) { std::fill(out.begin(), out.end(), -1); },
                                        two, {.grid = 10}),
               nn::Error);
}

TEST(ReportImageGrid, MarksMisclassifiedImages) {
  // 10 images of 28x28, image i filled with grey level 20 * i; predictions wrong for 3 of them.
  std::vector<uint8_t> pixels(10 * 784);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(20 * (i / 784));
  std::vector<int32_t> labels{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto data = nn::data::Dataset::classification_u8(pixels, Shape{1, 28, 28}, labels, 10);
  data.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  std::vector<int32_t> predicted = labels;
  predicted[2] = 4;
  predicted[5] = 7;
  predicted[9] = 0;
  const auto g = report::image_grid(data, predicted, {.rows = 2, .cols = 8, .scale = 2});
  EXPECT_EQ(g.shown, 10);
  EXPECT_EQ(g.wrong, 3);
  EXPECT_EQ(xml_problem(g.svg), "");
  EXPECT_EQ(count(g.svg, "<image"), 10u);
  EXPECT_EQ(count(g.svg, "true: "), 3u);
  EXPECT_NE(g.svg.find("true: Ankle boot"), std::string::npos);
  EXPECT_NE(g.svg.find("T-shirt/top"), std::string::npos);
  // The vermillion frame is in the picture.
  bool framed = false;
  for (int64_t y = 0; y < g.picture.height && !framed; ++y)
    for (int64_t x = 0; x < g.picture.width && !framed; ++x) framed = g.picture.at(x, y) == report::Rgb{213, 94, 0};
  EXPECT_TRUE(framed);
  EXPECT_THROW(report::image_grid(data, std::span<const int32_t>(predicted.data(), 3)), nn::Error);
}

}  // namespace
