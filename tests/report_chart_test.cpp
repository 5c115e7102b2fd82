// Report charts (ticks, labels, line charts as SVG) and the training curves drawn from a History and
// from the classic neurons' errors and losses.
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
using nn::Tensor;
using nn::test::report_checks::count;
using nn::test::report_checks::sample_history;
using nn::test::report_checks::xml_problem;

// ---- charts -------------------------------------------------------------------------------------

TEST(ReportChart, NiceTicksCoverTheRangeWithRoundSteps) {
  const auto t = report::nice_ticks(0.0, 1.0, 5);
  EXPECT_DOUBLE_EQ(t.step, 0.2);
  ASSERT_EQ(t.values.size(), 6u);
  EXPECT_DOUBLE_EQ(t.values[3], 0.6);  // snapped, not 0.6000000000000001
  const auto u = report::nice_ticks(0.3712, 0.5249, 6);
  EXPECT_LE(u.lo, 0.3712);
  EXPECT_GE(u.hi, 0.5249);
  EXPECT_DOUBLE_EQ(u.step, 0.02);
  const auto w = report::nice_ticks(3.0, 3.0);
  EXPECT_LT(w.lo, 3.0);
  EXPECT_GT(w.hi, 3.0);
  const auto l = report::log_ticks(1e-4, 0.1);
  EXPECT_DOUBLE_EQ(l.lo, 1e-4);
  EXPECT_DOUBLE_EQ(l.hi, 0.1);
  EXPECT_EQ(l.values.size(), 4u);
  EXPECT_THROW(report::nice_ticks(0.0, std::nan("")), nn::Error);
}

TEST(ReportChart, TickLabelsUseTheDecimalsTheStepNeeds) {
  EXPECT_EQ(report::format_tick(0.4, 0.2), "0.4");
  EXPECT_EQ(report::format_tick(0.05, 0.05), "0.05");
  EXPECT_EQ(report::format_tick(150, 50), "150");
  EXPECT_EQ(report::format_tick(0.0, 0.1), "0");
  EXPECT_EQ(report::format_tick(1e-5, 1e-5), "1e-5");
  EXPECT_EQ(report::format_tick(2e-5, 0.0), "2e-5");
  EXPECT_EQ(report::format_tick(85.5, 0.5), "85.5");
}

TEST(ReportChart, LineChartIsWellFormedDeterministicAndEscaped) {
  std::vector<report::Series> series(2);
  series[0].name = "train <a&b>";
  series[1].name = "validation";
  series[1].dashed = true;
  for (int e = 1; e <= 10; ++e) {
    series[0].x.push_back(e);
    series[0].y.push_back(1.0 / e);
    series[1].x.push_back(e);
    series[1].y.push_back(e == 5 ? std::nan("") : 1.2 / e);  // a gap
  }
  report::ChartOptions o;
  o.title = "Loss & more";
  o.x_label = "Epoch";
  o.y_label = "Loss";
  const std::string svg = report::line_chart_svg(series, o);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(report::line_chart_svg(series, o), svg);
  EXPECT_NE(svg.find("train &lt;a&amp;b&gt;"), std::string::npos);
  EXPECT_NE(svg.find("Loss &amp; more"), std::string::npos);
  EXPECT_NE(svg.find(">Epoch<"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 3u);  // the NaN splits the validation line
  EXPECT_EQ(count(svg, "stroke-dasharray"), 3u);  // two validation runs and its legend entry
  series[0].y.pop_back();
  EXPECT_THROW(report::line_chart_svg(series, o), nn::Error);
  EXPECT_EQ(report::svg_element(svg).substr(0, 4), "<svg");
}

TEST(ReportChart, AChartWithoutDataSaysSo) {
  const std::string svg = report::line_chart_svg({}, report::ChartOptions{});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("no data"), std::string::npos);
}

TEST(ReportCurves, TrainingCurvesFromAHistory) {
  const auto h = sample_history(12);
  const std::string loss = report::loss_chart_svg(h), acc = report::accuracy_chart_svg(h), lr = report::lr_chart_svg(h);
  for (const std::string* s : {&loss, &acc, &lr}) EXPECT_EQ(xml_problem(*s), "");
  EXPECT_NE(loss.find(">validation<"), std::string::npos);
  EXPECT_NE(acc.find("Accuracy (%)"), std::string::npos);
  // 0.1 halving every 3 epochs over 12 epochs spans a factor of 8: linear axis.
  EXPECT_EQ(lr.find("log scale"), std::string::npos);
  // Regression (no accuracy): no accuracy chart; no validation: no validation line.
  auto r = sample_history(5, false);
  for (auto& e : r.epochs) e.train_accuracy = std::nan("");
  EXPECT_EQ(report::accuracy_chart_svg(r), "");
  EXPECT_EQ(report::loss_chart_svg(r).find(">validation<"), std::string::npos);
}

TEST(ReportCurves, ClassicNeuronsErrorsAndLossesPerEpoch) {
  // Seed 001: the perceptron's updates per epoch reach 0 on separable data; Adaline's MSE falls.
  nn::data::BlobsOptions bo;
  bo.n_samples = 100;
  bo.centers = 2;
  bo.cluster_std = 0.5;
  const auto data = nn::data::make_blobs(bo);
  nn::classic::Perceptron ppn({.learning_rate = 0.1, .n_iter = 10});
  ppn.fit(data);
  std::vector<double> errors(ppn.errors().begin(), ppn.errors().end());
  report::ChartOptions o;
  o.title = "Perceptron";
  o.x_label = "Epochs";
  o.y_label = "Number of updates";
  const std::string svg = report::epoch_chart_svg(errors, o);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(count(svg, "<circle"), errors.size());
  nn::classic::AdalineGD ada({.learning_rate = 0.01, .n_iter = 15});
  ada.fit(data);
  o.title = "Adaline - Learning rate 0.01";
  o.y_label = "Mean squared error";
  const std::string svg2 = report::epoch_chart_svg(ada.losses(), o);
  EXPECT_EQ(xml_problem(svg2), "");
  EXPECT_EQ(count(svg2, "<circle"), 15u);
  // The classic neurons' decision regions go through the same picture.
  const auto regions = report::decision_regions(
      [&](const Tensor& x, std::span<int32_t> out) {
        const auto p = ppn.predict(x);
        std::copy(p.begin(), p.end(), out.begin());
      },
      data, {.grid = 60});
  EXPECT_EQ(xml_problem(regions.svg), "");
  EXPECT_EQ(regions.num_classes, 2);
}

}  // namespace
