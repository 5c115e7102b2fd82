#include "nn/report/decision_regions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "nn/error.hpp"
#include "nn/report/chart.hpp"

namespace nn::report {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  return s == "-0.00" ? "0.00" : s;
}

Rgb region_color(int64_t c) { return mix(category_color(c), Rgb{255, 255, 255}, 0.55); }
constexpr Rgb kEdge{34, 34, 34};

}  // namespace

DecisionRegions decision_regions(const Classifier& classify, const data::Dataset& points,
                                 const DecisionRegionOptions& o) {
  NN_CHECK(points.is_classification() && points.sample_numel() == 2 && !points.empty(),
           "decision_regions: expected a non-empty classification dataset of 2 features, found ", points.size(),
           " samples of ", points.sample_shape().str(), points.is_classification() ? "" : " (regression)");
  NN_CHECK(o.grid >= 2 && o.grid <= 4096 && o.batch >= 1 && o.pixel_scale >= 1 && o.pixel_scale <= 16,
           "decision_regions: expected grid in 2..4096, batch >= 1, pixel_scale in 1..16, found grid ", o.grid,
           ", batch ", o.batch, ", pixel_scale ", o.pixel_scale);
  DecisionRegions r;
  // The extent: the data's range widened by the margin on each side.
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (int64_t i = 0; i < points.size(); ++i) {
    const double a = points.feature(i, 0), b = points.feature(i, 1);
    if (!std::isfinite(a) || !std::isfinite(b)) continue;
    xmin = std::min(xmin, a);
    xmax = std::max(xmax, a);
    ymin = std::min(ymin, b);
    ymax = std::max(ymax, b);
  }
  NN_CHECK(xmin <= xmax, "decision_regions: ", points.name, " has no finite points");
  auto widen = [&](double& lo, double& hi) {
    const double span = hi - lo > 0 ? hi - lo : std::max(1.0, std::fabs(lo));
    lo -= span * o.margin;
    hi += span * o.margin;
  };
  widen(xmin, xmax);
  widen(ymin, ymax);
  r.x0 = xmin;
  r.x1 = xmax;
  r.y0 = ymin;
  r.y1 = ymax;
  r.grid = o.grid;

  // Predictions over the grid, in batches.
  const int64_t n = o.grid * o.grid;
  r.classes.assign(static_cast<size_t>(n), 0);
  Tensor batch;
  const double dx = (r.x1 - r.x0) / static_cast<double>(o.grid), dy = (r.y1 - r.y0) / static_cast<double>(o.grid);
  for (int64_t start = 0; start < n; start += o.batch) {
    const int64_t b = std::min(o.batch, n - start);
    batch.resize(Shape{b, 2});
    float* p = batch.data();
    for (int64_t k = 0; k < b; ++k) {
      const int64_t row = (start + k) / o.grid, col = (start + k) % o.grid;
      p[2 * k] = static_cast<float>(r.x0 + (static_cast<double>(col) + 0.5) * dx);
      p[2 * k + 1] = static_cast<float>(r.y1 - (static_cast<double>(row) + 0.5) * dy);
    }
    classify(batch, std::span<int32_t>(r.classes.data() + start, static_cast<size_t>(b)));
  }
  int64_t num_classes = points.num_classes();
  for (int32_t c : r.classes) {
    NN_CHECK(c >= 0 && c < 1024, "decision_regions: expected classes in 0..1023 from the classifier, found ", c);
    num_classes = std::max<int64_t>(num_classes, c + 1);
  }
  r.num_classes = num_classes;

  // The regions, with a dark line where neighbouring cells differ.
  const int64_t s = o.pixel_scale, size = o.grid * s;
  r.regions = Image(size, size);
  auto cls = [&](int64_t row, int64_t col) { return r.classes[static_cast<size_t>(row * o.grid + col)]; };
  for (int64_t row = 0; row < o.grid; ++row)
    for (int64_t col = 0; col < o.grid; ++col)
      r.regions.fill_rect(col * s, row * s, (col + 1) * s, (row + 1) * s, region_color(cls(row, col)));
  const Rgb line{60, 60, 60};
  for (int64_t row = 0; row < o.grid; ++row)
    for (int64_t col = 0; col < o.grid; ++col) {
      if (col + 1 < o.grid && cls(row, col) != cls(row, col + 1))
        for (int64_t y = row * s; y < (row + 1) * s; ++y) r.regions.blend((col + 1) * s - 1, y, line, 0.6);
      if (row + 1 < o.grid && cls(row, col) != cls(row + 1, col))
        for (int64_t x = col * s; x < (col + 1) * s; ++x) r.regions.blend(x, (row + 1) * s - 1, line, 0.6);
    }

  // The points to draw: at most max_points, evenly strided.
  std::vector<int64_t> shown;
  const int64_t limit = std::max<int64_t>(1, o.max_points);
  const int64_t count = std::min(limit, points.size());
  for (int64_t k = 0; k < count; ++k) shown.push_back(k * points.size() / count);
  r.picture = r.regions;
  // Fewer points, bigger circles.
  const double svg_radius = count <= 100 ? 7.0 : count <= 400 ? 5.0 : 4.0;
  const double radius = svg_radius * static_cast<double>(size) / 480.0;
  auto to_px = [&](double v, double lo, double hi) { return (v - lo) / (hi - lo) * static_cast<double>(size); };
  for (int64_t i : shown) {
    const double a = points.feature(i, 0), b = points.feature(i, 1);
    if (!std::isfinite(a) || !std::isfinite(b)) continue;
    const int32_t label = points.labels()[static_cast<size_t>(i)];
    r.picture.circle(to_px(a, r.x0, r.x1), static_cast<double>(size) - to_px(b, r.y0, r.y1), radius,
                     category_color(label), kEdge, std::max(1.0, 0.5 * static_cast<double>(s)));
  }

  // The SVG: the regions as an embedded PNG, the points as circles, axes, legend.
  std::vector<std::string> names = o.class_names.empty() ? points.class_names : o.class_names;
  for (int64_t c = static_cast<int64_t>(names.size()); c < num_classes; ++c) names.push_back("class " + std::to_string(c));
  const double left = 74, top = 66, plot = 480, right = 24, bottom = 58;
  const double W = left + plot + right, H = top + plot + bottom;
  auto sx = [&](double v) { return left + (v - r.x0) / (r.x1 - r.x0) * plot; };
  auto sy = [&](double v) { return top + (1.0 - (v - r.y0) / (r.y1 - r.y0)) * plot; };
  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
      << " " << H << "\" font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"12\" role=\"img\">\n";
  svg << "<title>" << xml_escape(o.title) << "</title>\n";
  svg << "<rect x=\"0\" y=\"0\" width=\"" << W << "\" height=\"" << H << "\" fill=\"#ffffff\"/>\n";
  svg << "<text x=\"" << num(left + plot / 2) << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\" fill=\"#222222\">"
      << xml_escape(o.title) << "</text>\n";
  svg << "<image x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(plot) << "\" height=\"" << num(plot)
      << "\" preserveAspectRatio=\"none\" href=\"" << data_uri("image/png", encode_png(r.regions)) << "\"/>\n";
  svg << "<g stroke=\"" << hex(kEdge) << "\" stroke-width=\"0.9\">";
  for (int64_t i : shown) {
    const double a = points.feature(i, 0), b = points.feature(i, 1);
    if (!std::isfinite(a) || !std::isfinite(b)) continue;
    svg << "<circle cx=\"" << num(sx(a)) << "\" cy=\"" << num(sy(b)) << "\" r=\"" << num(svg_radius) << "\" fill=\""
        << hex(category_color(points.labels()[static_cast<size_t>(i)])) << "\"/>";
  }
  svg << "</g>\n";
  svg << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(plot) << "\" height=\"" << num(plot)
      << "\" fill=\"none\" stroke=\"#444444\"/>\n";
  // Ticks inside the extent.
  svg << "<g fill=\"#333333\">\n";
  const Ticks xt = nice_ticks(r.x0, r.x1, 7), yt = nice_ticks(r.y0, r.y1, 7);
  for (double v : xt.values) {
    if (v < r.x0 || v > r.x1) continue;
    svg << "<line x1=\"" << num(sx(v)) << "\" x2=\"" << num(sx(v)) << "\" y1=\"" << num(top + plot) << "\" y2=\""
        << num(top + plot + 5) << "\" stroke=\"#444444\"/><text x=\"" << num(sx(v)) << "\" y=\"" << num(top + plot + 19)
        << "\" text-anchor=\"middle\">" << xml_escape(format_tick(v, xt.step)) << "</text>\n";
  }
  for (double v : yt.values) {
    if (v < r.y0 || v > r.y1) continue;
    svg << "<line x1=\"" << num(left - 5) << "\" x2=\"" << num(left) << "\" y1=\"" << num(sy(v)) << "\" y2=\"" << num(sy(v))
        << "\" stroke=\"#444444\"/><text x=\"" << num(left - 8) << "\" y=\"" << num(sy(v) + 4)
        << "\" text-anchor=\"end\">" << xml_escape(format_tick(v, yt.step)) << "</text>\n";
  }
  svg << "</g>\n";
  svg << "<text x=\"" << num(left + plot / 2) << "\" y=\"" << num(H - 14) << "\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\">"
      << xml_escape(o.x_label) << "</text>\n";
  svg << "<text transform=\"translate(18 " << num(top + plot / 2) << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\">"
      << xml_escape(o.y_label) << "</text>\n";
  // Legend row: a region swatch with the class's point on it.
  double width = 0;
  for (int64_t c = 0; c < num_classes; ++c) width += 30 + 7.2 * static_cast<double>(names[static_cast<size_t>(c)].size()) + 16;
  double x = std::max(8.0, left + plot / 2 - width / 2);
  for (int64_t c = 0; c < num_classes; ++c) {
    const std::string& name = names[static_cast<size_t>(c)];
    svg << "<rect x=\"" << num(x) << "\" y=\"38\" width=\"22\" height=\"16\" fill=\"" << hex(region_color(c))
        << "\" stroke=\"#888888\" stroke-width=\"0.5\"/><circle cx=\"" << num(x + 11) << "\" cy=\"46\" r=\"4\" fill=\""
        << hex(category_color(c)) << "\" stroke=\"" << hex(kEdge) << "\" stroke-width=\"0.9\"/><text x=\"" << num(x + 28)
        << "\" y=\"50\" fill=\"#222222\">" << xml_escape(name) << "</text>\n";
    x += 30 + 7.2 * static_cast<double>(name.size()) + 16;
  }
  svg << "</svg>\n";
  r.svg = svg.str();
  return r;
}

}  // namespace nn::report
