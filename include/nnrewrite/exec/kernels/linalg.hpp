// MatMul (numpy semantics, batched with broadcasting) and Gemm, on Eigen GEMM.
#pragma once

#include <Eigen/Core>

#include "nnrewrite/exec/kernel.hpp"

namespace nnrewrite::exec::kernels {

namespace detail {
template <class T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using cmap = Eigen::Map<const row_matrix<T>>;
template <class T>
using mmap = Eigen::Map<row_matrix<T>>;
}  // namespace detail

template <class = void>
tensor matmul(const tensor& a_in, const tensor& b_in) {
  const element_type t = tensor::promote(a_in.type(), b_in.type());
  tensor a = a_in.type() == t ? a_in : a_in.cast(t);
  tensor b = b_in.type() == t ? b_in : b_in.cast(t);
  if (a.rank() == 0 || b.rank() == 0) throw shape_error("MatMul operands must have rank >= 1");
  const bool a_vec = a.rank() == 1, b_vec = b.rank() == 1;
  if (a_vec) a = a.reshape({1, a.shape()[0]});
  if (b_vec) b = b.reshape({b.shape()[0], 1});
  const std::int64_t m = a.shape()[a.rank() - 2], k = a.shape().back();
  const std::int64_t k2 = b.shape()[b.rank() - 2], n = b.shape().back();
  if (k != k2)
    throw shape_error("MatMul inner dimensions differ: " + to_string(a_in.shape()) + " x " + to_string(b_in.shape()));
  shape_t a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
  shape_t batch = broadcast_shapes(a_batch, b_batch);
  shape_t out_shape = batch;
  if (!a_vec) out_shape.push_back(m);
  if (!b_vec) out_shape.push_back(n);
  tensor out(t, out_shape);
  // Offsets (in matrices) of each batch entry into a and b.
  const shape_t sa = tensor::broadcast_strides(a_batch, batch), sb = tensor::broadcast_strides(b_batch, batch);
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  if (batch.empty()) pairs.emplace_back(0, 0);
  else tensor::for_each_index(batch, sa, sb, [&](std::int64_t i, std::int64_t j) { pairs.emplace_back(i, j); });
  std::visit([&](auto& o) {
    using S = typename std::decay_t<decltype(o)>::Scalar;
    const S* pa = a.values<S>().data();
    const S* pb = b.values<S>().data();
    S* po = o.data();
    for (std::size_t q = 0; q < pairs.size(); ++q) {
      detail::mmap<S>(po + std::int64_t(q) * m * n, m, n).noalias() =
          detail::cmap<S>(pa + pairs[q].first * m * k, m, k) * detail::cmap<S>(pb + pairs[q].second * k * n, k, n);
    }
  }, out.data());
  return wrap_to_type(std::move(out));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> matmul(const kernel_context& c) {
  return single(matmul(c.in(0), c.in(1)));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> gemm(const kernel_context& c) {
  tensor a = c.in(0), b = c.in(1);
  if (a.rank() != 2 || b.rank() != 2) throw shape_error("Gemm operands must be matrices");
  if (c.attr_int("transA", 0)) a = a.transpose();
  if (c.attr_int("transB", 0)) b = b.transpose();
  tensor y = matmul(a, b);
  const double alpha = c.attr_float("alpha", 1.0), beta = c.attr_float("beta", 1.0);
  if (alpha != 1.0) y = y.map([&](auto v) { return double(v) * alpha; });
  if (c.has(2)) {
    tensor bias = c.in(2);
    if (beta != 1.0) bias = bias.map([&](auto v) { return double(v) * beta; });
    if (broadcast_shapes(y.shape(), bias.shape()) != y.shape())
      throw shape_error("Gemm bias " + to_string(bias.shape()) + " does not broadcast to " + to_string(y.shape()));
    y = tensor::broadcast(y, bias, y.type(), std::plus<>{});
  }
  return single(std::move(y));
}

}  // namespace nnrewrite::exec::kernels
