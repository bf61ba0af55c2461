// The QONNX ops (domain qonnx.custom_op.general, formerly finn.custom_op.general):
// MultiThreshold, Quant (alias IntQuant), BipolarQuant, Trunc. Semantics follow
// qonnx.custom_op.general and ../shared/spec/streamlining.md.
#pragma once

#include <cmath>

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

}  // namespace nnrewrite::exec::kernels
