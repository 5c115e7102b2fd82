// oneDNN's side of bench/conv_providers.cpp: convolution (forward_training, backward_data,
// backward_weights; algorithm convolution_direct) and batch normalization (use_scale | use_shift,
// training) on the layers of the two CNNs, with three memory arrangements:
// - "nchw": the primitives on NCHW / OIHW user memory, as nn keeps its tensors;
// - "blocked": the layouts the primitive picks itself (format_tag::any, nChw16c and the like), the
//   inputs reordered once before the clock: what a network that stays blocked from layer to
//   layer pays;
// - "blocked + reorders": the same with the reorders from and to NCHW inside the timed call (each
//   input, the weights included, and the output), what a framework with NCHW tensors at the
//   layer's boundaries pays (PyTorch's oneDNN path for NCHW tensors);
// and "blocked, convolution_auto": the blocked arrangement with the algorithm left to oneDNN.
#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <unordered_map>

#include "conv_providers.hpp"

namespace cp {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

struct Ctx {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
};
Ctx& ctx() {
  static Ctx c;
  return c;
}

struct Step {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;
  void run() const { prim.execute(ctx().strm, args); }
};

// One pass: the input reorders (run once at set-up, and in the timed call when counted), the
// primitive, the output reorders (in the timed call when counted, before a check always).
struct Pass {
  std::vector<Step> in, core, out;
  bool counted = false;
  std::vector<std::vector<float>*> outputs;  // the user buffers the output reorders fill
  void run() const {
    if (counted)
      for (const Step& s : in) s.run();
    for (const Step& s : core) s.run();
    if (counted)
      for (const Step& s : out) s.run();
    ctx().strm.wait();
  }
  std::vector<std::vector<float>> check() const {
    for (const Step& s : in) s.run();
    for (const Step& s : core) s.run();
    for (const Step& s : out) s.run();
    ctx().strm.wait();
    std::vector<std::vector<float>> r;
    for (auto* o : outputs) r.push_back(*o);
    return r;
  }
};

// User memory over a buffer the state owns (NCHW / OIHW / x).
memory user(const memory::dims& dims, tag t, std::vector<float>& buf) {
  return memory({dims, f32, t}, ctx().eng, buf.data());
}

// The primitive's memory for an input: the user memory when the layouts agree, else its own,
// filled from the user memory by a reorder (run now, and kept in the pass).
memory input(const memory::desc& want, const memory& u, Pass& p) {
  if (want == u.get_desc()) return u;
  memory m(want, ctx().eng);
  dnnl::reorder r(u, m);
  p.in.push_back({r, {{DNNL_ARG_FROM, u}, {DNNL_ARG_TO, m}}});
  p.in.back().run();
  ctx().strm.wait();
  return m;
}

memory output(const memory::desc& have, const memory& u, Pass& p) {
  if (have == u.get_desc()) return u;
  memory m(have, ctx().eng);
  p.out.push_back({dnnl::reorder(m, u), {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, u}}});
  return m;
}

struct Arrangement {
  const char* path;
  bool any, counted;
  dnnl::algorithm algo;
};
// convolution_direct, as PyTorch asks for (ideep's default); convolution_auto once more, since on
// AVX-512 it picks Winograd for these 3x3 layers.
const Arrangement kArrangements[] = {
    {"oneDNN nchw", false, false, dnnl::algorithm::convolution_direct},
    {"oneDNN blocked", true, false, dnnl::algorithm::convolution_direct},
    {"oneDNN blocked + reorders", true, true, dnnl::algorithm::convolution_direct},
    {"oneDNN blocked, convolution_auto", true, false, dnnl::algorithm::convolution_auto},
};

// Everything one arrangement's primitives use, kept alive by the items' closures.
struct ConvState {
  std::vector<float> x, w, b, dy, y, dx, dw, db;
  Pass fwd, bwd_data, bwd_weights;
};

void add(std::vector<Item>& out, const char* path, const char* pass, int threads, std::shared_ptr<ConvState> st,
         Pass ConvState::*which) {
  out.push_back({path, pass, threads, [st, which] { ((*st).*which).run(); },
                 [st, which] { return ((*st).*which).check(); }, true});
}

}  // namespace

