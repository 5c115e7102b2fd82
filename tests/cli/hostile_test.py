"""The real `nn` binary against hostile files and bad values: what it must refuse, what it must never
write over, what it must never leave behind, and the tutorials' networks that must work.

Usage: python3 hostile_test.py PATH/TO/nn   (CTest passes the built binary)
"""
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import unittest

NN = None


def run(*args, cwd=None, timeout=60):
    return subprocess.run([NN, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          errors="replace")


def npy_f32(shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % repr(tuple(shape))
    header = header.encode("latin1")
    header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + struct.pack("<%df" % len(values), *values)


class HostileTest(unittest.TestCase):
    model = None  # a small trained model, shared by the tests that need one

    @classmethod
    def setUpClass(cls):
        cls.shared = tempfile.mkdtemp(prefix="nn-hostile-model-")
        cls.model = os.path.join(cls.shared, "m.safetensors")
        r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--epochs", "2", "--quiet",
                "--save", cls.model)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.shared)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nn-hostile-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, content):
        with open(self.path(name), "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)
        return self.path(name)

    def one_line_error(self, r, *expect, code=1):
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("nn: error: "), lines[0])
        for e in expect:
            self.assertIn(e, lines[0])
        return lines[0]

    def no_temporaries(self, folder):
        left = [n for n in os.listdir(folder) if ".tmp" in n]
        self.assertEqual(left, [], "temporary files left in " + folder)

    # ---- the tutorials' networks -----------------------------------------------------------------

    def test_tutorial_xor_network_trains_from_the_cli(self):
        # Linear(2, 3), Tanh, Linear(3, 1), Tanh; MSE on the 0/1 labels; SGD, one sample per step.
        r = run("train", "--data", "xor", "--model", "linear:3,tanh,linear:1,tanh", "--loss", "mse",
                "--optimizer", "sgd", "--momentum", "0", "--lr", "0.1", "--batch-size", "1", "--epochs", "1000",
                "--val-split", "0", "--scale", "none", "--seed", "1", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("accuracy 100.00%", r.stdout)
        for loss in ["bce", "bce-logits"]:
            last = "sigmoid" if loss == "bce" else "identity"
            r = run("train", "--data", "xor", "--model", "linear:8,tanh,linear:1," + last, "--loss", loss,
                    "--optimizer", "adam", "--lr", "0.05", "--batch-size", "4", "--epochs", "300",
                    "--val-split", "0", "--scale", "none", "--quiet")
            self.assertEqual(r.returncode, 0, loss + ": " + r.stderr)
            self.assertIn("accuracy 100.00%", r.stdout, loss)

    def test_images_are_scaled_to_unit_range_by_default(self):
        # 8x8 images with values 0..255: a bright 3x3 square in one of two corners, on noise. Samples of
        # two dimensions are images: --scale auto maps them onto [0, 1] by the overall range instead
        # of standardising each pixel (which stalls a small CNN).
        import random
        rng = random.Random(7)
        n = 400
        xs, ys = [], []
        for i in range(n):
            label = i % 2
            img = [rng.uniform(0, 60) for _ in range(64)]
            r0 = 0 if label == 0 else 5
            for r in range(r0, r0 + 3):
                for c in range(r0, r0 + 3):
                    img[r * 8 + c] = rng.uniform(180, 255)
            xs += img
            ys.append(label)
        x = self.write("x.npy", npy_f32((n, 8, 8), xs))
        header = "{'descr': '<i4', 'fortran_order': False, 'shape': (%d,), }" % n
        header = header.encode("latin1")
        header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
        y = self.write("y.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header +
                       struct.pack("<%di" % n, *ys))
        model = self.path("cnn.safetensors")
        r = run("train", "--data", "npy:%s,%s" % (x, y), "--model", "conv:4:3:1:1,relu,maxpool:2,flatten,linear:2",
                "--epochs", "5", "--optimizer", "adam", "--lr", "0.01", "--quiet", "--save", model,
                "--clip-grad-norm", "5")
        self.assertEqual(r.returncode, 0, r.stderr)
        accuracy = float(r.stdout.split("accuracy ")[1].split("%")[0])
        self.assertGreaterEqual(accuracy, 95.0, r.stdout)
        with open(model, "rb") as f:
            length = struct.unpack("<Q", f.read(8))[0]
            metadata = json.loads(f.read(length))["__metadata__"]
        self.assertEqual(json.loads(metadata["nn.preprocess"])["kind"], "range")

    def test_probability_cross_entropy_on_logits_is_an_error(self):
        r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--loss", "nll-probs",
                "--epochs", "1", "--quiet")
        self.one_line_error(r, "expected probabilities in [0, 1]", "--loss cross-entropy")

    # ---- reads that must not hang or exhaust memory ------------------------------------------------

    def test_fifo_and_device_inputs_are_refused_at_once(self):
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        fifo_npy = self.path("fifo.npy")
        os.mkfifo(fifo_npy)
        cases = [
            ("info", fifo),
            ("info", "/dev/zero"),
            ("eval", fifo, "--data", "blobs"),
            ("predict", self.model, "--input", fifo_npy),
            ("train", "--data", "csv:" + fifo, "--epochs", "1"),
            ("train", "--data", "csv:/dev/zero", "--epochs", "1"),
        ]
        for args in cases:
            r = run(*args, timeout=20)
            self.one_line_error(r, "not a regular file")
        spec = self.path("spec.json")
        os.mkfifo(spec)
        r = run("train", "--data", "blobs", "--model", spec, "--epochs", "1", timeout=20)
        self.one_line_error(r, "not a regular file")
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_huge_sizes_in_a_spec_fail_before_allocating(self):
        r = run("train", "--data", "blobs", "--model", "linear:9223372036854775807", "--epochs", "1")
        self.one_line_error(r, "linear")
        r = run("train", "--data", "blobs", "--model", "[" * 100000, "--epochs", "1")
        self.one_line_error(r, "nest")

    # ---- writes that must never replace what is not a regular file ----------------------------------

    def write_targets(self):
        """Paths that are a symlink (to a victim file), a FIFO and a character device."""
        victim = self.write("victim.txt", "precious\n")
        link = self.path("link")
        os.symlink(victim, link)
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        targets = {"symlink": link, "FIFO": fifo}
        dev = self.path("null")
        try:
            os.mknod(dev, stat.S_IFCHR | 0o600, os.makedev(1, 3))
            targets["device"] = dev
        except (PermissionError, OSError):
            pass  # not root: the device case runs where the tests run as root (CI)
        return victim, targets

    def check_untouched(self, victim, targets):
        with open(victim) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assertTrue(os.path.islink(targets["symlink"]))
        self.assertTrue(stat.S_ISFIFO(os.lstat(targets["FIFO"]).st_mode))
        if "device" in targets:
            self.assertTrue(stat.S_ISCHR(os.lstat(targets["device"]).st_mode))
        self.no_temporaries(self.dir)

    def test_outputs_never_replace_a_symlink_fifo_or_device(self):
        victim, targets = self.write_targets()
        x = self.write("x.npy", npy_f32((2, 2), [0, 0, 5, 5]))
        for kind, target in targets.items():
            for flag in ["--save", "--metrics-out", "--log-steps"]:
                r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--epochs", "1", "--quiet",
                        flag, target, timeout=30)
                self.one_line_error(r, target, kind)
            r = run("predict", self.model, "--input", x, "--output", target, timeout=30)
            self.one_line_error(r, target, kind)
        self.check_untouched(victim, targets)

    def test_a_pre_placed_symlink_at_a_temporary_name_is_not_followed(self):
        victim = self.write("victim.txt", "precious\n")
        out = self.path("m.safetensors")
        # Every fixed or guessable temporary name a writer might use.
        for name in [".m.safetensors.tmp", "m.safetensors.tmp", ".m.safetensors.tmp.XXXXXX"]:
            os.symlink(victim, self.path(name))
        r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--epochs", "1", "--quiet",
                "--save", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(victim) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assertTrue(os.path.isfile(out) and not os.path.islink(out))

    def test_full_disk_is_an_error_and_leaves_nothing(self):
        # A file-size limit makes the kernel fail the writes (EFBIG) as a full disk would; the child
        # ignores SIGXFSZ so that the failed write is reported, not a signal. Never a real device.
        import resource

        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

        x = self.write("x.npy", npy_f32((2000, 2), [0.5] * 4000))
        out = self.path("out")
        os.mkdir(out)
        for args in [("predict", self.model, "--input", x, "--output", os.path.join(out, "y.npy")),
                     ("train", "--data", "blobs", "--model", "linear:512,relu,linear:2", "--epochs", "1", "--quiet",
                      "--save", os.path.join(out, "m.safetensors"))]:
            r = subprocess.run([NN, *args], capture_output=True, text=True, timeout=60, preexec_fn=limit)
            self.one_line_error(r, out)
            self.assertEqual(os.listdir(out), [], "files left behind")

    # ---- bad values are errors naming the flag and the value ----------------------------------------

    def test_invalid_flag_values_name_the_flag_and_value(self):
        base = ["train", "--data", "blobs", "--model", "linear:2", "--epochs", "1", "--quiet"]
        for flag, value in [("--lr", "-0.5"), ("--lr", "nan"), ("--seed", "-1"), ("--momentum", "-1"),
                            ("--weight-decay", "-0.1"), ("--val-split", "1.5"), ("--batch-size", "0"),
                            ("--epochs", "-1"), ("--threads", "-3"), ("--clip-grad-norm", "-1")]:
            args = list(base)
            if flag in args:
                i = args.index(flag)
                args[i + 1] = value
            else:
                args += [flag, value]
            r = run(*args)
            self.one_line_error(r, flag, value, code=2)

    def test_nan_label_in_a_csv_is_an_error(self):
        csv = self.write("d.csv", "a,b,label\n1,2,0\n3,4,nan\n5,6,1\n")
        r = run("train", "--data", "csv:" + csv, "--model", "linear:2", "--epochs", "1", "--quiet")
        self.one_line_error(r, "d.csv", "nan")

    # ---- nothing half-written or left behind --------------------------------------------------------

    def test_failing_save_leaves_no_metrics_file(self):
        out = self.path("out")
        os.mkdir(out)
        metrics = os.path.join(out, "m.jsonl")
        r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--epochs", "1", "--quiet",
                "--metrics-out", metrics, "--save", os.path.join(self.dir, "missing", "m.safetensors"))
        self.one_line_error(r, "missing")
        self.assertEqual(os.listdir(out), [])

    def test_divergence_leaves_no_step_log_and_no_model(self):
        out = self.path("out")
        os.mkdir(out)
        r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--loss", "mse",
                "--optimizer", "sgd", "--lr", "1e30", "--epochs", "3", "--quiet",
                "--log-steps", os.path.join(out, "steps.txt"), "--save", os.path.join(out, "m.safetensors"),
                "--metrics-out", os.path.join(out, "m.jsonl"))
        self.one_line_error(r, "training diverged")
        self.assertEqual(os.listdir(out), [])

    def test_divergence_with_checkpoints_keeps_only_finite_ones(self):
        ck = self.path("ck")
        r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--loss", "mse",
                "--optimizer", "sgd", "--lr", "1e30", "--epochs", "3", "--quiet", "--checkpoint-dir", ck,
                "--checkpoint-every", "1")
        self.one_line_error(r, "training diverged")
        for name in os.listdir(ck) if os.path.isdir(ck) else []:
            self.assertFalse(name.startswith("."), "temporary left: " + name)
            info = run("info", os.path.join(ck, name))
            self.assertEqual(info.returncode, 0, info.stderr)
            self.assertNotIn("nan", info.stdout.lower().replace("val_loss nan", ""))

    def test_temporaries_of_a_killed_save_are_cleaned_by_the_next_run(self):
        ck = self.path("ck")
        r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--epochs", "2", "--quiet",
                "--checkpoint-dir", ck, "--checkpoint-every", "5", "--debug-kill-in-save", "5")
        self.assertEqual(r.returncode, -signal.SIGKILL, r.stderr)
        self.assertTrue(any(".tmp" in n for n in os.listdir(ck)), os.listdir(ck))
        r = run("train", "--data", "blobs", "--model", "linear:4,relu,linear:2", "--epochs", "1", "--quiet",
                "--checkpoint-dir", ck)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.no_temporaries(ck)

    def test_path_with_invalid_utf8_trains_and_writes_valid_json(self):
        rows = ["a,b,label"] + ["%d,%d,%d" % (i, i % 3, i % 2) for i in range(40)]
        name = os.path.join(os.fsencode(self.dir), b"data\xff.csv")
        with open(name, "w") as f:
            f.write("\n".join(rows) + "\n")
        report = os.path.join(self.dir, "run")
        r = subprocess.run([NN, "train", "--data", b"csv:" + name, "--model", "linear:2", "--epochs", "1",
                            "--quiet", "--report", report, "--metrics-out", os.path.join(self.dir, "m.jsonl")],
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(report, "run.json")) as f:
            run_json = json.load(f)
        self.assertIn("data", run_json["settings"])
        r = run("info", os.path.join(report, "model.safetensors"))
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    NN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=1)
