#!/usr/bin/env python3
"""nn train's output in real terminals: in a pseudo-terminal of 40, 60 and 200 columns the
progress bar of a running epoch is one line redrawn in place that never reaches the last column
(so it never wraps); under tmux the screen holds exactly the run's lines; in a plain pipe there is
no bar, only one line per epoch.

usage: terminal_test.py PATH/TO/nn"""
import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest

NN = None
# About a second per epoch on one thread, so that the bar is redrawn several times (every 0.1 s).
ARGS = ["train", "--data", "moons:n=12000", "--model", "linear:256,relu,linear:256,relu,linear:2",
        "--batch-size", "16", "--epochs", "2", "--threads", "1"]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run_in_pty(columns):
    """Runs nn with stderr (and stdout) on a pseudo-terminal of `columns` x 24; returns what it wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    p = subprocess.Popen([NN, *ARGS], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            p.kill()
            raise AssertionError("no output for 60 s")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    p.wait(timeout=60)
    os.close(master)
    return p.returncode, b"".join(chunks).decode()


class TerminalTest(unittest.TestCase):
    def check_width(self, columns):
        rc, text = run_in_pty(columns)
        self.assertEqual(rc, 0, text)
        text = text.replace("\r\n", "\n")  # the terminal's output processing turns \n into \r\n
        redraws = 0
        for physical in text.split("\n"):
            pieces = physical.split("\r")
            for piece in pieces[:-1] if len(pieces) > 1 else []:
                visible = ANSI.sub("", piece)
                if not visible:
                    continue
                # A bar drawn in place: it must fit without touching the last column.
                self.assertLess(len(visible), columns, repr(visible))
                self.assertTrue(visible.startswith("epoch "), repr(visible))
                redraws += 1
        # Each epoch's bar was drawn more than once, all on the line the summary then replaces.
        self.assertGreaterEqual(redraws, 4, repr(text[-2000:]))
        lines = [ANSI.sub("", l.split("\r")[-1]) for l in text.split("\n") if l.strip()]
        self.assertEqual([l.split("  ")[0] for l in lines if l.startswith("epoch ")], ["epoch 1/2", "epoch 2/2"])
        return text

    def test_bar_fits_40_60_and_200_columns(self):
        for columns in (40, 60, 200):
            with self.subTest(columns=columns):
                text = self.check_width(columns)
                if columns == 200:
                    self.assertIn("samples/s", text)

    def test_plain_pipe_has_no_bar(self):
        r = subprocess.run([NN, *ARGS], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("\r", r.stderr)
        self.assertNotIn("\x1b", r.stderr)
        epochs = [l for l in r.stderr.splitlines() if l.startswith("epoch ")]
        self.assertEqual(len(epochs), 2, r.stderr)
        for l in epochs:
            self.assertIn("train_loss", l)

    @unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
    def test_tmux_screen_holds_exactly_the_run_lines(self):
        tmp = tempfile.mkdtemp(prefix="nn-tmux-")
        try:
            sock = os.path.join(tmp, "sock")
            done = os.path.join(tmp, "done")
            cmd = " ".join([NN] + ARGS) + " ; echo $? > " + done + " ; sleep 30"
            subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "-x", "60", "-y", "30", cmd],
                           check=True)
            t0 = time.time()
            while not os.path.exists(done) or os.path.getsize(done) == 0:
                self.assertLess(time.time() - t0, 120, "tmux run did not finish")
                time.sleep(0.1)
            screen = subprocess.run(["tmux", "-S", sock, "capture-pane", "-p", "-J"], capture_output=True,
                                    text=True, check=True).stdout
            subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
            with open(done) as f:
                self.assertEqual(f.read().strip(), "0")
            lines = [l.rstrip() for l in screen.splitlines() if l.strip()]
            # The header (data, model, train), one summary per epoch, the result: nothing left of a bar.
            self.assertEqual([l.split(":")[0] for l in lines[:3]], ["data", "model", "train"], screen)
            self.assertEqual([l.split("  ")[0] for l in lines[3:5]], ["epoch 1/2", "epoch 2/2"], screen)
            self.assertTrue(lines[5].startswith("validation: loss "), screen)
            self.assertEqual(len(lines), 6, screen)
            self.assertNotIn("[=", screen)  # no bar left behind
            self.assertNotIn("=>", screen)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    NN = sys.argv.pop(1)
    unittest.main()
