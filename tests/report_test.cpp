// The report's tables (confusion matrix, scores), the metrics file, and the whole self-contained
// page with every picture; and the XML check the report tests use.
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

using nn::test::error_of;
using nn::test::read_file;
using nn::test::TempDir;

namespace fs = std::filesystem;
namespace report = nn::report;
using nn::Shape;
using nn::Tensor;
using nn::test::report_checks::count;
using nn::test::report_checks::sample_history;
using nn::test::report_checks::xml_problem;

TEST(ReportXmlCheck, RejectsWhatIsNotWellFormed) {
  EXPECT_EQ(xml_problem("<svg a=\"1\"><g/><text>a &amp; b</text></svg>"), "");
  EXPECT_NE(xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(xml_problem("<svg a=1></svg>"), "");
  EXPECT_NE(xml_problem("<svg><text>a & b</text></svg>"), "");
  EXPECT_NE(xml_problem("<svg></svg><svg></svg>"), "");
}

// ---- tables, metrics file, the whole report ------------------------------------------------------

TEST(ReportConfusion, TablesCarryCountsColoursAndScores) {
  const std::vector<int32_t> truth{0, 0, 0, 1, 1, 2, 2}, pred{0, 0, 1, 1, 1, 0, 1};
  const auto cm = nn::train::confusion_matrix(pred, nn::Labels(truth), 3);
  const std::string html = report::confusion_matrix_html(cm, {"cat", "dog"});
  EXPECT_NE(html.find(">cat<"), std::string::npos);
  EXPECT_NE(html.find(">2<"), std::string::npos);  // class without a name is numbered
  // Row "1" is all predicted 1: a yellow (100%) cell with black text.
  EXPECT_NE(html.find("background:#fde725;color:#000000\""), std::string::npos);
  EXPECT_EQ(xml_problem("<div>" + html + "</div>"), "");
  const std::string per_class = report::classification_report_html(nn::train::classification_report(cm), {});
  EXPECT_NE(per_class.find("0.6667"), std::string::npos);
  EXPECT_NE(per_class.find("macro average"), std::string::npos);
  const std::string svg = report::confusion_matrix_svg(cm, {"cat", "dog", "bird"});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(count(svg, "<rect"), 1u + 9u);
}

TEST(ReportMetricsFile, RoundTripsAndNamesBadLines) {
  auto h = sample_history(4, false);
  const std::string text = report::metrics_jsonl(h);
  EXPECT_NE(text.find("\"val_loss\":null"), std::string::npos);
  const auto back = report::parse_metrics_jsonl(text);
  ASSERT_EQ(back.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(back[i].epoch, h[i].epoch);
    EXPECT_DOUBLE_EQ(back[i].train_loss, h[i].train_loss);
    EXPECT_DOUBLE_EQ(back[i].lr, h[i].lr);
    EXPECT_TRUE(std::isnan(back[i].val_loss));
    EXPECT_EQ(back[i].samples, 1000);
  }
  EXPECT_HAS(error_of([&] { report::parse_metrics_jsonl("{\"epoch\": 1}\n{oops\n", "run/metrics.jsonl"); }),
             "run/metrics.jsonl: line 2");
  EXPECT_THROW(report::parse_metrics_jsonl("{\"loss\": 1}\n"), nn::Error);
}

TEST(Report, WritesASelfContainedPageAndEveryPicture) {
  const TempDir tmp;
  const fs::path dir = tmp / "full";
  report::ReportContent c;
  c.subtitle = "moons <test>";
  c.summary = {{"final accuracy", "99%"}};
  c.settings = {{"data", "moons"}, {"seed", "42"}};
  c.timing = {{"training time", "1.0 s"}};
  c.history = sample_history(8);
  const auto moons = nn::data::make_moons(200, 0.1, 3);
  c.regions = report::decision_regions(
      [](const Tensor& x, std::span<int32_t> out) {
        for (int64_t i = 0; i < x.dim(0); ++i) out[static_cast<size_t>(i)] = x.at(i, 1) < 0.25f ? 1 : 0;
      },
      moons, {.grid = 80});
  std::vector<int32_t> pred(moons.labels());
  pred[0] = 1 - pred[0];
  c.confusion = nn::train::confusion_matrix(pred, nn::Labels(moons.labels()), 2);
  std::vector<uint8_t> pixels(4 * 784, 128);
  c.images = report::image_grid(nn::data::Dataset::classification_u8(pixels, Shape{28, 28}, {0, 1, 0, 1}, 2),
                                std::vector<int32_t>{0, 1, 1, 1});
  c.extra.push_back({"perceptron_errors", "Perceptron", report::epoch_chart_svg(std::vector<double>{3, 1, 0}, {}), std::nullopt, ""});

  const auto written = report::write_report(dir, c);
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.back(), dir / "report.html");
  for (const char* f : {"loss.svg", "accuracy.svg", "lr.svg", "decision_regions.svg", "decision_regions.png",
                        "confusion_matrix.svg", "image_grid.svg", "image_grid.png", "perceptron_errors.svg", "report.html"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  for (const auto& p : written) {
    const std::string text = read_file(p);
    if (p.extension() == ".svg") {
      EXPECT_EQ(xml_problem(text), "") << p;
    } else if (p.extension() == ".png") {
      EXPECT_GT(report::decode_png(text, p.string()).width, 0) << p;
    }
  }
  // No temporary files left behind.
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();

  const std::string html = read_file(dir / "report.html");
  EXPECT_EQ(html.find("http:"), std::string::npos);
  EXPECT_EQ(html.find("https:"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(count(html, "href=\""), count(html, "href=\"data:image/png;base64,"));
  EXPECT_NE(html.find("moons &lt;test&gt;"), std::string::npos);
  for (const char* id : {"id=\"fig-loss\"", "id=\"fig-accuracy\"", "id=\"fig-lr\"", "id=\"fig-decision_regions\"",
                         "id=\"fig-image_grid\"", "id=\"fig-perceptron_errors\"", "class=\"confusion\"", "class=\"perclass\"",
                         "id=\"settings\"", "id=\"timing\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  // The page body (after the doctype) is well-formed XML too: every tag closed.
  EXPECT_EQ(xml_problem(html.substr(html.find("<html"))), "");
  // Same content, same bytes.
  const fs::path dir2 = tmp / "again";
  report::write_report(dir2, c);
  EXPECT_EQ(read_file(dir2 / "report.html"), html);
  EXPECT_EQ(read_file(dir2 / "decision_regions.png"), read_file(dir / "decision_regions.png"));
}

}  // namespace
