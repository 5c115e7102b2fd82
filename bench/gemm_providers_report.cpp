// The report of bench/gemm_providers: runs the program's --child twice (the libraries' own CPU
// dispatch, then their AVX2 settings), and bench/fma_peak for the one-core FMA peak, and prints the
// tables: per shape GFLOP/s of every provider, per workload the GEMM time of one step, its GFLOP/s
// and its share of the peak.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

std::vector<json> run_lines(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(command.c_str(), "r"), pclose);
  if (!p) throw std::runtime_error("could not run " + command);
  std::vector<json> out;
  std::string line;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p.get())) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    if (line[0] == '{') out.push_back(json::parse(line));
    line.clear();
  }
  return out;
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct Run {
  std::string kernels;
  std::vector<std::string> providers;
  std::vector<json> rows;
};

Run run_child(const std::string& self, const std::string& env, double seconds, const std::vector<std::string>& only) {
  std::string cmd = "env " + env + " OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 BLIS_NUM_THREADS=1 " + quote(self) +
                    " --child --seconds " + std::to_string(seconds);
  if (!only.empty()) {
    cmd += " --only";
    for (const auto& o : only) {
      cmd += ' ';
      cmd += quote(o);
    }
  }
  Run r;
  for (json& j : run_lines(cmd)) {
    if (j.contains("kernels")) r.kernels = j["kernels"];
    else if (j.contains("providers")) r.providers = j["providers"].get<std::vector<std::string>>();
    else r.rows.push_back(std::move(j));
  }
  if (r.providers.empty()) throw std::runtime_error("the child run failed: " + cmd);
  return r;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  for (size_t n = 0; n < rows.size(); ++n) {
    std::string line;
    for (size_t i = 0; i < rows[n].size(); ++i) {
      line += i ? " | " : "| ";
      line += rows[n][i];
      line.append(w[i] - rows[n][i].size(), ' ');
    }
    std::printf("%s |\n", line.c_str());
    if (n == 0) {
      std::string sep;
      for (size_t i = 0; i < w.size(); ++i) {
        sep += '|';
        sep.append(w[i] + 2, '-');
      }
      std::printf("%s|\n", sep.c_str());
    }
  }
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

int gemm_providers_report(const char* self_arg, double seconds, const std::vector<std::string>& only) {
  const std::string self = self_arg;
  const std::string dir = self.find('/') == std::string::npos ? "." : self.substr(0, self.rfind('/'));
  double peak2 = 0, peak512 = 0;
  const auto measure_peak = [&] {  // the best of the runs: other work on the machine only lowers it
    for (const json& j : run_lines(quote(dir + "/fma_peak") + " --threads 1 --seconds 0.2")) {
      peak2 = std::max(peak2, j.value("avx2_gflops_per_core", 0.0));
      peak512 = std::max(peak512, j.value("avx512_gflops_per_core", 0.0));
    }
  };
  for (int i = 0; i < 5; ++i) measure_peak();
  const std::string unset = "-u OPENBLAS_CORETYPE -u BLIS_ARCH_TYPE -u ONEDNN_MAX_CPU_ISA -u DNNL_MAX_CPU_ISA -u LIBXSMM_TARGET";
  const Run autorun = run_child(self, unset, seconds, only);
  const Run avx2 = run_child(self, unset + " OPENBLAS_CORETYPE=Haswell BLIS_ARCH_TYPE=3 ONEDNN_MAX_CPU_ISA=AVX2 "
                                         "LIBXSMM_TARGET=hsw", seconds, only);
  for (int i = 0; i < 5; ++i) measure_peak();
  // The libraries' own dispatch: the core's FMA peak, the better of AVX-512 and AVX2 (CPUs that
  // split 512-bit FMAs in two reach the same either way).
  const double peak_auto = std::max(peak512, peak2);
  std::printf("GEMM providers on nn's shapes, one thread\n");
  std::printf("FMA peak, one core (bench/fma_peak, best of 10 runs, before and after): AVX2 %.1f GFLOP/s, AVX-512 %.1f GFLOP/s\n", peak2, peak512);
  std::printf("own dispatch: %s\nAVX2 settings: %s\n\n", autorun.kernels.c_str(), avx2.kernels.c_str());

  const auto& provs = autorun.providers;
  std::vector<std::vector<std::string>> shape_rows;
  std::vector<std::string> head = {"workload", "op", "M x N x K", "calls/step"};
  for (const auto& p : provs) head.push_back(p + " own / AVX2");
  shape_rows.push_back(head);
  // Per workload: GEMM seconds of one step per provider and run.
  std::map<std::string, std::vector<double>> step_auto, step_avx2;
  std::map<std::string, double> flops;
  std::vector<std::string> order;
  for (size_t r = 0; r < autorun.rows.size(); ++r) {
    const json& a = autorun.rows[r];
    const json& b = avx2.rows.at(r);
    const std::string w = a["workload"];
    if (!step_auto.count(w)) {
      order.push_back(w);
      step_auto[w].assign(provs.size() + 1, 0.0);  // the last: the fastest provider per product
      step_avx2[w].assign(provs.size() + 1, 0.0);
    }
    const int M = a["M"], N = a["N"], K = a["K"], calls = a["calls"];
    const double f = 2.0 * M * N * K;
    flops[w] += f * calls;
    std::vector<std::string> row = {w, a["op"], std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K),
                                    std::to_string(calls)};
    double best_a = 1e30, best_b = 1e30;
    for (size_t p = 0; p < provs.size(); ++p) {
      const double sa = a["seconds"][p], sb = b["seconds"][p];
      step_auto[w][p] += sa * calls;
      step_avx2[w][p] += sb * calls;
      best_a = std::min(best_a, sa);
      best_b = std::min(best_b, sb);
      row.push_back(fmt("%.0f", f / sa * 1e-9) + " / " + fmt("%.0f", f / sb * 1e-9));
    }
    step_auto[w].back() += best_a * calls;
    step_avx2[w].back() += best_b * calls;
    shape_rows.push_back(row);
  }
  std::printf("GFLOP/s per product (own dispatch / AVX2 settings); op: transposes of A and B (row-major)\n");
  print_table(shape_rows);

  std::vector<std::vector<std::string>> step_rows;
  head = {"workload", "GEMM MFLOP/step"};
  for (const auto& p : provs) head.push_back(p + " us/step, % of peak (own; AVX2)");
  head.push_back("fastest provider per product (own; AVX2)");
  step_rows.push_back(head);
  for (const auto& w : order) {
    std::vector<std::string> row = {w, fmt("%.1f", flops[w] * 1e-6)};
    for (size_t p = 0; p <= provs.size(); ++p) {
      const double ta = step_auto[w][p], tb = step_avx2[w][p];
      row.push_back(fmt("%.0f", ta * 1e6) + " " + fmt("%.0f%%", 100 * flops[w] / ta * 1e-9 / peak_auto) + "; " +
                    fmt("%.0f", tb * 1e6) + " " + fmt("%.0f%%", 100 * flops[w] / tb * 1e-9 / peak2));
    }
    step_rows.push_back(row);
  }
  std::printf("\nThe BLAS products of one step (training step; one forward pass for infer-b256): GEMM time and its\n"
              "rate as a share of the one-core FMA peak (own dispatch: the better of AVX-512 and AVX2; AVX2 settings: AVX2);\n"
              "the last column: each product on its fastest provider (a choice per shape at run time at best)\n");
  print_table(step_rows);
  return 0;
}
