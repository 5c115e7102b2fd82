#include "nn/classic/linear_neuron.hpp"

#include <numeric>

#include "nn/error.hpp"

namespace nn::classic {

namespace {
// Features per sample of x ([N, ...], rank >= 2).
int64_t row_width(const Tensor& x) {
  int64_t f = 1;
  for (int i = 1; i < x.rank(); ++i) f *= x.dim(i);
  return f;
}
}  // namespace

void LinearNeuron::init_weights(int64_t n_features, Rng& rng) {
  w_.assign(static_cast<size_t>(n_features), 0.0);
  for (double& w : w_) w = rng.normal(0.0, 0.01);
  b_ = 0.0;
}

double LinearNeuron::net_input(const float* x) const {
  double z = b_;
  for (size_t j = 0; j < w_.size(); ++j) z += w_[j] * static_cast<double>(x[j]);
  return z;
}

void LinearNeuron::check_fitted(const char* method) const {
  NN_CHECK(fitted(), name_, ".", method, ": expected a fitted neuron, found no weights (call fit first)");
}

void LinearNeuron::check_features(int64_t found, const char* method) const {
  NN_CHECK(found == n_features(), name_, ".", method, ": expected ", n_features(),
           " features per sample (as fitted), found ", found);
}

double LinearNeuron::net_input(std::span<const float> x) const {
  check_fitted("net_input");
  check_features(static_cast<int64_t>(x.size()), "net_input");
  return net_input(x.data());
}

std::vector<double> LinearNeuron::net_input(const Tensor& x) const {
  const Samples s = features(x, "net_input");
  std::vector<double> z(static_cast<size_t>(s.n));
  for (int64_t i = 0; i < s.n; ++i) z[static_cast<size_t>(i)] = net_input(s.row(i));
  return z;
}

int32_t LinearNeuron::predict(std::span<const float> x) const {
  check_fitted("predict");
  check_features(static_cast<int64_t>(x.size()), "predict");
  return net_input(x.data()) >= threshold_ ? 1 : 0;
}

std::vector<int32_t> LinearNeuron::predict(const Tensor& x) const {
  const Samples s = features(x, "predict");
  std::vector<int32_t> out(static_cast<size_t>(s.n));
  for (int64_t i = 0; i < s.n; ++i) out[static_cast<size_t>(i)] = net_input(s.row(i)) >= threshold_ ? 1 : 0;
  return out;
}

std::vector<int32_t> LinearNeuron::predict(const data::Dataset& data) const {
  check_fitted("predict");
  check_features(data.sample_numel(), "predict");
  std::vector<int32_t> out(static_cast<size_t>(data.size()));
  std::vector<float> row(static_cast<size_t>(data.sample_numel()));
  for (int64_t i = 0; i < data.size(); ++i) {
    for (int64_t j = 0; j < data.sample_numel(); ++j) row[static_cast<size_t>(j)] = data.feature(i, j);
    out[static_cast<size_t>(i)] = net_input(row.data()) >= threshold_ ? 1 : 0;
  }
  return out;
}

double LinearNeuron::accuracy(const data::Dataset& data) const {
  const Samples s = samples(data, "accuracy");
  check_fitted("accuracy");
  check_features(s.f, "accuracy");
  int64_t correct = 0;
  for (int64_t i = 0; i < s.n; ++i) correct += (net_input(s.row(i)) >= threshold_ ? 1 : 0) == s.y[i];
  return static_cast<double>(correct) / static_cast<double>(s.n);
}

LinearNeuron::Samples LinearNeuron::samples(const data::Dataset& data, const char* method) const {
  NN_CHECK(!data.empty(), name_, ".", method, ": expected at least one sample, found an empty dataset");
  NN_CHECK(data.is_classification(), name_, ".", method,
           ": expected a two-class classification dataset (labels 0/1), found a regression dataset");
  NN_CHECK(data.num_classes() <= 2, name_, ".", method, ": expected two classes (labels 0 and 1), found ",
           data.num_classes(), " classes", data.name.empty() ? "" : " in ", data.name);
  Samples s;
  s.n = data.size();
  s.f = data.sample_numel();
  s.y = data.labels().data();
  if (data.is_u8()) {
    std::vector<int64_t> all(static_cast<size_t>(s.n));
    std::iota(all.begin(), all.end(), int64_t{0});
    s.owned = Tensor(Shape{s.n, s.f});
    data.gather(all, s.owned.data(), nullptr, nullptr);
    s.x = s.owned.data();
  } else {
    s.x = data.features().data();
  }
  return s;
}

LinearNeuron::Samples LinearNeuron::samples(const Tensor& x, std::span<const int32_t> y,
                                            const char* method) const {
  NN_CHECK(x.rank() >= 2, name_, ".", method, ": expected features of shape [N, F], found ", x.shape().str());
  NN_CHECK(x.dim(0) > 0, name_, ".", method, ": expected at least one sample, found ", x.shape().str());
  NN_CHECK(static_cast<int64_t>(y.size()) == x.dim(0), name_, ".", method, ": expected ", x.dim(0),
           " labels for features ", x.shape().str(), ", found ", y.size());
  for (size_t i = 0; i < y.size(); ++i)
    NN_CHECK(y[i] == 0 || y[i] == 1, name_, ".", method, ": expected labels 0 or 1 (two classes), found ", y[i],
             " at sample ", i);
  Samples s;
  s.n = x.dim(0);
  s.f = row_width(x);
  s.x = x.data();
  s.y = y.data();
  return s;
}

LinearNeuron::Samples LinearNeuron::features(const Tensor& x, const char* method) const {
  check_fitted(method);
  NN_CHECK(x.rank() >= 2, name_, ".", method, ": expected features of shape [N, ", n_features(), "], found ",
           x.shape().str());
  Samples s;
  s.n = x.dim(0);
  s.f = row_width(x);
  check_features(s.f, method);
  s.x = x.data();
  return s;
}

}  // namespace nn::classic
