// ProgressReporter: one line per epoch, the redrawn bar, quiet, and its number and duration texts.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/train/progress.hpp"
#include "nn/train/trainer.hpp"

#include "support/trainer_rig.hpp"

namespace {

using nn::test::trainer_rig::blobs;
using nn::test::trainer_rig::mlp;

namespace train = nn::train;

TEST(Progress, PlainModeWritesOneLinePerEpoch) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  std::ostringstream out;
  train::ProgressReporter progress(out);
  EXPECT_EQ(progress.mode(), train::ProgressMode::lines);  // a string stream is no terminal
  train::Trainer trainer({&progress});
  trainer.fit(model, loss, sgd, data.train, &data.val, {.epochs = 3, .batch_size = 64});
  const std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_EQ(line.rfind("epoch " + std::to_string(n) + "/3  train_loss ", 0), 0u) << line;
    for (const char* part : {"train_acc ", "%  val_loss ", "val_acc ", "lr 0.05", "s  ", " samples/s"}) {
      EXPECT_NE(line.find(part), std::string::npos) << part << " missing from: " << line;
    }
  }
  EXPECT_EQ(n, 3);
}

TEST(Progress, BarModeRedrawsAndQuietPrintsNothing) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  std::ostringstream bar_out, quiet_out;
  train::ProgressReporter bar(bar_out, {.mode = train::ProgressMode::bar});
  train::ProgressReporter quiet(quiet_out, {.mode = train::ProgressMode::quiet});
  train::Trainer trainer({&bar, &quiet});
  trainer.fit(model, loss, sgd, data.train, nullptr, {.epochs = 2, .batch_size = 64});
  const std::string text = bar_out.str();
  // The last batch of each epoch is always drawn, then the summary replaces the bar.
  EXPECT_NE(text.find("\repoch 1/2 ["), std::string::npos);
  EXPECT_NE(text.find("] 13/13  loss "), std::string::npos) << text;
  EXPECT_NE(text.find("acc "), std::string::npos);
  EXPECT_NE(text.find("ETA "), std::string::npos);
  EXPECT_NE(text.find("\repoch 2/2  train_loss "), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_TRUE(quiet_out.str().empty());

  EXPECT_EQ(train::ProgressReporter::group_thousands(41230), "41,230");
  EXPECT_EQ(train::ProgressReporter::group_thousands(1234567), "1,234,567");
  EXPECT_EQ(train::ProgressReporter::group_thousands(999), "999");
  EXPECT_EQ(train::ProgressReporter::duration(4.2), "4s");
  EXPECT_EQ(train::ProgressReporter::duration(65), "1m05s");
  EXPECT_EQ(train::ProgressReporter::duration(3720), "1h02m");
}

}  // namespace
