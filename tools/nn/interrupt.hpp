// Ctrl-C and SIGTERM while `nn train` runs. The first SIGINT, SIGTERM or SIGHUP only records the
// signal (an async-signal-safe flag); the Trainer stops after the step it is taking (InterruptStop),
// and the command keeps what it has (checkpoint, model, metrics, report), prints one line saying what
// and exits 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). A second signal ends the
// process at once (_exit) after removing the temporaries of the files being written, so that no
// half-written file is left: every file nn writes is either complete or absent.
#pragma once

#include <cstdint>
#include <string>

#include "nn/train/callbacks.hpp"

namespace nn::cli {

// Installs the handlers (idempotent). Before this, a signal ends the process as usual.
void install_interrupt_handlers();
// The first signal received since the handlers were installed; 0 when none.
int interrupt_signal();
// "SIGINT", "SIGTERM", "SIGHUP" or "signal N".
std::string signal_name(int signal);

// A Trainer callback that stops training after the current batch once a signal has arrived (and
// after the current epoch when it arrives during validation). Add it before the other callbacks:
// a CheckpointWriter asked `stop_requested()` in the same batch then writes that step.
class InterruptStop : public train::Callback {
 public:
  void on_train_begin(const train::TrainBegin& info) override;
  void on_batch_end(const train::BatchEnd& batch) override;
  void on_epoch_end(int64_t epoch, const train::EpochRecord& record) override;

  // Where training stood when it stopped: "epoch 3/10, batch 120/844 (step 1808)" or "the end of
  // epoch 3/10".
  std::string position() const;

 private:
  int64_t epochs_ = 0, epoch_ = 0, batch_ = 0, batches_ = 0, step_ = 0;
  bool at_epoch_end_ = false;
};

}  // namespace nn::cli
