#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <csignal>

#include "nn/io/atomic_file.hpp"

namespace nn::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;
bool g_installed = false;

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0) {
    // The second signal: out at once, without the files being written (their temporaries go; the
    // files already in place are complete).
    nn::io::remove_live_temporaries();
    ::_exit(128 + sig);
  }
  g_signal = sig;
}

}  // namespace

void install_interrupt_handlers() {
  if (g_installed) return;
  g_installed = true;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // a read or write in progress goes on; the trainer looks at the flag
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

int interrupt_signal() { return g_signal; }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
  }
}

void InterruptStop::on_train_begin(const train::TrainBegin& info) {
  epochs_ = info.epochs;
  batches_ = info.batches_per_epoch;
  epoch_ = info.start_epoch;
  batch_ = info.start_batch;
  step_ = info.start_epoch * info.batches_per_epoch + info.start_batch;
  at_epoch_end_ = false;
}

void InterruptStop::on_batch_end(const train::BatchEnd& b) {
  epoch_ = b.epoch;
  batch_ = b.batch + 1;
  step_ = b.step;
  at_epoch_end_ = false;
  if (interrupt_signal() != 0 && !stop_requested()) request_stop("interrupted by " + signal_name(interrupt_signal()));
}

void InterruptStop::on_epoch_end(int64_t epoch, const train::EpochRecord&) {
  epoch_ = epoch;
  batch_ = batches_;
  at_epoch_end_ = true;
  if (interrupt_signal() != 0 && !stop_requested()) request_stop("interrupted by " + signal_name(interrupt_signal()));
}

std::string InterruptStop::position() const {
  if (at_epoch_end_) return "the end of epoch " + std::to_string(epoch_ + 1) + "/" + std::to_string(epochs_);
  return "epoch " + std::to_string(epoch_ + 1) + "/" + std::to_string(epochs_) + ", batch " + std::to_string(batch_) +
         "/" + std::to_string(batches_) + " (step " + std::to_string(step_) + ")";
}

}  // namespace nn::cli
