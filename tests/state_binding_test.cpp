// The binder shared by load_state_dict and checkpoint restore: names matched in linear time,
// missing, unexpected and mismatched tensors all reported, names given twice refused, and nothing
// copied until apply().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nn/error.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/state_binding.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"

#include "support/support.hpp"

namespace {

using nn::Shape;
using nn::Tensor;
using nn::io::BindTarget;
using nn::io::StateDict;
using nn::io::TensorBinding;
using nn::test::bits;
using nn::test::error_of;
using nn::test::random_tensor;

TEST(StateBinding, ModuleTargetsAreParametersThenBuffersByDottedName) {
  nn::Sequential model(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::ReLU(), nn::Linear(4, 2, {.bias = false}));
  std::vector<std::string> names;
  for (const BindTarget& t : nn::io::module_targets(model)) names.push_back(t.name + " " + t.shape.str());
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight [4, 3]", "0.bias [4]", "1.weight [4]", "1.bias [4]",
                                             "3.weight [2, 4]", "1.running_mean [4]", "1.running_var [4]",
                                             "1.num_batches_tracked []"}));
}

TEST(StateBinding, ReportsEveryProblemAndCopiesOnlyOnApply) {
  Tensor a(Shape{2, 2}, 1.0f), b(Shape{3}, 2.0f), c(Shape{1}, 3.0f);
  StateDict sources;
  sources.emplace_back("b", random_tensor(Shape{4}, 1));       // shaped differently
  sources.emplace_back("x", random_tensor(Shape{1}, 2));       // no such target
  sources.emplace_back("a", random_tensor(Shape{2, 2}, 3));    // matches
  const TensorBinding binding({{"a", &a, a.shape()}, {"b", &b, b.shape()}, {"c", &c, c.shape()}}, sources, "test");
  const auto& r = binding.report();
  EXPECT_EQ(r.missing, std::vector<std::string>{"c"});
  EXPECT_EQ(r.unexpected, std::vector<std::string>{"x"});
  EXPECT_EQ(r.mismatched, std::vector<std::string>{"b: expected [3], found [4]"});
  EXPECT_EQ(r.str(), "missing keys: c; unexpected keys: x; shape mismatches: b: expected [3], found [4]");
  EXPECT_EQ(a[0], 1.0f);  // nothing copied yet
  binding.apply();
  EXPECT_EQ(bits(a), bits(sources[2].second));
  EXPECT_EQ(b[0], 2.0f);  // mismatched and missing targets are left as they were
  EXPECT_EQ(c[0], 3.0f);
}

TEST(StateBinding, OptionalTargetsWithoutASourceAreEmptied) {
  Tensor slot(Shape{5}, 7.0f), sized;
  StateDict sources;
  sources.emplace_back("w.0", random_tensor(Shape{5}, 4));
  const TensorBinding binding({{"w.0", &sized, Shape{5}, true}, {"v.0", &slot, Shape{5}, true}}, sources, "optim");
  EXPECT_TRUE(binding.report().ok());
  binding.apply();
  EXPECT_EQ(bits(sized), bits(sources[0].second));  // an empty target takes the source's size
  EXPECT_FALSE(slot.defined());
}

TEST(StateBinding, NamesGivenTwiceAreRefused) {
  Tensor a(Shape{1}), b(Shape{1});
  StateDict twice;
  twice.emplace_back("a", Tensor(Shape{1}));
  twice.emplace_back("a", Tensor(Shape{1}));
  EXPECT_HAS(error_of([&] { TensorBinding({{"a", &a, a.shape()}}, twice, "load_state_dict"); }),
             "load_state_dict: 'a' is given twice");
  StateDict once;
  once.emplace_back("a", Tensor(Shape{1}));
  EXPECT_HAS(error_of([&] { TensorBinding({{"a", &a, a.shape()}, {"a", &b, b.shape()}}, once, "restore"); }),
             "restore: 'a' is given twice");
}

TEST(StateBinding, LoadStateDictIsAllOrNothing) {
  nn::Sequential model(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
  const auto before = bits(model.parameters()[0]->data);
  StateDict dict = nn::io::state_dict(model);
  for (auto& [name, t] : dict) t = random_tensor(t.shape(), 9);
  dict.pop_back();  // 2.bias missing
  EXPECT_HAS(error_of([&] { nn::io::load_state_dict(model, dict); }), "load_state_dict: missing keys: 2.bias");
  EXPECT_EQ(bits(model.parameters()[0]->data), before);
  const auto report = nn::io::load_state_dict(model, dict, false);
  EXPECT_EQ(report.missing, std::vector<std::string>{"2.bias"});
  EXPECT_EQ(bits(model.parameters()[0]->data), bits(dict[0].second));
}

// Many names: the binding looks each up in a hash map (a nested loop over 20000 names would take
// seconds; this runs in milliseconds).
TEST(StateBinding, ManyNamesBindOneToOne) {
  constexpr int kCount = 20000;
  std::vector<Tensor> targets(kCount);
  std::vector<BindTarget> bind;
  StateDict sources;
  for (int i = 0; i < kCount; ++i) {
    bind.push_back({"layer" + std::to_string(i) + ".weight", &targets[static_cast<size_t>(i)], Shape{1}});
    sources.emplace_back("layer" + std::to_string(kCount - 1 - i) + ".weight",
                         Tensor(Shape{1}, static_cast<float>(kCount - 1 - i)));
  }
  const TensorBinding binding(std::move(bind), sources, "many");
  ASSERT_TRUE(binding.report().ok()) << binding.report().str();
  binding.apply();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(targets[static_cast<size_t>(i)][0], static_cast<float>(i));
}

}  // namespace
