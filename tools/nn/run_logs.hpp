// The logs `nn train` appends to while it trains, so that `tail -f` shows them and a killed or
// interrupted run keeps every complete line: --metrics-out (one JSON object per finished epoch) and
// --log-steps ("STEP LOSS" per optimizer step). Each line is one write(2) on a regular file (a
// symlink, FIFO or device at the path is refused), so a line is either whole or absent. A fresh run
// starts its file anew; a run that ends with an error removes it (a resumed run's file keeps what
// it had).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nn/io/append_file.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/history.hpp"

namespace nn::cli {

// --metrics-out: History's JSON form of each epoch, appended when the epoch ends.
class MetricsLog : public train::Callback {
 public:
  // Starts the file with the epochs of `resumed` (a resumed run's history; empty for a fresh run).
  MetricsLog(const std::string& path, const train::History& resumed, bool fresh);
  void on_epoch_end(int64_t epoch, const train::EpochRecord& record) override;
  void close() { file_->close(); }
  void discard();
  const std::string& path() const { return path_; }
  int64_t lines() const { return lines_; }

 private:
  std::string path_;
  bool fresh_;
  int64_t lines_ = 0;
  std::optional<io::AppendFile> file_;
};

// --log-steps: one line "STEP LOSS" per optimizer step, the loss printed exactly (%.9g).
class StepLog : public train::Callback {
 public:
  // A resumed run keeps the lines up to its checkpoint's step (a killed run may have logged steps
  // after it) and appends.
  StepLog(const std::string& path, std::optional<int64_t> resume_step);
  void on_batch_end(const train::BatchEnd& b) override;
  void close() { file_->close(); }
  void discard();

 private:
  std::string path_;
  bool fresh_;
  std::optional<io::AppendFile> file_;
};

}  // namespace nn::cli
