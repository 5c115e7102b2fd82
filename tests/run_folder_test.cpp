// nn::report::RunFolder: written from memory, read back equal, and the same report from both.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/losses/loss.hpp"
#include "nn/random.hpp"
#include "nn/report/run_folder.hpp"
#include "support/support.hpp"

namespace {

using nn::test::TempDir;
using nn::test::error_of;

namespace fs = std::filesystem;
using nn::report::RunFolder;

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

RunFolder make_run(const nn::data::Dataset& data) {
  nn::manual_seed(7);
  RunFolder run;
  run.info.nn_version = "0.1.0";
  run.info.finished = "2026-01-31T12:00:00Z";
  run.info.settings = {{"data", "blobs"}, {"model", "linear:8,relu,linear:2"}, {"lr", 0.001}, {"seed", 42},
                       {"threads", 1},    {"momentum", nullptr},              {"extra", "kept"}};
  run.info.data_description = "blobs (200 samples of [2], 2 classes)";
  run.info.train_samples = 180;
  run.info.val_samples = 20;
  run.info.stop_reason = "early stopping";
  run.info.train_seconds = 1.25;
  run.info.epochs_run = 3;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t e = 0; e < 3; ++e) {
    nn::train::EpochRecord r;
    r.epoch = e;
    r.train_loss = 1.0 / static_cast<double>(e + 3);
    r.train_accuracy = 0.5 + 0.1 * static_cast<double>(e);
    r.val_loss = e == 1 ? nan : 0.3;
    r.val_accuracy = e == 1 ? nan : 0.875;
    r.lr = 0.001;
    r.seconds = 0.4 + 0.01 * static_cast<double>(e);
    r.samples_per_second = 450.5;
    r.samples = 180;
    run.history.epochs.push_back(r);
  }
  run.history.stop_reason = run.info.stop_reason;
  run.model = nn::io::build_model(nn::io::parse_model_spec("linear:8,relu,linear:2"));
  run.model->eval();
  run.model->forward(nn::Tensor(nn::Shape{1, 2}));
  run.info.parameters = nn::parameter_count(*run.model);
  run.input_shape = nn::Shape{2};
  run.scaler = nn::data::Scaler(nn::data::ScalerKind::standard);
  run.scaler.fit(data);
  run.model_metadata = {{"nn.loss", "cross-entropy"}, {"nn.data", "blobs"}};
  return run;
}

TEST(RunFolder, WriteThenReadBackIsEqual) {
  TempDir dir;
  const auto data = nn::data::make_blobs({.n_samples = 200});
  RunFolder run = make_run(data);
  run.write(dir / "run");
  for (const char* f : {"run.json", "metrics.jsonl", "model.safetensors"}) EXPECT_TRUE(fs::is_regular_file(dir / "run" / f)) << f;
  RunFolder back = RunFolder::read(dir / "run");
  EXPECT_EQ(back.info, run.info);
  ASSERT_EQ(back.history.size(), run.history.size());
  EXPECT_EQ(back.history.stop_reason, run.history.stop_reason);
  for (size_t i = 0; i < run.history.size(); ++i) {
    const auto &a = run.history[i], &b = back.history[i];
    EXPECT_EQ(a.epoch, b.epoch);
    for (const auto& name : nn::train::History::metric_names())
      EXPECT_TRUE(same(nn::train::History::value(a, name), nn::train::History::value(b, name))) << name << " " << i;
    EXPECT_EQ(a.samples, b.samples);
  }
  EXPECT_EQ(back.scaler, run.scaler);
  EXPECT_EQ(back.input_shape, run.input_shape);
  for (const auto& [k, v] : run.model_metadata) EXPECT_EQ(back.model_metadata.at(k), v) << k;
  const auto mine = nn::io::state_dict(*run.model), theirs = nn::io::state_dict(*back.model);
  ASSERT_EQ(mine.size(), theirs.size());
  for (size_t i = 0; i < mine.size(); ++i) {
    EXPECT_EQ(mine[i].first, theirs[i].first);
    EXPECT_EQ(mine[i].second.to_vector(), theirs[i].second.to_vector()) << mine[i].first;
  }
}

