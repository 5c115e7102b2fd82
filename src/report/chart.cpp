#include "nn/report/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "nn/error.hpp"

namespace nn::report {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// A step of 1, 2 or 5 x 10^k near `raw`.
double nice_step(double raw) {
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  return (r < 1.5 ? 1.0 : r < 3.0 ? 2.0 : r < 7.0 ? 5.0 : 10.0) * mag;
}

// Rounds v to a multiple of step (no 0.30000000000000004, no -0).
double snap(double v, double step) {
  double s = std::round(v / step) * step;
  if (std::fabs(s) < step * 1e-9) s = 0.0;
  return s;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  if (s == "-0.00") s = "0.00";
  return s;
}

}  // namespace

Ticks nice_ticks(double lo, double hi, int target) {
  NN_CHECK(std::isfinite(lo) && std::isfinite(hi), "nice_ticks: expected a finite range, found [", lo, ", ", hi, "]");
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= std::max(std::fabs(lo), std::fabs(hi)) * 1e-12) {
    const double pad = lo == 0.0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  target = std::max(target, 2);
  const double step = nice_step((hi - lo) / target);
  Ticks t;
  t.step = step;
  t.lo = snap(std::floor(lo / step + 1e-9) * step, step);
  t.hi = snap(std::ceil(hi / step - 1e-9) * step, step);
  const auto n = static_cast<int64_t>(std::llround((t.hi - t.lo) / step));
  for (int64_t i = 0; i <= n; ++i) t.values.push_back(snap(t.lo + static_cast<double>(i) * step, step));
  return t;
}

Ticks log_ticks(double lo, double hi) {
  NN_CHECK(lo > 0.0 && hi > 0.0 && std::isfinite(lo) && std::isfinite(hi), "log_ticks: expected a positive range, found [",
           lo, ", ", hi, "]");
  if (lo > hi) std::swap(lo, hi);
  const double e0 = std::floor(std::log10(lo) + 1e-9), e1 = std::ceil(std::log10(hi) - 1e-9);
  Ticks t;
  t.lo = std::pow(10.0, e0);
  t.hi = std::pow(10.0, std::max(e1, e0 + 1));
  t.step = 0.0;  // labels use their own magnitude
  const bool dense = e1 - e0 <= 2;
  for (double e = e0; e <= std::max(e1, e0 + 1) + 1e-9; e += 1.0) {
    const double p = std::pow(10.0, e);
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !dense) continue;
      const double v = m * p;
      if (v >= t.lo * (1 - 1e-9) && v <= t.hi * (1 + 1e-9)) t.values.push_back(v);
    }
  }
  // Trim the range to the data where a 2 or 5 tick bounds it more tightly.
  if (dense) {
    double new_lo = t.lo, new_hi = t.hi;
    for (double v : t.values)
      if (v <= lo * (1 + 1e-9)) new_lo = v;
    for (auto it = t.values.rbegin(); it != t.values.rend(); ++it)
      if (*it >= hi * (1 - 1e-9)) new_hi = *it;
    std::erase_if(t.values, [&](double v) { return v < new_lo * (1 - 1e-9) || v > new_hi * (1 + 1e-9); });
    t.lo = new_lo;
    t.hi = new_hi;
  }
  return t;
}

