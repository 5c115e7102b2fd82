// History as JSON: the one form metrics files, checkpoints and the report share. Non-finite
// figures are null and read back as NaN; files from before that rule ("nan" strings) still read;
// bad records are errors naming where they are.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/train/history.hpp"

#include "support/support.hpp"

namespace {

using nlohmann::json;
using nn::test::error_of;
namespace train = nn::train;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

train::EpochRecord record(int64_t epoch) {
  train::EpochRecord r;
  r.epoch = epoch;
  r.train_loss = 0.1 + static_cast<double>(epoch);
  r.train_accuracy = 0.75;
  r.val_loss = kNaN;
  r.val_accuracy = kNaN;
  r.lr = 0.01;
  r.seconds = 1.0 / 3.0;
  r.samples_per_second = kInf;
  r.samples = 640;
  return r;
}

uint64_t bits(double v) { return std::bit_cast<uint64_t>(v); }

TEST(HistoryJson, NonFiniteFiguresAreNullAndReadBackAsNaN) {
  const train::EpochRecord r = record(2);
  const json j = train::to_json(r);
  EXPECT_EQ(j.at("epoch"), 2);
  EXPECT_TRUE(j.at("val_loss").is_null());
  EXPECT_TRUE(j.at("val_accuracy").is_null());
  EXPECT_TRUE(j.at("samples_per_second").is_null());
  EXPECT_EQ(j.at("samples"), 640);
  const train::EpochRecord back = train::epoch_record_from_json(json::parse(j.dump()), "test");
  EXPECT_EQ(back.epoch, 2);
  EXPECT_EQ(bits(back.train_loss), bits(r.train_loss));
  EXPECT_EQ(bits(back.seconds), bits(r.seconds));  // the shortest text reads back to the same double
  EXPECT_EQ(bits(back.lr), bits(r.lr));
  EXPECT_TRUE(std::isnan(back.val_loss));
  EXPECT_TRUE(std::isnan(back.val_accuracy));
  EXPECT_TRUE(std::isnan(back.samples_per_second));  // infinity is not kept: one rule for every non-finite figure
  EXPECT_EQ(back.samples, 640);
}

TEST(HistoryJson, FirstEpochNumberIsTheFilesChoice) {
  const json j = train::to_json(record(0), 1);
  EXPECT_EQ(j.at("epoch"), 1);
  EXPECT_EQ(train::epoch_record_from_json(j, "metrics", 1).epoch, 0);
  EXPECT_HAS(error_of([&] { train::epoch_record_from_json(json{{"epoch", 0}}, "run/metrics.jsonl: line 1", 1); }),
             "run/metrics.jsonl: line 1: expected an epoch >= 1, found 0");
}

TEST(HistoryJson, ReadsTheStringsOfOlderFiles) {
  const json old = {{"epoch", 0},        {"train_loss", 0.5}, {"train_accuracy", "nan"}, {"val_loss", "inf"},
                    {"val_accuracy", "-inf"}, {"lr", 0.1},   {"seconds", 2.0},          {"samples_per_second", 8.0},
                    {"samples", 16}};
  const train::EpochRecord r = train::epoch_record_from_json(old, "old");
  EXPECT_TRUE(std::isnan(r.train_accuracy));
  EXPECT_EQ(r.val_loss, kInf);
  EXPECT_EQ(r.val_accuracy, -kInf);
  EXPECT_EQ(r.train_loss, 0.5);
}

TEST(HistoryJson, MissingFiguresAreNaNAndMissingSamplesZero) {
  const train::EpochRecord r = train::epoch_record_from_json(json{{"epoch", 3}, {"train_loss", 1.5}}, "sparse");
  EXPECT_EQ(r.epoch, 3);
  EXPECT_EQ(r.train_loss, 1.5);
  EXPECT_TRUE(std::isnan(r.lr));
  EXPECT_TRUE(std::isnan(r.val_loss));
  EXPECT_EQ(r.samples, 0);
}

TEST(HistoryJson, BadRecordsNameWhereAndWhat) {
  EXPECT_HAS(error_of([] { train::epoch_record_from_json(json{{"loss", 1}}, "f: line 2"); }),
             "f: line 2: expected \"epoch\", found none");
  EXPECT_HAS(error_of([] { train::epoch_record_from_json(json::array({1, 2}), "f: line 3"); }),
             "f: line 3: expected a JSON object");
  EXPECT_HAS(error_of([] { train::epoch_record_from_json(json{{"epoch", 1.5}}, "f"); }),
             "f: expected an integer \"epoch\", found 1.5");
  EXPECT_HAS(error_of([] { train::epoch_record_from_json(json{{"epoch", 1}, {"lr", "fast"}}, "f"); }),
             "f: \"lr\": expected a number or null, found \"fast\"");
  EXPECT_HAS(error_of([] { train::epoch_record_from_json(json{{"epoch", 1}, {"samples", -4}}, "f"); }),
             "expected \"samples\" >= 0, found -4");
  EXPECT_HAS(error_of([] { train::figure_from_json(json::array(), "x"); }), "x: expected a number or null, found []");
}

TEST(HistoryJson, HistoryRoundTripsWithItsEpochInProgress) {
  train::History h;
  h.epochs = {record(0), record(1)};
  h.partial = {.epoch = 2, .batches = 5, .samples = 160, .loss_sum = 0.1 + 0.2, .correct = 99, .train_seconds = kNaN};
  h.stop_reason = "early stopping";
  const train::History back = train::history_from_json(json::parse(train::to_json(h).dump()), "h");
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].epoch, h[i].epoch);
    EXPECT_EQ(bits(back[i].train_loss), bits(h[i].train_loss));
  }
  EXPECT_EQ(back.partial.epoch, 2);
  EXPECT_EQ(back.partial.batches, 5);
  EXPECT_EQ(back.partial.samples, 160);
  EXPECT_EQ(bits(back.partial.loss_sum), bits(h.partial.loss_sum));
  EXPECT_EQ(back.partial.correct, 99);
  EXPECT_TRUE(std::isnan(back.partial.train_seconds));
  EXPECT_EQ(back.stop_reason, "early stopping");
  EXPECT_HAS(error_of([] { train::history_from_json(json{{"epochs", json::array({json{{"epoch", -1}}})}}, "c"); }),
             "c: epochs[0]: expected an epoch >= 0, found -1");
  EXPECT_HAS(error_of([] { train::history_from_json(json{{"epochs", json::array()}}, "c"); }),
             "c: expected \"partial\", found none");
}

}  // namespace
