// The QONNX ops (domain qonnx.custom_op.general, formerly finn.custom_op.general):
// MultiThreshold, Quant (alias IntQuant), BipolarQuant, Trunc, Im2Col. Semantics follow
// qonnx.custom_op.general and ../shared/spec/streamlining.md.
#pragma once

#include <cmath>
#include <limits>

#include "nnrewrite/exec/kernel.hpp"
#include "nnrewrite/ir/quant.hpp"

namespace nnrewrite::exec::kernels {

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> multithreshold(const kernel_context& c) {
  const tensor& x = c.in(0);
  const tensor& t = c.in(1);
  if (t.rank() != 2) throw shape_error("MultiThreshold thresholds must be (channels, steps), got " + to_string(t.shape()));
  if (x.rank() < 1) throw shape_error("MultiThreshold input must have rank >= 1");
  const std::int64_t axis = multithreshold_channel_axis(c.attrs, x.rank());
  const std::int64_t ch = x.shape()[std::size_t(axis)], rows = t.shape()[0], steps = t.shape()[1];
  if (rows != 1 && rows != ch)
    throw shape_error("MultiThreshold has " + std::to_string(rows) + " threshold rows for " + std::to_string(ch) + " channels");
  const double scale = c.attr_float("out_scale", 1.0), bias = c.attr_float("out_bias", 0.0);
  std::int64_t inner = 1;
  for (std::size_t d = std::size_t(axis) + 1; d < x.rank(); ++d) inner *= x.shape()[d];
  const auto thr = t.to_doubles();
  tensor y(element_type::float32, x.shape());
  auto out = y.values<float>();
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const std::int64_t row = rows == 1 ? 0 : (i / inner) % ch;
    const double v = x.get(i);
    std::int64_t count = 0;
    for (std::int64_t s = 0; s < steps; ++s) count += v >= thr[std::size_t(row * steps + s)];
    out[std::size_t(i)] = float(scale * double(count) + bias);
  }
  return single(std::move(y));
}

