#!/usr/bin/env python3
"""Checks the report that `nn train --report` and `nn report` write (run by CTest).

  check_report.py files NN      the run folders of an XOR and a moons run: every file present,
                                SVGs parse as XML, PNGs decode, report.html references nothing
                                outside itself, and `nn report` rewrites it byte for byte.
  check_report.py chromium NN   renders report.html in headless Chromium and checks that the
                                screenshot is not blank; exits 77 (CTest: skipped) without Chromium.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

SKIP = 77


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def decode_png(path):
    """Width, height and the set of distinct pixel colours of an 8-bit PNG (checks chunk CRCs)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG signature")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            fail(f"{path}: bad CRC in chunk {kind!r}")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        fail(f"{path}: no IHDR")
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace != 0:
        fail(f"{path}: unexpected PNG format (depth {depth}, colour type {color}, interlace {interlace})")
    raw = zlib.decompress(idat)
    stride = width * channels
    if len(raw) != height * (stride + 1):
        fail(f"{path}: {len(raw)} bytes of pixel data, expected {height * (stride + 1)}")
    colors, prev, offset = set(), bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        offset += stride + 1
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif kind != 0:
                fail(f"{path}: bad filter type {kind}")
        # Sample every 4th pixel: enough to tell a picture from a blank page.
        for x in range(0, width, 4):
            colors.add(bytes(line[x * channels:x * channels + min(channels, 3)]))
        prev = line
    return width, height, colors


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"{' '.join(cmd)} exited with {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


def train(nn, folder, args):
    run([nn, "train", *args, "--quiet", "--threads", "1", "--report", folder])


def check_self_contained(html_path):
    html = open(html_path, encoding="utf-8").read()
    for bad in ("http:", "https:", "<script", "<link", "url(", "@import", "file:"):
        if bad in html:
            fail(f"{html_path}: contains {bad!r}")
    if re.search(r"\ssrc\s*=", html):
        fail(f"{html_path}: has a src= attribute")
    for ref in re.findall(r'href\s*=\s*"([^"]*)"', html):
        if not ref.startswith("data:image/png;base64,"):
            fail(f"{html_path}: refers to {ref[:60]!r}")
    return html


