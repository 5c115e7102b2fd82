#include "nn/train/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace nn::train {

namespace {

using Clock = std::chrono::steady_clock;

// printf-style formatting into a std::string.
template <class... Args>
std::string format(const char* fmt, Args... args) {
  char buf[128];
  const int n = std::snprintf(buf, sizeof buf, fmt, args...);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(std::min<int>(n, sizeof buf - 1)));
}

// A learning rate with as many digits as it needs: 0.01, 0.001, 3.2e-05.
std::string format_lr(double lr) { return format("%.4g", lr); }

// The descriptor behind std::cout, std::cerr or std::clog; -1 for any other stream.
int descriptor_of(const std::ostream& out) {
  if (&out == &std::cout) return ::fileno(stdout);
  if (&out == &std::cerr || &out == &std::clog) return ::fileno(stderr);
  return -1;
}

// Clears from the cursor to the end of the line (ANSI EL), after a redrawn line.
constexpr const char* kEraseToEnd = "\x1b[K";

}  // namespace

int terminal_columns(const std::ostream& out) {
  const int fd = descriptor_of(out);
  struct winsize ws {};
  if (fd >= 0 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* env = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0 && v < 100000) return static_cast<int>(v);
  }
  return 80;
}

std::string fit_bar_line(const std::string& head, double fraction, const std::string& count,
                         const std::vector<std::string>& extras, int columns, int max_bar_width) {
  const auto room = static_cast<int64_t>(std::max(columns, 1)) - 1;  // the last column is never written
  auto length = [&](size_t n_extras, int bar) {
    int64_t n = static_cast<int64_t>(head.size()) + (bar > 0 ? bar + 3 : 0) + 1 + static_cast<int64_t>(count.size());
    for (size_t i = 0; i < n_extras; ++i) n += 2 + static_cast<int64_t>(extras[i].size());
    return n;
  };
  constexpr int kMinBar = 10;
  size_t shown = extras.size();
  int bar = max_bar_width;
  // Narrow the bar first, then drop figures from the end, then the bar itself.
  while (true) {
    const int64_t spare = room - length(shown, 0) - 3;
    bar = static_cast<int>(std::clamp<int64_t>(spare, 0, max_bar_width));
    if (bar >= kMinBar || (shown == 0)) break;
    --shown;
  }
  if (bar < kMinBar) bar = 0;
  std::string line = head;
  if (bar > 0) {
    const auto filled = static_cast<int>(static_cast<double>(bar) * std::clamp(fraction, 0.0, 1.0));
    std::string b(static_cast<size_t>(bar), ' ');
    for (int i = 0; i < filled; ++i) b[static_cast<size_t>(i)] = '=';
    if (filled < bar) b[static_cast<size_t>(filled)] = '>';
    line += " [" + b + "]";
  }
  line += " " + count;
  for (size_t i = 0; i < shown; ++i) line += "  " + extras[i];
  if (static_cast<int64_t>(line.size()) > room) line.resize(static_cast<size_t>(std::max<int64_t>(room, 0)));
  return line;
}

std::string format_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  if (seconds < 0.001) return format("%.2f ms", seconds * 1e3);
  if (seconds < 0.01) return format("%.1f ms", seconds * 1e3);
  if (seconds < 1.0) return format("%.0f ms", seconds * 1e3);
  if (seconds < 60.0) return format("%.2f s", seconds);
  return ProgressReporter::duration(seconds);
}

bool is_terminal(const std::ostream& out) {
  if (&out == &std::cout) return ::isatty(::fileno(stdout)) != 0;
  if (&out == &std::cerr || &out == &std::clog) return ::isatty(::fileno(stderr)) != 0;
  return false;
}

ProgressReporter::ProgressReporter(std::ostream& out, ProgressOptions options)
    : out_(out), options_(options), mode_(options.mode) {
  if (mode_ == ProgressMode::automatic) mode_ = is_terminal(out_) ? ProgressMode::bar : ProgressMode::lines;
}

