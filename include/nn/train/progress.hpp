/// @file
/// @brief nn::train::ProgressReporter, the callback that shows training progress on a stream.
#pragma once

#include "nn/export.hpp"

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "nn/train/callbacks.hpp"

namespace nn::train {

/// How a ProgressReporter shows progress.
enum class ProgressMode {
  automatic,  ///< bar when the stream is a terminal (see is_terminal), lines otherwise
  bar,        ///< a bar redrawn in place during each epoch, then the epoch's summary line
  lines,      ///< only the summary line of each epoch (for files and pipes)
  quiet,      ///< prints nothing
};

/// How a ProgressReporter draws.
struct NN_API ProgressOptions {
  ProgressMode mode = ProgressMode::automatic;  ///< bar, lines, quiet, or chosen by the stream
  double refresh_seconds = 0.1;  ///< the bar is redrawn at most this often (and after the last batch)
  int bar_width = 30;            ///< the widest bar between the brackets; narrower when the terminal is narrow
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

/// True when `out` is std::cout, std::cerr or std::clog and the matching file descriptor is a
/// terminal (isatty).
NN_API bool is_terminal(const std::ostream& out);

/// A callback that shows training progress on a stream the caller gives it (the library itself
/// never prints; the command passes std::cerr).
///
/// On a terminal it redraws one bar per epoch in place (a carriage return, the line, then "erase to the
/// end of the line"), at most every refresh_seconds, fitted to the terminal's width so that it
/// never wraps (a narrower bar, fewer figures):
/// @code{.unparsed}
///   epoch 3/10 [=========>         ] 612/938  loss 0.4123  acc 85.2%  41,230 samples/s  ETA 4s
/// @endcode
/// and leaves a summary line when the epoch ends. Elsewhere (a file, a pipe) it writes only the
/// summary line, one per epoch:
/// @code{.unparsed}
///   epoch 3/10  train_loss 0.4123  train_acc 85.20%  val_loss 0.3900  val_acc 86.00%  lr 0.01  2.31s  41,230 samples/s
/// @endcode
/// Accuracies are left out for regression and val_ figures without a validation set.
class NN_API ProgressReporter : public Callback {
 public:
  /// Reports on `out`, which is kept by reference and must outlive the reporter. The automatic mode
  /// is resolved here (is_terminal).
  explicit ProgressReporter(std::ostream& out, ProgressOptions options = {});

  /// The mode in use (automatic resolved).
  ProgressMode mode() const { return mode_; }

  void on_train_begin(const TrainBegin& info) override;  ///< Notes the number of epochs and the task.
  void on_epoch_begin(int64_t epoch) override;  ///< Starts the epoch's clock and counters.
  void on_batch_end(const BatchEnd& batch) override;  ///< Redraws the bar (bar mode, at most every refresh_seconds).
  void on_epoch_end(int64_t epoch, const EpochRecord& record) override;  ///< Writes the epoch's summary line.
  void on_train_end(const History& history) override;  ///< Ends an open bar line.

  /// The summary line of one epoch (no newline), as the lines mode prints it.
  static std::string summary(const EpochRecord& record, int64_t epochs, bool classification);
  /// 41230 -> "41,230"
  static std::string group_thousands(int64_t n);
  /// 4 -> "4s", 65 -> "1m05s", 3720 -> "1h02m"
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
