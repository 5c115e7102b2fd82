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
  EXPECT_NE(text.find("\r\x1b[Kepoch 2/2  train_loss "), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_TRUE(quiet_out.str().empty());

  EXPECT_EQ(train::ProgressReporter::group_thousands(41230), "41,230");
  EXPECT_EQ(train::ProgressReporter::group_thousands(1234567), "1,234,567");
  EXPECT_EQ(train::ProgressReporter::group_thousands(999), "999");
  EXPECT_EQ(train::ProgressReporter::duration(4.2), "4s");
  EXPECT_EQ(train::ProgressReporter::duration(65), "1m05s");
  EXPECT_EQ(train::ProgressReporter::duration(3720), "1h02m");
}

TEST(Progress, BarLineFitsTheTerminalWidth) {
  const std::vector<std::string> extras{"loss 0.4123", "acc 85.2%", "ETA 4s", "41,230 samples/s"};
  // Wide: the full bar and every figure.
  std::string wide = train::fit_bar_line("epoch 3/10", 0.5, "612/938", extras, 200, 30);
  EXPECT_EQ(wide, "epoch 3/10 [===============>              ] 612/938  loss 0.4123  acc 85.2%  ETA 4s  41,230 samples/s");
  for (int columns : {20, 40, 60, 80, 120, 200}) {
    const std::string line = train::fit_bar_line("epoch 3/10", 0.5, "612/938", extras, columns, 30);
    EXPECT_LT(static_cast<int>(line.size()), columns) << line;  // never the last column: no wrap
    EXPECT_EQ(line.rfind("epoch 3/10", 0), 0u) << line;
  }
  // At 60 columns the bar narrows and the last figures go; at 40 the bar keeps at least 10 columns.
  const std::string at60 = train::fit_bar_line("epoch 3/10", 0.5, "612/938", extras, 60, 30);
  EXPECT_NE(at60.find("loss 0.4123"), std::string::npos) << at60;
  EXPECT_EQ(at60.find("samples/s"), std::string::npos) << at60;
  const std::string at40 = train::fit_bar_line("epoch 3/10", 1.0, "938/938", extras, 40, 30);
  EXPECT_NE(at40.find("[=========="), std::string::npos) << at40;
  EXPECT_NE(at40.find("938/938"), std::string::npos) << at40;

  EXPECT_EQ(train::format_seconds(0.00042), "0.42 ms");
  EXPECT_EQ(train::format_seconds(0.0123), "12 ms");
  EXPECT_EQ(train::format_seconds(2.314), "2.31 s");
  EXPECT_EQ(train::format_seconds(65), "1m05s");
}

}  // namespace
