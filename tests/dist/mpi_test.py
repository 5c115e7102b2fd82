#!/usr/bin/env python3
"""Data-parallel training through `mpirun -np N nn train` (Open MPI).

Usage: mpi_test.py PATH/TO/nn PATH/TO/nn_dist_loop [MPIRUN]

  equivalence  the main job's MLP and the small CNN trained with global batch B on 2 and 4 ranks end
               with the weights of a 1-process run within 1e-5 relative (the largest difference is
               printed) and the same per-epoch losses to 5 digits; an uneven last batch included,
               gradient clipping (CNN), and early stopping (2 ranks stop at the same epoch)
  reproducible two 2-rank runs write byte-identical models
  resume       a 2-rank run killed right after a checkpoint resumes on 4 ranks and on 1 process and
               ends where the uninterrupted run does; resumed on 2 ranks, exactly (bit for bit)
  killed rank  SIGKILL of rank 1 mid-training ends the whole job within 10 s, with a line naming it
  bad input    an unreadable data file on rank 1 only (mpirun's MPMD form gives each rank its own
               arguments): the job ends within 10 s with one line "rank 1 of 2: ..." naming the file;
               different data on rank 1: refused before training, in one line
  hand loop    a training loop written with nn::dist::GradientAllReduce gives the Trainer's weights

Without mpirun the test is skipped (exit 77), or fails when CI=true. Tiny data, 2 epochs: it takes
seconds. mpirun runs with Open MPI's documented variables for root (OMPI_ALLOW_RUN_AS_ROOT) and
--oversubscribe (more ranks than cores on a small machine).
"""
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

NN = LOOP = MPIRUN = None
WORK = None
FAILURES = []
TIMEOUT = 120


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def mpi_env():
    env = dict(os.environ)
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    return env


def mpirun(np, args, program=None, check_rc=True):
    cmd = [MPIRUN, "--oversubscribe", "-np", str(np), program or NN, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=WORK, env=mpi_env(), timeout=TIMEOUT)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    return p


