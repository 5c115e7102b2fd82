#include "nn/train/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
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

}  // namespace

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
  line += format("  %.2fs  ", r.seconds);
  line += group_thousands(std::llround(r.samples_per_second)) + " samples/s";
  return line;
}

void ProgressReporter::on_train_begin(const TrainBegin& info) {
  epochs_ = info.epochs;
  classification_ = info.classification;
  bar_open_ = false;
  last_width_ = 0;
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
  const int width = options_.bar_width;
  const auto filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(done) /
                                       static_cast<double>(total));
  std::string bar(static_cast<size_t>(width), ' ');
  for (int i = 0; i < filled; ++i) bar[static_cast<size_t>(i)] = '=';
  if (filled < width) bar[static_cast<size_t>(filled)] = '>';

  const double elapsed = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
  const auto& totals = batch.history.partial;
  std::string line = format("epoch %lld/%lld [", static_cast<long long>(batch.epoch + 1),
                            static_cast<long long>(epochs_)) +
                     bar + format("] %lld/%lld  loss %.4f", static_cast<long long>(done),
                                  static_cast<long long>(total), totals.mean_loss());
  if (classification_) line += format("  acc %.1f%%", 100.0 * totals.accuracy());
  if (elapsed > 0) {
    line += "  " + group_thousands(std::llround(static_cast<double>(samples_run_) / elapsed)) + " samples/s";
    line += "  ETA " + duration(elapsed / static_cast<double>(batches_run_) * static_cast<double>(total - done));
  }
  const size_t width_now = line.size();
  if (width_now < last_width_) line.append(last_width_ - width_now, ' ');
  last_width_ = width_now;
  out_ << '\r' << line << std::flush;
  bar_open_ = true;
}

void ProgressReporter::on_epoch_end(int64_t /*epoch*/, const EpochRecord& record) {
  if (mode_ == ProgressMode::quiet) return;
  std::string line = summary(record, epochs_, classification_);
  if (mode_ == ProgressMode::bar) {
    if (line.size() < last_width_) line.append(last_width_ - line.size(), ' ');
    out_ << '\r';
  }
  out_ << line << '\n' << std::flush;
  bar_open_ = false;
  last_width_ = 0;
}

void ProgressReporter::on_train_end(const History& /*history*/) {
  if (mode_ == ProgressMode::quiet) return;
  // A bar left open by a stop inside an epoch gets its newline; the stop reason is in
  // history.stop_reason for the caller to print.
  if (bar_open_) out_ << '\n' << std::flush;
  bar_open_ = false;
}

}  // namespace nn::train
