#include "run_logs.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "nn/io/atomic_file.hpp"
#include "nn/io/input_file.hpp"

namespace nn::cli {

namespace fs = std::filesystem;

MetricsLog::MetricsLog(const std::string& path, const train::History& resumed, bool fresh)
    : path_(path), fresh_(fresh) {
  io::check_replaceable(path, "write");
  std::string kept;
  for (const auto& r : resumed.epochs) {
    kept += train::to_json(r, 1).dump() + "\n";
    ++lines_;
  }
  io::write_file_atomic(path, kept);  // the file exists from the start (tail -f can follow it)
  file_.emplace(path);
}

void MetricsLog::on_epoch_end(int64_t, const train::EpochRecord& r) {
  file_->write(train::to_json(r, 1).dump() + "\n");
  ++lines_;
}

void MetricsLog::discard() {
  file_.reset();
  if (fresh_) ::unlink(path_.c_str());
}

StepLog::StepLog(const std::string& path, std::optional<int64_t> resume_step) : path_(path), fresh_(!resume_step) {
  io::check_replaceable(path, "write");
  std::string kept;
  if (resume_step) {
    std::error_code ec;
    if (fs::exists(path, ec)) {
      std::istringstream in(io::read_file(path, io::kMaxTextFileBytes, "--log-steps " + path));
      for (std::string line; std::getline(in, line);) {
        long long step = 0;
        if (std::sscanf(line.c_str(), "%lld", &step) == 1 && step <= *resume_step) kept += line + "\n";
      }
    }
  }
  io::write_file_atomic(path, kept);  // a fresh run's file exists, empty, from the start
  file_.emplace(path);
}

void StepLog::on_batch_end(const train::BatchEnd& b) {
  char line[64];
  const int n =
      std::snprintf(line, sizeof line, "%lld %.9g\n", static_cast<long long>(b.step), static_cast<double>(b.loss));
  file_->write(std::string_view(line, static_cast<size_t>(n)));
}

// A fresh run that failed leaves no log behind (a resumed run's log keeps what it had).
void StepLog::discard() {
  file_.reset();
  if (fresh_) ::unlink(path_.c_str());
}

}  // namespace nn::cli
