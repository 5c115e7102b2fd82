#!/usr/bin/env python3
"""Ring all-reduce cost model for data-parallel training (docs/distributed.md).

Per step, each of N nodes sends and receives 2 (N - 1) / N of the gradient bytes S in 2 (N - 1)
messages: T(N) = 2 (N - 1) alpha + 2 (N - 1) / N * S / beta. Without overlap a step on N nodes takes
c B / N + T(N) (c: compute seconds per sample on one node, B: the global batch), so the efficiency
against one node is E = (c B / N) / (c B / N + T(N)), and E >= 80% needs B >= 4 N T(N) / c.

  dist_cost_model.py [--mlp-us-per-sample 25.6] [--cnn-us-per-sample 73.4]
The compute figures are the 1 rank x 1 thread rows of bench/dist_bench.sh (ms per step / 64).
"""
import argparse

MODELS = {"MLP 784-128-32-10": 104938 * 4, "small CNN": 9098 * 4}  # gradient bytes (float32)
NETWORKS = {  # (bytes/s, seconds per message: a typical latency of that fabric)
    "10 Gbit/s (TCP, 10 us)": (10e9 / 8, 10e-6),
    "100 Gbit/s (RDMA, 2 us)": (100e9 / 8, 2e-6),
}
NODES = (2, 4, 8, 16, 32, 64)


def ring(n, s, beta, alpha):
    return 2 * (n - 1) * alpha + 2 * (n - 1) / n * s / beta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlp-us-per-sample", type=float, default=25.6)
    ap.add_argument("--cnn-us-per-sample", type=float, default=73.4)
    a = ap.parse_args()
    compute = {"MLP 784-128-32-10": a.mlp_us_per_sample * 1e-6, "small CNN": a.cnn_us_per_sample * 1e-6}
    for model, s in MODELS.items():
        c = compute[model]
        print("\n### %s: %d bytes per step, %.1f us compute per sample\n" % (model, s, c * 1e6))
        print("| network | N | all-reduce ms | min. global batch for 80% | per node | efficiency at B=64 | at B=1024 |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for net, (beta, alpha) in NETWORKS.items():
            for n in NODES:
                t = ring(n, s, beta, alpha)
                bmin = 4 * n * t / c
                e = lambda b: (c * b / n) / (c * b / n + t)
                print("| %s | %d | %.3f | %.0f | %.0f | %.0f%% | %.0f%% |" % (net, n, t * 1e3, bmin, bmin / n,
                                                                          100 * e(64), 100 * e(1024)))


if __name__ == "__main__":
    main()
