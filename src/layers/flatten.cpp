#include "nn/layers/flatten.hpp"

#include <cstring>

#include "nn/error.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

const Tensor& Flatten::forward(const Tensor& x) {
  NN_CHECK(x.rank() >= 1, "Flatten: expected input of shape [N, ...], found ", x.shape().str());
  in_shape_ = x.shape();
  ran_ = true;
  const int64_t n = x.dim(0);
  if (x.is_cuda()) {
    y_.resize(Shape{n, n == 0 ? 0 : x.numel() / n}, x.device());
    ops::cuda::copy(x.data(), y_.data(), x.numel());
    return y_;
  }
  y_.resize(Shape{n, n == 0 ? 0 : x.numel() / n});
  if (x.numel() > 0) std::memcpy(y_.data(), x.data(), static_cast<size_t>(x.numel()) * sizeof(float));
  return y_;
}

const Tensor& Flatten::backward(const Tensor& dy) {
  NN_CHECK(ran_, "Flatten: backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), "Flatten: expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
  if (dy.is_cuda()) {
    dx_.resize(in_shape_, dy.device());
    ops::cuda::copy(dy.data(), dx_.data(), dy.numel());
    return dx_;
  }
  dx_.resize(in_shape_);
  if (dy.numel() > 0) std::memcpy(dx_.data(), dy.data(), static_cast<size_t>(dy.numel()) * sizeof(float));
  return dx_;
}

}  // namespace nn
