// Convolution and batch norm paths on the layers of the two CNNs of the README, at batch 64: nn's
// direct and im2col convolutions (the public Conv2D with ConvAlgorithm::direct and ::gemm) and
// nn's BatchNorm2d against oneDNN's primitives (bench/conv_providers_dnnl.cpp), at 1 and 2 threads.
//
// Convolutions: forward, backward data (dx) and backward weights (dW + db). nn's Conv2D computes
// dW and db in every backward() and dx too unless set_input_grad(false), so nn's rows time
// backward() both ways and give dx as the difference; oneDNN's rows time backward_data and
// backward_weights as the two primitives. "Layer's step" is what a training step runs: forward
// and dW + db, plus dx except in a network's first layer. Batch norm: training forward and
// backward, and a plain copy of the same tensor as the yardstick of memory speed.
//
// Threads: nn::set_num_threads(t) before building and before running each item; it sets
// OpenMP's thread count, which both nn's budget and libdnnl's OpenMP runtime read (oneDNN when a
// primitive is created and when it runs). oneDNN's primitives are created at the item's count.
//
// Every item is checked first: its outputs against a double-precision reference computed here,
// printed as the largest |error| / max |reference| over the pass's outputs (y; dx; dW and db);
// above 1e-4 the program stops with an error (exit 1) instead of timing wrong results.
// Timing: all items of one layer, both thread counts, in short interleaved rounds, each round an
// untimed call and then enough calls to fill `seconds` / rounds; the best round is kept (other
// work on a shared machine only slows a round down). After a two-thread item of one runtime the
// next item of the other waits `gap` ms, so that spinning workers of one pool do not take the
// cores of the other.
//
//   conv_providers [--seconds 0.3] [--rounds 30] [--gap-ms 20] [--only NAME...] [--conv IN OUT SIZE]...
//   conv_providers --step ROUNDS STEPS
// --only keeps the layers whose name contains one of the strings ("conv 1->8", "batch norm");
// --conv adds a layer (batch 64, 3x3, padding 1, with dx), e.g. to find where the direct path stops
// paying; --step R S times the stronger CNN's whole training step instead, with Conv2D's automatic
// choice and with each algorithm given per layer (R interleaved rounds of S steps).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "nn/nn.hpp"

#include "conv_providers.hpp"


namespace {
using namespace cp;

constexpr float kEps = 1e-5f;
// The largest error a path may show against the double reference before the program refuses to
// time it (float sums over up to 50k terms; Winograd's transforms lose a little more).
constexpr double kMaxError = 1e-4;
const int kThreads[] = {1, 2};

std::vector<float> random_vector(size_t n, uint64_t seed, double lo, double hi) {
  nn::Rng rng(seed);
  std::vector<float> v(n);
  for (float& f : v) f = static_cast<float>(rng.uniform(lo, hi));
  return v;
}

std::vector<float> to_vector(const nn::Tensor& t) { return std::vector<float>(t.data(), t.data() + t.numel()); }

// Reference convolution (3x3, stride 1, padding 1) in double: y, dx, dW, db.
std::vector<std::vector<double>> conv_reference(const ConvLayer& l, const ConvData& d) {
  const int64_t n = l.n, ic = l.ic, oc = l.oc, s = l.hw, p = s * s;
  std::vector<double> y(static_cast<size_t>(n * oc * p)), dx(static_cast<size_t>(n * ic * p)),
      dw(static_cast<size_t>(oc * ic * 9)), db(static_cast<size_t>(oc));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < oc; ++o) {
      double* yo = &y[static_cast<size_t>((i * oc + o) * p)];
      const float* go = &d.dy[static_cast<size_t>((i * oc + o) * p)];
      for (int64_t k = 0; k < p; ++k) yo[k] = d.b[static_cast<size_t>(o)], db[static_cast<size_t>(o)] += go[k];
      for (int64_t c = 0; c < ic; ++c) {
        const float* xc = &d.x[static_cast<size_t>((i * ic + c) * p)];
        double* dxc = &dx[static_cast<size_t>((i * ic + c) * p)];
        for (int64_t a = 0; a < 3; ++a)
          for (int64_t b = 0; b < 3; ++b) {
            const size_t widx = static_cast<size_t>(((o * ic + c) * 3 + a) * 3 + b);
            const double wv = d.w[widx];
            double g = 0.0;
            for (int64_t r = 0; r < s; ++r) {
              const int64_t xr = r + a - 1;
              if (xr < 0 || xr >= s) continue;
              for (int64_t q = 0; q < s; ++q) {
                const int64_t xq = q + b - 1;
                if (xq < 0 || xq >= s) continue;
                yo[r * s + q] += wv * xc[xr * s + xq];
                dxc[xr * s + xq] += wv * go[r * s + q];
                g += static_cast<double>(go[r * s + q]) * xc[xr * s + xq];
              }
            }
            dw[widx] += g;
          }
      }
    }
  return {y, dx, dw, db};
}

