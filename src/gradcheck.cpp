#include "nn/gradcheck.hpp"

#include <cmath>
#include <functional>
#include <sstream>

#include "nn/random.hpp"

namespace nn {

namespace {

class Comparison {
 public:
  explicit Comparison(const GradcheckOptions& o) : o_(o) {}

  void compare(const std::string& where, int64_t index, double analytic, double numeric) {
    ++result_.checked;
    const double err = std::fabs(analytic - numeric);
    const double allowed = o_.atol + o_.rtol * std::max(std::fabs(analytic), std::fabs(numeric));
    const bool bad = !(err <= allowed);  // NaN fails too
    const double excess = bad ? (std::isfinite(err) ? err - allowed : INFINITY) : -1.0;
    if (err > result_.max_abs_error || !std::isfinite(err)) result_.max_abs_error = err;
    if (bad) {
      result_.ok = false;
      if (excess > worst_excess_) {
        worst_excess_ = excess;
        std::ostringstream s;
        s << where << "[" << index << "]: analytic " << analytic << ", numeric " << numeric;
        result_.worst = s.str();
      }
    }
  }

  GradcheckResult finish() {
    std::ostringstream s;
    s << (result_.ok ? "gradcheck passed: " : "gradcheck FAILED: ") << result_.checked
      << " derivatives, max abs error " << result_.max_abs_error;
    if (!result_.ok) s << "; worst " << result_.worst;
    result_.message = s.str();
    return result_;
  }

 private:
  const GradcheckOptions& o_;
  GradcheckResult result_;
  double worst_excess_ = -1.0;
};

// Perturbs each element of `values` by +-h, evaluates `objective` and compares the central
// difference with `analytic`.
void check_tensor(Comparison& cmp, const std::string& where, float* values, int64_t n, const float* analytic,
                  double h, const std::function<double()>& objective) {
  for (int64_t i = 0; i < n; ++i) {
    const float saved = values[i];
    values[i] = static_cast<float>(saved + h);
    const double up = objective();
    values[i] = static_cast<float>(saved - h);
    const double down = objective();
    values[i] = saved;
    // Use the step actually taken in float32, not the nominal one.
    const double taken = static_cast<double>(static_cast<float>(saved + h)) - static_cast<float>(saved - h);
    cmp.compare(where, i, analytic[i], (up - down) / taken);
  }
}

}  // namespace

GradcheckResult gradcheck(Module& module, const Tensor& x, const GradcheckOptions& o) {
  Tensor input = x.clone();
  const Tensor& y0 = module.forward(input);
  Tensor r(y0.shape());
  Rng rng(o.seed);
  for (float& v : r.span()) v = static_cast<float>(rng.normal());

  auto objective = [&]() {
    const Tensor& y = module.forward(input);
    double s = 0.0;
    for (int64_t i = 0; i < y.numel(); ++i) s += static_cast<double>(y[i]) * r[i];
    return s;
  };

  // Analytic gradients, from one forward and backward with zeroed parameter gradients.
  module.zero_grad();
  module.forward(input);
  Tensor dx = module.backward(r).clone();
  auto params = module.named_parameters();
  std::vector<Tensor> dparams;
  for (auto& [name, p] : params) dparams.push_back(p->grad.clone());

  Comparison cmp(o);
  if (o.inputs) {
    if (dx.shape() == input.shape()) {
      check_tensor(cmp, "input", input.data(), input.numel(), dx.data(), o.step, objective);
    } else {
      cmp.compare("input (shape " + dx.shape().str() + " != " + input.shape().str() + ")", 0, NAN, 0.0);
    }
  }
  if (o.parameters) {
    for (size_t k = 0; k < params.size(); ++k) {
      Parameter& p = *params[k].second;
      check_tensor(cmp, params[k].first, p.data.data(), p.data.numel(), dparams[k].data(), o.step, objective);
    }
  }
  return cmp.finish();
}

namespace {
template <class Target>
GradcheckResult gradcheck_loss(Loss& loss, const Tensor& pred, const Target& target, const GradcheckOptions& o) {
  Tensor input = pred.clone();
  loss.forward(input, target);
  Tensor analytic = loss.backward().clone();
  Comparison cmp(o);
  if (!(analytic.shape() == input.shape())) {
    cmp.compare("pred (shape " + analytic.shape().str() + " != " + input.shape().str() + ")", 0, NAN, 0.0);
    return cmp.finish();
  }
  check_tensor(cmp, "pred", input.data(), input.numel(), analytic.data(), o.step,
               [&]() { return static_cast<double>(loss.forward(input, target)); });
  return cmp.finish();
}
}  // namespace

GradcheckResult gradcheck(Loss& loss, const Tensor& pred, const Tensor& target, const GradcheckOptions& o) {
  return gradcheck_loss(loss, pred, target, o);
}

GradcheckResult gradcheck(Loss& loss, const Tensor& pred, Labels labels, const GradcheckOptions& o) {
  return gradcheck_loss(loss, pred, labels, o);
}

}  // namespace nn
