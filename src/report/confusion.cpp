#include "nn/report/confusion.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "nn/report/chart.hpp"
#include "nn/report/color.hpp"

namespace nn::report {

namespace {

std::string class_name(const std::vector<std::string>& names, int64_t c) {
  return c >= 0 && static_cast<size_t>(c) < names.size() ? names[static_cast<size_t>(c)] : std::to_string(c);
}

int64_t row_total(const train::ConfusionMatrix& cm, int64_t t) {
  int64_t s = 0;
  for (int64_t p = 0; p < cm.num_classes; ++p) s += cm.at(t, p);
  return s;
}

double fraction(const train::ConfusionMatrix& cm, int64_t t, int64_t p) {
  const int64_t total = row_total(cm, t);
  return total > 0 ? static_cast<double>(cm.at(t, p)) / static_cast<double>(total) : 0.0;
}

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string confusion_matrix_html(const train::ConfusionMatrix& cm, const std::vector<std::string>& names) {
  std::ostringstream s;
  s << "<table class=\"confusion\">\n<caption>Rows: true class; columns: predicted class. Colour: share of the row "
       "(viridis, 0% dark purple to 100% yellow).</caption>\n";
  s << "<tr><th class=\"corner\">true \\ predicted</th>";
  for (int64_t p = 0; p < cm.num_classes; ++p) s << "<th>" << xml_escape(class_name(names, p)) << "</th>";
  s << "<th>total</th></tr>\n";
  for (int64_t t = 0; t < cm.num_classes; ++t) {
    s << "<tr><th class=\"rowname\">" << xml_escape(class_name(names, t)) << "</th>";
    for (int64_t p = 0; p < cm.num_classes; ++p) {
      const double f = fraction(cm, t, p);
      const Rgb bg = viridis(f);
      s << "<td style=\"background:" << hex(bg) << ";color:" << hex(text_color_on(bg)) << "\" title=\""
        << fixed(100.0 * f, 1) << "% of " << xml_escape(class_name(names, t)) << "\">" << cm.at(t, p) << "</td>";
    }
    s << "<td class=\"total\">" << row_total(cm, t) << "</td></tr>\n";
  }
  s << "</table>\n";
  return s.str();
}

std::string classification_report_html(const train::ClassificationReport& r, const std::vector<std::string>& names) {
  std::ostringstream s;
  s << "<table class=\"perclass\">\n<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n";
  for (size_t c = 0; c < r.precision.size(); ++c)
    s << "<tr><td class=\"name\">" << xml_escape(class_name(names, static_cast<int64_t>(c))) << "</td><td>"
      << fixed(r.precision[c], 4) << "</td><td>" << fixed(r.recall[c], 4) << "</td><td>" << fixed(r.f1[c], 4) << "</td><td>"
      << r.support[c] << "</td></tr>\n";
  int64_t total = 0;
  for (int64_t v : r.support) total += v;
  s << "<tr class=\"avg\"><td class=\"name\">macro average</td><td>" << fixed(r.macro_precision, 4) << "</td><td>"
    << fixed(r.macro_recall, 4) << "</td><td>" << fixed(r.macro_f1, 4) << "</td><td>" << total << "</td></tr>\n";
  s << "<tr class=\"avg\"><td class=\"name\">accuracy</td><td colspan=\"3\">" << fixed(r.accuracy, 4) << "</td><td>" << total
    << "</td></tr>\n</table>\n";
  return s.str();
}

std::string confusion_matrix_svg(const train::ConfusionMatrix& cm, const std::vector<std::string>& names,
                                 const std::string& title) {
  const int64_t n = std::max<int64_t>(cm.num_classes, 1);
  size_t longest = 1;
  for (int64_t c = 0; c < cm.num_classes; ++c) longest = std::max(longest, class_name(names, c).size());
  const double label_w = 16 + 7.0 * static_cast<double>(longest);
  const double cell = std::clamp(440.0 / static_cast<double>(n), 30.0, 64.0);
  const double left = label_w + 34, top = 56 + label_w;
  const double W = left + cell * static_cast<double>(n) + 20, H = top + cell * static_cast<double>(n) + 20;
  auto num = [](double v) { return fixed(v, 1); };
  std::ostringstream s;
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(W) << "\" height=\"" << num(H) << "\" viewBox=\"0 0 "
    << num(W) << " " << num(H) << "\" font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"12\" role=\"img\">\n";
  s << "<title>" << xml_escape(title) << "</title>\n";
  s << "<rect x=\"0\" y=\"0\" width=\"" << num(W) << "\" height=\"" << num(H) << "\" fill=\"#ffffff\"/>\n";
  s << "<text x=\"" << num(W / 2) << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\" fill=\"#222222\">"
    << xml_escape(title) << "</text>\n";
  s << "<text x=\"" << num(left + cell * static_cast<double>(n) / 2) << "\" y=\"44\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\">predicted class</text>\n";
  s << "<text transform=\"translate(16 " << num(top + cell * static_cast<double>(n) / 2)
    << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\">true class</text>\n";
  const double font = std::min(12.0, cell / 3.2);
  for (int64_t t = 0; t < cm.num_classes; ++t) {
    const double y = top + cell * static_cast<double>(t);
    s << "<text x=\"" << num(left - 6) << "\" y=\"" << num(y + cell / 2 + 4) << "\" text-anchor=\"end\" fill=\"#222222\">"
      << xml_escape(class_name(names, t)) << "</text>\n";
    for (int64_t p = 0; p < cm.num_classes; ++p) {
      const double x = left + cell * static_cast<double>(p);
      const Rgb bg = viridis(fraction(cm, t, p));
      s << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(cell) << "\" height=\"" << num(cell)
        << "\" fill=\"" << hex(bg) << "\" stroke=\"#ffffff\" stroke-width=\"1\"/><text x=\"" << num(x + cell / 2) << "\" y=\""
        << num(y + cell / 2 + font / 3) << "\" text-anchor=\"middle\" font-size=\"" << num(font) << "\" fill=\""
        << hex(text_color_on(bg)) << "\">" << cm.at(t, p) << "</text>\n";
    }
  }
  for (int64_t p = 0; p < cm.num_classes; ++p) {
    const double x = left + cell * static_cast<double>(p) + cell / 2;
    s << "<text transform=\"translate(" << num(x + 4) << " " << num(top - 6) << ") rotate(-90)\" fill=\"#222222\">"
      << xml_escape(class_name(names, p)) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace nn::report