// Reference batch norm (training) in double: y, dx, dgamma, dbeta.
std::vector<std::vector<double>> bn_reference(const BnLayer& l, const BnData& d) {
  const int64_t n = l.n, c = l.c, p = l.hw * l.hw;
  const double m = static_cast<double>(n * p);
  std::vector<double> y(d.x.size()), dx(d.x.size()), dg(static_cast<size_t>(c)), dbeta(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const auto at = [&](int64_t i, int64_t k) { return static_cast<size_t>((i * c + ch) * p + k); };
    double mean = 0.0, var = 0.0, sdy = 0.0, sdyx = 0.0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < p; ++k) mean += d.x[at(i, k)];
    mean /= m;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < p; ++k) var += (d.x[at(i, k)] - mean) * (d.x[at(i, k)] - mean);
    var /= m;
    const double invstd = 1.0 / std::sqrt(var + kEps), g = d.gamma[static_cast<size_t>(ch)];
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < p; ++k) {
        const double xh = (d.x[at(i, k)] - mean) * invstd;
        y[at(i, k)] = xh * g + d.beta[static_cast<size_t>(ch)];
        sdy += d.dy[at(i, k)];
        sdyx += d.dy[at(i, k)] * xh;
      }
    dg[static_cast<size_t>(ch)] = sdyx, dbeta[static_cast<size_t>(ch)] = sdy;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < p; ++k) {
        const double xh = (d.x[at(i, k)] - mean) * invstd;
        dx[at(i, k)] = g * invstd * (d.dy[at(i, k)] - sdy / m - xh * sdyx / m);
      }
  }
  return {y, dx, dg, dbeta};
}

double rel_error(const std::vector<float>& a, const std::vector<double>& ref) {
  double err = 0.0, scale = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    scale = std::max(scale, std::abs(ref[i]));
    err = std::max(err, i < a.size() ? std::abs(a[i] - ref[i]) : INFINITY);
  }
  return a.size() == ref.size() ? err / std::max(scale, 1e-30) : INFINITY;
}

struct NnConv {
  nn::Tensor x, dy;
  nn::Conv2D conv;
  NnConv(const ConvLayer& l, const ConvData& d, nn::ConvAlgorithm a, bool dx)
      : x(nn::Shape{l.n, l.ic, l.hw, l.hw}, d.x), dy(nn::Shape{l.n, l.oc, l.hw, l.hw}, d.dy),
        conv(l.ic, l.oc, 3, {.padding = 1, .algorithm = a}) {
    std::copy(d.w.begin(), d.w.end(), conv.weight().data.data());
    std::copy(d.b.begin(), d.b.end(), conv.bias()->data.data());
    conv.set_input_grad(dx);
    conv.forward(x);
  }
  std::vector<std::vector<float>> grads() {
    std::fill_n(conv.weight().grad.data(), conv.weight().grad.numel(), 0.0f);
    std::fill_n(conv.bias()->grad.data(), conv.bias()->grad.numel(), 0.0f);
    const nn::Tensor& dx = conv.backward(dy);
    std::vector<std::vector<float>> r;
    if (conv.input_grad()) r.push_back(to_vector(dx));
    r.push_back(to_vector(conv.weight().grad));
    r.push_back(to_vector(conv.bias()->grad));
    return r;
  }
};