TEST(RunFolder, ReportFromMemoryEqualsReportReadBack) {
  TempDir dir;
  const auto raw = nn::data::make_blobs({.n_samples = 200});
  RunFolder run = make_run(raw);
  run.write(dir / "run");
  RunFolder back = RunFolder::read(dir / "run");
  auto judged = raw.clone();
  run.scaler.transform(judged);
  nn::SoftmaxCrossEntropyLoss loss;
  const nn::report::ReportData data{
      .loss = &loss, .judged = &judged, .judged_on = "training data (200 samples)", .raw_points = &raw};
  run.model->train();  // as training leaves it: the report evaluates in evaluation mode all the same
  const auto a = run.report_content(data);
  const auto b = back.report_content(data);
  const std::string html = nn::report::report_html(a, nn::report::report_figures(a));
  EXPECT_EQ(html, nn::report::report_html(b, nn::report::report_figures(b)));
  EXPECT_TRUE(a.confusion.has_value());
  EXPECT_TRUE(a.regions.has_value());
  EXPECT_NE(html.find("kept"), std::string::npos);  // a setting the report does not know is listed too
  EXPECT_NE(html.find("stopped early: early stopping"), std::string::npos);
}

TEST(RunFolder, ReadNamesWhatIsMissingOrWrong) {
  TempDir dir;
  fs::create_directories(dir / "empty");
  std::string e = error_of([&] { RunFolder::read(dir / "empty"); });
  EXPECT_NE(e.find("run.json"), std::string::npos) << e;
  fs::create_directories(dir / "other");
  std::ofstream(dir / "other" / "run.json") << R"({"format": "something", "format_version": 1})";
  e = error_of([&] { RunFolder::read(dir / "other"); });
  EXPECT_NE(e.find("expected format \"nn.run\""), std::string::npos) << e;
  std::ofstream(dir / "other" / "run.json") << R"({"format": "nn.run", "format_version": 1})";
  e = error_of([&] { RunFolder::read(dir / "other"); });
  EXPECT_NE(e.find("metrics.jsonl"), std::string::npos) << e;
  RunFolder no_model;
  e = error_of([&] { no_model.write(dir / "x"); });
  EXPECT_NE(e.find("needs its model"), std::string::npos) << e;
}

}  // namespace

namespace {

TEST(RunFolder, StepsAndLayersReachTheReport) {
  TempDir dir;
  const auto data = nn::data::make_blobs({.n_samples = 200});
  RunFolder run = make_run(data);
  run.steps = {{1, 0.75}, {2, 0.5}, {3, 0.25}};
  run.write(dir / "run");
  EXPECT_TRUE(fs::is_regular_file(dir / "run" / "steps.txt"));
  RunFolder back = RunFolder::read(dir / "run");
  EXPECT_EQ(back.steps, run.steps);
  nn::SoftmaxCrossEntropyLoss loss;
  const auto content = back.report_content({.loss = &loss, .judged = &data, .judged_on = "training data"});
  // The per-step loss curve, and the model layer by layer: output shapes and parameters.
  bool curve = false;
  for (const auto& f : content.extra) curve = curve || f.name == "loss_steps";
  EXPECT_TRUE(curve);
  ASSERT_EQ(content.layers.size(), 3u);
  EXPECT_EQ(content.input_shape, "[2]");
  EXPECT_EQ(content.layers[0].output_shape, "[8]");
  EXPECT_EQ(content.layers[0].parameters, 24);
  EXPECT_EQ(content.layers[1].parameters, 0);
  EXPECT_EQ(content.layers[2].output_shape, "[2]");
  EXPECT_EQ(content.layers[2].parameters, 18);
  EXPECT_NE(content.layers[2].layer.find("Linear(in_features=8, out_features=2"), std::string::npos);
  // A malformed step log names its file and line.
  std::ofstream(dir / "bad.txt") << "1 0.5\n2 x\n";
  const std::string message = error_of([&] { nn::report::read_steps(dir / "bad.txt"); });
  EXPECT_NE(message.find("bad.txt:2: expected 'STEP LOSS'"), std::string::npos) << message;
}

}  // namespace
