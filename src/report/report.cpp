#include "nn/report/report.hpp"

#include <algorithm>
#include <sstream>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/report/chart.hpp"
#include "nn/report/confusion.hpp"
#include "nn/report/curves.hpp"

namespace nn::report {

namespace {

constexpr const char* kStyle = R"(
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;color:#222;background:#fafafa;margin:0;padding:24px;line-height:1.4}
main{max-width:1240px;margin:0 auto}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:30px 0 10px;border-bottom:1px solid #ccc;padding-bottom:4px}
.sub{color:#555;margin:0 0 16px}
.figs{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;background:#fff;border:1px solid #ddd;padding:8px}
figcaption{font-size:13px;color:#555;max-width:560px;margin-top:4px}
svg{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;background:#fff;font-size:14px;display:block;max-width:100%;overflow-x:auto}
td{overflow-wrap:anywhere}
th,td{border:1px solid #ccc;padding:4px 8px}
th{background:#eee;text-align:left}
table.kv td:first-child{font-weight:bold;background:#f3f3f3}
table.confusion td{text-align:right;min-width:44px;font-variant-numeric:tabular-nums}
table.confusion th{font-size:12px}
table.confusion td.total{background:#f3f3f3;color:#222}
table.confusion caption{caption-side:bottom;font-size:13px;color:#555;text-align:left;padding-top:4px}
table.perclass td{text-align:right;font-variant-numeric:tabular-nums}
table.perclass td.name{text-align:left}
table.perclass tr.avg td{font-weight:bold;background:#f3f3f3}
.tables{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.tables>div{min-width:0;max-width:100%}
figure{max-width:100%;box-sizing:border-box;min-width:0}
.files{font-size:13px;color:#555}
table.layers td.n{text-align:right;font-variant-numeric:tabular-nums}
table.layers tr.total td{font-weight:bold;background:#f3f3f3}
)";

std::string esc(const std::string& s) { return xml_escape(s); }

std::string kv_table(const KeyValues& kv) {
  std::ostringstream s;
  s << "<table class=\"kv\">\n";
  for (const auto& [k, v] : kv) s << "<tr><td>" << esc(k) << "</td><td>" << esc(v) << "</td></tr>\n";
  s << "</table>\n";
  return s.str();
}

// The SVG element for inlining into HTML: no XML declaration, no namespace URL (HTML knows SVG).
std::string inline_svg(const std::string& doc) {
  std::string s(svg_element(doc));
  const std::string ns = " xmlns=\"http://www.w3.org/2000/svg\"";
  if (auto p = s.find(ns); p != std::string::npos && p < s.find('>')) s.erase(p, ns.size());
  return s;
}

std::string figure_html(const Figure& f) {
  std::ostringstream s;
  s << "<figure id=\"fig-" << esc(f.name) << "\">\n" << inline_svg(f.svg);
  s << "<figcaption>" << (f.caption.empty() ? "" : esc(f.caption) + " ") << "File: " << esc(f.name) << ".svg"
    << (f.png ? ", " + esc(f.name) + ".png" : std::string()) << "</figcaption>\n</figure>\n";
  return s.str();
}

const Figure* find(const std::vector<Figure>& figures, const std::string& name) {
  for (const Figure& f : figures)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace

std::vector<Figure> report_figures(const ReportContent& c) {
  std::vector<Figure> out;
  // Without a history (a classic neuron's report has its own per-epoch chart) there are no curves.
  if (!c.history.empty())
    out.push_back({"loss", "Loss", loss_chart_svg(c.history, "Loss per epoch"), std::nullopt,
                   "Mean loss per sample: training (solid) over each epoch's batches, validation (dashed) after the epoch."});
  if (std::string acc = accuracy_chart_svg(c.history, "Accuracy per epoch"); !acc.empty())
    out.push_back({"accuracy", "Accuracy", std::move(acc), std::nullopt,
                   "Training accuracy from the forward passes during the epoch; validation accuracy after it."});
  // A constant rate is one number (in the summary), not a chart.
  const std::vector<double> lr = c.history.series("lr");
  if (!std::all_of(lr.begin(), lr.end(), [&](double v) { return v == lr.front(); }))
    out.push_back({"lr", "Learning rate", lr_chart_svg(c.history, "Learning-rate schedule"), std::nullopt,
                   "The rate each epoch trained with."});
  if (c.regions)
    out.push_back({"decision_regions", "Decision regions", c.regions->svg, c.regions->picture,
                   "Predicted class over a " + std::to_string(c.regions->grid) + "x" + std::to_string(c.regions->grid) +
                       " grid, with the data points in their true class's colour."});
  if (c.confusion)
    out.push_back({"confusion_matrix", "Confusion matrix", confusion_matrix_svg(*c.confusion, c.class_names), std::nullopt,
                   "Counts; colour by share of the true class (row)."});
  if (c.images)
    out.push_back({"image_grid", "Test images", c.images->svg, c.images->picture,
                   std::to_string(c.images->wrong) + " of the " + std::to_string(c.images->shown) +
                       " images shown are misclassified."});
  for (const Figure& f : c.extra) out.push_back(f);
  return out;
}

std::string report_html(const ReportContent& c, const std::vector<Figure>& figures) {
  std::ostringstream s;
  s << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>"
    << esc(c.title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n<main>\n";
  s << "<h1>" << esc(c.title) << "</h1>\n";
  if (!c.subtitle.empty()) s << "<p class=\"sub\">" << esc(c.subtitle) << "</p>\n";
  if (!c.summary.empty()) s << "<h2 id=\"summary\">Summary</h2>\n" << kv_table(c.summary);

  if (!c.layers.empty()) {
    s << "<h2 id=\"model\">Model</h2>\n<table class=\"layers\">\n<tr><th>layer</th><th>type</th><th>output shape</th>"
         "<th>parameters</th></tr>\n";
    if (!c.input_shape.empty())
      s << "<tr><td>input</td><td></td><td>" << esc(c.input_shape) << "</td><td class=\"n\"></td></tr>\n";
    int64_t total = 0;
    for (const LayerRow& r : c.layers) {
      s << "<tr><td>" << esc(r.name) << "</td><td>" << esc(r.layer) << "</td><td>" << esc(r.output_shape)
        << "</td><td class=\"n\">" << r.parameters << "</td></tr>\n";
      total += r.parameters;
    }
    s << "<tr class=\"total\"><td>total</td><td></td><td></td><td class=\"n\">" << total << "</td></tr>\n</table>\n";
  }
  if (!c.history.empty()) {
    s << "<h2 id=\"curves\">Learning curves</h2>\n<div class=\"figs\">\n";
    for (const char* name : {"loss", "accuracy", "lr", "loss_steps"})
      if (const Figure* f = find(figures, name)) s << figure_html(*f);
    s << "</div>\n";
  }
  if (const Figure* f = find(figures, "decision_regions")) s << "<h2 id=\"regions\">Decision regions</h2>\n" << figure_html(*f);
  if (c.confusion) {
    s << "<h2 id=\"evaluation\">Evaluation" << (c.evaluated_on.empty() ? "" : " on the " + esc(c.evaluated_on)) << "</h2>\n";
    s << "<div class=\"tables\">\n<div>\n<h3>Confusion matrix</h3>\n" << confusion_matrix_html(*c.confusion, c.class_names)
      << "</div>\n<div>\n<h3>Per class</h3>\n"
      << classification_report_html(train::classification_report(*c.confusion), c.class_names) << "</div>\n</div>\n";
  }
  if (const Figure* f = find(figures, "image_grid")) s << "<h2 id=\"images\">Test images</h2>\n" << figure_html(*f);
  bool extra_heading = false;
  for (const Figure& f : c.extra) {
    if (f.name == "loss_steps" && !c.history.empty()) continue;  // with the learning curves
    if (!extra_heading) s << "<h2 id=\"more\">" << esc(c.extra_heading) << "</h2>\n<div class=\"figs\">\n";
    extra_heading = true;
    s << figure_html(f);
  }
  if (extra_heading) s << "</div>\n";
  if (!c.settings.empty()) s << "<h2 id=\"settings\">Settings</h2>\n" << kv_table(c.settings);
  if (!c.timing.empty()) s << "<h2 id=\"timing\">Timing</h2>\n" << kv_table(c.timing);
  s << "<h2 id=\"files\">Files</h2>\n<p class=\"files\">Each picture is also in this folder:";
  for (const Figure& f : figures) s << " " << esc(f.name) << ".svg" << (f.png ? ", " + esc(f.name) + ".png" : std::string()) << ";";
  s << " per-epoch figures in metrics.jsonl.</p>\n";
  s << "</main>\n</body>\n</html>\n";
  return s.str();
}

std::vector<std::filesystem::path> write_report(const std::filesystem::path& dir, const ReportContent& c) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  NN_CHECK(!ec && std::filesystem::is_directory(dir), dir.string(), ": cannot create the report folder (", ec.message(), ")");
  const std::vector<Figure> figures = report_figures(c);
  std::vector<std::filesystem::path> written;
  for (const Figure& f : figures) {
    written.push_back(dir / (f.name + ".svg"));
    io::write_file_atomic(written.back(), f.svg);
    if (f.png) {
      written.push_back(dir / (f.name + ".png"));
      write_png(written.back(), *f.png);
    }
  }
  written.push_back(dir / "report.html");
  io::write_file_atomic(written.back(), report_html(c, figures));
  return written;
}

}  // namespace nn::report
