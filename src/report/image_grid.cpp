#include "nn/report/image_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "nn/error.hpp"
#include "nn/report/chart.hpp"

namespace nn::report {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

constexpr Rgb kWrong{213, 94, 0};  // Okabe-Ito vermillion
constexpr Rgb kRight{190, 190, 190};

}  // namespace

ImageGrid image_grid(const data::Dataset& images, std::span<const int32_t> predicted, const ImageGridOptions& o) {
  const Shape& shape = images.sample_shape();
  int64_t channels = 1, h = 0, w = 0;
  if (shape.rank() == 3 && (shape[0] == 1 || shape[0] == 3)) {
    channels = shape[0];
    h = shape[1];
    w = shape[2];
  } else if (shape.rank() == 2) {
    h = shape[0];
    w = shape[1];
  } else if (shape.rank() == 1 && shape[0] == 784) {
    h = w = 28;
  }
  NN_CHECK(images.is_classification() && h > 0 && w > 0 && h <= 512 && w <= 512,
           "image_grid: expected a classification dataset of [H, W], [1, H, W], [3, H, W] or 784-feature samples, found ",
           shape.str(), images.is_classification() ? "" : " (regression)");
  NN_CHECK(o.rows >= 1 && o.cols >= 1 && o.scale >= 1 && o.scale <= 16, "image_grid: expected rows, cols >= 1 and scale in 1..16, found ",
           o.rows, "x", o.cols, ", scale ", o.scale);
  ImageGrid g;
  g.shown = std::min(images.size(), o.rows * o.cols);
  NN_CHECK(static_cast<int64_t>(predicted.size()) >= g.shown, "image_grid: expected a prediction for each of the ", g.shown,
           " images shown, found ", predicted.size());
  const int64_t rows = std::max<int64_t>(1, (g.shown + o.cols - 1) / o.cols), cols = std::min(o.cols, std::max<int64_t>(g.shown, 1));

  // Grey levels from the range of the images shown.
  float lo = 0.0f, hi = 0.0f;
  bool first = true;
  for (int64_t i = 0; i < g.shown; ++i)
    for (int64_t j = 0; j < images.sample_numel(); ++j) {
      const float v = images.feature(i, j);
      if (!std::isfinite(v)) continue;
      if (first) lo = hi = v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      first = false;
    }
  const float span = hi > lo ? hi - lo : 1.0f;
  auto tile = [&](int64_t i) {
    Image t(w, h);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        auto level = [&](int64_t c) {
          const float v = images.feature(i, (c * h + y) * w + x);
          return static_cast<uint8_t>(std::clamp(std::lround((std::isfinite(v) ? v - lo : 0.0f) / span * 255.0f), 0L, 255L));
        };
        t.set(x, y, channels == 3 ? Rgb{level(0), level(1), level(2)} : Rgb{level(0), level(0), level(0)});
      }
    return t;
  };
  auto truth = [&](int64_t i) { return images.labels()[static_cast<size_t>(i)]; };
  std::vector<std::string> names = o.class_names.empty() ? images.class_names : o.class_names;
  auto name = [&](int32_t c) {
    return c >= 0 && static_cast<size_t>(c) < names.size() ? names[static_cast<size_t>(c)] : std::to_string(c);
  };

  // The PNG: tiles of scale x scale pixels in a frame, 4 pixels apart.
  const int64_t frame = std::max<int64_t>(2, o.scale), tw = w * o.scale + 2 * frame, th = h * o.scale + 2 * frame, gap = 4;
  g.picture = Image(cols * (tw + gap) + gap, rows * (th + gap) + gap);
  for (int64_t i = 0; i < g.shown; ++i) {
    const int64_t x0 = gap + (i % o.cols) * (tw + gap), y0 = gap + (i / o.cols) * (th + gap);
    const bool wrong = predicted[static_cast<size_t>(i)] != truth(i);
    g.wrong += wrong;
    g.picture.frame(x0, y0, x0 + tw, y0 + th, wrong ? frame : 1, wrong ? kWrong : kRight);
    const Image t = tile(i);
    for (int64_t y = 0; y < h * o.scale; ++y)
      for (int64_t x = 0; x < w * o.scale; ++x) g.picture.set(x0 + frame + x, y0 + frame + y, t.at(x / o.scale, y / o.scale));
  }

  // The SVG: each image embedded, with its labels under it.
  const double cell_w = std::max<double>(static_cast<double>(tw) + 20, 118), cell_h = static_cast<double>(th) + 40;
  const double left = 12, top = 58;
  const double W = left * 2 + cell_w * static_cast<double>(cols), H = top + cell_h * static_cast<double>(rows) + 8;
  std::ostringstream s;
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(W) << "\" height=\"" << num(H) << "\" viewBox=\"0 0 "
    << num(W) << " " << num(H) << "\" font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"11\" role=\"img\">\n";
  s << "<title>" << xml_escape(o.title) << "</title>\n";
  s << "<rect x=\"0\" y=\"0\" width=\"" << num(W) << "\" height=\"" << num(H) << "\" fill=\"#ffffff\"/>\n";
  s << "<text x=\"" << num(W / 2) << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\" fill=\"#222222\">"
    << xml_escape(o.title) << "</text>\n";
  s << "<text x=\"" << num(W / 2) << "\" y=\"42\" text-anchor=\"middle\" font-size=\"12\" fill=\"#444444\">"
    << "Predicted class under each image; " << g.wrong << " of " << g.shown
    << " wrong, framed in vermillion with the true class below</text>\n";
  for (int64_t i = 0; i < g.shown; ++i) {
    const double cx = left + cell_w * static_cast<double>(i % o.cols) + cell_w / 2;
    const double y0 = top + cell_h * static_cast<double>(i / o.cols);
    const double x0 = cx - static_cast<double>(tw) / 2;
    const int32_t p = predicted[static_cast<size_t>(i)], t = truth(i);
    const bool wrong = p != t;
    if (wrong)
      s << "<rect x=\"" << num(x0 + frame / 2.0) << "\" y=\"" << num(y0 + frame / 2.0) << "\" width=\"" << num(tw - frame)
        << "\" height=\"" << num(th - frame) << "\" fill=\"none\" stroke=\"" << hex(kWrong) << "\" stroke-width=\"" << frame << "\"/>";
    else
      s << "<rect x=\"" << num(x0 + 0.5) << "\" y=\"" << num(y0 + 0.5) << "\" width=\"" << num(tw - 1) << "\" height=\""
        << num(th - 1) << "\" fill=\"none\" stroke=\"" << hex(kRight) << "\" stroke-width=\"1\"/>";
    s << "<image x=\"" << num(x0 + frame) << "\" y=\"" << num(y0 + frame) << "\" width=\"" << w * o.scale << "\" height=\""
      << h * o.scale << "\" style=\"image-rendering:pixelated\" href=\"" << data_uri("image/png", encode_png(tile(i)))
      << "\"/>";
    s << "<text x=\"" << num(cx) << "\" y=\"" << num(y0 + th + 14) << "\" text-anchor=\"middle\" fill=\""
      << (wrong ? "#a34700" : "#222222") << "\"" << (wrong ? " font-weight=\"bold\"" : "") << ">" << xml_escape(name(p))
      << "</text>";
    if (wrong)
      s << "<text x=\"" << num(cx) << "\" y=\"" << num(y0 + th + 28) << "\" text-anchor=\"middle\" fill=\"#555555\">true: "
        << xml_escape(name(t)) << "</text>";
    s << "\n";
  }
  s << "</svg>\n";
  g.svg = s.str();
  return g;
}

}  // namespace nn::report
