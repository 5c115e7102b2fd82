"""Runs the real `nn` binary on good and bad input: exit codes, one-line errors, no files left behind.

Usage: python3 cli_test.py PATH/TO/nn   (CTest passes the built binary)
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

NN = None


def run(*args, cwd=None):
    return subprocess.run([NN, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def npy_bytes(descr, shape, payload, fortran=False, magic=b"\x93NUMPY", header_override=None):
    header = header_override or "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", repr(tuple(shape)))
    header = header.encode("latin1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return magic + b"\x01\x00" + struct.pack("<H", len(header)) + header + payload


def idx_images(count, rows, cols, magic=0x803, dims=None, data=None):
    dims = dims if dims is not None else [count, rows, cols]
    head = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)
    return head + (data if data is not None else bytes(count * rows * cols))


def idx_labels(labels, magic=0x801):
    return struct.pack(">II", magic, len(labels)) + bytes(labels)


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nn-cli-")
        self.out = os.path.join(self.dir, "out")
        os.mkdir(self.out)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, content):
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(self.path(name), mode) as f:
            f.write(content)
        return self.path(name)

    def train_fails(self, *args, expect):
        """nn train with --save and --metrics-out into an empty folder: exit 1, one line naming the
        problem, and the folder still empty."""
        r = run("train", *args, "--epochs", "1", "--quiet",
                "--save", os.path.join(self.out, "m.safetensors"),
                "--metrics-out", os.path.join(self.out, "m.jsonl"))
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("nn: error: "), lines[0])
        for e in expect:
            self.assertIn(e, lines[0])
        self.assertEqual(os.listdir(self.out), [], "files left behind")
        return lines[0]

    # ---- usage ---------------------------------------------------------------------------------

    def test_help_of_every_subcommand(self):
        for sub in ["train", "eval", "predict", "info"]:
            r = run(sub, "--help")
            self.assertEqual(r.returncode, 0, sub)
            self.assertIn("--", r.stdout)
        r = run("--help")
        self.assertIn("fashion-mnist", r.stdout)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run().returncode, 2)
        self.assertEqual(run("train", "--epochs", "many").returncode, 2)
        self.assertEqual(run("frobnicate").returncode, 2)
        self.assertEqual(run("eval").returncode, 2)

    def test_command_line_conventions(self):
        # An unknown command is named, with the closest one.
        r = run("trian")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command 'trian'; did you mean 'train'?", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        # nn, nn help and nn --help print the overview (the commands); nn help COMMAND its help.
        for args, rc in [((), 2), (("help",), 0), (("--help",), 0)]:
            r = run(*args)
            self.assertEqual(r.returncode, rc, args)
            for sub in ["train", "eval", "predict", "info", "report"]:
                self.assertIn(sub, r.stdout)
            self.assertIn("Usage: nn ", r.stdout)
        r = run("help", "eval")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: nn eval", r.stdout)
        # Each command's help lists its own settings only: no data specs where no data is read.
        for sub in ["predict", "info", "report"]:
            r = run(sub, "--help")
            self.assertNotIn("Data specs", r.stdout, sub)
            self.assertNotIn("--epochs", r.stdout, sub)
        self.assertIn("Data specs", run("train", "--help").stdout)
        # nn train without --data: a usage error with an example, not a run.
        r = run("train", "--epochs", "1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--data is required", r.stderr)
        self.assertIn("e.g. nn train --data fashion-mnist", r.stderr)
        # nn info on a file that is no model says so.
        notes = self.write("notes.txt", "just some text, long enough to hold a length field\n")
        r = run("info", notes)
        self.assertEqual(r.returncode, 1)
        self.assertIn("notes.txt: not a safetensors file", r.stderr)

    def test_default_model_follows_the_data_and_json_summary(self):
        model = os.path.join(self.out, "m.safetensors")
        r = run("train", "--data", "blobs:centers=3", "--epochs", "2", "--quiet", "--json", "--save", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertEqual(summary["epochs"], 2)
        self.assertEqual(summary["last"]["epoch"], 2)
        self.assertIsNone(summary["interrupted"])
        self.assertEqual(summary["model"], model)
        self.assertIn(summary["best_epoch"], [1, 2])
        self.assertEqual(summary["steps"], "cpu")
        for key in ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"]:
            self.assertIsInstance(summary["last"][key], float)
        r = run("info", model)
        self.assertIn("Linear(in_features=32, out_features=3", r.stdout)
        # An explicit model too narrow for the data names both sizes.
        r = run("train", "--data", "blobs:centers=3", "--model", "linear:2", "--epochs", "1", "--quiet")
        self.assertEqual(r.returncode, 1)
        self.assertIn("2 outputs", r.stderr)
        self.assertIn("3 classes", r.stderr)
        # Too wide as well: one output per class, or one output for two classes.
        r = run("train", "--data", "blobs:centers=3", "--model", "linear:5", "--epochs", "1", "--quiet")
        self.assertEqual(r.returncode, 1)
        self.assertIn("5 outputs", r.stderr)
        self.assertIn("expected 3 outputs", r.stderr)
        r = run("train", "--data", "blobs", "--model", "linear:1", "--loss", "bce-logits", "--epochs", "1", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)

    # ---- good runs -------------------------------------------------------------------------------

    def test_train_save_eval_predict_info(self):
        model = os.path.join(self.out, "m.safetensors")
        metrics = os.path.join(self.out, "m.jsonl")
        r = run("train", "--data", "blobs", "--model", "linear:8,relu,linear:2", "--epochs", "10", "--lr", "0.01", "--quiet",
                "--save", model, "--metrics-out", metrics, "--threads", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(metrics) as f:
            rows = [json.loads(line) for line in f]
        self.assertEqual([row["epoch"] for row in rows], list(range(1, 11)))
        for key in ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds", "samples_per_second"]:
            self.assertIn(key, rows[0])
        r = run("eval", model, "--data", "blobs", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        ev = json.loads(r.stdout)
        self.assertGreater(ev["accuracy"], 0.9)
        self.assertEqual(len(ev["per_class"]), 2)
        r = run("info", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("total parameters: 42", r.stdout)
        x = self.write("x.npy", npy_bytes("<f4", (2, 2), struct.pack("<4f", 0, 0, 5, 5)))
        y = os.path.join(self.out, "y.npy")
        r = run("predict", model, "--input", x, "--output", y)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(y, "rb") as f:
            self.assertEqual(f.read(6), b"\x93NUMPY")
        r = run("predict", model, "--input", x)
        self.assertEqual(len(r.stdout.split()), 2)

    def test_xor_learns(self):
        r = run("train", "--data", "xor", "--model", "linear:8,tanh,linear:2", "--epochs", "300", "--batch-size", "4",
                "--optimizer", "sgd", "--lr", "0.5", "--quiet", "--val-split", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("accuracy 100.00%", r.stdout)

    def test_csv_and_npy_data(self):
        rows = ["a,b,label"] + ["%d,%d,%d" % (i, i % 3, (i % 3 > 0)) for i in range(60)]
        csv = self.write("d.csv", "\n".join(rows) + "\n")
        r = run("train", "--data", "csv:" + csv, "--model", "linear:4,relu,linear:2", "--epochs", "2", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        xs = struct.pack("<%df" % 40, *[float(i % 7) for i in range(40)])
        x = self.write("x.npy", npy_bytes("<f4", (20, 2), xs))
        y = self.write("y.npy", npy_bytes("<i8", (20,), struct.pack("<20q", *[i % 2 for i in range(20)])))
        r = run("train", "--data", "npy:%s,%s" % (x, y), "--model", "linear:2", "--epochs", "2", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_classic_neurons(self):
        metrics = os.path.join(self.out, "p.jsonl")
        r = run("train", "--data", "blobs", "--model", "perceptron", "--epochs", "10", "--metrics-out", metrics)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(metrics) as f:
            errors = [json.loads(line)["errors"] for line in f]
        self.assertEqual(len(errors), 10)
        self.assertEqual(errors[-3:], [0, 0, 0])
        self.assertIn("accuracy 100.00%", r.stdout)
        r = run("train", "--data", "blobs", "--model", "adaline", "--epochs", "20", "--lr", "0.01",
                "--metrics-out", metrics)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(metrics) as f:
            losses = [json.loads(line)["loss"] for line in f]
        self.assertTrue(all(b < a for a, b in zip(losses, losses[1:])), losses)
        report = os.path.join(self.out, "adaline-report")
        r = run("train", "--data", "blobs", "--model", "adaline-sgd", "--epochs", "10", "--quiet", "--report", report)
        self.assertEqual(r.returncode, 0, r.stderr)
        import xml.etree.ElementTree as ET
        root = ET.parse(os.path.join(report, "loss.svg")).getroot()
        self.assertTrue(root.tag.endswith("svg"))
        # A perceptron's --report folder is one that nn report reads back: the same page again.
        folder = os.path.join(self.out, "perceptron-report")
        r = run("train", "--data", "blobs", "--model", "perceptron", "--epochs", "10", "--quiet", "--report", folder)
        self.assertEqual(r.returncode, 0, r.stderr)
        for f in ["run.json", "metrics.jsonl", "errors.svg", "report.html"]:
            self.assertTrue(os.path.isfile(os.path.join(folder, f)), f)
        again = os.path.join(self.out, "perceptron-again")
        r = run("report", folder, "--out", again)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(folder, "report.html")) as a, open(os.path.join(again, "report.html")) as b:
            page = a.read()
            self.assertEqual(page, b.read())
        self.assertIn("Perceptron on blobs", page)
        self.assertIn("accuracy on the validation split", page)
        r = run("train", "--data", "blobs", "--model", "adaline-sgd", "--epochs", "10", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("train", "--data", "blobs:centers=3", "--model", "perceptron", "--metrics-out", metrics + ".new")
        self.assertEqual(r.returncode, 1)
        self.assertIn("two classes", r.stderr)
        self.assertIn("3 classes", r.stderr)
        self.assertFalse(os.path.exists(metrics + ".new"))
        r = run("train", "--data", "blobs", "--model", "perceptron", "--save", os.path.join(self.out, "p.safetensors"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("networks only", r.stderr)

    # ---- bad input: each one line, exit 1, nothing left behind -----------------------------------

    def test_missing_file(self):
        self.train_fails("--data", "csv:" + self.path("nope.csv"), expect=["nope.csv"])
        self.train_fails("--data", "fashion-mnist", "--data-dir", self.path("nowhere"), expect=["nowhere"])

    def mnist_dir(self, images, labels, gz=False):
        d = self.path("mnist")
        os.makedirs(d, exist_ok=True)
        for name, content in [("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels),
                              ("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)]:
            if gz:
                with gzip.open(os.path.join(d, name + ".gz"), "wb") as f:
                    f.write(content)
            else:
                with open(os.path.join(d, name), "wb") as f:
                    f.write(content)
        return d

    def test_predict_reads_npy_csv_idx_and_writes_npy_csv_with_class_names(self):
        # CSV data with text labels: the model keeps the class names and predict prints them.
        rows = ["a,b,kind"] + ["%d,%d,%s" % (i, -i, "left" if i < 0 else "right") for i in range(-30, 30) if i]
        data = self.write("d.csv", "\n".join(rows) + "\n")
        model = os.path.join(self.out, "m.safetensors")
        r = run("train", "--data", "csv:" + data, "--epochs", "40", "--quiet", "--save", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        x_csv = self.write("x.csv", "a,b\n-20,20\n25,-25\n")
        r = run("predict", model, "--input", x_csv)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["0 left", "1 right"])
        x_npy = self.write("x.npy", npy_bytes("<f4", (2, 2), struct.pack("<4f", -20, 20, 25, -25)))
        self.assertEqual(run("predict", model, "--input", x_npy).stdout, r.stdout)
        # Outputs to CSV: one row of raw outputs per sample, the same numbers as the NPY output.
        y_csv, y_npy = os.path.join(self.out, "y.csv"), os.path.join(self.out, "y.npy")
        self.assertEqual(run("predict", model, "--input", x_csv, "--output", y_csv).returncode, 0)
        self.assertEqual(run("predict", model, "--input", x_csv, "--output", y_npy).returncode, 0)
        with open(y_csv) as f:
            csv_rows = [[float(v) for v in line.split(",")] for line in f.read().splitlines()]
        with open(y_npy, "rb") as f:
            raw = f.read()
        npy_values = struct.unpack("<4f", raw[-16:])
        self.assertEqual(len(csv_rows), 2)
        for got, want in zip(sum(csv_rows, []), npy_values):
            self.assertAlmostEqual(got, want, places=5)
        self.assertGreater(csv_rows[0][0], csv_rows[0][1])
        # Wrong widths and kinds are errors naming the file.
        bad = self.write("bad.csv", "1,2,3\n")
        r = run("predict", model, "--input", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.csv: rows have 3 values but the model expects 2", r.stderr)
        # Any other name gets NPY.
        r = run("predict", model, "--input", x_csv, "--output", os.path.join(self.out, "y.out"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out, "y.out"), "rb") as f:
            self.assertEqual(f.read(6), b"\x93NUMPY")
        # IDX images, as nn train reads them (bytes onto [0, 1]).
        pixels = bytes(([0] * 8 + [255] * 8) * 10 + ([255] * 8 + [0] * 8) * 10)
        d = self.mnist_dir(idx_images(20, 4, 4, data=pixels), idx_labels([0] * 10 + [1] * 10))
        model = os.path.join(self.out, "idx.safetensors")
        r = run("train", "--data", "mnist:" + d, "--model", "linear:2", "--epochs", "30", "--val-split", "0",
                "--quiet", "--save", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("predict", model, "--input", os.path.join(d, "t10k-images-idx3-ubyte"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["0"] * 10 + ["1"] * 10)

    def test_idx_good_then_bad(self):
        d = self.mnist_dir(idx_images(20, 28, 28), idx_labels([i % 10 for i in range(20)]))
        r = run("train", "--data", "mnist:" + d, "--model", "linear:10", "--epochs", "1", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        shutil.rmtree(d)
        d = self.mnist_dir(idx_images(20, 28, 28, magic=0x802), idx_labels([0] * 20))
        self.train_fails("--data", "mnist:" + d, "--model", "linear:10", expect=["0x00000803"])
        shutil.rmtree(d)
        d = self.mnist_dir(idx_images(20, 28, 28, magic=0x804, dims=[20, 28, 28, 1]), idx_labels([0] * 20))
        self.train_fails("--data", "mnist:" + d, "--model", "linear:10", expect=["dimension"])
        shutil.rmtree(d)
        d = self.mnist_dir(idx_images(20, 28, 28, data=bytes(100)), idx_labels([0] * 20))
        self.train_fails("--data", "mnist:" + d, "--model", "linear:10", expect=["bytes"])

    def test_truncated_and_corrupt_gzip(self):
        d = self.mnist_dir(idx_images(20, 28, 28), idx_labels([0] * 20), gz=True)
        path = os.path.join(d, "train-images-idx3-ubyte.gz")
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
        self.train_fails("--data", "mnist:" + d, "--model", "linear:10", expect=["train-images-idx3-ubyte.gz"])
        with open(path, "wb") as f:
            f.write(data[:10] + b"\xff" * 40 + data[50:])
        self.train_fails("--data", "mnist:" + d, "--model", "linear:10", expect=["train-images-idx3-ubyte.gz"])

    def test_csv_errors_name_line_and_column(self):
        csv = self.write("bad.csv", "x,y,label\n1,2,0\n3,abc,1\n")
        self.train_fails("--data", "csv:" + csv, "--model", "linear:2", expect=["bad.csv:3", "column 2", "abc"])
        csv = self.write("ragged.csv", "x,y,label\n1,2,0\n3,1\n")
        self.train_fails("--data", "csv:" + csv, "--model", "linear:2", expect=["ragged.csv:3", "expected 3 fields"])
        csv = self.write("empty.csv", "")
        self.train_fails("--data", "csv:" + csv, "--model", "linear:2", expect=["empty.csv", "empty"])

    def test_label_out_of_range_for_the_model(self):
        self.train_fails("--data", "blobs:centers=3", "--model", "linear:8,relu,linear:2",
                         expect=["2 outputs", "3 classes"])

    def test_npy_errors(self):
        y = self.write("y.npy", npy_bytes("<i8", (4,), struct.pack("<4q", 0, 1, 0, 1)))
        x = self.write("x16.npy", npy_bytes("<f2", (4, 2), bytes(16)))
        self.train_fails("--data", "npy:%s,%s" % (x, y), "--model", "linear:2", expect=["x16.npy", "<f2"])
        x = self.write("xf.npy", npy_bytes("<f4", (4, 2), bytes(32), fortran=True))
        self.train_fails("--data", "npy:%s,%s" % (x, y), "--model", "linear:2", expect=["xf.npy", "fortran"])
        x = self.write("xh.npy", npy_bytes("<f4", (4, 2), bytes(32), header_override="{'descr': '<f4', 'shape'"))
        self.train_fails("--data", "npy:%s,%s" % (x, y), "--model", "linear:2", expect=["xh.npy"])
        x = self.write("xm.npy", npy_bytes("<f4", (4, 2), bytes(32), magic=b"\x93NUMPZ"))
        self.train_fails("--data", "npy:%s,%s" % (x, y), "--model", "linear:2", expect=["xm.npy"])

    def test_model_spec_errors(self):
        m = self.train_fails("--data", "blobs", "--model", "linear:8,relu,conv3d:4", expect=["unknown layer 'conv3d'"])
        self.assertIn("known:", m)
        self.train_fails("--data", "blobs", "--model", "linear:8x,relu,linear:2", expect=["expected a number", "8x"])

    def test_other_bad_settings(self):
        self.train_fails("--data", "blobs", "--optimizer", "rmsprop", expect=["unknown optimizer"])
        self.train_fails("--data", "blobs", "--scheduler", "wobble", expect=["unknown scheduler"])
        self.train_fails("--data", "nonsense", expect=["unknown data spec"])
        self.train_fails("--data", "blobs:n=abc", expect=["expected a number"])
        r = run("eval", self.path("none.safetensors"), "--data", "blobs")
        self.assertEqual(r.returncode, 1)
        self.assertIn("none.safetensors", r.stderr)

    # ---- devices --------------------------------------------------------------------------------------

    def test_device_choice(self):
        """--device: cpu trains; auto picks a GPU only where there is one; cuda without a GPU (or in
        a build without CUDA) is one clear line and exit 1, before anything is written."""
        info = run("info")
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn("devices: cpu", info.stdout)
        self.assertIn("default device (--device auto): ", info.stdout)
        has_gpu = "cuda:0" in info.stdout.split("devices: ", 1)[1].splitlines()[0]
        for device in ["cpu", "auto"]:
            r = run("train", "--data", "xor", "--model", "linear:8,tanh,linear:2", "--epochs", "2", "--batch-size", "4",
                    "--val-split", "0", "--device", device)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual("device: cuda:0" in r.stderr, device == "auto" and has_gpu, r.stderr)
        self.train_fails("--data", "xor", "--device", "gpu", expect=["--device", "expected cpu, cuda, cuda:N or auto",
                                                                      "'gpu'"])
        self.train_fails("--data", "xor", "--device", "cuda:99999", expect=["--device", "cuda:99999"])
        if not has_gpu:
            self.train_fails("--data", "xor", "--device", "cuda", expect=["--device cuda: ", "use --device cpu"])
            if "cuda: built" in info.stdout:
                self.assertIn("no CUDA device here", info.stdout)
                self.train_fails("--data", "xor", "--device", "cuda:0", expect=["no CUDA device on this machine"])
            else:
                self.train_fails("--data", "xor", "--device", "cuda", expect=["built without CUDA"])
        self.train_fails("--data", "blobs", "--model", "perceptron", "--device", "cuda:0",
                         expect=["CPU only"] if has_gpu else ["--device cuda:0"])

    # ---- plain state dicts (PyTorch's) with --model ---------------------------------------------------

    def test_predict_and_eval_a_torch_state_dict_with_model_spec(self):
        """tests/data/torch_mlp.safetensors was written by PyTorch (tests/interop/make_torch_fixture.py);
        torch_mlp_expected.safetensors holds torch's inputs, outputs and the nn model spec."""
        data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
        weights = os.path.join(data, "torch_mlp.safetensors")
        with open(os.path.join(data, "torch_mlp_expected.safetensors"), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            raw = f.read()

        def floats(name):
            b, e = header[name]["data_offsets"]
            return list(struct.unpack("<%df" % ((e - b) // 4), raw[b:e]))

        spec = header["__metadata__"]["model_spec"]
        inputs, outputs = floats("input"), floats("output")
        rows, width = header["output"]["shape"]
        x = self.write("x.npy", npy_bytes("<f4", header["input"]["shape"], struct.pack("<%df" % len(inputs), *inputs)))
        y = os.path.join(self.out, "y.npy")
        r = run("predict", weights, "--model", spec, "--input", x, "--output", y)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(y, "rb") as f:
            blob = f.read()
        hlen = struct.unpack("<H", blob[8:10])[0]
        ours = struct.unpack("<%df" % (rows * width), blob[10 + hlen:])
        for a, b in zip(ours, outputs):
            self.assertLessEqual(abs(a - b), 1e-5 + 1e-5 * abs(b), (ours, outputs))
        # Without --output: the classes, torch's argmax; the same with the shape given.
        classes = [max(range(width), key=lambda c: outputs[i * width + c]) for i in range(rows)]
        for extra in [[], ["--input-shape", "4"]]:
            r = run("predict", weights, "--model", spec, *extra, "--input", x)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([int(c) for c in r.stdout.split()], classes)
        # eval on labels equal to torch's classes: accuracy 1.
        labels = self.write("labels.npy", npy_bytes("<i8", (rows,), struct.pack("<%dq" % rows, *classes)))
        r = run("eval", weights, "--model", spec, "--data", "npy:%s,%s" % (x, labels), "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["accuracy"], 1.0)
        # Errors: a spec that does not fit names the keys; --input-shape alone is a usage error.
        r = run("predict", weights, "--model", "linear:8,batchnorm,tanh,linear:3,relu,linear:2", "--input", x)
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing keys: 5.weight, 5.bias", r.stderr)
        self.assertIn("torch_mlp.safetensors", r.stderr)
        r = run("predict", weights, "--model", "conv:2:3,flatten,linear:3", "--input", x)
        self.assertEqual(r.returncode, 1)
        self.assertIn("the input shape is unknown", r.stderr)
        self.assertEqual(run("predict", weights, "--input-shape", "4", "--input", x).returncode, 2)
        # Without --model it is read as an nn model file, which it is not (torch's I64 buffer is refused first).
        r = run("predict", weights, "--input", x)
        self.assertEqual(r.returncode, 1)
        self.assertIn("torch_mlp.safetensors", r.stderr)


if __name__ == "__main__":
    NN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=1)