def nn(args):
    p = subprocess.run([NN, *args], capture_output=True, text=True, cwd=WORK, timeout=TIMEOUT)
    if p.returncode != 0:
        raise RuntimeError("nn %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr[-2000:]))
    return p


# ---- files ---------------------------------------------------------------------------------------

def npy(path, descr, shape, values, fmt):
    header = ("{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))).encode()
    header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def make_images(n=170, side=12, classes=10, seed=3):
    """n small images, each a noisy bright bar whose position and direction give its class."""
    rng = random.Random(seed)
    xs, ys = [], []
    for _ in range(n):
        c = rng.randrange(classes)
        img = [rng.gauss(0.0, 0.3) for _ in range(side * side)]
        row = (c % 5) * 2 + 1
        for k in range(side):
            idx = row * side + k if c < 5 else k * side + row
            img[idx] += 1.5
        xs.extend(img)
        ys.append(c)
    npy(os.path.join(WORK, "x.npy"), "<f4", (n, side, side), xs, "f")
    npy(os.path.join(WORK, "y.npy"), "<i4", (n,), ys, "i")
    return "npy:x.npy,y.npy"


def safetensors(path):
    """name -> list of floats (F32 tensors) of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        b, e = t["data_offsets"]
        out[name] = struct.unpack("<%df" % ((e - b) // 4), blob[8 + n + b:8 + n + e])
    return out


def metrics(path):
    with open(os.path.join(WORK, path)) as f:
        return [json.loads(line) for line in f if line.strip()]


def largest_difference(a, b):
    """The largest over tensors of max|a - b| / max|b| (the difference relative to the tensor's scale)."""
    worst = 0.0
    assert a.keys() == b.keys(), (sorted(a), sorted(b))
    for name in a:
        scale = max(max(abs(v) for v in b[name]), 1e-12)
        worst = max(worst, max(abs(x - y) for x, y in zip(a[name], b[name])) / scale)
    return worst


def losses_agree(ma, mb):
    """Per-epoch training and validation losses equal to 5 significant digits (relative 1e-5)."""
    if len(ma) != len(mb):
        return False
    for ra, rb in zip(ma, mb):
        for key in ("train_loss", "val_loss"):
            if abs(ra[key] - rb[key]) > 1e-5 * abs(rb[key]):
                return False
    return True


# ---- the cases -----------------------------------------------------------------------------------

def equivalence(name, data, model, extra):
    # 170 samples, 153 after the 10% validation split: batches of 32 and a last one of 25 (4 ranks
    # take 6, 6, 6 and 7 of it).
    common = ["train", "--data", data, "--model", model, "--epochs", "2", "--batch-size", "32", "--threads", "1",
              "--seed", "5", "--quiet", *extra]
    nn(common + ["--save", name + "1.safetensors", "--metrics-out", name + "1.jsonl"])
    ref, ref_m = safetensors(os.path.join(WORK, name + "1.safetensors")), metrics(name + "1.jsonl")
    for np in (2, 4):
        mpirun(np, common + ["--save", "%s%d.safetensors" % (name, np), "--metrics-out", "%s%d.jsonl" % (name, np)])
        got = safetensors(os.path.join(WORK, "%s%d.safetensors" % (name, np)))
        diff = largest_difference(got, ref)
        print("     %s: %d ranks vs 1 process: largest weight difference %.3g (relative)" % (name, np, diff))
        check(diff <= 1e-5, "%s: %d-rank weights equal the 1-process run's within 1e-5 relative" % (name, np))
        m = metrics("%s%d.jsonl" % (name, np))
        print("     %s: train losses %s vs %s" % (name, ["%.5g" % r["train_loss"] for r in m],
                                                    ["%.5g" % r["train_loss"] for r in ref_m]))
        check(losses_agree(m, ref_m), "%s: %d-rank per-epoch losses equal the 1-process run's to 5 digits" % (name, np))
    return common


def early_stopping(data, model):
    # Patience 1 on a tiny data set that Adam overfits: the run stops early, at the same epoch on 2 ranks as in
    # one process (the stop is decided on the reduced validation loss), with the best weights back.
    args = ["train", "--data", data, "--model", model, "--epochs", "20", "--batch-size", "32", "--threads", "1",
            "--optimizer", "adam", "--lr", "0.01", "--patience", "1", "--seed", "3", "--quiet"]
    nn(args + ["--save", "es1.safetensors", "--metrics-out", "es1.jsonl"])
    mpirun(2, args + ["--save", "es2.safetensors", "--metrics-out", "es2.jsonl"])
    m1, m2 = metrics("es1.jsonl"), metrics("es2.jsonl")
    diff = largest_difference(safetensors(os.path.join(WORK, "es2.safetensors")),
                              safetensors(os.path.join(WORK, "es1.safetensors")))
    print("     early stopping: %d epochs in 1 process, %d on 2 ranks; largest weight difference %.3g"
          % (len(m1), len(m2), diff))
    print("     early stopping: val losses %s vs %s" % (["%.6g" % r["val_loss"] for r in m2],
                                                      ["%.6g" % r["val_loss"] for r in m1]))
    check(len(m1) < 20 and len(m1) == len(m2) and losses_agree(m2, m1) and diff <= 1e-5,
          "early stopping stops 2 ranks at the 1-process epoch with the same weights")


def reproducible(common):
    mpirun(2, common + ["--save", "rep_a.safetensors"])
    mpirun(2, common + ["--save", "rep_b.safetensors"])
    with open(os.path.join(WORK, "rep_a.safetensors"), "rb") as a, open(os.path.join(WORK, "rep_b.safetensors"), "rb") as b:
        check(a.read() == b.read(), "two 2-rank runs write byte-identical models")


def resume(common):
    # 5 batches per epoch, a checkpoint every 3: rank 0 killed (SIGKILL) right after the checkpoint
    # of step 6 (epoch 2, batch 1); the resumed runs start at epoch 2, batch 2.
    full = ["--save", "full.safetensors"]
    nn(common + full)
    mpirun(2, common + ["--save", "full2.safetensors"])
    p = mpirun(2, common + ["--checkpoint-dir", "ck", "--checkpoint-every", "3", "--debug-kill-at-step", "6"],
               check_rc=False)
    info = nn(["info", os.path.join(WORK, "ck", "last.safetensors")]).stdout
    check(p.returncode != 0 and "position: step 6; 1 epochs finished; resumes at epoch 2, batch 2" in info,
          "a 2-rank run killed after the checkpoint of step 6 ended failing and left it in ck/last.safetensors")
    shutil.copytree(os.path.join(WORK, "ck"), os.path.join(WORK, "ck1"))
    shutil.copytree(os.path.join(WORK, "ck"), os.path.join(WORK, "ck2"))
    mpirun(4, common + ["--checkpoint-dir", "ck", "--resume", "ck", "--save", "r4.safetensors"])
    diff = largest_difference(safetensors(os.path.join(WORK, "r4.safetensors")),
                              safetensors(os.path.join(WORK, "full.safetensors")))
    print("     resume: 2 ranks then 4 ranks vs 1 process: largest weight difference %.3g (relative)" % diff)
    check(diff <= 1e-5, "a 2-rank checkpoint resumed on 4 ranks ends at the 1-process weights within 1e-5")
    nn(common + ["--checkpoint-dir", "ck1", "--resume", "ck1", "--save", "r1.safetensors"])
    diff = largest_difference(safetensors(os.path.join(WORK, "r1.safetensors")),
                              safetensors(os.path.join(WORK, "full.safetensors")))
    print("     resume: 2 ranks then 1 process vs 1 process: largest weight difference %.3g (relative)" % diff)
    check(diff <= 1e-5, "a 2-rank checkpoint resumed in 1 process ends at the 1-process weights within 1e-5")
    mpirun(2, common + ["--checkpoint-dir", "ck2", "--resume", "ck2", "--save", "r2.safetensors"])
    with open(os.path.join(WORK, "r2.safetensors"), "rb") as a, open(os.path.join(WORK, "full2.safetensors"), "rb") as b:
        check(a.read() == b.read(), "a 2-rank run killed and resumed on 2 ranks writes the uninterrupted run's model, "
                                    "byte for byte")


def children_with_rank(parent, rank):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/status" % pid) as f:
                ppid = next(int(line.split()[1]) for line in f if line.startswith("PPid:"))
            if ppid != parent:
                continue
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            if b"OMPI_COMM_WORLD_RANK=%d" % rank in env:
                return int(pid)
        except (OSError, StopIteration):
            continue
    return None


def killed_rank(data, model):
    # Long enough to be killed in the middle: many epochs of the tiny data set, a step log to watch.
    args = ["train", "--data", data, "--model", model, "--epochs", "100000", "--batch-size", "32", "--threads", "1",
            "--quiet", "--log-steps", "steps.log"]
    cmd = [MPIRUN, "--oversubscribe", "-np", "2", NN, *args]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=WORK, env=mpi_env())
    log = os.path.join(WORK, "steps.log")
    deadline = time.time() + 60
    while time.time() < deadline and (not os.path.exists(log) or os.path.getsize(log) < 200):
        time.sleep(0.05)
    victim = children_with_rank(p.pid, 1)
    check(victim is not None, "found rank 1 of the running job")
    if victim is None:
        p.kill()
        p.communicate()
        return
    t0 = time.time()
    os.kill(victim, signal.SIGKILL)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        check(False, "the job ended after rank 1 was killed (it hung for 30 s)")
        return
    took = time.time() - t0
    print("     killed rank: the job ended %.2f s after SIGKILL of rank 1 (exit status %d)" % (took, p.returncode))
    check(took < 10 and p.returncode != 0, "killing rank 1 ends the whole job within 10 s, with a failure status")
    line = next((l for l in err.splitlines() if "rank 1" in l and ("signal 9" in l or "Killed" in l)), None)
    print("     killed rank: " + (line or err.strip()[-300:]))
    check(line is not None, "one line names rank 1 and the signal that killed it")


def bad_input_on_one_rank(data, model):
    common = ["train", "--model", model, "--epochs", "2", "--batch-size", "32", "--threads", "1", "--quiet"]
    cmd = [MPIRUN, "--oversubscribe", "-np", "1", NN, *common, "--data", data, ":",
           "-np", "1", NN, *common, "--data", "csv:missing_on_rank1.csv"]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=WORK, env=mpi_env(), timeout=60)
    took = time.time() - t0
    ours = [l for l in p.stderr.splitlines() if l.startswith("nn: error:")]
    print("     bad input: the job ended in %.2f s (exit status %d); %s" % (took, p.returncode, ours))
    check(p.returncode != 0 and took < 10, "an unreadable file on rank 1 only ends the job within 10 s, failing")
    check(len(ours) == 1 and "rank 1 of 2" in ours[0] and "missing_on_rank1.csv" in ours[0],
          "one line names rank 1 and the file")
    # Readable but different data on rank 1: refused before training, on every rank, in one line.
    cmd = [MPIRUN, "--oversubscribe", "-np", "1", NN, *common, "--data", data, ":",
           "-np", "1", NN, *common, "--data", data.replace("n=200", "n=230")]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=WORK, env=mpi_env(), timeout=60)
    ours = [l for l in p.stderr.splitlines() if l.startswith("nn: error:")]
    print("     different data: exit status %d; %s" % (p.returncode, ours))
    check(p.returncode != 0 and len(ours) == 1 and "differs between ranks" in ours[0],
          "different data on rank 1 is refused with one line")


