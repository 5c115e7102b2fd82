#include "data_spec.hpp"

#include <charconv>
#include <filesystem>
#include <map>
#include <sstream>

#include "nn/data/csv.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/npy.hpp"
#include "nn/data/split.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"

namespace nn::cli {

namespace {

const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

// "n=500,noise=0.2" -> {n: 500, noise: 0.2}; every key must be used.
class Params {
 public:
  Params(std::string name, const std::string& text) : name_(std::move(name)) {
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
      if (item.empty()) continue;
      const auto eq = item.find('=');
      NN_CHECK(eq != std::string::npos && eq > 0, "data spec '", name_, "': expected key=value, found '", item, "'");
      values_[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  double number(const std::string& key, double fallback) {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    const std::string v = it->second;
    values_.erase(it);
    double d = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    NN_CHECK(ec == std::errc() && p == v.data() + v.size(), "data spec '", name_, "': ", key,
             ": expected a number, found '", v, "'");
    return d;
  }
  int64_t integer(const std::string& key, int64_t fallback) {
    const double d = number(key, static_cast<double>(fallback));
    NN_CHECK(d == static_cast<double>(static_cast<int64_t>(d)), "data spec '", name_, "': ", key,
             ": expected an integer, found ", d);
    return static_cast<int64_t>(d);
  }
  void done() const {
    if (values_.empty()) return;
    fail("data spec '", name_, "': unknown parameter '", values_.begin()->first, "'");
  }

 private:
  std::string name_;
  std::map<std::string, std::string> values_;
};

std::string describe(const data::Dataset& d) {
  std::ostringstream s;
  s << d.name << " (" << d.size() << " samples of " << d.sample_shape().str();
  if (d.is_classification()) s << ", " << d.num_classes() << " classes";
  s << ")";
  return s.str();
}

LoadedData synthetic(const std::string& name, const std::string& args) {
  Params p(name, args);
  data::Dataset d;
  if (name == "xor") {
    d = data::make_xor(p.integer("repeats", 1));
  } else if (name == "blobs") {
    data::BlobsOptions o;
    o.n_samples = p.integer("n", o.n_samples);
    o.n_features = p.integer("features", o.n_features);
    o.centers = p.integer("centers", o.centers);
    o.cluster_std = p.number("std", o.cluster_std);
    o.seed = static_cast<uint64_t>(p.integer("seed", 1));
    d = data::make_blobs(o);
  } else if (name == "classification") {
    data::ClassificationOptions o;
    o.n_samples = p.integer("n", o.n_samples);
    o.n_features = p.integer("features", o.n_features);
    o.n_informative = p.integer("informative", o.n_informative);
    o.n_redundant = p.integer("redundant", o.n_redundant);
    o.n_classes = p.integer("classes", o.n_classes);
    o.n_clusters_per_class = p.integer("clusters", o.n_clusters_per_class);
    o.class_sep = p.number("sep", o.class_sep);
    o.flip_y = p.number("flip", o.flip_y);
    o.seed = static_cast<uint64_t>(p.integer("seed", 1));
    d = data::make_classification(o);
  } else if (name == "moons") {
    const int64_t n = p.integer("n", 1000);
    const double noise = p.number("noise", 0.1);
    d = data::make_moons(n, noise, static_cast<uint64_t>(p.integer("seed", 1)));
  } else if (name == "circles") {
    const int64_t n = p.integer("n", 1000);
    const double noise = p.number("noise", 0.05), factor = p.number("factor", 0.5);
    d = data::make_circles(n, noise, factor, static_cast<uint64_t>(p.integer("seed", 1)));
  } else {  // spiral
    const int64_t n = p.integer("n", 900), classes = p.integer("classes", 3);
    const double noise = p.number("noise", 0.2);
    d = data::make_spiral(n, classes, noise, static_cast<uint64_t>(p.integer("seed", 1)));
  }
  p.done();
  LoadedData out;
  out.description = describe(d);
  out.train = std::move(d);
  return out;
}

LoadedData mnist_like(const std::string& dir, const std::string& split, const std::string& name) {
  LoadedData out;
  NN_CHECK(split.empty() || split == "train" || split == "test", "data spec '", name,
           "': expected the split 'train' or 'test', found '", split, "'");
  if (split == "test") {
    out.train = data::load_mnist_dir(dir, "test");
    out.train.name = name + " test";
  } else {
    out.train = data::load_mnist_dir(dir, "train");
    out.train.name = name + " train";
    out.test = data::load_mnist_dir(dir, "test");
    out.test->name = name + " test";
  }
  if (name == "fashion-mnist") {
    out.train.class_names = data::fashion_mnist_class_names();
    if (out.test) out.test->class_names = data::fashion_mnist_class_names();
  }
  out.images = true;
  out.description = describe(out.train) + (out.test ? " + " + describe(*out.test) : "");
  return out;
}

}  // namespace

LoadedData load_data(const std::string& spec, const DataOptions& options) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (name == "xor" || name == "blobs" || name == "classification" || name == "moons" || name == "circles" ||
      name == "spiral")
    return synthetic(name, rest);
  if (name == "fashion-mnist")
    return mnist_like(options.data_dir.empty() ? kFashionDir : options.data_dir, rest, name);
  if (name == "mnist") {
    // mnist:DIR or mnist:DIR:test
    std::string dir = rest, split;
    const auto last = rest.rfind(':');
    if (last != std::string::npos && (rest.substr(last + 1) == "test" || rest.substr(last + 1) == "train")) {
      dir = rest.substr(0, last);
      split = rest.substr(last + 1);
    }
    NN_CHECK(!dir.empty(), "data spec 'mnist': expected mnist:DIR, the folder of the IDX files");
    return mnist_like(dir, split, "mnist");
  }
  if (name == "csv") {
    NN_CHECK(!rest.empty(), "data spec 'csv': expected csv:PATH");
    data::CsvOptions o;
    o.label_column = options.label_column;
    LoadedData out;
    out.train = data::read_csv(rest, o);
    out.description = describe(out.train);
    return out;
  }
  if (name == "npy") {
    const auto comma = rest.find(',');
    NN_CHECK(comma != std::string::npos && comma > 0 && comma + 1 < rest.size(),
             "data spec 'npy': expected npy:X.npy,y.npy, found '", spec, "'");
    LoadedData out;
    out.train = data::load_npy_dataset(rest.substr(0, comma), rest.substr(comma + 1));
    out.description = describe(out.train);
    return out;
  }
  fail("unknown data spec '", spec,
       "' (expected one of xor, blobs, classification, moons, circles, spiral, fashion-mnist, mnist:DIR, csv:PATH, "
       "npy:X.npy,y.npy)");
}

std::string PreparedData::judged_on() const {
  const data::Dataset& d = test ? *test : has_val ? val : train;
  return std::string(test ? "test set" : has_val ? "validation split" : "training data") + " (" +
         std::to_string(d.size()) + " samples)";
}

PreparedData prepare_data(LoadedData loaded, const PrepareOptions& o) {
  PreparedData out;
  out.description = std::move(loaded.description);
  data::Dataset& all = loaded.train;
  NN_CHECK(!all.empty(), all.name, ": no samples");
  // Samples of two or more dimensions ([H, W], [C, H, W]) are images, whatever file they came from.
  out.images = loaded.images || all.sample_shape().rank() >= 2;
  out.test = std::move(loaded.test);
  NN_CHECK(o.val_split >= 0.0 && o.val_split < 1.0, "--val-split: expected a fraction in [0, 1), found ", o.val_split);
  if (o.keep_raw_points && all.is_classification() && all.sample_numel() == 2) out.raw_points = all.clone();
  if (o.val_split > 0.0 && all.size() >= 10 && !(o.judged_only && out.test)) {
    // The same split as data::train_test_split, made in place: one copy of the data (peak memory).
    const auto parts = data::train_test_split_indices(all, o.val_split, o.seed, o.stratify && all.is_classification());
    out.val = all.subset(parts.test);
    out.has_val = true;
    if (!o.judged_only) all.keep(parts.train);
  }
  if (!(o.judged_only && (out.test || out.has_val))) out.train = std::move(all);

  if (o.fitted) {
    out.scaler = *o.fitted;
  } else if (o.judged_only) {
    fail("prepare_data: judged_only applies a fitted scaler; it has no training part to fit one on");
  } else {
    // auto: images onto [0, 1] (bytes already are, when batched; other values by their overall
    // range), tabular data standardised per feature.
    std::string scale = o.scale;
    if (scale == "auto") scale = !out.images ? "standard" : out.train.is_u8() ? "none" : "range";
    NN_CHECK(scale == "none" || scale == "standard" || scale == "minmax" || scale == "range",
             "--scale: expected auto, standard, minmax, range or none, found '", o.scale, "'");
    out.scaler = data::Scaler(data::parse_scaler_kind(scale, "--scale"));
    out.scaler.fit(out.train);
  }
  if (!out.train.empty()) out.scaler.transform(out.train);
  if (out.has_val) out.scaler.transform(out.val);
  if (out.test) out.scaler.transform(*out.test);
  return out;
}

std::string data_spec_help() {
  return "Data specs:\n"
         "  xor[:repeats=1]                      the four XOR points\n"
         "  blobs[:n=1000,features=2,centers=2,std=1,seed=1]\n"
         "                                       Gaussian blobs (two clusters by default)\n"
         "  classification[:n=100,features=2,informative=2,redundant=0,classes=2,clusters=1,sep=1,flip=0,seed=1]\n"
         "                                       like scikit-learn's make_classification\n"
         "  moons[:n=1000,noise=0.1,seed=1]      two interleaving half circles\n"
         "  circles[:n=1000,noise=0.05,factor=0.5,seed=1]\n"
         "  spiral[:n=900,classes=3,noise=0.2,seed=1]\n"
         "  fashion-mnist[:test]                 Fashion-MNIST from /usr/share/datasets/fashion-mnist (--data-dir)\n"
         "  mnist:DIR[:test]                     IDX files (train-images-idx3-ubyte[.gz], ...) in DIR\n"
         "  csv:PATH                             numeric CSV; the label column is --label-column or the last\n"
         "  npy:X.npy,y.npy                      NumPy arrays: features [N, ...] and labels [N]\n";
}

}  // namespace nn::cli