void nn_conv_items(const ConvLayer& l, const ConvData& d, int threads, std::vector<Item>& out) {
  for (const auto& [path, a] : {std::pair{"nn direct", nn::ConvAlgorithm::direct},
                                std::pair{"nn im2col", nn::ConvAlgorithm::gemm}}) {
    auto f = std::make_shared<NnConv>(l, d, a, false);
    out.push_back({path, "forward", threads, [f] { f->conv.forward(f->x); },
                   [f] { return std::vector<std::vector<float>>{to_vector(f->conv.forward(f->x))}; }});
    auto w = std::make_shared<NnConv>(l, d, a, false);
    out.push_back({path, "backward weights", threads, [w] { w->conv.backward(w->dy); }, [w] { return w->grads(); }});
    auto b = std::make_shared<NnConv>(l, d, a, true);
    out.push_back({path, "backward both", threads, [b] { b->conv.backward(b->dy); }, [b] { return b->grads(); }});
  }
}

struct NnBn {
  nn::Tensor x, dy, y;
  nn::BatchNorm2d bn;
  NnBn(const BnLayer& l, const BnData& d)
      : x(nn::Shape{l.n, l.c, l.hw, l.hw}, d.x), dy(nn::Shape{l.n, l.c, l.hw, l.hw}, d.dy),
        y(nn::Shape{l.n, l.c, l.hw, l.hw}), bn(l.c, {.eps = kEps}) {
    std::copy(d.gamma.begin(), d.gamma.end(), bn.weight()->data.data());
    std::copy(d.beta.begin(), d.beta.end(), bn.bias()->data.data());
    bn.forward(x);
  }
};

void nn_bn_items(const BnLayer& l, const BnData& d, int threads, std::vector<Item>& out) {
  auto f = std::make_shared<NnBn>(l, d);
  out.push_back({"nn", "forward", threads, [f] { f->bn.forward(f->x); },
                 [f] { return std::vector<std::vector<float>>{to_vector(f->bn.forward(f->x))}; }});
  out.push_back({"nn", "backward", threads, [f] { f->bn.backward(f->dy); }, [f] {
                   std::fill_n(f->bn.weight()->grad.data(), f->bn.weight()->grad.numel(), 0.0f);
                   std::fill_n(f->bn.bias()->grad.data(), f->bn.bias()->grad.numel(), 0.0f);
                   std::vector<std::vector<float>> r{to_vector(f->bn.backward(f->dy))};
                   r.push_back(to_vector(f->bn.weight()->grad));
                   r.push_back(to_vector(f->bn.bias()->grad));
                   return r;
                 }});
  // The yardstick: one read and one write of the tensor (not checked).
  out.push_back({"copy x to y (memory yardstick)", "forward", threads,
                 [f] { std::memcpy(f->y.data(), f->x.data(), sizeof(float) * static_cast<size_t>(f->x.numel())); },
                 nullptr});
}

// Checks every item against the reference (the passes' outputs in order: y; dx, dW, db; dW, db).
void check(std::vector<Item>& items, const std::vector<std::vector<double>>& ref, bool bn, Timings& t) {
  for (Item& it : items) {
    if (!it.check) continue;
    nn::set_num_threads(it.threads);
    const auto got = it.check();
    std::vector<const std::vector<double>*> want;
    if (it.pass == "forward") want = {&ref[0]};
    else if (it.pass == "backward data") want = {&ref[1]};
    else if (it.pass == "backward weights") want = {&ref[2], &ref[3]};
    else if (bn) want = {&ref[1], &ref[2], &ref[3]};  // batch norm's backward
    else want = {&ref[1], &ref[2], &ref[3]};         // nn's backward both
    double e = got.size() == want.size() ? 0.0 : INFINITY;
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) e = std::max(e, rel_error(got[i], *want[i]));
    auto& slot = t.error[{it.path, it.threads}];
    slot = std::max(slot, e);
    if (!(e <= kMaxError))
      nn::fail(it.path, ", ", it.pass, " at ", it.threads, " thread(s): relative error ", e,
               " against the double reference, expected at most ", kMaxError);
  }
}

