// The nn command: train, eval, predict, info, report, export and import. Parses the command line into the options
// of one subcommand and runs it; errors become one line on stderr (exit 1, 2 for usage errors).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"
#include "data_spec.hpp"
#include "distributed.hpp"
#include "options.hpp"
#include "nn/version.hpp"

namespace {

// Levenshtein distance, for "did you mean".
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// "unknown command 'trian'; did you mean 'train'?" (the suggestion only when one is close).
std::string unknown_command(const std::string& word, const std::vector<std::string>& commands) {
  std::string best;
  size_t best_distance = 3;  // at most two edits away
  for (const auto& c : commands) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance || (!c.empty() && c.starts_with(word) && word.size() >= 2)) {
      best = c;
      best_distance = std::min(d, best_distance);
    }
  }
  std::string all;
  for (const auto& c : commands) all += (all.empty() ? "" : ", ") + c;
  return "unknown command '" + word + "'" + (best.empty() ? "" : "; did you mean '" + best + "'?") +
         " (commands: " + all + ")";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace nn::cli;
  CLI::App app{"nn: train, evaluate and use neural networks from the command line"};
  app.set_version_flag("--version", nn::version_line());
  app.require_subcommand(1);
  app.name("nn");

  TrainOptions train_options;
  EvalOptions eval_options;
  PredictOptions predict_options;
  InfoOptions info_options;
  ReportOptions report_options;
  ExportOptions export_options;
  ImportOptions import_options;
  auto* train = app.add_subcommand("train", "Train a model and report its accuracy (`mpirun -np N nn train ...`: on N processes)");
  add_train_options(*train, train_options);
  auto* eval = app.add_subcommand("eval", "Evaluate a saved model: loss, accuracy, per-class metrics");
  add_eval_options(*eval, eval_options);
  auto* predict = app.add_subcommand("predict", "Run a saved model on inputs");
  add_predict_options(*predict, predict_options);
  auto* info = app.add_subcommand("info", "Describe a saved model or checkpoint");
  add_info_options(*info, info_options);
  auto* report =
      app.add_subcommand("report", "Write report.html (curves, confusion matrix, pictures) for a run folder");
  add_report_options(*report, report_options);
  auto* exp = app.add_subcommand("export", "Write a saved model as ONNX (for onnxruntime, TensorRT, browsers)");
  add_export_options(*exp, export_options);
  auto* imp = app.add_subcommand("import", "Read an ONNX model (e.g. from PyTorch) and save it as an nn model file");
  add_import_options(*imp, import_options);

  // The data specs are listed where data is read (set after the subcommands, which would inherit it).
  app.footer(data_spec_help());
  train->footer(data_spec_help());
  eval->footer(data_spec_help());

  // `nn` alone and `nn help` print the overview (`nn help COMMAND`: that command's help); an
  // unknown command is named, with the closest one.
  std::vector<std::string> commands;
  for (const auto* sub : app.get_subcommands({})) commands.push_back(sub->get_name());
  if (argc < 2) {
    std::fputs(app.help().c_str(), stdout);
    return 2;
  }
  const std::string first = argv[1];
  if (first == "help") {
    if (argc >= 3) {
      for (auto* sub : app.get_subcommands({}))
        if (sub->get_name() == argv[2]) {
          std::fputs(sub->help("nn").c_str(), stdout);
          return 0;
        }
      std::fprintf(stderr, "nn: error: %s (see nn --help)\n", unknown_command(argv[2], commands).c_str());
      return 2;
    }
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  if (!first.starts_with("-") && std::find(commands.begin(), commands.end(), first) == commands.end()) {
    std::fprintf(stderr, "nn: error: %s (see nn --help)\n", unknown_command(first, commands).c_str());
    return 2;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A usage error: one line naming the flag and what was wrong, exit 2.
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "nn: error: %s (see nn --help)\n", msg.c_str());
    return 2;
  }
  if (*train && train->count("--data") == 0) {
    std::fprintf(stderr,
                 "nn: error: train: --data is required (the data to train on), e.g. nn train --data fashion-mnist "
                 "--epochs 15 --save fashion-mlp.safetensors; nn train --help lists every data spec\n");
    return 2;
  }
  if (*report && report_options.run_dirs.size() > 1 && report_options.out_dir.empty()) {
    std::fprintf(stderr, "nn: error: report: comparing %zu runs needs --out DIR, e.g. nn report run1 run2 --out "
                         "comparison\n", report_options.run_dirs.size());
    return 2;
  }
  try {
    if (*train) return run_train_command(train_options);  // under mpirun: data-parallel
    if (*eval) return run_eval(eval_options);
    if (*predict) return run_predict(predict_options);
    if (*info) return run_info(info_options);
    if (*report) return run_report(report_options);
    if (*exp) return run_export(export_options);
    if (*imp) return run_import(import_options);
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    std::fprintf(stderr, "nn: error: out of memory: the data or the model does not fit in this machine's memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "nn: error: %s\n", msg.c_str());
    return 1;
  }
  return 2;
}
