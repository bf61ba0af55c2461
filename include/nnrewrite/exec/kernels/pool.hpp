// MaxPool (dilations, ceil_mode, optional Indices), QONNX's MaxPoolNHWC, AveragePool (count_include_pad),
// GlobalAveragePool and GlobalMaxPool, over any number of spatial dimensions.
#pragma once

#include <limits>

#include "nnrewrite/exec/kernels/conv.hpp"

namespace nnrewrite::exec::kernels {

namespace detail {

// Calls f(out_flat, window positions) for every output position of one plane, with
// the input offsets of the window's valid positions and how many positions the
// window covers inside the padded input (for count_include_pad).
template <class F>
void for_each_window(const window& w, F f) {
  const std::int64_t out_size = num_elements(w.out), k_size = num_elements(w.kernel);
  const shape_t in_strides = strides_of(w.in);
  std::vector<std::int64_t> valid;
  shape_t oidx(w.spatial, 0);
  for (std::int64_t o = 0; o < out_size; ++o) {
    valid.clear();
    std::int64_t padded = 0;
    shape_t kidx(w.spatial, 0);
    for (std::int64_t kk = 0; kk < k_size; ++kk) {
      std::int64_t off = 0;
      bool inside_padded = true;
      for (std::size_t d = 0; d < w.spatial; ++d) {
        const std::int64_t pos = oidx[d] * w.stride[d] + kidx[d] * w.dilation[d] - w.pad_begin[d];
        if (pos < -w.pad_begin[d] || pos >= w.in[d] + w.pad_end[d]) inside_padded = false;
        if (off >= 0) off = (pos < 0 || pos >= w.in[d]) ? -1 : off + pos * in_strides[d];
      }
      padded += inside_padded;
      if (off >= 0) valid.push_back(off);
      advance(kidx, w.kernel);
    }
    f(o, valid, padded);
    advance(oidx, w.out);
  }
}

inline window pool_window(const kernel_context& c, const tensor& x) {
  if (x.rank() < 3) throw shape_error(std::string(c.op_type) + " needs an input of rank >= 3 (N, C, spatial...)");
  auto kernel = c.attr_ints("kernel_shape");
  if (kernel.size() != x.rank() - 2) throw shape_error(std::string(c.op_type) + " needs kernel_shape with one entry per spatial dimension");
  return sliding_window(c, x.shape(), kernel, c.attr_int("ceil_mode", 0) != 0);
}

}  // namespace detail

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> max_pool(const kernel_context& c) {
  const tensor& x = c.in(0);
  const detail::window w = detail::pool_window(c, x);
  const std::int64_t planes = x.shape()[0] * x.shape()[1], in_size = num_elements(w.in), out_size = num_elements(w.out);
  const std::int64_t order = c.attr_int("storage_order", 0);
  if (order == 1 && w.spatial != 2 && c.num_outputs > 1) throw unsupported_error("MaxPool storage_order=1 indices only for 2-D");
  shape_t out_shape{x.shape()[0], x.shape()[1]};
  out_shape.insert(out_shape.end(), w.out.begin(), w.out.end());
  tensor y(x.type(), out_shape), idx(element_type::int64, out_shape);
  auto iv = idx.values<std::int64_t>();
  std::visit([&](auto& o) {
    using S = typename std::decay_t<decltype(o)>::Scalar;
    const S* px = x.values<S>().data();
    for (std::int64_t p = 0; p < planes; ++p)
      detail::for_each_window(w, [&](std::int64_t q, const std::vector<std::int64_t>& valid, std::int64_t) {
        S best = std::numeric_limits<S>::lowest();
        std::int64_t at = -1;
        for (auto off : valid)
          if (at < 0 || px[p * in_size + off] > best) best = px[p * in_size + off], at = off;
        o[p * out_size + q] = best;
        if (order == 1 && at >= 0) at = (at % w.in[1]) * w.in[0] + at / w.in[1];  // column-major H, W
        iv[std::size_t(p * out_size + q)] = p * in_size + at;
      });
  }, y.data());
  std::vector<tensor> r;
  r.push_back(std::move(y));
  if (c.num_outputs > 1) r.push_back(std::move(idx));
  return r;
}

// QONNX's MaxPoolNHWC: MaxPool over H and W of an (N, H, W, C) tensor.
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> max_pool_nhwc(const kernel_context& c) {
  const tensor& x = c.in(0);
  if (x.rank() != 4) throw shape_error("MaxPoolNHWC needs a 4-D (N, H, W, C) input, got shape " + to_string(x.shape()));
  const tensor nchw = x.transpose({0, 3, 1, 2});
  const kernel_context as_nchw{c.op_type, c.domain, c.attrs, {&nchw}, 1, c.opset};
  return single(max_pool(as_nchw)[0].transpose({0, 2, 3, 1}));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> average_pool(const kernel_context& c) {
  const tensor& x = c.in(0);
  const detail::window w = detail::pool_window(c, x);
  const bool include_pad = c.attr_int("count_include_pad", 0) != 0;
  const std::int64_t planes = x.shape()[0] * x.shape()[1], in_size = num_elements(w.in), out_size = num_elements(w.out);
  shape_t out_shape{x.shape()[0], x.shape()[1]};
  out_shape.insert(out_shape.end(), w.out.begin(), w.out.end());
  tensor y(x.type(), out_shape);
  std::visit([&](auto& o) {
    using S = typename std::decay_t<decltype(o)>::Scalar;
    const S* px = x.values<S>().data();
    for (std::int64_t p = 0; p < planes; ++p)
      detail::for_each_window(w, [&](std::int64_t q, const std::vector<std::int64_t>& valid, std::int64_t padded) {
        double sum = 0;
        for (auto off : valid) sum += double(px[p * in_size + off]);
        const double count = include_pad ? double(padded) : double(valid.size());
        o[p * out_size + q] = S(count > 0 ? sum / count : 0.0);
      });
  }, y.data());
  return single(std::move(y));
}

template <tensor::reduction R>
std::vector<tensor> global_pool(const kernel_context& c) {
  const tensor& x = c.in(0);
  if (x.rank() < 3) throw shape_error(std::string(c.op_type) + " needs an input of rank >= 3");
  std::vector<std::int64_t> axes;
  for (std::size_t d = 2; d < x.rank(); ++d) axes.push_back(std::int64_t(d));
  return single(x.reduce(R, axes, true));
}

}  // namespace nnrewrite::exec::kernels