void dnnl_conv_items(const ConvLayer& l, const ConvData& d, int threads, std::vector<Item>& out,
                     std::vector<std::string>& impls) {
  const memory::dims xd{l.n, l.ic, l.hw, l.hw}, yd{l.n, l.oc, l.hw, l.hw}, wd{l.oc, l.ic, 3, 3}, bd{l.oc};
  const memory::dims strides{1, 1}, pad{1, 1};
  for (const Arrangement& a : kArrangements) {
    auto st = std::make_shared<ConvState>();
    st->x = d.x, st->w = d.w, st->b = d.b, st->dy = d.dy;
    st->y.resize(d.dy.size()), st->dx.resize(d.x.size()), st->dw.resize(d.w.size()), st->db.resize(d.b.size());
    const memory ux = user(xd, tag::nchw, st->x), uw = user(wd, tag::oihw, st->w), ub = user(bd, tag::x, st->b),
                 udy = user(yd, tag::nchw, st->dy), uy = user(yd, tag::nchw, st->y),
                 udx = user(xd, tag::nchw, st->dx), udw = user(wd, tag::oihw, st->dw),
                 udb = user(bd, tag::x, st->db);
    const auto md = [&](const memory::dims& dims, tag t) { return memory::desc(dims, f32, a.any ? tag::any : t); };
    const memory::desc bmd(bd, f32, tag::x);
    auto& eng = ctx().eng;

    dnnl::convolution_forward::primitive_desc fpd(
        {dnnl::prop_kind::forward_training, a.algo, md(xd, tag::nchw), md(wd, tag::oihw),
         bmd, md(yd, tag::nchw), strides, pad, pad},
        eng);
    Pass& f = st->fwd;
    f.counted = a.counted;
    const memory fx = input(fpd.src_desc(), ux, f), fw = input(fpd.weights_desc(), uw, f);
    const memory fy = output(fpd.dst_desc(), uy, f);
    f.core.push_back({dnnl::convolution_forward(fpd),
                      {{DNNL_ARG_SRC, fx}, {DNNL_ARG_WEIGHTS, fw}, {DNNL_ARG_BIAS, ub}, {DNNL_ARG_DST, fy}}});
    f.outputs = {&st->y};

    dnnl::convolution_backward_data::primitive_desc dpd(
        {a.algo, md(xd, tag::nchw), md(wd, tag::oihw), md(yd, tag::nchw), strides, pad,
         pad},
        eng, fpd);
    Pass& g = st->bwd_data;
    g.counted = a.counted;
    const memory gdy = input(dpd.diff_dst_desc(), udy, g), gw = input(dpd.weights_desc(), uw, g);
    const memory gdx = output(dpd.diff_src_desc(), udx, g);
    g.core.push_back({dnnl::convolution_backward_data(dpd),
                      {{DNNL_ARG_DIFF_DST, gdy}, {DNNL_ARG_WEIGHTS, gw}, {DNNL_ARG_DIFF_SRC, gdx}}});
    g.outputs = {&st->dx};

    dnnl::convolution_backward_weights::primitive_desc wpd(
        {a.algo, md(xd, tag::nchw), md(wd, tag::oihw), bmd, md(yd, tag::nchw), strides,
         pad, pad},
        eng, fpd);
    Pass& h = st->bwd_weights;
    h.counted = a.counted;
    const memory hx = input(wpd.src_desc(), ux, h), hdy = input(wpd.diff_dst_desc(), udy, h);
    const memory hdw = output(wpd.diff_weights_desc(), udw, h), hdb = output(wpd.diff_bias_desc(), udb, h);
    h.core.push_back({dnnl::convolution_backward_weights(wpd),
                      {{DNNL_ARG_SRC, hx},
                       {DNNL_ARG_DIFF_DST, hdy},
                       {DNNL_ARG_DIFF_WEIGHTS, hdw},
                       {DNNL_ARG_DIFF_BIAS, hdb}}});
    h.outputs = {&st->dw, &st->db};

    if (threads == 1)
      impls.push_back(std::string(a.path) + ": forward " + fpd.impl_info_str() + ", backward data " +
                      dpd.impl_info_str() + ", backward weights " + wpd.impl_info_str() + "; reorders to and from NCHW " +
                      std::to_string(f.in.size() + f.out.size()) + " / " + std::to_string(g.in.size() + g.out.size()) +
                      " / " + std::to_string(h.in.size() + h.out.size()));
    add(out, a.path, "forward", threads, st, &ConvState::fwd);
    add(out, a.path, "backward data", threads, st, &ConvState::bwd_data);
    add(out, a.path, "backward weights", threads, st, &ConvState::bwd_weights);
  }
}

