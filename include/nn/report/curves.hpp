/// @file
/// @brief The charts of a training run, from its History: loss and accuracy per epoch (training
/// and validation) and the learning rate per epoch, each a standalone SVG document.
///
/// Epochs are numbered from 1 on the x axis.
#pragma once

#include "nn/export.hpp"

#include <string>
#include <utility>
#include <vector>

#include "nn/train/history.hpp"

namespace nn::report {

/// Training loss (solid, blue) and validation loss (dashed, vermillion) when there is one.
NN_API std::string loss_chart_svg(const train::History& history, const std::string& title = "Loss");
/// Accuracy in percent, training and validation; "" when the run has no accuracy (regression).
NN_API std::string accuracy_chart_svg(const train::History& history, const std::string& title = "Accuracy");
/// The rate each epoch ran with, on a linear axis (from 0 when the rate is constant).
NN_API std::string lr_chart_svg(const train::History& history, const std::string& title = "Learning-rate schedule");

/// One curve per run for comparing runs: `metric` ("val_loss", "train_accuracy", ...) of each
/// history against its epochs, each run in its own colour under its name in the legend. Empty when
/// no run has a finite value of it. Accuracies are drawn in percent.
NN_API std::string overlay_chart_svg(const std::vector<std::pair<std::string, train::History>>& runs,
                                     const std::string& metric, const std::string& title, const std::string& y_label);


}  // namespace nn::report
