#!/usr/bin/env python3
"""nn train interrupted through a real child process: SIGINT and SIGTERM stop it after the current
step with a checkpoint from which --resume continues exactly, the model, the metrics so far and one
line saying what was kept (exit 130 / 143); a second signal ends it at once with no half-written
file; a SIGKILLed run's metrics file holds every finished epoch, each line complete.

usage: interrupt_test.py PATH/TO/nn"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

NN = None
# Long enough that a signal lands mid-training (hundreds of steps a second on one thread).
DATA = ["--data", "moons:n=4000", "--model", "linear:256,relu,linear:256,relu,linear:2", "--batch-size", "16",
        "--threads", "1", "--seed", "7", "--progress-lines"]
EPOCHS = 12


def lines_of(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def text_of(path):
    with open(path) as f:
        return f.read()


def hidden_temporaries(folder):
    return [p for p in glob.glob(os.path.join(folder, "**", ".*.tmp.*"), recursive=True)]


class InterruptTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nn-interrupt-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, *args):
        err = open(self.path("stderr.txt"), "w")
        p = subprocess.Popen([NN, "train", *DATA, *args], stdout=subprocess.PIPE, stderr=err, text=True)
        err.close()
        return p

    def wait_for(self, what, timeout=60):
        t0 = time.time()
        while not what():
            if time.time() - t0 > timeout:
                self.fail("timed out waiting; stderr: " + text_of(self.path("stderr.txt")))
            time.sleep(0.02)

    def outputs(self, tag):
        return ["--checkpoint-dir", self.path("ck-" + tag), "--save", self.path(tag + ".safetensors"),
                "--metrics-out", self.path(tag + ".jsonl"), "--log-steps", self.path(tag + ".steps")]

    def interrupt(self, sig, tag, after_steps):
        p = self.start("--epochs", str(EPOCHS), *self.outputs(tag))
        self.wait_for(lambda: len(lines_of(self.path(tag + ".steps"))) >= after_steps or p.poll() is not None)
        self.assertIsNone(p.poll(), "the run ended before the signal; make it longer")
        p.send_signal(sig)
        out, _ = p.communicate(timeout=60)
        err = text_of(self.path("stderr.txt"))
        return p.returncode, out, err

    def test_sigint_keeps_everything_and_resume_is_exact(self):
        rc, out, err = self.interrupt(signal.SIGINT, "a", 300)
        self.assertEqual(rc, 130, err)
        last = err.strip().splitlines()[-1]
        self.assertTrue(last.startswith("nn: interrupted by SIGINT at epoch "), last)
        for part in ["kept: checkpoint", "last.safetensors", "--resume", "model " + self.path("a.safetensors"),
                     "metrics " + self.path("a.jsonl")]:
            self.assertIn(part, last)
        self.assertEqual(sum(1 for l in err.splitlines() if l.startswith("nn:")), 1, err)
        self.assertTrue(os.path.isfile(self.path("ck-a/last.safetensors")))
        self.assertTrue(os.path.isfile(self.path("a.safetensors")))
        self.assertEqual(hidden_temporaries(self.dir), [])
        metrics = [json.loads(l) for l in lines_of(self.path("a.jsonl"))]
        self.assertEqual([m["epoch"] for m in metrics], list(range(1, len(metrics) + 1)))
        self.assertLess(len(metrics), EPOCHS)
        # The interrupted model loads and describes itself.
        r = subprocess.run([NN, "info", self.path("a.safetensors")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

        # --resume continues exactly: the same step log and the same model bytes as a run never stopped.
        r = subprocess.run([NN, "train", *DATA, "--epochs", str(EPOCHS), *self.outputs("a"),
                            "--resume", self.path("ck-a")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([NN, "train", *DATA, "--epochs", str(EPOCHS), *self.outputs("b")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(lines_of(self.path("a.steps")), lines_of(self.path("b.steps")))
        with open(self.path("a.safetensors"), "rb") as fa, open(self.path("b.safetensors"), "rb") as fb:
            self.assertEqual(fa.read(), fb.read(), "the resumed model differs from the uninterrupted one")
        strip = lambda rows: [{k: v for k, v in json.loads(r).items() if k not in ("seconds", "samples_per_second")}
                              for r in rows]
        self.assertEqual(strip(lines_of(self.path("a.jsonl"))), strip(lines_of(self.path("b.jsonl"))))

    def test_sigterm_exits_143(self):
        rc, out, err = self.interrupt(signal.SIGTERM, "t", 100)
        self.assertEqual(rc, 143, err)
        self.assertIn("nn: interrupted by SIGTERM", err.strip().splitlines()[-1])
        self.assertTrue(os.path.isfile(self.path("ck-t/last.safetensors")))
        self.assertEqual(hidden_temporaries(self.dir), [])

    def test_second_signal_exits_at_once_leaving_no_partial_file(self):
        # The run pauses inside the save of step 50's checkpoint (its temporary file complete, not
        # yet renamed); the first SIGINT asks for a stop, the second must end it at once and take
        # the temporary with it.
        p = self.start("--epochs", str(EPOCHS), "--checkpoint-dir", self.path("ck"), "--checkpoint-every", "10",
                       "--debug-pause-in-save", "50", "--metrics-out", self.path("m.jsonl"))
        self.wait_for(lambda: "debug: pausing" in text_of(self.path("stderr.txt")) or p.poll() is not None)
        self.assertIsNone(p.poll())
        self.assertEqual(len(glob.glob(self.path("ck/.last.safetensors.tmp.*"))), 1)
        p.send_signal(signal.SIGINT)
        time.sleep(0.2)
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=20)
        self.assertLess(time.time() - t0, 5)
        self.assertEqual(p.returncode, 130)
        self.assertEqual(hidden_temporaries(self.dir), [])
        # The checkpoint of step 40 is the complete one in place, and it resumes.
        r = subprocess.run([NN, "info", self.path("ck/last.safetensors")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("step 40", r.stdout)

    def test_interrupted_run_writes_the_report_of_its_finished_epochs(self):
        report = self.path("run")
        p = self.start("--epochs", str(EPOCHS), "--report", report, "--metrics-out", self.path("m.jsonl"), "--json")
        self.wait_for(lambda: len(lines_of(self.path("m.jsonl"))) >= 1 or p.poll() is not None)
        self.assertIsNone(p.poll())
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
        err = text_of(self.path("stderr.txt"))
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("report " + report, err.strip().splitlines()[-1])
        for f in ["report.html", "run.json", "metrics.jsonl", "model.safetensors", "loss.svg"]:
            self.assertTrue(os.path.isfile(os.path.join(report, f)), f)
        finished = len(lines_of(os.path.join(report, "metrics.jsonl")))
        self.assertGreaterEqual(finished, 1)
        self.assertEqual(finished, len(lines_of(self.path("m.jsonl"))))
        # The JSON summary says what happened.
        summary = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
        self.assertEqual(summary["interrupted"], "SIGINT")
        self.assertEqual(summary["epochs"], finished)
        self.assertEqual(hidden_temporaries(self.dir), [])
        # nn report reads the folder back.
        r = subprocess.run([NN, "report", report, "--out", self.path("again")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_killed_run_keeps_every_finished_epoch(self):
        p = self.start("--epochs", "200", "--metrics-out", self.path("m.jsonl"))
        self.wait_for(lambda: len(lines_of(self.path("m.jsonl"))) >= 2)
        p.kill()
        p.communicate()
        with open(self.path("m.jsonl")) as f:
            text = f.read()
        self.assertTrue(text.endswith("\n"))
        rows = [json.loads(l) for l in text.splitlines()]
        self.assertGreaterEqual(len(rows), 2)
        self.assertEqual([r["epoch"] for r in rows], list(range(1, len(rows) + 1)))


if __name__ == "__main__":
    NN = sys.argv.pop(1)
    unittest.main()
