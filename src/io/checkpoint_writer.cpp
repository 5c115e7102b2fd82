#include "nn/io/checkpoint_writer.hpp"

#include <cmath>
#include <system_error>

#include "nn/error.hpp"

namespace nn::io {

namespace fs = std::filesystem;

CheckpointWriter::CheckpointWriter(CheckpointWriterOptions options) : options_(std::move(options)) {
  NN_CHECK(!options_.dir.empty(), "CheckpointWriter: expected a folder");
  NN_CHECK(options_.every_batches >= 0, "CheckpointWriter: expected every_batches >= 0, found ",
           options_.every_batches);
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  NN_CHECK(fs::is_directory(options_.dir), options_.dir.string(), ": cannot create the checkpoint folder",
           ec ? ": " + ec.message() : std::string());
  // Temporary files of saves that a killed process left behind (AtomicFile's ".NAME.tmp.XXXXXX").
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".last.safetensors.tmp.") || name.starts_with(".best.safetensors.tmp."))
      fs::remove(entry.path(), ec);
  }
}

void CheckpointWriter::set_best(double value, int64_t epoch) {
  best_ = value;
  best_epoch_ = epoch;
}

void CheckpointWriter::on_train_begin(const train::TrainBegin& info) {
  model_ = &info.model;
  optimizer_ = &info.optimizer;
  scheduler_ = info.scheduler;
  history_ = &info.history;
  batches_per_epoch_ = info.batches_per_epoch;
  monitor_ = options_.monitor.empty() ? (info.has_validation ? "val_loss" : "train_loss") : options_.monitor;
  train::History::value(train::EpochRecord{}, monitor_);  // nn::Error for an unknown name
  maximize_ = monitor_.find("accuracy") != std::string::npos;
}

void CheckpointWriter::on_batch_end(const train::BatchEnd& b) {
  // A stop asked for now ends training before this epoch's end: write the step, even the last one of
  // the epoch (the resumed run then finishes that epoch with its validation).
  const bool now = options_.write_now && options_.write_now();
  if (!now && (options_.every_batches <= 0 || b.step % options_.every_batches != 0)) return;
  if (!now && b.batch + 1 == b.batches_per_epoch) return;  // the epoch end writes this one
  write(last_path(options_.dir), b.epoch, b.batch + 1, b.step, b.history);
}

void CheckpointWriter::on_epoch_end(int64_t epoch, const train::EpochRecord& record) {
  const double v = train::History::value(record, monitor_);
  const bool improved =
      !std::isnan(v) && (std::isnan(best_) || (maximize_ ? v > best_ : v < best_));
  if (improved) set_best(v, epoch);
  const int64_t step = (epoch + 1) * batches_per_epoch_;
  write(last_path(options_.dir), epoch + 1, 0, step, *history_);
  if (improved) write(best_path(options_.dir), epoch + 1, 0, step, *history_);
}

void CheckpointWriter::write(const fs::path& path, int64_t epoch, int64_t batch, int64_t step,
                             const train::History& history) {
  NN_CHECK(model_ != nullptr, "CheckpointWriter: on_train_begin was not called");
  CheckpointState st;
  st.epoch = epoch;
  st.batch = batch;
  st.step = step;
  st.history = history;
  st.history.stop_reason.clear();
  if (batch == 0) st.history.partial = train::EpochTotals{};
  st.monitor = monitor_;
  st.best = best_;
  st.best_epoch = best_epoch_;
  st.settings = options_.settings;
  st.metadata = options_.metadata;
  std::function<void(const fs::path&)> hook;
  if (options_.before_rename) hook = [&](const fs::path& tmp) { options_.before_rename(tmp, st); };
  save_live_checkpoint(path, st, *model_, *optimizer_, scheduler_, hook);
  ++writes_;
  if (options_.after_write) options_.after_write(path, st);
}

}  // namespace nn::io