def check_files(nn):
    tmp = tempfile.mkdtemp(prefix="nn_report_check_")
    try:
        runs = {
            "xor": ["--data", "xor", "--model", "linear:3,tanh,linear:2", "--epochs", "200", "--batch-size", "4",
                    "--optimizer", "sgd", "--lr", "0.5"],
            "moons": ["--data", "moons:n=300", "--model", "linear:16,relu,linear:2", "--epochs", "8",
                      "--scheduler", "step:3:0.5", "--log-steps", os.path.join(tmp, "moons-steps.txt")],
        }
        for name, args in runs.items():
            folder = os.path.join(tmp, name)
            train(nn, folder, args)
            expected = ["run.json", "metrics.jsonl", "model.safetensors", "report.html", "loss.svg", "accuracy.svg",
                        "decision_regions.svg", "decision_regions.png", "confusion_matrix.svg"]
            # A schedule gets its chart; a constant rate is one line of the summary.
            if name == "moons":
                expected += ["lr.svg", "steps.txt", "loss_steps.svg"]  # with --log-steps: the per-step curve
            elif os.path.exists(os.path.join(folder, "lr.svg")):
                fail(f"{name}: a constant learning rate got a chart")
            for f in expected:
                if not os.path.isfile(os.path.join(folder, f)):
                    fail(f"{name}: {f} missing from {sorted(os.listdir(folder))}")
            for f in sorted(os.listdir(folder)):
                path = os.path.join(folder, f)
                if ".tmp" in f:
                    fail(f"{name}: temporary file {f} left behind")
                if f.endswith(".svg"):
                    root = ET.parse(path).getroot()
                    if not root.tag.endswith("svg"):
                        fail(f"{path}: root element is {root.tag}")
                elif f.endswith(".png"):
                    w, h, colors = decode_png(path)
                    if w < 100 or h < 100 or len(colors) < 3:
                        fail(f"{path}: {w}x{h} with {len(colors)} colours")
            html = check_self_contained(os.path.join(folder, "report.html"))
            for needle in ("Learning curves", "Decision regions", "Confusion matrix", "Settings", "Timing", "seed",
                           "best epoch", "best: epoch", "id=\"model\"", "output shape"):
                if needle not in html:
                    fail(f"{name}: report.html lacks {needle!r}")
            if name == "xor" and "(constant)" not in html:
                fail("xor: the constant learning rate is not in the summary")
            # Judged on the validation split, its loss and accuracy are listed once; times and rates
            # are readable ("263 ms", "12,132,907 samples/s"), never "0.00 s".
            if html.count("validation split") and "final validation loss" in html:
                fail(f"{name}: the validation loss is listed twice")
            if re.search(r">0\.00 s<|\d{5,} samples/s", html):
                fail(f"{name}: unformatted time or rate in the timing table")
            # The epoch axis ends at the last epoch: no tick label past it.
            epochs = len(open(os.path.join(folder, "metrics.jsonl")).read().splitlines())
            loss_svg = open(os.path.join(folder, "loss.svg")).read()
            ticks = [int(t) for t in re.findall(r'text-anchor="middle"[^>]*>(\d+)</text>', loss_svg)]
            if ticks and max(ticks) > epochs:
                fail(f"{name}: the epoch axis runs to {max(ticks)} past the last epoch {epochs}")
            # `nn report` from the run folder gives the same page and pictures.
            again = os.path.join(tmp, name + "_again")
            run([nn, "report", folder, "--out", again])
            for f in [f for f in ("report.html", "decision_regions.png", "loss.svg", "lr.svg", "loss_steps.svg")
                      if os.path.exists(os.path.join(folder, f))]:
                if open(os.path.join(folder, f), "rb").read() != open(os.path.join(again, f), "rb").read():
                    fail(f"{name}: nn report wrote a different {f}")
        # Several runs: one report with their curves overlaid (one colour and legend entry per run).
        compared = os.path.join(tmp, "compared")
        run([nn, "report", os.path.join(tmp, "xor"), os.path.join(tmp, "moons"), "--out", compared])
        html = check_self_contained(os.path.join(compared, "report.html"))
        for needle in ("Comparison of 2 runs", "Learning curves", "Validation loss"):
            if needle not in html:
                fail(f"comparison report lacks {needle!r}")
        svg = open(os.path.join(compared, "compare_val_loss.svg")).read()
        ET.fromstring(svg.split("?>", 1)[-1])
        for name in ("xor", "moons"):
            if f">{name}</text>" not in svg:
                fail(f"comparison chart has no legend entry for {name}")
        result = subprocess.run([nn, "report", os.path.join(tmp, "xor"), os.path.join(tmp, "moons")],
                                capture_output=True, text=True)
        if result.returncode != 2 or "--out" not in result.stderr:
            fail(f"comparing without --out: exit {result.returncode}, stderr {result.stderr!r}")
        print("report files: OK")
        # A folder without run.json is an error with a message, exit code 1.
        result = subprocess.run([nn, "report", tmp], capture_output=True, text=True)
        if result.returncode != 1 or "run.json" not in result.stderr:
            fail(f"nn report on a folder without run.json: exit {result.returncode}, stderr {result.stderr!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


# Run in the page by headless Chromium (on a copy: the report itself has no script): records every
# heading, paragraph, figure, caption, table and chart text whose box leaves the page or overlaps
# another one that is neither inside it nor around it, and whether the page scrolls sideways.
LAYOUT_SCRIPT = """
<script>
(function () {
  // Headless Chromium's window is at least 500 px wide: a narrower target is laid out by giving
  // the root element that width (the report has no media queries, so this is the same layout).
  const TARGET = NN_TARGET_WIDTH;
  if (document.documentElement.clientWidth > TARGET) document.documentElement.style.width = TARGET + "px";
  const W = Math.min(TARGET, document.documentElement.clientWidth);
  const problems = [];
  const main = document.querySelector("main");
  if (main.scrollWidth > main.clientWidth + 1)
    problems.push("the page scrolls sideways: " + main.scrollWidth + " > " + main.clientWidth);
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " '" + (e.textContent || "").trim().slice(0, 40) + "'";
  const boxes = Array.from(document.querySelectorAll("h1,h2,h3,p,figure,figcaption,table,svg"));
  for (const e of boxes) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.left < -1 || r.right > W + 1)) problems.push("leaves the page: " + name(e) + " " + r.left + ".." + r.right);
  }
  const overlap = (a, b) => {
    const x = Math.min(a.right, b.right) - Math.max(a.left, b.left), y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return x > 1 && y > 1 ? x * y : 0;
  };
  for (let i = 0; i < boxes.length; ++i)
    for (let j = i + 1; j < boxes.length; ++j) {
      const a = boxes[i], b = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const area = overlap(a.getBoundingClientRect(), b.getBoundingClientRect());
      if (area > 4) problems.push("overlap: " + name(a) + " and " + name(b));
    }
  // Within each chart: no two texts (title, ticks, legend, axis labels) on top of each other.
  for (const svg of document.querySelectorAll("svg")) {
    const texts = Array.from(svg.querySelectorAll("text")).filter((t) => t.textContent.trim() !== "");
    for (let i = 0; i < texts.length; ++i)
      for (let j = i + 1; j < texts.length; ++j)
        if (overlap(texts[i].getBoundingClientRect(), texts[j].getBoundingClientRect()) > 4)
          problems.push("chart texts overlap: '" + texts[i].textContent + "' and '" + texts[j].textContent + "'");
  }
  const pre = document.createElement("pre");
  pre.id = "nn-layout";
  pre.textContent = "NN-LAYOUT" + JSON.stringify({width: W, boxes: boxes.length, problems: problems}) + "NN-LAYOUT";
  document.body.appendChild(pre);
})();
</script>
"""


def check_layout(chromium, report_html, width, tmp):
    with open(report_html) as f:
        html = f.read()
    probe = os.path.join(os.path.dirname(report_html), "layout-probe.html")
    with open(probe, "w") as f:
        f.write(html.replace("</body>", LAYOUT_SCRIPT.replace("NN_TARGET_WIDTH", str(width)) + "</body>"))
    cmd = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--user-data-dir=" + os.path.join(tmp, "profile-layout"), "--hide-scrollbars",
           f"--window-size={width},2000", "--dump-dom", "file://" + probe]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=90).stdout
    except subprocess.TimeoutExpired:
        fail(f"chromium --dump-dom at {width} px did not finish within 90 s")
    m = re.search(r'<pre id="nn-layout">NN-LAYOUT(.*?)NN-LAYOUT</pre>', out, re.S)
    if not m:
        fail(f"the layout probe did not run at {width} px")
    raw = m.group(1)
    result = json.loads(raw.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    if not isinstance(result, dict):
        fail(f"layout probe at {width} px: unreadable result {raw[:200]!r}")
    print(f"layout at {width} px: {result['boxes']} boxes, viewport {result['width']} px")
    if result["boxes"] < 10:
        fail(f"the layout probe found only {result['boxes']} boxes at {width} px")
    if result["problems"]:
        fail(f"layout at {width} px: " + "; ".join(result["problems"][:10]))


def check_chromium(nn):
    chromium = find_chromium()
    if chromium is None:
        print("SKIP: chromium is not installed (apt-get install chromium); report.html was not rendered")
        sys.exit(SKIP)
    tmp = tempfile.mkdtemp(prefix="nn_report_render_")
    try:
        folder = os.path.join(tmp, "moons")
        train(nn, folder, ["--data", "moons:n=300", "--model", "linear:16,relu,linear:2", "--epochs", "5"])
        shot = os.path.join(tmp, "shot.png")
        profile = os.path.join(tmp, "profile")
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--user-data-dir=" + profile, "--hide-scrollbars", "--window-size=1280,2400",
               "--screenshot=" + shot, "file://" + os.path.join(folder, "report.html")]
        try:
            subprocess.run(cmd, capture_output=True, timeout=90)
        except subprocess.TimeoutExpired:
            fail("chromium did not finish within 90 s")
        if not os.path.isfile(shot):
            fail("chromium wrote no screenshot")
        w, h, colors = decode_png(shot)
        print(f"screenshot {w}x{h}, {len(colors)} distinct colours (sampled)")
        if len(colors) < 50:
            fail(f"the rendered report looks blank: {len(colors)} distinct colours")
        # The decision regions' two class colours (Okabe-Ito orange and sky blue, lightened) are on screen.
        for rgb in ((244, 212, 140), (179, 221, 245)):
            if not any(all(abs(c - e) <= 6 for c, e in zip(col, rgb)) for col in colors):
                fail(f"colour {rgb} of the decision regions is not on the screenshot")
        print("chromium render: OK")
        for width in (1280, 390):
            check_layout(chromium, os.path.join(folder, "report.html"), width, tmp)
        print("chromium layout at 1280 and 390 px: OK")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("files", "chromium"):
        print(__doc__)
        sys.exit(2)
    (check_files if sys.argv[1] == "files" else check_chromium)(sys.argv[2])
