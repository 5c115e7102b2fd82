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

#include "support/support.hpp"

namespace {

using nn::test::error_of;
using nn::test::read_file;
using nn::test::TempDir;

namespace fs = std::filesystem;
namespace report = nn::report;
using nn::Shape;
using nn::Tensor;

// ---- a small XML well-formedness check (elements nest and match, attributes are quoted, entities
// are known); returns "" when well-formed, else what is wrong and where.
std::string xml_problem(const std::string& s) {
  std::vector<std::string> stack;
  size_t i = 0;
  bool root_seen = false;
  auto entity_ok = [&](size_t at) {
    const size_t end = s.find(';', at);
    if (end == std::string::npos || end - at > 10) return false;
    const std::string e = s.substr(at + 1, end - at - 1);
    if (e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos") return true;
    return e.size() >= 2 && e[0] == '#';
  };
  while (i < s.size()) {
    if (s[i] == '<') {
      if (s.compare(i, 4, "<!--") == 0) {
        const size_t end = s.find("-->", i);
        if (end == std::string::npos) return "unterminated comment at " + std::to_string(i);
        i = end + 3;
        continue;
      }
      if (s.compare(i, 2, "<?") == 0) {
        const size_t end = s.find("?>", i);
        if (end == std::string::npos) return "unterminated declaration";
        i = end + 2;
        continue;
      }
      const bool closing = i + 1 < s.size() && s[i + 1] == '/';
      size_t j = i + (closing ? 2 : 1);
      const size_t name_start = j;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' || s[j] == ':' || s[j] == '_')) ++j;
      const std::string name = s.substr(name_start, j - name_start);
      if (name.empty()) return "empty tag name at " + std::to_string(i);
      if (closing) {
        while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        if (j >= s.size() || s[j] != '>') return "bad closing tag </" + name;
        if (stack.empty() || stack.back() != name) return "</" + name + "> closes " + (stack.empty() ? "nothing" : stack.back());
        stack.pop_back();
        i = j + 1;
        continue;
      }
      // Attributes: name="value" or name='value'.
      std::set<std::string> seen;
      while (true) {
        while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        if (j >= s.size()) return "unterminated tag <" + name;
        if (s[j] == '>' || s.compare(j, 2, "/>") == 0) break;
        const size_t a = j;
        while (j < s.size() && s[j] != '=' && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '>') ++j;
        const std::string attr = s.substr(a, j - a);
        if (attr.empty() || j >= s.size() || s[j] != '=') return "attribute without value in <" + name + ": " + attr;
        if (!seen.insert(attr).second) return "duplicate attribute " + attr + " in <" + name;
        ++j;
        if (j >= s.size() || (s[j] != '"' && s[j] != '\'')) return "unquoted attribute " + attr + " in <" + name;
        const char q = s[j];
        const size_t end = s.find(q, j + 1);
        if (end == std::string::npos) return "unterminated attribute " + attr;
        for (size_t k = j + 1; k < end; ++k) {
          if (s[k] == '<') return "'<' in attribute " + attr;
          if (s[k] == '&' && !entity_ok(k)) return "bad entity in attribute " + attr;
        }
        j = end + 1;
      }
      const bool self_closing = s[j] == '/';
      if (stack.empty()) {
        if (root_seen) return "second root element <" + name;
        root_seen = true;
      }
      if (!self_closing) stack.push_back(name);
      i = j + (self_closing ? 2 : 1);
      continue;
    }
    if (s[i] == '&' && !entity_ok(i)) return "bad entity at " + std::to_string(i);
    if (stack.empty() && !std::isspace(static_cast<unsigned char>(s[i]))) return "text outside the root at " + std::to_string(i);
    ++i;
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (!root_seen) return "no root element";
  return "";
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

size_t distinct_colors(const report::Image& img) {
  std::set<uint32_t> colors;
  for (size_t i = 0; i < img.rgb.size(); i += 3)
    colors.insert((uint32_t{img.rgb[i]} << 16) | (uint32_t{img.rgb[i + 1]} << 8) | img.rgb[i + 2]);
  return colors.size();
}

nn::train::History sample_history(int64_t epochs, bool validation = true) {
  nn::train::History h;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t e = 0; e < epochs; ++e) {
    nn::train::EpochRecord r;
    r.epoch = e;
    r.train_loss = 1.0 / static_cast<double>(e + 1);
    r.train_accuracy = 0.5 + 0.4 * static_cast<double>(e) / static_cast<double>(epochs);
    r.val_loss = validation ? 1.1 / static_cast<double>(e + 1) : nan;
    r.val_accuracy = validation ? 0.45 + 0.4 * static_cast<double>(e) / static_cast<double>(epochs) : nan;
    r.lr = 0.1 * std::pow(0.5, static_cast<double>(e / 3));
    r.seconds = 0.25;
    r.samples_per_second = 4000;
    r.samples = 1000;
    h.epochs.push_back(r);
  }
  return h;
}

TEST(ReportXmlCheck, RejectsWhatIsNotWellFormed) {
  EXPECT_EQ(xml_problem("<svg a=\"1\"><g/><text>a &amp; b</text></svg>"), "");
  EXPECT_NE(xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(xml_problem("<svg a=1></svg>"), "");
  EXPECT_NE(xml_problem("<svg><text>a & b</text></svg>"), "");
  EXPECT_NE(xml_problem("<svg></svg><svg></svg>"), "");
}

// ---- colours ------------------------------------------------------------------------------------

TEST(ReportColor, ViridisEndsAndReadableText) {
  EXPECT_EQ(report::hex(report::viridis(0.0)), "#440154");
  EXPECT_EQ(report::hex(report::viridis(1.0)), "#fde725");
  EXPECT_EQ(report::viridis(-1.0), report::viridis(0.0));
  EXPECT_EQ(report::viridis(std::nan("")), report::viridis(0.0));
  // Luminance rises along the map (readable in greyscale).
  for (int i = 0; i < 20; ++i)
    EXPECT_LT(report::luminance(report::viridis(i / 20.0)), report::luminance(report::viridis((i + 1) / 20.0)));
  EXPECT_EQ(report::text_color_on(report::viridis(0.0)), (report::Rgb{255, 255, 255}));
  EXPECT_EQ(report::text_color_on(report::viridis(1.0)), (report::Rgb{0, 0, 0}));
  std::set<std::string> seen;
  for (int i = 0; i < 12; ++i) seen.insert(report::hex(report::category_color(i)));
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_EQ(report::hex(report::category_color(0)), "#e69f00");  // Okabe-Ito orange
}

// ---- PNG and base64 -----------------------------------------------------------------------------

TEST(ReportImage, PngRoundTripIsExactAndDeterministic) {
  report::Image img(37, 23);
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x)
      img.set(x, y, {static_cast<uint8_t>(x * 7), static_cast<uint8_t>(y * 11), static_cast<uint8_t>((x + y) * 3)});
  img.circle(18, 11, 6, {255, 0, 0}, {0, 0, 0}, 1.5);
  const std::string png = report::encode_png(img);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(report::encode_png(img), png);
  const report::Image back = report::decode_png(png);
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 23);
  EXPECT_EQ(back.rgb, img.rgb);
}

TEST(ReportImage, BadPngIsAnErrorNamingIt) {
  EXPECT_HAS(error_of([&] { report::decode_png("not a png at all", "broken.png"); }), "broken.png");
  std::string truncated = report::encode_png(report::Image(8, 8, {1, 2, 3}));
  truncated.resize(truncated.size() / 2);
  EXPECT_THROW(report::decode_png(truncated), nn::Error);
  EXPECT_THROW(report::Image(0, 5), nn::Error);
}

TEST(ReportImage, CircleDrawsFillAndEdge) {
  report::Image img(40, 40);
  img.circle(20, 20, 8, {0, 200, 0}, {10, 10, 10}, 2);
  EXPECT_EQ(img.at(20, 20), (report::Rgb{0, 200, 0}));   // centre: fill
  EXPECT_EQ(img.at(13, 20), (report::Rgb{10, 10, 10}));  // on the ring
  EXPECT_EQ(img.at(2, 2), (report::Rgb{255, 255, 255}));  // outside
}

TEST(ReportImage, Base64MatchesRfc4648) {
  EXPECT_EQ(report::base64(""), "");
  EXPECT_EQ(report::base64("f"), "Zg==");
  EXPECT_EQ(report::base64("fo"), "Zm8=");
  EXPECT_EQ(report::base64("foo"), "Zm9v");
  EXPECT_EQ(report::base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(report::base64(std::string("\xff\x00\x10", 3)), "/wAQ");
  EXPECT_EQ(report::data_uri("image/png", "foo"), "data:image/png;base64,Zm9v");
}

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
