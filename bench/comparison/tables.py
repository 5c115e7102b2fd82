"""The cells, rows and tables of bench/compare.py: medians with min-max, ratios, the result row of a
workload, the GEMM efficiency rows, and tables as plain text and Markdown."""
import re
import statistics


def summary(values):
    v = [x for x in values if x is not None]
    if not v:
        return "n/a", None
    med = statistics.median(v)
    return f"{fmt(med)} ({fmt(min(v))}-{fmt(max(v))})", med


def fmt(x):
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_ratio(r):
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"



def table(headers, rows):
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    line = lambda r: "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(headers, rows):
    esc = lambda c: str(c).replace("|", "\\|")
    out = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def result_row(w, threads, impls, values, reads, cfg_text):
    cells, med = [], {}
    for impl in impls:
        if not impl.available:
            cells.append("n/a")
            continue
        cell, m = summary(values.get(impl.key, []))
        cells.append(cell)
        med[impl.key] = m
    torch_meds = [med[k] for k in ("torch", "torch_deb", "ort") if med.get(k) is not None]
    best = (max if w.higher_better else min)(torch_meds) if torch_meds else None
    ratio = lambda k: fmt_ratio(med[k] / best) if best and med.get(k) is not None else "n/a"
    return [w.title, w.unit, threads, *cells, ratio("nn"), ratio("nn_auto"), reads, cfg_text]



AVX512_CORES = ("SkylakeX", "Cooperlake", "SapphireRapids", "Zen4")


def kernel_core(blas_text):
    core = re.search(r"\((\S+) kernels\)", blas_text or "")
    return core.group(1) if core else "?"


def gemm_share(w, nn_impls, values, peak_per_core):
    """'AVX2 share; auto share': the GEMM rate of a one-thread training step over the one-core FMA peak of
    the instruction set each column's OpenBLAS kernels use."""
    cells = []
    for impl in nn_impls:
        sps = [v for v in values[impl.key] if v is not None]
        isa = "avx512" if kernel_core(impl.blas) in AVX512_CORES else "avx2"
        # AVX-512 kernels: the core's FMA peak, the better of AVX-512 and AVX2 (a CPU that splits
        # 512-bit FMAs reaches the same either way); AVX2 kernels: the AVX2 peak.
        peak = max(peak_per_core.get("avx512", 0), peak_per_core.get("avx2", 0)) if isa == "avx512" \
            else peak_per_core.get("avx2")
        if not sps or not peak:
            cells.append("n/a")
            continue
        gf = statistics.median(sps) * w.flops_per_sample() * 1e-9
        cells.append(f"{100 * gf / peak:.0f}% of {'AVX-512' if isa == 'avx512' else 'AVX2'}")
    return "; ".join(cells)


def gemm_efficiency(w, T, nn_impls, values, rates, peak_per_core, blas):
    rows = []
    for impl in nn_impls:
        core = re.search(r"\((\S+) kernels\)", blas.get(impl.key, ""))
        kernels = (core.group(1) if core else "?") + (" (forced)" if impl.key == "nn" else " (auto)")
        sps = [v for v in values[impl.key] if v is not None]
        sg = [v for v in rates[impl.key] if v is not None]
        nn_gf = statistics.median(sps) * w.flops_per_sample() * 1e-9 if sps else None
        sg_gf = statistics.median(sg) if sg else None
        pct = lambda x, y: f"{100 * x / y:.0f}%" if x and y else "n/a"
        p2 = peak_per_core["avx2"] * T if peak_per_core.get("avx2") else None
        p512 = peak_per_core["avx512"] * T if peak_per_core.get("avx512") else None
        rows.append([w.name, str(T), kernels, f"{nn_gf:.1f}" if nn_gf else "n/a",
                     f"{sg_gf:.1f} ({min(sg):.1f}-{max(sg):.1f})" if sg else "n/a", pct(nn_gf, sg_gf), pct(nn_gf, p2),
                     pct(nn_gf, p512), pct(sg_gf, p512)])
    return rows

