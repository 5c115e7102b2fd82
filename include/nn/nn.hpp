// The whole public API of the nn library.
#pragma once

#include "nn/error.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/init.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/module.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/losses/loss.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/gemm.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/random.hpp"
#include "nn/tensor.hpp"