namespace {

struct BnState {
  std::vector<float> x, dy, gamma, beta, y, dx, dgamma, dbeta;
  Pass fwd, bwd;
};

}  // namespace

void dnnl_bn_items(const BnLayer& l, const BnData& d, float eps, int threads, std::vector<Item>& out,
                   std::vector<std::string>& impls) {
  const memory::dims xd{l.n, l.c, l.hw, l.hw}, cd{l.c};
  // Batch norm takes no format_tag::any: the blocked arrangement names the layout the blocked
  // convolutions around it use (nChw16c); its reorders are the convolutions' business.
  struct BnArrangement {
    const char* path;
    tag layout;
  };
  for (const BnArrangement a : {BnArrangement{"oneDNN nchw", tag::nchw}, BnArrangement{"oneDNN blocked", tag::nChw16c}}) {
    auto st = std::make_shared<BnState>();
    st->x = d.x, st->dy = d.dy, st->gamma = d.gamma, st->beta = d.beta;
    st->y.resize(d.x.size()), st->dx.resize(d.x.size()), st->dgamma.resize(d.gamma.size());
    st->dbeta.resize(d.beta.size());
    const memory ux = user(xd, tag::nchw, st->x), udy = user(xd, tag::nchw, st->dy), uy = user(xd, tag::nchw, st->y),
                 udx = user(xd, tag::nchw, st->dx), ug = user(cd, tag::x, st->gamma), ub = user(cd, tag::x, st->beta),
                 udg = user(cd, tag::x, st->dgamma), udb = user(cd, tag::x, st->dbeta);
    const memory::desc data(xd, f32, a.layout);
    const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    auto& eng = ctx().eng;
    dnnl::batch_normalization_forward::primitive_desc fpd({dnnl::prop_kind::forward_training, data, eps, flags}, eng);
    Pass& f = st->fwd;
    const memory fx = input(data, ux, f), fy = output(data, uy, f);
    const memory mean(fpd.mean_desc(), eng), var(fpd.variance_desc(), eng);
    f.core.push_back({dnnl::batch_normalization_forward(fpd),
                      {{DNNL_ARG_SRC, fx},
                       {DNNL_ARG_SCALE, ug},
                       {DNNL_ARG_SHIFT, ub},
                       {DNNL_ARG_DST, fy},
                       {DNNL_ARG_MEAN, mean},
                       {DNNL_ARG_VARIANCE, var}}});
    f.outputs = {&st->y};
    f.core.back().run();  // the statistics the backward pass reads
    ctx().strm.wait();

    dnnl::batch_normalization_backward::primitive_desc bpd({dnnl::prop_kind::backward, data, data, eps, flags}, eng,
                                                           fpd);
    Pass& b = st->bwd;
    const memory bx = input(data, ux, b), bdy = input(data, udy, b), bdx = output(data, udx, b);
    b.core.push_back({dnnl::batch_normalization_backward(bpd),
                      {{DNNL_ARG_SRC, bx},
                       {DNNL_ARG_DIFF_DST, bdy},
                       {DNNL_ARG_MEAN, mean},
                       {DNNL_ARG_VARIANCE, var},
                       {DNNL_ARG_SCALE, ug},
                       {DNNL_ARG_SHIFT, ub},  // an input of the backward pass too (unused)
                       {DNNL_ARG_DIFF_SRC, bdx},
                       {DNNL_ARG_DIFF_SCALE, udg},
                       {DNNL_ARG_DIFF_SHIFT, udb}}});
    b.outputs = {&st->dx, &st->dgamma, &st->dbeta};
    if (threads == 1)
      impls.push_back(std::string(a.path) + ": forward " + fpd.impl_info_str() + ", backward " + bpd.impl_info_str());
    out.push_back({a.path, "forward", threads, [st] { st->fwd.run(); }, [st] { return st->fwd.check(); }, true});
    out.push_back({a.path, "backward", threads, [st] { st->bwd.run(); }, [st] { return st->bwd.check(); }, true});
  }
}

std::string dnnl_description() {
  const dnnl_version_t* v = dnnl_version();
  std::string runtime = v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP"
                        : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB"
                        : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential"
                        : v->cpu_runtime == DNNL_RUNTIME_THREADPOOL ? "threadpool"
                                                                    : "other";
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " (CPU runtime: " + runtime + ")";
}

}  // namespace cp