std::string format_tick(double value, double step) {
  if (value == 0.0) return "0";
  const double a = std::fabs(value);
  char buf[48];
  const double ref = step > 0.0 ? step : a;
  if (ref < 1e-4 || a >= 1e6) {
    // m e k with the mantissa's digits the value needs.
    int e = static_cast<int>(std::floor(std::log10(a) + 1e-9));
    double m = value / std::pow(10.0, e);
    if (std::fabs(m) >= 9.9995) {
      m /= 10.0;
      ++e;
    }
    std::snprintf(buf, sizeof buf, "%.3g", m);
    std::string s = buf;
    return s + "e" + std::to_string(e);
  }
  int decimals = step > 0.0 ? static_cast<int>(std::max(0.0, -std::floor(std::log10(step) + 1e-9)))
                            : static_cast<int>(std::max(0.0, -std::floor(std::log10(a) + 1e-9)));
  decimals = std::min(decimals, 8);
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string line_chart_svg(std::span<const Series> series, const ChartOptions& o) {
  for (const Series& s : series)
    NN_CHECK(s.x.size() == s.y.size(), "line_chart_svg: series '", s.name, "' has ", s.x.size(), " x values and ",
             s.y.size(), " y values");
  // Data ranges over finite points.
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  bool all_positive = true;
  for (const Series& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
      if (s.y[i] <= 0.0) all_positive = false;
    }
  const bool has_data = xmin <= xmax;
  if (!has_data) {
    xmin = 0.0;
    xmax = 1.0;
    ymin = 0.0;
    ymax = 1.0;
  }
  if (o.y_min) ymin = *o.y_min;
  if (o.y_max) ymax = *o.y_max;
  const bool log_y = o.log_y.value_or(has_data && all_positive && ymin > 0.0 && ymax / ymin > 50.0) && ymin > 0.0;

  Ticks xt;
  if (o.integer_x && xmax - xmin < 1.0) {
    const double c = std::round((xmin + xmax) / 2.0);
    xt = {c - 0.5, c + 0.5, 1.0, {c}};
  } else {
    xt = nice_ticks(xmin, xmax, 8);
    if (o.integer_x && xt.step < 1.0) xt = nice_ticks(std::floor(xmin), std::ceil(xmax), static_cast<int>(std::ceil(xmax - xmin)));
    // Epochs: the axis runs from the first to the last one, not on to the next round tick.
    if (o.integer_x && has_data) {
      xt.lo = xmin;
      xt.hi = xmax;
      std::erase_if(xt.values, [&](double v) { return v < xmin - 1e-9 || v > xmax + 1e-9; });
    }
  }
  Ticks yt;
  if (log_y) {
    yt = log_ticks(ymin, ymax);
  } else {
    yt = nice_ticks(ymin, ymax, 6);
    // Keep within the floor/ceiling (accuracy in [0, 1]) when the ticks overshoot it.
    if (o.y_floor && yt.lo < *o.y_floor && ymin >= *o.y_floor) {
      yt.lo = *o.y_floor;
      std::erase_if(yt.values, [&](double v) { return v < *o.y_floor - 1e-12; });
    }
    if (o.y_ceil && yt.hi > *o.y_ceil && ymax <= *o.y_ceil) {
      yt.hi = *o.y_ceil;
      std::erase_if(yt.values, [&](double v) { return v > *o.y_ceil + 1e-12; });
    }
  }

  const bool has_legend = std::any_of(series.begin(), series.end(), [](const Series& s) { return !s.name.empty(); });
  const double W = o.width, H = o.height;
  const double left = 78, right = 24, top = has_legend ? 66 : 44, bottom = 56;
  const double pw = W - left - right, ph = H - top - bottom;
  auto px = [&](double x) { return left + (x - xt.lo) / (xt.hi - xt.lo) * pw; };
  auto py = [&](double y) {
    const double f = log_y ? (std::log10(y) - std::log10(yt.lo)) / (std::log10(yt.hi) - std::log10(yt.lo))
                           : (y - yt.lo) / (yt.hi - yt.lo);
    return top + (1.0 - f) * ph;
  };

  std::ostringstream s;
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height
    << "\" viewBox=\"0 0 " << o.width << " " << o.height
    << "\" font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"12\" role=\"img\">\n";
  s << "<title>" << xml_escape(o.title) << "</title>\n";
  s << "<rect x=\"0\" y=\"0\" width=\"" << o.width << "\" height=\"" << o.height << "\" fill=\"#ffffff\"/>\n";
  s << "<text x=\"" << num(left + pw / 2) << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\" fill=\"#222222\">"
    << xml_escape(o.title) << "</text>\n";
  // Grid and ticks.
  s << "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n";
  for (double v : yt.values) s << "<line x1=\"" << num(left) << "\" x2=\"" << num(left + pw) << "\" y1=\"" << num(py(v)) << "\" y2=\"" << num(py(v)) << "\"/>\n";
  for (double v : xt.values) s << "<line x1=\"" << num(px(v)) << "\" x2=\"" << num(px(v)) << "\" y1=\"" << num(top) << "\" y2=\"" << num(top + ph) << "\"/>\n";
  s << "</g>\n";
  s << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(pw) << "\" height=\"" << num(ph)
    << "\" fill=\"none\" stroke=\"#444444\" stroke-width=\"1\"/>\n";
  s << "<g fill=\"#333333\">\n";
  for (double v : yt.values) {
    const double step = log_y ? 0.0 : yt.step * o.y_scale;
    s << "<line x1=\"" << num(left - 5) << "\" x2=\"" << num(left) << "\" y1=\"" << num(py(v)) << "\" y2=\"" << num(py(v))
      << "\" stroke=\"#444444\"/>";
    s << "<text x=\"" << num(left - 8) << "\" y=\"" << num(py(v) + 4) << "\" text-anchor=\"end\">"
      << xml_escape(format_tick(v * o.y_scale, step)) << "</text>\n";
  }
  for (double v : xt.values) {
    s << "<line x1=\"" << num(px(v)) << "\" x2=\"" << num(px(v)) << "\" y1=\"" << num(top + ph) << "\" y2=\""
      << num(top + ph + 5) << "\" stroke=\"#444444\"/>";
    s << "<text x=\"" << num(px(v)) << "\" y=\"" << num(top + ph + 19) << "\" text-anchor=\"middle\">"
      << xml_escape(format_tick(v, xt.step)) << "</text>\n";
  }
  s << "</g>\n";
  s << "<text x=\"" << num(left + pw / 2) << "\" y=\"" << num(H - 12) << "\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\">"
    << xml_escape(o.x_label) << "</text>\n";
  s << "<text transform=\"translate(18 " << num(top + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\">"
    << xml_escape(o.y_label) << (log_y ? " (log scale)" : "") << "</text>\n";

  // The series.
  for (const Series& se : series) {
    const std::string color = hex(se.color);
    const std::string dash = se.dashed ? " stroke-dasharray=\"7 4\"" : "";
    std::vector<std::string> runs(1);
    size_t points = 0;
    for (size_t i = 0; i < se.x.size(); ++i) {
      const bool ok = std::isfinite(se.x[i]) && std::isfinite(se.y[i]) && (!log_y || se.y[i] > 0.0);
      if (!ok) {
        if (!runs.back().empty()) runs.emplace_back();
        continue;
      }
      ++points;
      if (!runs.back().empty()) runs.back() += ' ';
      runs.back() += num(px(se.x[i])) + "," + num(py(se.y[i]));
    }
    for (const std::string& r : runs)
      if (!r.empty())
        s << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2.2\" stroke-linejoin=\"round\"" << dash
          << " points=\"" << r << "\"/>\n";
    if (se.markers.value_or(points <= 40)) {
      s << "<g fill=\"" << color << "\" stroke=\"#ffffff\" stroke-width=\"1\">";
      for (size_t i = 0; i < se.x.size(); ++i)
        if (std::isfinite(se.x[i]) && std::isfinite(se.y[i]) && (!log_y || se.y[i] > 0.0))
          s << "<circle cx=\"" << num(px(se.x[i])) << "\" cy=\"" << num(py(se.y[i])) << "\" r=\"3.5\"/>";
      s << "</g>\n";
    }
  }

  // Legend: one row under the title, outside the plot so that it never hides data.
  if (has_legend) {
    double width = 0;
    for (const Series& se : series)
      if (!se.name.empty()) width += 34 + 7.2 * static_cast<double>(se.name.size()) + 18;
    double x = left + pw / 2 - width / 2;
    const double y = 46;
    for (const Series& se : series) {
      if (se.name.empty()) continue;
      const std::string color = hex(se.color);
      s << "<line x1=\"" << num(x) << "\" x2=\"" << num(x + 26) << "\" y1=\"" << num(y) << "\" y2=\"" << num(y)
        << "\" stroke=\"" << color << "\" stroke-width=\"2.5\"" << (se.dashed ? " stroke-dasharray=\"7 4\"" : "")
        << "/><circle cx=\"" << num(x + 13) << "\" cy=\"" << num(y) << "\" r=\"3.5\" fill=\"" << color
        << "\" stroke=\"#ffffff\"/>";
      s << "<text x=\"" << num(x + 32) << "\" y=\"" << num(y + 4) << "\" fill=\"#222222\">" << xml_escape(se.name)
        << "</text>\n";
      x += 34 + 7.2 * static_cast<double>(se.name.size()) + 18;
    }
  }
  if (!has_data)
    s << "<text x=\"" << num(left + pw / 2) << "\" y=\"" << num(top + ph / 2) << "\" text-anchor=\"middle\" fill=\"#777777\">no data</text>\n";
  s << "</svg>\n";
  return s.str();
}

std::string epoch_chart_svg(std::span<const double> values, const ChartOptions& options, Rgb color) {
  Series s;
  s.color = color;
  s.markers = true;
  for (size_t i = 0; i < values.size(); ++i) {
    s.x.push_back(static_cast<double>(i + 1));
    s.y.push_back(values[i]);
  }
  return line_chart_svg(std::span<const Series>(&s, 1), options);
}

std::string_view svg_element(std::string_view doc) {
  const size_t start = doc.find("<svg");
  return start == std::string_view::npos ? doc : doc.substr(start);
}

}  // namespace nn::report
