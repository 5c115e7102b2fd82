// nn::dist in one process (the multi-rank cases run under mpirun in tests/dist/mpi_test.py): a
// batch's parts cover it in order, the one-rank all-reduce leaves the gradients alone, and the
// Trainer with the gradient sync on one rank trains exactly as without it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "nn/data/loader.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/dist/dist.hpp"
#include "nn/dist/grad_allreduce.hpp"
#include "nn/error.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/random.hpp"
#include "nn/train/trainer.hpp"

namespace {

nn::data::Dataset indexed(int64_t n) {
  nn::Tensor x(nn::Shape{n, 2});
  std::vector<int32_t> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    x.at(i, 0) = x.at(i, 1) = static_cast<float>(i);
    y[static_cast<size_t>(i)] = static_cast<int32_t>(i % 3);
  }
  return nn::data::Dataset::classification(std::move(x), std::move(y), 3);
}

}  // namespace

TEST(DataLoaderParts, PartsOfEveryBatchCoverItInOrderWithSizesDifferingByAtMostOne) {
  const auto d = indexed(23);
  for (int64_t parts : {1, 2, 3, 4, 7}) {
    nn::data::DataLoader whole(d, {.batch_size = 7, .seed = 9});
    nn::data::DataLoader split(d, {.batch_size = 7, .seed = 9});
    whole.set_epoch(2);
    split.set_epoch(2);
    for (int64_t b = 0; b < whole.num_batches(); ++b) {
      const auto full = whole.batch(b);
      std::vector<float> expected(full.x.data(), full.x.data() + full.x.numel());
      EXPECT_EQ(split.batch_samples(b), full.size);
      std::vector<float> joined;
      int64_t smallest = full.size, largest = 0;
      for (int64_t p = 0; p < parts; ++p) {
        const auto part = split.batch(b, p, parts);
        smallest = std::min(smallest, part.size);
        largest = std::max(largest, part.size);
        if (part.size == 0) continue;
        ASSERT_EQ(part.x.dim(0), part.size);
        ASSERT_EQ(static_cast<int64_t>(part.labels.size()), part.size);
        joined.insert(joined.end(), part.x.data(), part.x.data() + part.x.numel());
      }
      EXPECT_EQ(joined, expected) << "batch " << b << " in " << parts << " parts";
      EXPECT_LE(largest - smallest, 1);
    }
  }
}

TEST(DataLoaderParts, RefusesAPartOutOfRange) {
  const auto d = indexed(10);
  nn::data::DataLoader loader(d, {.batch_size = 4});
  EXPECT_THROW(loader.batch(0, 2, 2), nn::Error);
  EXPECT_THROW(loader.batch(0, -1, 2), nn::Error);
  EXPECT_THROW(loader.batch(3, 0, 2), nn::Error);
  EXPECT_THROW(loader.batch_samples(3), nn::Error);
  EXPECT_EQ(loader.batch_samples(2), 2);
}

TEST(Dist, OneProcessIsRankZeroOfOne) {
  nn::dist::init();  // not started by a launcher: nothing to start
  EXPECT_EQ(nn::dist::rank(), 0);
  EXPECT_EQ(nn::dist::size(), 1);
  std::vector<double> v{1.5, -2.0};
  nn::dist::sum(v);
  EXPECT_EQ(v, (std::vector<double>{1.5, -2.0}));
  EXPECT_TRUE(nn::dist::any(true));
  EXPECT_FALSE(nn::dist::any(false));
}

TEST(Dist, OneRankAllReduceKeepsTheGradientsAndChecksItsArguments) {
  nn::manual_seed(3);
  auto model = nn::io::build_model(nn::io::parse_model_spec("linear:5,relu,linear:2"));
  model->build(nn::Shape{3});
  std::vector<float> before;
  for (nn::Parameter* p : model->parameters()) {
    p->grad.resize(p->data.shape());
    for (int64_t i = 0; i < p->grad.numel(); ++i) p->grad.data()[i] = 0.25f * static_cast<float>(i) - 1.0f;
    before.insert(before.end(), p->grad.data(), p->grad.data() + p->grad.numel());
  }
  nn::dist::GradientAllReduce sync(model->parameters(), 4096);
  sync.all_reduce(8, 8);
  std::vector<float> after;
  for (nn::Parameter* p : model->parameters()) after.insert(after.end(), p->grad.data(), p->grad.data() + p->grad.numel());
  EXPECT_EQ(after, before);
  EXPECT_EQ(sync.numel(), static_cast<int64_t>(before.size()));
  EXPECT_EQ(sync.calls(), 1);
  EXPECT_THROW(sync.all_reduce(9, 8), nn::Error);
  EXPECT_THROW(sync.all_reduce(0, 0), nn::Error);
  EXPECT_THROW(nn::dist::GradientAllReduce(model->parameters(), 100), nn::Error);
}

TEST(Dist, TrainerWithTheGradientSyncOnOneRankTrainsExactlyAsWithout) {
  const auto train = nn::data::make_spiral(120, 3, 0.2, 2);
  std::vector<std::vector<float>> weights;
  std::vector<double> losses;
  for (bool with_sync : {false, true}) {
    nn::manual_seed(5);
    auto model = nn::io::build_model(nn::io::parse_model_spec("linear:16,relu,linear:3"));
    nn::SGD opt(model->parameters(), {.lr = 0.1f, .momentum = 0.9f});
    nn::SoftmaxCrossEntropyLoss loss;
    nn::dist::GradientAllReduce sync(model->parameters());
    nn::train::Trainer trainer;
    if (with_sync) trainer.set_gradient_sync(&sync);
    const auto h = trainer.fit(*model, loss, opt, train, &train, {.epochs = 2, .batch_size = 16, .seed = 1});
    std::vector<float> w;
    for (nn::Parameter* p : model->parameters()) w.insert(w.end(), p->data.data(), p->data.data() + p->data.numel());
    weights.push_back(w);
    losses.push_back(h.back().val_loss);
  }
  EXPECT_EQ(weights[0], weights[1]);
  EXPECT_EQ(losses[0], losses[1]);
}

TEST(Dist, LauncherSizeIsReadFromTheLaunchersEnvironment) {
  const char* saved = std::getenv("PMI_SIZE");
  const std::string keep = saved != nullptr ? saved : "";
  ::setenv("PMI_SIZE", "3", 1);
  const bool under_open_mpi = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr;  // read first
  if (!under_open_mpi) {
    EXPECT_EQ(nn::dist::launcher_size(), 3);
  }
  ::setenv("PMI_SIZE", "x3", 1);
  if (!under_open_mpi) {
    EXPECT_EQ(nn::dist::launcher_size(), 0);
  }
  if (saved != nullptr) {
    ::setenv("PMI_SIZE", keep.c_str(), 1);
  } else {
    ::unsetenv("PMI_SIZE");
  }
}

TEST(Dist, ABuildWithoutMpiRefusesToRunAsOneOfSeveralLaunchedCopies) {
  if (nn::dist::built_with_mpi() || std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr)
    GTEST_SKIP() << "this build has MPI: init() would start it";
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  try {
    nn::dist::init();
    ADD_FAILURE() << "init() accepted 2 launched copies without MPI";
  } catch (const nn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("built without MPI"), std::string::npos) << e.what();
  }
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(nn::dist::size(), 1);
}
