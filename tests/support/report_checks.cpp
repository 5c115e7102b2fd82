#include "report_checks.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

namespace nn::test::report_checks {

namespace report = nn::report;

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

nn::train::History sample_history(int64_t epochs, bool validation) {
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

}  // namespace nn::test::report_checks