void time_items(std::vector<Item>& items, double seconds, int rounds, int gap_ms, Timings& t) {
  using clock = std::chrono::steady_clock;
  std::vector<int64_t> reps(items.size(), 1);
  std::vector<double> best(items.size(), 1e30);
  for (size_t i = 0; i < items.size(); ++i) {
    nn::set_num_threads(items[i].threads);
    items[i].run();
    for (;;) {
      const auto t0 = clock::now();
      for (int64_t k = 0; k < reps[i]; ++k) items[i].run();
      if (std::chrono::duration<double>(clock::now() - t0).count() > seconds / rounds / 2 || reps[i] > (1 << 20)) break;
      reps[i] *= 2;
    }
  }
  const Item* prev = nullptr;
  for (int r = 0; r < rounds; ++r)
    for (size_t i = 0; i < items.size(); ++i) {
      const Item& it = items[i];
      if (prev && prev->threads > 1 && prev->dnnl != it.dnnl)
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
      nn::set_num_threads(it.threads);
      it.run();  // untimed: wakes the threads, brings the data into the caches
      const auto t0 = clock::now();
      for (int64_t k = 0; k < reps[i]; ++k) it.run();
      best[i] = std::min(best[i], std::chrono::duration<double>(clock::now() - t0).count() / static_cast<double>(reps[i]));
      prev = &it;
    }
  for (size_t i = 0; i < items.size(); ++i) t.best[{items[i].path, items[i].pass, items[i].threads}] = best[i];
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

int run(double seconds, int rounds, int gap_ms, const std::vector<std::string>& only,
        const std::vector<ConvLayer>& extra) {
  std::vector<ConvLayer> convs = {
      {"stronger CNN", "conv 1->32, 28x28", 64, 1, 32, 28, false},
      {"stronger CNN", "conv 32->64, 14x14", 64, 32, 64, 14, true},
      {"small CNN", "conv 1->8, 28x28", 64, 1, 8, 28, false},
      {"small CNN", "conv 8->16, 14x14", 64, 8, 16, 14, true},
  };
  convs.insert(convs.end(), extra.begin(), extra.end());
  const std::vector<BnLayer> bns = {
      {"stronger CNN", "batch norm 64x32x28x28", 64, 32, 28},
      {"stronger CNN", "batch norm 64x64x14x14", 64, 64, 14},
  };
  const auto wanted = [&](const std::string& name) {
    return only.empty() || std::any_of(only.begin(), only.end(), [&](const std::string& o) { return name.find(o) != std::string::npos; });
  };
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::printf("conv_providers, %s; %s; %s; nn's BLAS: %s\n", date, cpu_model().c_str(), dnnl_description().c_str(),
              nn::ops::blas_info().c_str());
  std::printf("threads: nn::set_num_threads(1 | 2) = omp_set_num_threads for nn's workers and libdnnl's OpenMP "
              "(OMP_WAIT_POLICY=%s, GOMP_SPINCOUNT=%s); best of %d interleaved rounds, %.2f s per item; load "
              "average at start %s\n\n",
              std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : "unset",
              std::getenv("GOMP_SPINCOUNT") ? std::getenv("GOMP_SPINCOUNT") : "unset", rounds, seconds,
              loadavg().c_str());
  std::map<std::string, Timings> all;
  std::map<std::string, std::string> automatic;
  std::vector<std::string> impls;
  for (const ConvLayer& l : convs) {
    if (!wanted(l.name) && l.net != "extra") continue;
    const uint64_t seed = static_cast<uint64_t>(l.ic * 100 + l.oc);
    ConvData d{random_vector(static_cast<size_t>(l.n * l.ic * l.hw * l.hw), seed, 0.0, 1.0),
               random_vector(static_cast<size_t>(l.oc * l.ic * 9), seed + 1, -0.3, 0.3),
               random_vector(static_cast<size_t>(l.oc), seed + 2, -0.1, 0.1),
               random_vector(static_cast<size_t>(l.n * l.oc * l.hw * l.hw), seed + 3, -1.0, 1.0)};
    const auto ref = conv_reference(l, d);
    std::vector<Item> items;
    impls.clear();
    for (int t : kThreads) {
      nn::set_num_threads(t);
      nn_conv_items(l, d, t, items);
      dnnl_conv_items(l, d, t, items, impls);
    }
    Timings& tm = all[l.name];
    check(items, ref, false, tm);
    {  // Which path ConvAlgorithm::automatic takes: its output is bit-identical to that path's.
      nn::set_num_threads(1);
      NnConv a(l, d, nn::ConvAlgorithm::automatic, false), dir(l, d, nn::ConvAlgorithm::direct, false);
      automatic[l.name] = to_vector(a.conv.forward(a.x)) == to_vector(dir.conv.forward(dir.x)) ? "nn direct" : "nn im2col";
    }
    time_items(items, seconds, rounds, gap_ms, tm);
    print_conv_table(l, tm, automatic[l.name]);
    for (const auto& s : impls) std::printf("- %s\n", s.c_str());
    std::printf("\n");
  }
  for (const BnLayer& l : bns) {
    if (!wanted(l.name)) continue;
    const uint64_t seed = static_cast<uint64_t>(l.c * 7);
    BnData d{random_vector(static_cast<size_t>(l.numel()), seed, -1.0, 3.0),
             random_vector(static_cast<size_t>(l.numel()), seed + 1, -1.0, 1.0),
             random_vector(static_cast<size_t>(l.c), seed + 2, 0.5, 1.5),
             random_vector(static_cast<size_t>(l.c), seed + 3, -0.5, 0.5)};
    const auto ref = bn_reference(l, d);
    std::vector<Item> items;
    impls.clear();
    for (int t : kThreads) {
      nn::set_num_threads(t);
      nn_bn_items(l, d, t, items);
      dnnl_bn_items(l, d, kEps, t, items, impls);
    }
    Timings& tm = all[l.name];
    check(items, ref, true, tm);
    time_items(items, seconds, rounds, gap_ms, tm);
    print_bn_table(l, tm);
    for (const auto& s : impls) std::printf("- %s\n", s.c_str());
    std::printf("\n");
  }
  print_summary(convs, bns, all, automatic);
  std::printf("\nload average at the end: %s\n", loadavg().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0.3;
  int rounds = 30, gap_ms = 20;
  std::vector<std::string> only;
  std::vector<ConvLayer> extra;
  int step_rounds = 0, step_steps = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (k == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (k == "--gap-ms" && i + 1 < argc) gap_ms = std::max(0, std::atoi(argv[++i]));
    else if (k == "--conv" && i + 3 < argc) {  // one more layer, batch 64: in out size (3x3, padding 1)
      const int64_t ic = std::atoll(argv[i + 1]), oc = std::atoll(argv[i + 2]), hw = std::atoll(argv[i + 3]);
      i += 3;
      if (ic <= 0 || oc <= 0 || hw <= 0 || ic > 4096 || oc > 4096 || hw > 512) {
        std::fprintf(stderr, "conv_providers: --conv expects IN OUT SIZE in 1..4096, 1..4096, 1..512\n");
        return 2;
      }
      extra.push_back({"extra", "conv " + std::to_string(ic) + "->" + std::to_string(oc) + ", " + std::to_string(hw) + "x" +
                                    std::to_string(hw),
                       64, ic, oc, hw, true});
    } else if (k == "--step" && i + 2 < argc) {  // the stronger CNN's whole step: rounds, steps per round
      step_rounds = std::max(1, std::atoi(argv[i + 1]));
      step_steps = std::max(1, std::atoi(argv[i + 2]));
      i += 2;
    } else if (k == "--only") {
      while (i + 1 < argc && argv[i + 1][0] != '-') only.emplace_back(argv[++i]);
    } else {
      std::fprintf(stderr, "conv_providers: unknown option %s (usage: conv_providers [--seconds S] [--rounds N] "
                           "[--gap-ms MS] [--only NAME...] [--conv IN OUT SIZE]... | --step ROUNDS STEPS)\n", k.c_str());
      return 2;
    }
  }
  try {
    if (step_rounds > 0) {
      cp::stronger_cnn_steps(step_rounds, step_steps);
      return 0;
    }
    return run(seconds, rounds, gap_ms, only, extra);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "conv_providers: %s\n", e.what());
    return 1;
  }
}
