// Fuzz target: a step log ("STEP LOSS" lines: nn train --log-steps, a run folder's steps.txt),
// through report::read_steps.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "nn/error.hpp"
#include "nn/report/run_folder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = nn_fuzz::write_input(data, size, "steps.txt");
  try {
    const auto steps = nn::report::read_steps(path);
    for (const auto& [step, loss] : steps)
      if (step < 1) __builtin_trap();  // only positive steps are accepted
  } catch (const nn::Error&) {
  }
  return 0;
}
