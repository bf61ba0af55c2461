// BatchNormalization (inference), Softmax, TopK and the Reduce* family.
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nnrewrite/exec/kernel.hpp"

namespace nnrewrite::exec::kernels {

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> batch_norm(const kernel_context& c) {
  if (c.attr_int("training_mode", 0) != 0 || c.num_outputs > 1)
    throw unsupported_error("BatchNormalization in training mode is not supported (inference only)");
  const tensor& x = c.in(0);
  if (x.rank() < 2) throw shape_error("BatchNormalization needs an input of rank >= 2");
  const std::int64_t ch = x.shape()[1];
  const double eps = c.attr_float("epsilon", 1e-5);
  for (std::size_t i = 1; i <= 4; ++i)
    if (c.in(i).size() != ch)
      throw shape_error("BatchNormalization operand " + std::to_string(i) + " has " + std::to_string(c.in(i).size()) +
                        " values for " + std::to_string(ch) + " channels");
  const auto scale = c.in(1).to_doubles(), bias = c.in(2).to_doubles(), mean = c.in(3).to_doubles(), var = c.in(4).to_doubles();
  std::int64_t inner = 1;
  for (std::size_t d = 2; d < x.rank(); ++d) inner *= x.shape()[d];
  tensor y = x;
  for (std::int64_t i = 0; i < y.size(); ++i) {
    const auto k = std::size_t((i / inner) % ch);
    y.set(i, (x.get(i) - mean[k]) / std::sqrt(var[k] + eps) * scale[k] + bias[k]);
  }
  return single(std::move(y));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> softmax(const kernel_context& c) {
  const tensor& x = c.in(0);
  const auto r = std::int64_t(x.rank());
  const bool legacy = c.opset_below(13);  // before 13: flatten to 2-D at axis, softmax over the second part
  const std::int64_t axis = normalize_axis(c.attr_int("axis", legacy ? 1 : -1), r);
  std::int64_t outer = 1, n = 1, inner = 1;
  for (std::int64_t d = 0; d < r; ++d) {
    const std::int64_t s = x.shape()[std::size_t(d)];
    if (d < axis) outer *= s;
    else if (d == axis || legacy) n *= s;
    else inner *= s;
  }
  tensor y = x;
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      double mx = -INFINITY, sum = 0;
      for (std::int64_t k = 0; k < n; ++k) mx = std::max(mx, x.get((o * n + k) * inner + i));
      for (std::int64_t k = 0; k < n; ++k) sum += std::exp(x.get((o * n + k) * inner + i) - mx);
      for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t at = (o * n + k) * inner + i;
        y.set(at, std::exp(x.get(at) - mx) / sum);
      }
    }
  return single(std::move(y));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> top_k(const kernel_context& c) {
  const tensor& x = c.in(0);
  const auto r = std::int64_t(x.rank());
  const std::int64_t axis = normalize_axis(c.attr_int("axis", -1), r);
  const std::int64_t k = c.has(1) ? c.scalar_int(1, "k") : c.attr_int("k", -1);
  const std::int64_t n = x.shape()[std::size_t(axis)];
  if (k < 0 || k > n) throw shape_error("TopK k=" + std::to_string(k) + " for an axis of size " + std::to_string(n));
  const bool largest = c.attr_int("largest", 1) != 0;
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= x.shape()[std::size_t(d)];
  for (std::int64_t d = axis + 1; d < r; ++d) inner *= x.shape()[std::size_t(d)];
  shape_t out_shape = x.shape();
  out_shape[std::size_t(axis)] = k;
  tensor values(x.type(), out_shape), indices(element_type::int64, out_shape);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      auto at = [&](std::int64_t j) { return x.get((o * n + j) * inner + i); };
      std::iota(order.begin(), order.end(), 0);
      // Ties keep the lower index first, as ONNX requires.
      std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
        return largest ? at(a) > at(b) : at(a) < at(b);
      });
      for (std::int64_t j = 0; j < k; ++j) {
        const std::int64_t dst = (o * k + j) * inner + i;
        values.set(dst, at(order[std::size_t(j)]));
        indices.values<std::int64_t>()[std::size_t(dst)] = order[std::size_t(j)];
      }
    }
  std::vector<tensor> out;
  out.push_back(std::move(values));
  out.push_back(std::move(indices));
  return out;
}

template <tensor::reduction R>
std::vector<tensor> reduce(const kernel_context& c) {
  const tensor& x = c.in(0);
  std::vector<std::int64_t> axes = c.has(1) ? c.in(1).to_ints() : c.attr_ints("axes");
  const bool keepdims = c.attr_int("keepdims", 1) != 0;
  if (axes.empty() && c.attr_int("noop_with_empty_axes", 0) != 0) return single(x);
  return single(x.reduce(R, axes, keepdims));
}

}  // namespace nnrewrite::exec::kernels