std::string ProgressReporter::group_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string ProgressReporter::duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return format("%llds", static_cast<long long>(s));
  if (s < 3600) return format("%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return format("%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>((s % 3600) / 60));
}

std::string ProgressReporter::summary(const EpochRecord& r, int64_t epochs, bool classification) {
  std::string line = format("epoch %lld/%lld  train_loss %.4f", static_cast<long long>(r.epoch + 1),
                            static_cast<long long>(epochs), r.train_loss);
  if (classification) line += format("  train_acc %.2f%%", 100.0 * r.train_accuracy);
  if (r.has_validation()) {
    line += format("  val_loss %.4f", r.val_loss);
    if (classification) line += format("  val_acc %.2f%%", 100.0 * r.val_accuracy);
  }
  line += "  lr " + format_lr(r.lr);
  line += "  " + format_seconds(r.seconds) + "  ";
  line += group_thousands(std::llround(r.samples_per_second)) + " samples/s";
  return line;
}

void ProgressReporter::on_train_begin(const TrainBegin& info) {
  epochs_ = info.epochs;
  classification_ = info.classification;
  bar_open_ = false;
}

void ProgressReporter::on_epoch_begin(int64_t /*epoch*/) {
  epoch_start_ = Clock::now();
  last_draw_ = Clock::time_point{};
  batches_run_ = 0;
  samples_run_ = 0;
}

void ProgressReporter::on_batch_end(const BatchEnd& batch) {
  ++batches_run_;
  samples_run_ += batch.size;
  if (mode_ != ProgressMode::bar) return;
  const auto now = Clock::now();
  const bool last = batch.batch + 1 == batch.batches_per_epoch;
  if (!last && std::chrono::duration<double>(now - last_draw_).count() < options_.refresh_seconds) return;
  last_draw_ = now;
  draw(batch);
}

void ProgressReporter::draw(const BatchEnd& batch) {
  const int64_t done = batch.batch + 1, total = batch.batches_per_epoch;
  const double elapsed = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
  const auto& totals = batch.history.partial;
  const std::string head = format("epoch %lld/%lld", static_cast<long long>(batch.epoch + 1),
                                  static_cast<long long>(epochs_));
  const std::string count = format("%lld/%lld", static_cast<long long>(done), static_cast<long long>(total));
  // In the order they are dropped from the end when the terminal is narrow.
  std::vector<std::string> extras{format("loss %.4f", totals.mean_loss())};
  if (classification_) extras.push_back(format("acc %.1f%%", 100.0 * totals.accuracy()));
  if (elapsed > 0) {
    extras.push_back("ETA " + duration(elapsed / static_cast<double>(batches_run_) * static_cast<double>(total - done)));
    extras.push_back(group_thousands(std::llround(static_cast<double>(samples_run_) / elapsed)) + " samples/s");
  }
  const int columns = options_.columns > 0 ? options_.columns : terminal_columns(out_);
  const std::string line = fit_bar_line(head, static_cast<double>(done) / static_cast<double>(total), count, extras,
                                        columns, options_.bar_width);
  out_ << '\r' << line << kEraseToEnd << std::flush;
  bar_open_ = true;
}

void ProgressReporter::on_epoch_end(int64_t /*epoch*/, const EpochRecord& record) {
  if (mode_ == ProgressMode::quiet) return;
  const std::string line = summary(record, epochs_, classification_);
  if (mode_ == ProgressMode::bar) out_ << '\r' << kEraseToEnd;  // the bar goes; the summary stays
  out_ << line << '\n' << std::flush;
  bar_open_ = false;
}

void ProgressReporter::on_train_end(const History& /*history*/) {
  if (mode_ == ProgressMode::quiet) return;
  // A bar left open by a stop inside an epoch gets its newline; the stop reason is in
  // history.stop_reason for the caller to print.
  if (bar_open_) out_ << '\n' << std::flush;
  bar_open_ = false;
}

}  // namespace nn::train
