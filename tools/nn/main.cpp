// The nn command: train, eval, predict, info, report, export and import. Parses the command line into the options
// of one subcommand and runs it; errors become one line on stderr (exit 1, 2 for usage errors).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "commands.hpp"
#include "data_spec.hpp"
#include "options.hpp"
#include "nn/version.hpp"

int main(int argc, char** argv) {
  using namespace nn::cli;
  CLI::App app{"nn: train, evaluate and use neural networks from the command line"};
  app.set_version_flag("--version", nn::version_line());
  app.require_subcommand(1);
  app.footer(data_spec_help());

  TrainOptions train_options;
  EvalOptions eval_options;
  PredictOptions predict_options;
  InfoOptions info_options;
  ReportOptions report_options;
  ExportOptions export_options;
  ImportOptions import_options;
  auto* train = app.add_subcommand("train", "Train a model and report its accuracy");
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
  try {
    if (*train) return run_train(train_options);
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
