// The tables of bench/conv_providers.cpp: per convolution layer, per batch norm layer, and per
// network the convolutions' and batch norms' time in one training step.
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "conv_providers.hpp"

namespace cp {

namespace {

const char* const kConvPaths[] = {"nn direct", "nn im2col", "oneDNN nchw", "oneDNN blocked", "oneDNN blocked + reorders",
                                   "oneDNN blocked, convolution_auto"};
const char* const kBnPaths[] = {"nn", "oneDNN nchw", "oneDNN blocked"};
const int kThreadCounts[] = {1, 2};

double get(const Timings& t, const std::string& path, const std::string& pass, int threads) {
  const auto it = t.best.find({path, pass, threads});
  return it == t.best.end() ? -1.0 : it->second;
}

std::string us(double s) {
  char b[32];
  std::snprintf(b, sizeof b, s * 1e6 < 100 ? "%.1f" : "%.0f", s * 1e6);
  return b;
}

std::string rate(double s, double work) {  // work / s / 1e9, "(12.3)"
  char b[32];
  std::snprintf(b, sizeof b, " (%.1f)", work / s / 1e9);
  return b;
}

std::string err(const Timings& t, const std::string& path, int threads) {
  const auto it = t.error.find({path, threads});
  if (it == t.error.end()) return "";
  char b[32];
  std::snprintf(b, sizeof b, "%.1e", it->second);
  return b;
}

// A convolution layer's passes in seconds: forward, data, weights, both (nn: both measured and
// data = both - weights; oneDNN: both = data + weights).
struct ConvPasses {
  double fwd, data, weights, both;
  double step(bool needs_dx) const { return fwd + (needs_dx ? both : weights); }
};

ConvPasses passes(const Timings& t, const std::string& path, int threads) {
  ConvPasses p{get(t, path, "forward", threads), 0, get(t, path, "backward weights", threads), 0};
  if (path.rfind("nn", 0) == 0) {
    p.both = get(t, path, "backward both", threads);
    p.data = p.both - p.weights;
  } else {
    p.data = get(t, path, "backward data", threads);
    p.both = p.data + p.weights;
  }
  return p;
}

}  // namespace

void print_conv_table(const ConvLayer& l, const Timings& t, const std::string& automatic) {
  std::printf("%s, %s (batch %lld, 3x3, padding 1): %.1f MFLOP per pass; the layer's step is forward + %s\n\n",
              l.net.c_str(), l.name.c_str(), static_cast<long long>(l.n), l.flops() / 1e6,
              l.needs_dx ? "backward data + weights" : "backward weights (no dx in a first layer)");
  std::printf("| threads | path | forward µs (GFLOP/s) | backward data µs (GFLOP/s) | backward weights µs (GFLOP/s) | "
              "backward data + weights µs | layer's step µs | max rel. error |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (int th : kThreadCounts)
    for (const char* path : kConvPaths) {
      const ConvPasses p = passes(t, path, th);
      if (p.fwd < 0) continue;
      const std::string name = std::string(path) + (automatic == path ? " (automatic)" : "");
      const bool nn = name.rfind("nn", 0) == 0;
      std::printf("| %d | %s | %s%s | %s%s%s | %s%s | %s | %s | %s |\n", th, name.c_str(), us(p.fwd).c_str(),
                  rate(p.fwd, l.flops()).c_str(), nn ? "≈ " : "", us(p.data).c_str(),
                  p.data > 0 ? rate(p.data, l.flops()).c_str() : "", us(p.weights).c_str(),
                  rate(p.weights, l.flops()).c_str(), us(p.both).c_str(), us(p.step(l.needs_dx)).c_str(),
                  err(t, path, th).c_str());
    }
  std::printf("\n(nn's backward data is its backward() with dx minus its backward() without: both measured.)\n");
}

void print_bn_table(const BnLayer& l, const Timings& t) {
  const double n = static_cast<double>(l.numel());
  std::printf("%s, %s, training: GB/s count 12 bytes per value forward (x read for the statistics, x read and y "
              "written) and 20 backward (x and dy read for the sums, x and dy read and dx written); the copy 8\n\n",
              l.net.c_str(), l.name.c_str());
  std::printf("| threads | path | forward µs (GB/s) | backward µs (GB/s) | forward + backward µs | max rel. error |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (int th : kThreadCounts) {
    for (const char* path : kBnPaths) {
      const double f = get(t, path, "forward", th), b = get(t, path, "backward", th);
      if (f < 0) continue;
      std::printf("| %d | %s | %s%s | %s%s | %s | %s |\n", th, path, us(f).c_str(), rate(f, 12 * n).c_str(),
                  us(b).c_str(), rate(b, 20 * n).c_str(), us(f + b).c_str(), err(t, path, th).c_str());
    }
    const double c = get(t, "copy x to y (memory yardstick)", "forward", th);
    if (c > 0)
      std::printf("| %d | copy x to y (memory yardstick) | %s%s | | | |\n", th, us(c).c_str(), rate(c, 8 * n).c_str());
  }
}

void print_summary(const std::vector<ConvLayer>& convs, const std::vector<BnLayer>& bns,
                   const std::map<std::string, Timings>& all, const std::map<std::string, std::string>& automatic) {
  std::printf("Per network, the convolutions' and batch norms' time in one training step, µs (conv: forward + "
              "backward as the step runs it; batch norm: forward + backward; 'blocked' keeps batch norm blocked, "
              "'blocked + reorders' is oneDNN's convolutions with their reorders and nn's batch norm on NCHW between them)\n\n");
  std::printf("| network | threads | nn, automatic choice | nn, faster path per layer | oneDNN nchw | oneDNN blocked "
              "| oneDNN blocked + reorders |\n|---|---|---|---|---|---|---|\n");
  for (const char* net : {"stronger CNN", "small CNN"})
    for (int th : kThreadCounts) {
      double a = 0, f = 0, d = 0, b = 0, r = 0;
      bool any = false;
      for (const ConvLayer& l : convs) {
        if (l.net != net || !all.count(l.name)) continue;
        const Timings& t = all.at(l.name);
        const double dir = passes(t, "nn direct", th).step(l.needs_dx), gem = passes(t, "nn im2col", th).step(l.needs_dx);
        a += automatic.at(l.name) == "nn direct" ? dir : gem;
        f += std::min(dir, gem);
        d += passes(t, "oneDNN nchw", th).step(l.needs_dx);
        b += passes(t, "oneDNN blocked", th).step(l.needs_dx);
        r += passes(t, "oneDNN blocked + reorders", th).step(l.needs_dx);
        any = true;
      }
      for (const BnLayer& l : bns) {
        if (l.net != net || !all.count(l.name)) continue;
        const Timings& t = all.at(l.name);
        const auto fb = [&](const char* p) { return get(t, p, "forward", th) + get(t, p, "backward", th); };
        a += fb("nn"), f += fb("nn"), d += fb("oneDNN nchw"), b += fb("oneDNN blocked"), r += fb("nn");
      }
      if (any)
        std::printf("| %s | %d | %s | %s | %s | %s | %s |\n", net, th, us(a).c_str(), us(f).c_str(), us(d).c_str(),
                    us(b).c_str(), us(r).c_str());
    }
}

}  // namespace cp
