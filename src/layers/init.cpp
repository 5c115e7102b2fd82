#include "nn/layers/init.hpp"

#include <cmath>

#include "nn/error.hpp"

namespace nn {

void init_weights(Tensor& w, int64_t fan_in, const InitOptions& o, Rng& rng) {
  NN_CHECK(fan_in > 0 || w.numel() == 0, "init_weights: expected a positive fan-in, found ", fan_in);
  const double n = static_cast<double>(fan_in);
  double stddev = 0.0;
  switch (o.method) {
    case Init::xavier: stddev = o.gain * std::sqrt(1.0 / n); break;
    case Init::he: stddev = o.gain * std::sqrt(2.0 / n); break;
    case Init::he_leaky: stddev = o.gain * std::sqrt(2.0 / (1.0 + double(o.alpha) * o.alpha) / n); break;
    case Init::normal: stddev = o.gain; break;
    case Init::uniform:
      for (float& v : w.span()) v = static_cast<float>(o.gain * rng.uniform(-1.0, 1.0));
      return;
  }
  for (float& v : w.span()) v = static_cast<float>(stddev * rng.normal());
}

Init parse_init(const std::string& name) {
  if (name == "xavier") return Init::xavier;
  if (name == "he") return Init::he;
  if (name == "he_leaky") return Init::he_leaky;
  if (name == "normal") return Init::normal;
  if (name == "uniform") return Init::uniform;
  fail("unknown init method '", name, "': expected one of xavier, he, he_leaky, normal, uniform");
}

std::string to_string(Init method) {
  switch (method) {
    case Init::xavier: return "xavier";
    case Init::he: return "he";
    case Init::he_leaky: return "he_leaky";
    case Init::normal: return "normal";
    case Init::uniform: return "uniform";
  }
  return "?";
}

}  // namespace nn
