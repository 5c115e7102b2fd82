#!/usr/bin/env bash
# Exact resume through the nn command: runs killed with a real SIGKILL (after a checkpoint, and in
# the middle of a save) and then resumed end with a model file and a per-step loss log that are
# byte-identical to an uninterrupted run's. Usage: resume_test.sh PATH/TO/nn
set -euo pipefail
NN=${1:?usage: resume_test.sh PATH/TO/nn}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nn-resume-test-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# 600 spiral points, 540 train after the 10% validation split: 17 batches of 32 per epoch.
DATA=(--data spiral:n=600,classes=3)
MODEL=(--model linear:32,relu,linear:3)
REST=(--batch-size 32 --optimizer adam --lr 0.01 --scheduler step:1:0.5 --threads 1 --seed 7 --quiet)
COMMON=("${DATA[@]}" "${MODEL[@]}" "${REST[@]}")
fail() { echo "FAIL: $*" >&2; exit 1; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }

# Runs `nn train` expecting it to be killed by SIGKILL (exit status 137).
killed() {
  local rc=0
  ( "$NN" train "$@" >/dev/null 2>&1; exit $? ) 2>/dev/null || rc=$?
  [ "$rc" -eq 137 ] || fail "expected the run to be killed (137), got $rc: $*"
}

"$NN" train "${COMMON[@]}" --epochs 4 --save full.safetensors --log-steps full.log >/dev/null
[ "$(wc -l < full.log)" -eq 68 ] || fail "expected 68 steps in full.log"

# 1. Killed mid-epoch, right after the checkpoint of step 40 (epoch 3, batch 6) was written.
killed "${COMMON[@]}" --epochs 4 --save a.safetensors --log-steps a.log --checkpoint-dir ck_a --checkpoint-every 5 \
  --debug-kill-at-step 40
[ ! -e a.safetensors ] || fail "the killed run saved its model"
"$NN" info ck_a/last.safetensors | grep -q "position: step 40; 2 epochs finished; resumes at epoch 3, batch 7" \
  || fail "nn info: $("$NN" info ck_a/last.safetensors)"
"$NN" train "${COMMON[@]}" --epochs 4 --save a.safetensors --log-steps a.log --checkpoint-dir ck_a --checkpoint-every 5 \
  --resume ck_a >/dev/null
same a.safetensors full.safetensors
same a.log full.log

# 2. Killed at an epoch boundary: checkpoints at epoch ends only, killed after the one of step 34
#    (the end of epoch 2); the resumed run starts with epoch 3.
killed "${COMMON[@]}" --epochs 4 --save b.safetensors --log-steps b.log --checkpoint-dir ck_b --debug-kill-at-step 34
"$NN" info ck_b/last.safetensors | grep -q "resumes at epoch 3, batch 1" || fail "epoch boundary: $("$NN" info ck_b/last.safetensors)"
"$NN" train "${COMMON[@]}" --epochs 4 --save b.safetensors --log-steps b.log --checkpoint-dir ck_b \
  --resume ck_b/last.safetensors >/dev/null
same b.safetensors full.safetensors
same b.log full.log

# 3. Killed during a save (the temporary file complete, not yet renamed): last.safetensors is still
#    the previous complete checkpoint (step 40); the log has run ahead to step 45 and the resumed run
#    drops those lines; the leftover temporary file is removed when the writer starts.
killed "${COMMON[@]}" --epochs 4 --save c.safetensors --log-steps c.log --checkpoint-dir ck_c --checkpoint-every 5 \
  --debug-kill-in-save 45
"$NN" info ck_c/last.safetensors | grep -q "position: step 40;" || fail "kill in save: $("$NN" info ck_c/last.safetensors)"
[ "$(wc -l < c.log)" -eq 45 ] || fail "expected 45 lines in c.log"
ls -a ck_c | grep -q '^\.last\.safetensors\.tmp\.' || fail "expected the killed save's temporary file"
"$NN" train "${COMMON[@]}" --epochs 4 --save c.safetensors --log-steps c.log --checkpoint-dir ck_c --checkpoint-every 5 \
  --resume ck_c >/dev/null