// y = (round(clip(x/s + z, qmin, qmax)) - z) * s, broadcasting scale, zero point
// and bit width against x. A signed 1-bit Quant is bipolar, as in QONNX.
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> quant(const kernel_context& c) {
  const tensor& x = c.in(0);
  const bool is_signed = c.attr_int("signed", 1) != 0, narrow = c.attr_int("narrow", 0) != 0;
  const rounding_mode mode = rounding_mode_or_throw(c.attr_string("rounding_mode", "ROUND"));
  const shape_t shape = broadcast_shapes(broadcast_shapes(broadcast_shapes(x.shape(), c.in(1).shape()), c.in(2).shape()), c.in(3).shape());
  const tensor xs = expand_to(x.cast(element_type::float64), shape), s = expand_to(c.in(1).cast(element_type::float64), shape);
  const tensor z = expand_to(c.in(2).cast(element_type::float64), shape), b = expand_to(c.in(3).cast(element_type::float64), shape);
  tensor y(element_type::float64, shape);
  for (std::int64_t i = 0; i < y.size(); ++i) {
    const double bits = b.get(i), scale = s.get(i), zp = z.get(i);
    if (!(bits >= 1) || std::nearbyint(bits) != bits) throw shape_error("Quant bit width must be an integer >= 1, got " + std::to_string(bits));
    if (scale == 0 || !std::isfinite(scale)) throw shape_error("Quant scale must be finite and non-zero, got " + std::to_string(scale));
    const double q = bits == 1 && is_signed
                         ? bipolar_level(xs.get(i), scale, zp)
                         : quantize_level(mode, xs.get(i), scale, zp, quant_min(is_signed, narrow, bits), quant_max(is_signed, narrow, bits));
    y.set(i, (q - zp) * scale);
  }
  return single(y.cast(x.type() == element_type::float64 ? element_type::float64 : element_type::float32));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> bipolar_quant(const kernel_context& c) {
  const tensor& x = c.in(0);
  tensor y = tensor::broadcast(x.cast(element_type::float64), c.in(1).cast(element_type::float64), element_type::float64,
                               [](double v, double s) { return (v >= 0 ? 1.0 : -1.0) * s; });
  return single(y.cast(element_type::float32));
}

// Trunc, both forms: (x, scale, zeropt, in_bits, out_bits) — FINN-era QONNX — and
// (x, scale, zeropt, in_bits, out_scale, out_zeropt, out_bits).
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> trunc(const kernel_context& c) {
  const tensor& x = c.in(0);
  const rounding_mode mode = rounding_mode_or_throw(c.attr_string("rounding_mode", "FLOOR"));
  const bool seven = c.inputs.size() >= 7;
  const double scale = c.scalar(1, "scale"), zp = c.scalar(2, "zero point"), in_bits = c.scalar(3, "input bit width");
  if (scale == 0 || !std::isfinite(scale)) throw shape_error("Trunc scale must be finite and non-zero");
  const double out_bits = seven ? c.scalar(6, "output bit width") : c.scalar(4, "output bit width");
  const double out_scale = seven ? c.scalar(4, "output scale") : 0.0;
  const bool is_signed = c.attr_int("signed", 1) != 0, narrow = c.attr_int("narrow", 0) != 0;
  const double trunc_scale = seven ? std::exp2(std::nearbyint(std::log2(out_scale / scale))) : std::exp2(in_bits - out_bits);
  tensor y = x.cast(element_type::float64).map([&](double v) {
    double q = std::nearbyint(v / scale + zp) / trunc_scale;
    if (seven) {
      q = round_with(mode, std::clamp(q, quant_min(is_signed, narrow, out_bits), quant_max(is_signed, narrow, out_bits)));
      return (q - zp / trunc_scale) * out_scale;
    }
    return (round_with(mode, q) - zp) * scale;
  });
  return single(y.cast(element_type::float32));
}

// Im2Col (QONNX): NHWC x [N, H, W, C] -> [N, OH, OW, KH*KW*C], each patch in the
// order (kh, kw, c) that lowering a Conv to a MatMul expects; pad_amount is
// [H_begin, W_begin, H_end, W_end], padded positions hold pad_value.
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> im2col(const kernel_context& c) {
  const tensor& x = c.in(0);
  if (x.rank() != 4) throw shape_error("Im2Col needs an NHWC input of rank 4, got " + to_string(x.shape()));
  const auto k = c.attr_ints("kernel_size"), s = c.attr_ints("stride");
  const auto d = c.attr_ints("dilations", {1, 1}), p = c.attr_ints("pad_amount", {0, 0, 0, 0});
  if (k.size() != 2 || s.size() != 2 || d.size() != 2 || p.size() != 4)
    throw shape_error("Im2Col needs kernel_size, stride and dilations of 2 entries and pad_amount of 4");
  constexpr std::int64_t big = std::int64_t(1) << 31;  // keeps every product below in range
  for (auto v : {k[0], k[1], s[0], s[1], d[0], d[1]})
    if (v < 1 || v > big) throw shape_error("Im2Col kernel_size, stride and dilations must be in [1, 2^31]");
  for (auto v : p)
    if (v < 0 || v > big) throw shape_error("Im2Col pad_amount must be in [0, 2^31]");
  const double pad_value = double(c.attr_int("pad_value", 0));
  const std::int64_t n = x.shape()[0], h = x.shape()[1], w = x.shape()[2], ch = x.shape()[3];
  const std::int64_t span_h = h + p[0] + p[2] - d[0] * (k[0] - 1) - 1, span_w = w + p[1] + p[3] - d[1] * (k[1] - 1) - 1;
  if (span_h < 0 || span_w < 0) throw shape_error("Im2Col kernel is larger than the padded input " + to_string(x.shape()));
  const std::int64_t oh = span_h / s[0] + 1, ow = span_w / s[1] + 1;
  if (ch > 0 && k[0] * k[1] > std::numeric_limits<std::int64_t>::max() / ch)
    throw shape_error("Im2Col patch of " + std::to_string(k[0]) + "x" + std::to_string(k[1]) + "x" + std::to_string(ch) + " is too large");
  tensor y(x.type(), shape_t{n, oh, ow, k[0] * k[1] * ch});
  std::int64_t o = 0;
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t oy = 0; oy < oh; ++oy)
      for (std::int64_t ox = 0; ox < ow; ++ox)
        for (std::int64_t ky = 0; ky < k[0]; ++ky)
          for (std::int64_t kx = 0; kx < k[1]; ++kx) {
            const std::int64_t iy = oy * s[0] + ky * d[0] - p[0], ix = ox * s[1] + kx * d[1] - p[1];
            const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            for (std::int64_t cc = 0; cc < ch; ++cc, ++o) y.set(o, inside ? x.get(((b * h + iy) * w + ix) * ch + cc) : pad_value);
          }
  return single(std::move(y));
}

}  // namespace nnrewrite::exec::kernels
