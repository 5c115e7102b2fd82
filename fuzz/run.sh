#!/usr/bin/env bash
# Builds the fuzz targets (preset "fuzz": clang, libFuzzer, ASan + UBSan) and runs each one for a
# share of SECONDS_TOTAL (default 60) on a copy of its committed corpus and regressions. Exits
# non-zero when a target crashes; the crashing input is left in build/fuzz/artifacts/<target>/ —
# commit it to fuzz/regressions/<target>/ once fixed, so that CTest replays it from then on.
#
#   fuzz/run.sh [SECONDS_TOTAL] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(safetensors checkpoint npy idx idx_gzip csv model_spec model_spec_json steps onnx device)
fi

if [ ! -f build/fuzz/CMakeCache.txt ]; then
  cmake --preset fuzz >/dev/null
fi
cmake --build --preset fuzz -j"${NN_FUZZ_JOBS:-2}" --target $(printf 'nn_fuzz_%s ' "${targets[@]}") >/dev/null

per=$(( total / ${#targets[@]} ))
[ "$per" -ge 1 ] || per=1
export OMP_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
status=0
printf '%-16s %10s %8s %s\n' target execs seconds result
for t in "${targets[@]}"; do
  work=build/fuzz/work/$t
  artifacts=build/fuzz/artifacts/$t/
  mkdir -p "$work" "$artifacts"
  inputs=("$work" "fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && inputs+=("fuzz/regressions/$t")
  log=build/fuzz/$t.log
  set +e
  "build/fuzz/bin/nn_fuzz_$t" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "${inputs[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="CRASH (exit $rc; see $log and $artifacts)"
    status=1
  fi
  printf '%-16s %10s %8s %s\n' "$t" "${execs:-?}" "$per" "$result"
done
exit $status