same c.safetensors full.safetensors
same c.log full.log
if ls -a ck_c | grep -q '\.tmp\.'; then fail "temporary files left in ck_c: $(ls -a ck_c)"; fi

# 4. A larger --epochs trains on from the final checkpoint of a finished run.
"$NN" train "${COMMON[@]}" --epochs 5 --save full5.safetensors --log-steps full5.log >/dev/null
"$NN" train "${COMMON[@]}" --epochs 5 --save d.safetensors --log-steps a.log --checkpoint-dir ck_a --resume ck_a >/dev/null
same d.safetensors full5.safetensors
same a.log full5.log

# 5. BatchNorm (running statistics are buffers) and Dropout (its own generator), killed mid-epoch.
REG=(--data spiral:n=600,classes=3 --model linear:32,batchnorm,relu,dropout:0.2,linear:3 --batch-size 32 --optimizer sgd
     --lr 0.05 --threads 1 --seed 7 --quiet --epochs 3)
"$NN" train "${REG[@]}" --save full_reg.safetensors --log-steps full_reg.log >/dev/null
killed "${REG[@]}" --save e.safetensors --log-steps e.log --checkpoint-dir ck_e --checkpoint-every 3 --debug-kill-at-step 21
"$NN" train "${REG[@]}" --save e.safetensors --log-steps e.log --checkpoint-dir ck_e --resume ck_e >/dev/null
same e.safetensors full_reg.safetensors
same e.log full_reg.log

# 6. Refusals: a missing checkpoint, other settings. Exit status 1 with a message, no training.
rc=0; "$NN" train "${COMMON[@]}" --epochs 4 --resume missing/last.safetensors 2> err.txt || rc=$?
[ "$rc" -eq 1 ] || fail "--resume on a missing file: expected exit 1, got $rc"
grep -q "no checkpoint at 'missing/last.safetensors'" err.txt || fail "missing file message: $(cat err.txt)"
rc=0; "$NN" train "${COMMON[@]}" --epochs 4 --resume missing_dir 2> err.txt || rc=$?
[ "$rc" -eq 1 ] || fail "--resume on a missing folder: expected exit 1, got $rc"

OTHER=(--data spiral:n=600,classes=3 --model linear:32,relu,linear:3 --batch-size 32 --optimizer sgd --lr 0.05
       --scheduler step:1:0.5 --threads 1 --seed 7 --quiet --epochs 4)
rc=0; "$NN" train "${OTHER[@]}" --resume ck_b 2> err.txt || rc=$?
[ "$rc" -eq 1 ] || fail "other optimizer: expected exit 1, got $rc"
grep -q "the checkpoint was trained with .*optimizer.lr 0.01, .*optimizer.type Adam.*; this run asks for .*optimizer.lr 0.05, .*optimizer.type SGD" err.txt \
  || fail "other optimizer message: $(cat err.txt)"
rc=0; "$NN" train "${DATA[@]}" --model linear:16,relu,linear:3 "${REST[@]}" --epochs 4 --resume ck_b 2> err.txt || rc=$?
[ "$rc" -eq 1 ] && grep -q "model linear:32,relu,linear:3; this run asks for .*model linear:16,relu,linear:3" err.txt \
  || fail "other model ($rc): $(cat err.txt)"
rc=0; "$NN" train --data spiral:n=600,classes=3,seed=2 "${MODEL[@]}" "${REST[@]}" --epochs 4 --resume ck_b 2> err.txt || rc=$?
[ "$rc" -eq 1 ] && grep -q "data spiral:n=600,classes=3, data_hash [0-9a-f/]*; this run asks for data spiral:n=600,classes=3,seed=2, data_hash" err.txt \
  || fail "other data ($rc): $(cat err.txt)"
rc=0; "$NN" train "${COMMON[@]}" --epochs 1 --resume ck_b 2> err.txt || rc=$?
[ "$rc" -eq 1 ] && grep -q "has finished 4 epochs; --epochs 1 asks for fewer" err.txt || fail "fewer epochs ($rc): $(cat err.txt)"

echo "resume_test: all passed"