def hand_loop():
    for np in (1, 2, 3):
        p = mpirun(np, [], program=LOOP)
        print("     " + p.stdout.strip().replace("\n", "\n     "))
        check("same weights" in p.stdout, "the hand-written loop's weights equal the Trainer's on %d ranks" % np)


def main():
    global NN, LOOP, MPIRUN, WORK
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    NN, LOOP = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    MPIRUN = sys.argv[3] if len(sys.argv) > 3 else shutil.which("mpirun")
    if not MPIRUN or not os.path.exists(MPIRUN):
        print("mpirun not found (install openmpi-bin)")
        return 1 if os.environ.get("CI") == "true" else 77
    WORK = tempfile.mkdtemp(prefix="nn-mpi-test-")
    try:
        images = make_images()
        mlp = "linear:128,relu,linear:32,relu,linear:10"
        cnn = "conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10"
        common = equivalence("mlp", images, mlp, ["--optimizer", "adam", "--lr", "0.003"])
        equivalence("cnn", images, cnn, ["--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9",
                                         "--clip-grad-norm", "1"])
        early_stopping(images, mlp)
        reproducible(common)
        resume(common)
        killed_rank("spiral:n=600", "linear:32,relu,linear:3")
        bad_input_on_one_rank("spiral:n=200", "linear:16,relu,linear:3")
        hand_loop()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
