// ProgressReporter: a callback that shows training progress on a stream the caller gives it (the
// library itself never prints; the command passes std::cerr). On a terminal it redraws one bar
// per epoch in place ('\r', then the line, then "erase to the end of the line"), at most every
// refresh_seconds, fitted to the terminal's width so that it never wraps (narrower bar, fewer figures):
//   epoch 3/10 [=========>         ] 612/938  loss 0.4123  acc 85.2%  41,230 samples/s  ETA 4s
// and leaves a summary line when the epoch ends. Elsewhere (a file, a pipe) it writes only the
// summary line, one per epoch:
//   epoch 3/10  train_loss 0.4123  train_acc 85.20%  val_loss 0.3900  val_acc 86.00%  lr 0.01  2.31s  41,230 samples/s
// Accuracies are left out for regression and val_ figures without a validation set.
#pragma once

#include "nn/export.hpp"

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "nn/train/callbacks.hpp"

namespace nn::train {

enum class ProgressMode {
  automatic,  // bar when the stream is a terminal (see is_terminal), lines otherwise
  bar,
  lines,
  quiet,      // prints nothing
};

struct NN_API ProgressOptions {
  ProgressMode mode = ProgressMode::automatic;
  double refresh_seconds = 0.1;  // the bar is redrawn at most this often (and after the last batch)
  int bar_width = 30;             ///< the widest bar; narrower when the terminal is narrow
  /// The terminal's width in columns; 0: asked at every redraw (terminal_columns), so a resized
  /// window is followed. A bar line never reaches the last column, so it never wraps.
  int columns = 0;
};

/// The width of the terminal `out` writes to: ioctl(TIOCGWINSZ) on its descriptor (std::cout,
/// std::cerr, std::clog), else the COLUMNS environment variable, else 80.
NN_API int terminal_columns(const std::ostream& out);

/// One bar line that fits in `columns - 1` characters: "epoch 3/10 [====>    ] 612/938" and then
/// as many of `extras` (in order, each with two spaces before it) as fit; the bar narrows (to no
/// fewer than 10 columns, then disappears) before the count and the extras are cut.
NN_API std::string fit_bar_line(const std::string& head, double fraction, const std::string& count,
                                const std::vector<std::string>& extras, int columns, int max_bar_width);

/// A duration as a person reads it: "0.4 ms", "12 ms", "2.31 s", "1m05s".
NN_API std::string format_seconds(double seconds);

// True when `out` is std::cout, std::cerr or std::clog and the matching file descriptor is a
// terminal (isatty).
NN_API bool is_terminal(const std::ostream& out);

class NN_API ProgressReporter : public Callback {
 public:
  explicit ProgressReporter(std::ostream& out, ProgressOptions options = {});

  // The mode in use (automatic resolved).
  ProgressMode mode() const { return mode_; }

  void on_train_begin(const TrainBegin& info) override;
  void on_epoch_begin(int64_t epoch) override;
  void on_batch_end(const BatchEnd& batch) override;
  void on_epoch_end(int64_t epoch, const EpochRecord& record) override;
  void on_train_end(const History& history) override;

  // The summary line of one epoch (no newline), as the lines mode prints it.
  static std::string summary(const EpochRecord& record, int64_t epochs, bool classification);
  // 41230 -> "41,230"
  static std::string group_thousands(int64_t n);
  // 4 -> "4s", 65 -> "1m05s", 3720 -> "1h02m"
  static std::string duration(double seconds);

 private:
  void draw(const BatchEnd& batch);

  std::ostream& out_;
  ProgressOptions options_;
  ProgressMode mode_;
  int64_t epochs_ = 0;
  bool classification_ = true;
  std::chrono::steady_clock::time_point epoch_start_, last_draw_;
  int64_t batches_run_ = 0;  // batches of this epoch run since on_epoch_begin
  int64_t samples_run_ = 0;
  bool bar_open_ = false;
};

}  // namespace nn::train
