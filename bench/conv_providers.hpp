// Shared by bench/conv_providers.cpp (nn's paths, timing, report) and
// bench/conv_providers_dnnl.cpp (oneDNN's primitives): the layers measured and one timed item.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace cp {

/// A 3x3 convolution, stride 1, padding 1, with bias: (n, ic, hw, hw) -> (n, oc, hw, hw).
struct ConvLayer {
  std::string net, name;
  int64_t n, ic, oc, hw;
  bool needs_dx;  ///< whether a training step computes dx (not for a network's first layer)
  double flops() const { return 2.0 * static_cast<double>(n * oc * hw * hw * ic * 9); }
};

/// Batch norm over (n, c, hw, hw).
struct BnLayer {
  std::string net, name;
  int64_t n, c, hw;
  int64_t numel() const { return n * c * hw * hw; }
};

/// The tensors of a convolution layer, NCHW / OIHW, filled once: input x, weights w, bias b, the
/// output gradient dy.
struct ConvData {
  std::vector<float> x, w, b, dy;
};

/// The tensors of a batch norm layer: x, dy, gamma, beta.
struct BnData {
  std::vector<float> x, dy, gamma, beta;
};

/// One timed item: a path (row), a pass (column) and a thread count. run() is what the clock
/// times; check() computes the pass's outputs once more from a clean state and returns them in
/// NCHW / OIHW order (for the comparison against the reference).
struct Item {
  std::string path, pass;
  int threads;
  std::function<void()> run;
  std::function<std::vector<std::vector<float>>()> check;
  bool dnnl = false;  ///< whether it runs on oneDNN's OpenMP threads (not nn's workers)
};

/// The figures of one layer: the best round per item, the largest check error per path.
struct Timings {
  std::map<std::tuple<std::string, std::string, int>, double> best;  ///< (path, pass, threads) -> s
  std::map<std::pair<std::string, int>, double> error;                ///< (path, threads) -> rel. error
};

/// The report (bench/conv_providers_report.cpp): one table per layer, one per network.
void print_conv_table(const ConvLayer& l, const Timings& t, const std::string& automatic);
void print_bn_table(const BnLayer& l, const Timings& t);
void print_summary(const std::vector<ConvLayer>& convs, const std::vector<BnLayer>& bns,
                   const std::map<std::string, Timings>& all, const std::map<std::string, std::string>& automatic);

/// oneDNN's items for a layer, built at the current thread count (nn::set_num_threads, which sets
/// OpenMP's count, the one libdnnl's OpenMP runtime reads when a primitive is created and run).
/// `impls` gets "pass: implementation" lines (the primitive descriptors' impl_info_str()).
void dnnl_conv_items(const ConvLayer& l, const ConvData& d, int threads, std::vector<Item>& out,
                     std::vector<std::string>& impls);
void dnnl_bn_items(const BnLayer& l, const BnData& d, float eps, int threads, std::vector<Item>& out,
                   std::vector<std::string>& impls);
/// The stronger CNN's training step with Conv2D's automatic choice and with the algorithms given
/// per layer, 1 and 2 threads (bench/conv_providers_step.cpp); prints a Markdown table.
void stronger_cnn_steps(int rounds, int steps);
/// oneDNN's version and CPU runtime, as the library reports them.
std::string dnnl_description();

}  // namespace cp
