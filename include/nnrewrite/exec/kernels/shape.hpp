// Kernels that move data without arithmetic: Reshape, Flatten, Squeeze,
// Unsqueeze, Transpose, Expand, Concat, Split, Slice, Pad, Gather, Shape,
// ConstantOfShape, Constant, Resize (nearest, linear, cubic) and Upsample (nearest, linear).
#pragma once

#include <algorithm>
#include <cmath>

#include "nnrewrite/exec/kernel.hpp"

namespace nnrewrite::exec::kernels {

namespace detail {

// Integer list from an operand (new opsets) or an attribute (old opsets).
inline std::optional<std::vector<std::int64_t>> ints_from(const kernel_context& c, std::size_t operand, std::string_view attr) {
  if (c.has(operand)) return c.in(operand).to_ints();
  if (c.attrs.count(attr)) return c.attr_ints(attr);
  return std::nullopt;
}

// Copies the sub-block of `src` described by per-axis (start, step, count) into a new tensor.
template <class = void>
tensor gather_block(const tensor& src, const shape_t& start, const shape_t& step, const shape_t& count) {
  tensor out(src.type(), count);
  const shape_t st = strides_of(src.shape());
  shape_t s(st.size());
  std::int64_t base = 0;
  for (std::size_t d = 0; d < st.size(); ++d) {
    s[d] = st[d] * step[d];
    base += start[d] * st[d];
  }
  std::visit([&](auto& o) {
    using A = std::decay_t<decltype(o)>;
    const A& in = std::get<A>(src.data());
    tensor::for_each_index(count, strides_of(count), s, [&](std::int64_t i, std::int64_t j) { o[i] = in[base + j]; });
  }, out.data());
  return out;
}

}  // namespace detail

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> reshape(const kernel_context& c) {
  const tensor& x = c.in(0);
  auto spec = detail::ints_from(c, 1, "shape");
  if (!spec) throw shape_error("Reshape needs a shape");
  const bool allow_zero = c.attr_int("allowzero", 0) != 0;
  shape_t shape = *spec;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 0 && !allow_zero) {
      if (i >= x.rank()) throw shape_error("Reshape copies dimension " + std::to_string(i) + " of a rank-" + std::to_string(x.rank()) + " input");
      shape[i] = x.shape()[i];
    }
  return single(x.reshape(shape));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> flatten(const kernel_context& c) {
  const tensor& x = c.in(0);
  const auto r = std::int64_t(x.rank());
  std::int64_t axis = c.attr_int("axis", 1);
  if (axis < -r || axis > r) throw shape_error("Flatten axis " + std::to_string(axis) + " out of range");
  if (axis < 0) axis += r;
  std::int64_t outer = 1;
  for (std::int64_t i = 0; i < axis; ++i) outer *= x.shape()[std::size_t(i)];
  return single(x.reshape({outer, outer == 0 ? 0 : x.size() / outer}));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> squeeze(const kernel_context& c) {
  const tensor& x = c.in(0);
  const auto r = std::int64_t(x.rank());
  auto axes = detail::ints_from(c, 1, "axes");
  std::vector<bool> drop(x.rank(), false);
  if (axes) {
    for (auto a : *axes) {
      a = normalize_axis(a, r);
      if (x.shape()[std::size_t(a)] != 1) throw shape_error("Squeeze axis " + std::to_string(a) + " has size " + std::to_string(x.shape()[std::size_t(a)]));
      drop[std::size_t(a)] = true;
    }
  } else {
    for (std::size_t i = 0; i < x.rank(); ++i) drop[i] = x.shape()[i] == 1;
  }
  shape_t shape;
  for (std::size_t i = 0; i < x.rank(); ++i)
    if (!drop[i]) shape.push_back(x.shape()[i]);
  return single(x.reshape(shape));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> unsqueeze(const kernel_context& c) {
  const tensor& x = c.in(0);
  auto axes = detail::ints_from(c, 1, "axes");
  if (!axes) throw shape_error("Unsqueeze needs axes");
  const auto r = std::int64_t(x.rank() + axes->size());
  std::vector<bool> inserted(std::size_t(r), false);
  for (auto a : *axes) {
    a = normalize_axis(a, r);
    if (inserted[std::size_t(a)]) throw shape_error("Unsqueeze axis " + std::to_string(a) + " given twice");
    inserted[std::size_t(a)] = true;
  }
  shape_t shape;
  std::size_t k = 0;
  for (std::int64_t i = 0; i < r; ++i) shape.push_back(inserted[std::size_t(i)] ? 1 : x.shape()[k++]);
  return single(x.reshape(shape));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> transpose(const kernel_context& c) { return single(c.in(0).transpose(c.attr_ints("perm"))); }

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> expand(const kernel_context& c) {
  const tensor& x = c.in(0);
  return single(expand_to(x, broadcast_shapes(x.shape(), c.in(1).to_ints())));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> concat(const kernel_context& c) {
  const tensor& first = c.in(0);
  const auto r = std::int64_t(first.rank());
  const std::int64_t axis = normalize_axis(c.attr_int("axis", 0), r);
  shape_t shape = first.shape();
  shape[std::size_t(axis)] = 0;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const tensor& t = c.in(i);
    bool ok = t.rank() == first.rank();
    for (std::size_t d = 0; ok && d < t.rank(); ++d) ok = std::int64_t(d) == axis || t.shape()[d] == first.shape()[d];
    if (!ok) throw shape_error("Concat operands " + to_string(first.shape()) + " and " + to_string(t.shape()) + " differ off axis " + std::to_string(axis));
    shape[std::size_t(axis)] += t.shape()[std::size_t(axis)];
  }
  tensor out(first.type(), shape);
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= shape[std::size_t(d)];
  for (std::int64_t d = axis + 1; d < r; ++d) inner *= shape[std::size_t(d)];
  std::visit([&](auto& o) {
    using A = std::decay_t<decltype(o)>;
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
      const tensor t = c.in(i).type() == first.type() ? c.in(i) : c.in(i).cast(first.type());
      const A& in = std::get<A>(t.data());
      const std::int64_t block = t.shape()[std::size_t(axis)] * inner;
      for (std::int64_t q = 0; q < outer; ++q)
        for (std::int64_t j = 0; j < block; ++j) o[q * shape[std::size_t(axis)] * inner + offset + j] = in[q * block + j];
      offset += block;
    }
  }, out.data());
  return single(std::move(out));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> split(const kernel_context& c) {
  const tensor& x = c.in(0);
  const std::int64_t axis = normalize_axis(c.attr_int("axis", 0), std::int64_t(x.rank()));
  const std::int64_t dim = x.shape()[std::size_t(axis)];
  auto parts = detail::ints_from(c, 1, "split");
  if (!parts) {
    const std::int64_t n = c.attr_int("num_outputs", c.num_outputs);
    const std::int64_t each = (dim + n - 1) / n;
    parts.emplace();
    for (std::int64_t i = 0, left = dim; i < n; ++i, left -= each) parts->push_back(std::min(each, std::max<std::int64_t>(left, 0)));
  }
  std::int64_t total = 0;
  for (auto p : *parts) total += p;
  if (total != dim) throw shape_error("Split sizes add up to " + std::to_string(total) + ", axis has " + std::to_string(dim));
  std::vector<tensor> out;
  shape_t start(x.rank(), 0), step(x.rank(), 1), count = x.shape();
  for (auto p : *parts) {
    count[std::size_t(axis)] = p;
    out.push_back(detail::gather_block(x, start, step, count));
    start[std::size_t(axis)] += p;
  }
  return out;
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> slice(const kernel_context& c) {
  const tensor& x = c.in(0);
  const auto r = std::int64_t(x.rank());
  std::vector<std::int64_t> starts, ends, axes, steps;
  if (c.opset_below(10)) {
    starts = c.attr_ints("starts");
    ends = c.attr_ints("ends");
    axes = c.attr_ints("axes");
  } else {
    starts = c.in(1).to_ints();
    ends = c.in(2).to_ints();
    if (c.has(3)) axes = c.in(3).to_ints();
    if (c.has(4)) steps = c.in(4).to_ints();
  }
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(std::int64_t(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    throw shape_error("Slice starts, ends, axes and steps differ in length");
  shape_t start(x.rank(), 0), step(x.rank(), 1), count = x.shape();
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const auto a = std::size_t(normalize_axis(axes[i], r));
    const std::int64_t dim = x.shape()[a], s = steps[i];
    if (s == 0) throw shape_error("Slice step cannot be 0");
    std::int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
    std::int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (s > 0) {
      b = std::clamp<std::int64_t>(b, 0, dim);
      e = std::clamp<std::int64_t>(e, 0, dim);
      count[a] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp<std::int64_t>(b, -1, dim - 1);
      e = std::clamp<std::int64_t>(e, -1, dim - 1);
      count[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    start[a] = std::max<std::int64_t>(b, 0);
    step[a] = s;
  }
  return single(detail::gather_block(x, start, step, count));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> pad(const kernel_context& c) {
  const tensor& x = c.in(0);
  const auto r = std::int64_t(x.rank());
  std::vector<std::int64_t> pads;
  double value = 0;
  if (c.opset_below(11)) {
    pads = c.attr_ints("pads");
    value = c.attr_float("value", 0.0);
  } else {
    pads = c.in(1).to_ints();
    if (c.has(2) && c.in(2).size() > 0) value = c.in(2).get(0);
  }
  std::vector<std::int64_t> axes;
  if (c.has(3)) axes = c.in(3).to_ints();
  else for (std::int64_t i = 0; i < r; ++i) axes.push_back(i);
  if (pads.size() != 2 * axes.size()) throw shape_error("Pad needs 2 values per padded axis");
  shape_t before(x.rank(), 0), after(x.rank(), 0);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto a = std::size_t(normalize_axis(axes[i], r));
    before[a] = pads[i];
    after[a] = pads[i + axes.size()];
  }
  const std::string mode = c.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") throw unsupported_error("Pad mode '" + mode + "' is not supported");
  shape_t out_shape(x.rank());
  for (std::size_t d = 0; d < x.rank(); ++d) {
    out_shape[d] = x.shape()[d] + before[d] + after[d];
    if (out_shape[d] < 0) throw shape_error("Pad removes more than axis " + std::to_string(d) + " holds");
    if (mode != "constant" && x.shape()[d] == 0 && out_shape[d] > 0) throw shape_error("Pad '" + mode + "' of an empty axis");
  }
  tensor out(x.type(), out_shape);
  const shape_t in_strides = strides_of(x.shape());
  shape_t idx(x.rank(), 0);
  for (std::int64_t o = 0; o < out.size(); ++o) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < x.rank() && off >= 0; ++d) {
      std::int64_t p = idx[d] - before[d];
      const std::int64_t n = x.shape()[d];
      if (p < 0 || p >= n) {
        if (mode == "constant") { off = -1; break; }
        if (mode == "edge") p = std::clamp<std::int64_t>(p, 0, n - 1);
        else {  // reflect, without repeating the edge
          const std::int64_t period = 2 * (n - 1);
          if (period == 0) p = 0;
          else {
            p = ((p % period) + period) % period;
            if (p >= n) p = period - p;
          }
        }
      }
      off += p * in_strides[d];
    }
    out.set(o, off >= 0 ? x.get(off) : value);
    advance(idx, out_shape);
  }
  return single(std::move(out));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> gather(const kernel_context& c) {
  const tensor& x = c.in(0);
  const tensor& indices = c.in(1);
  const auto r = std::int64_t(x.rank());
  const std::int64_t axis = normalize_axis(c.attr_int("axis", 0), r);
  const std::int64_t dim = x.shape()[std::size_t(axis)];
  shape_t out_shape(x.shape().begin(), x.shape().begin() + axis);
  out_shape.insert(out_shape.end(), indices.shape().begin(), indices.shape().end());
  out_shape.insert(out_shape.end(), x.shape().begin() + axis + 1, x.shape().end());
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= x.shape()[std::size_t(d)];
  for (std::int64_t d = axis + 1; d < r; ++d) inner *= x.shape()[std::size_t(d)];
  auto idx = indices.to_ints();
  for (auto& i : idx) {
    if (i < -dim || i >= dim) throw shape_error("Gather index " + std::to_string(i) + " out of range for axis of size " + std::to_string(dim));
    if (i < 0) i += dim;
  }
  tensor out(x.type(), out_shape);
  std::visit([&](auto& o) {
    using A = std::decay_t<decltype(o)>;
    const A& in = std::get<A>(x.data());
    const auto n = std::int64_t(idx.size());
    for (std::int64_t q = 0; q < outer; ++q)
      for (std::int64_t k = 0; k < n; ++k)
        for (std::int64_t j = 0; j < inner; ++j)
          o[(q * n + k) * inner + j] = in[(q * dim + idx[std::size_t(k)]) * inner + j];
  }, out.data());
  return single(std::move(out));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> shape_of(const kernel_context& c) {
  const auto& s = c.in(0).shape();
  const auto r = std::int64_t(s.size());
  std::int64_t b = c.attr_int("start", 0), e = c.attr_int("end", r);
  if (b < 0) b += r;
  if (e < 0) e += r;
  b = std::clamp<std::int64_t>(b, 0, r);
  e = std::clamp<std::int64_t>(e, 0, r);
  std::vector<std::int64_t> v(s.begin() + b, s.begin() + std::max(b, e));
  return single(tensor(element_type::int64, {std::int64_t(v.size())}, v));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> constant_of_shape(const kernel_context& c) {
  const auto shape = c.in(0).to_ints();
  const tensor* v = find_attribute<tensor>(c.attrs, "value");
  tensor out(v ? v->type() : element_type::float32, shape);
  if (v) {
    if (v->size() != 1) throw shape_error("ConstantOfShape value must have one element");
    const double x = v->get(0);
    for (std::int64_t i = 0; i < out.size(); ++i) out.set(i, x);
  }
  return single(std::move(out));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> constant(const kernel_context& c) {
  if (const tensor* t = find_attribute<tensor>(c.attrs, "value")) return single(*t);
  if (c.attrs.count("value_float")) return single(tensor::scalar(c.attr_float("value_float", 0)));
  if (c.attrs.count("value_int")) return single(tensor::scalar(double(c.attr_int("value_int", 0)), element_type::int64));
  if (c.attrs.count("value_floats")) {
    auto v = attribute_or<std::vector<double>>(c.attrs, "value_floats", {});
    return single(tensor(element_type::float32, {std::int64_t(v.size())}, v));
  }
  if (c.attrs.count("value_ints")) {
    auto v = c.attr_ints("value_ints");
    return single(tensor(element_type::int64, {std::int64_t(v.size())}, v));
  }
  throw unsupported_error("Constant without a numeric value");
}

// floor(in * scale) per axis; scales must be finite and positive, and the result
// must fit the tensor limits (checked here, before anything is allocated).
inline shape_t scaled_shape(const shape_t& in, const std::vector<double>& scales, const char* op) {
  shape_t out(in.size());
  for (std::size_t d = 0; d < in.size(); ++d) {
    if (!(std::isfinite(scales[d]) && scales[d] > 0))
      throw shape_error(std::string(op) + " scales must be finite and positive, axis " + std::to_string(d) + " has " +
                        std::to_string(scales[d]));
    const double v = std::floor(double(in[d]) * scales[d]);
    if (v > double(tensor_limits().max_elements))
      throw limit_error(std::string(op) + " would make axis " + std::to_string(d) + " " + std::to_string(v) +
                        " long, over the limit of " + std::to_string(tensor_limits().max_elements) + " elements");
    out[d] = std::int64_t(v);
  }
  return out;
}

// Where output position i of an axis (in -> out elements, scale s = out/in) reads
// the input, by ONNX's coordinate_transformation_mode; roi = [start, end] of the
// axis for tf_crop_and_resize. Like ONNX's reference, the modes that divide by
// the output length use the unrounded length s * in.
inline double resize_source(const std::string& coord, std::int64_t i, std::int64_t in, std::int64_t out, double s,
                            std::pair<double, double> roi = {0.0, 1.0}) {
  const double x = double(i), length = s * double(in);
  if (coord == "half_pixel") return (x + 0.5) / s - 0.5;
  if (coord == "asymmetric") return x / s;
  if (coord == "align_corners") return length == 1 ? 0.0 : x * double(in - 1) / (length - 1);
  if (coord == "pytorch_half_pixel") return length > 1 ? (x + 0.5) / s - 0.5 : 0.0;
  if (coord == "tf_half_pixel_for_nn") return (x + 0.5) / s;
  if (coord == "half_pixel_symmetric") {
    const double adjustment = double(out) / length, center = double(in) / 2;
    return center * (1 - adjustment) + (x + 0.5) / s - 0.5;
  }
  if (coord == "tf_crop_and_resize")
    return length > 1 ? roi.first * double(in - 1) + x * (roi.second - roi.first) * double(in - 1) / (length - 1)
                      : 0.5 * (roi.first + roi.second) * double(in - 1);
  throw unsupported_error("Resize coordinate_transformation_mode '" + coord + "' is not supported");
}

// Nearest-neighbour resizing; scales[d] = out/in per axis.
template <class = void>
tensor resize_nearest(const tensor& x, const shape_t& out_shape, const std::vector<double>& scales,
                             const std::string& coord, const std::string& rounding) {
  const std::size_t r = x.rank();
  std::vector<std::vector<std::int64_t>> src(r);
  for (std::size_t d = 0; d < r; ++d) {
    const std::int64_t in = x.shape()[d], out = out_shape[d];
    const double s = scales[d];
    for (std::int64_t i = 0; i < out; ++i) {
      const double v = resize_source(coord, i, in, out, s);
      double k;
      if (rounding == "round_prefer_floor") k = (v - std::floor(v) == 0.5) ? std::floor(v) : std::round(v);
      else if (rounding == "round_prefer_ceil") k = (v - std::floor(v) == 0.5) ? std::ceil(v) : std::round(v);
      else if (rounding == "floor") k = std::floor(v);
      else if (rounding == "ceil") k = std::ceil(v);
      else throw unsupported_error("Resize nearest_mode '" + rounding + "' is not supported");
      src[d].push_back(std::clamp<std::int64_t>(std::int64_t(k), 0, in - 1));
    }
  }
  tensor out(x.type(), out_shape);
  const shape_t st = strides_of(x.shape());
  shape_t idx(r, 0);
  for (std::int64_t o = 0; o < out.size(); ++o) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < r; ++d) off += src[d][std::size_t(idx[d])] * st[d];
    out.set(o, x.get(off));
    advance(idx, out_shape);
  }
  return out;
}

// Linear or cubic resizing (ONNX's separable n-linear / n-cubic interpolation):
// each axis in turn, last first, output position i reads the 2 (linear) or 4
// (cubic, coefficient a) inputs around its source coordinate, clamped to the
// edge; exclude_outside drops the ones past the edge and renormalizes; under
// tf_crop_and_resize a source outside the input gives `extrapolation`.
struct interpolation {
  bool cubic = false;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  std::vector<double> roi;  // starts then ends, one per axis (tf_crop_and_resize)
};

inline std::vector<double> interpolation_weights(const interpolation& ip, double r) {
  if (!ip.cubic) return {1 - r, r};
  const double a = ip.cubic_a;
  auto near = [&](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };             // |t| <= 1
  auto far = [&](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };       // 1 < |t| < 2
  return {far(r + 1), near(r), near(1 - r), far(2 - r)};
}

template <class = void>
tensor resize_interpolate(const tensor& x, const shape_t& out_shape, const std::vector<double>& scales, const std::string& coord,
                          const interpolation& ip) {
  const std::size_t r = x.rank();
  shape_t shape = x.shape();
  std::vector<double> cur = x.to_doubles();
  for (std::size_t d = r; d-- > 0;) {
    const std::int64_t in = shape[d], out = out_shape[d];
    if (in == out && scales[d] == 1.0 && coord != "tf_crop_and_resize") continue;
    if (in == 0) throw shape_error("Resize cannot interpolate an empty axis " + std::to_string(d));
    // Per output position: the taps (input index, weight), or none to extrapolate.
    std::vector<std::vector<std::pair<std::int64_t, double>>> taps{std::size_t(out)};
    const std::pair<double, double> roi =
        ip.roi.size() == 2 * r ? std::pair{ip.roi[d], ip.roi[d + r]} : std::pair{0.0, 1.0};
    for (std::int64_t i = 0; i < out; ++i) {
      const double v = resize_source(coord, i, in, out, scales[d], roi);
      auto& t = taps[std::size_t(i)];
      if (coord == "tf_crop_and_resize" && (v < 0 || v > double(in - 1))) continue;
      const double base = std::floor(v);
      const auto w = interpolation_weights(ip, v - base);
      const std::int64_t first = std::int64_t(base) - (ip.cubic ? 1 : 0);
      double sum = 0;
      for (std::size_t k = 0; k < w.size(); ++k) {
        const std::int64_t at = first + std::int64_t(k);
        if (ip.exclude_outside && (at < 0 || at >= in)) continue;
        t.emplace_back(std::clamp<std::int64_t>(at, 0, in - 1), w[k]);
        sum += w[k];
      }
      if (ip.exclude_outside && sum != 0)
        for (auto& [at, wk] : t) wk /= sum;
    }
    std::int64_t outer = 1, inner = 1;
    for (std::size_t k = 0; k < d; ++k) outer *= shape[k];
    for (std::size_t k = d + 1; k < r; ++k) inner *= shape[k];
    shape_t step = shape;  // between axes the tensor can outgrow both input and output
    step[d] = out;
    checked_num_elements(step);
    std::vector<double> next(std::size_t(outer * out * inner));
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < out; ++i) {
        const auto& t = taps[std::size_t(i)];
        for (std::int64_t e = 0; e < inner; ++e) {
          double acc = t.empty() ? ip.extrapolation : 0.0;
          for (const auto& [at, wk] : t) acc += wk * cur[std::size_t((o * in + at) * inner + e)];
          next[std::size_t((o * out + i) * inner + e)] = acc;
        }
      }
    cur = std::move(next);
    shape[d] = out;
  }
  tensor result = tensor::uninitialized(x.type(), out_shape);
  for (std::int64_t i = 0; i < result.size(); ++i) result.set(i, cur[std::size_t(i)]);
  return result;
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> resize(const kernel_context& c) {
  const tensor& x = c.in(0);
  const std::string mode = c.attr_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    throw unsupported_error("Resize mode '" + mode + "' is not supported (nearest, linear, cubic)");
  if (c.attr_int("antialias", 0) != 0) throw unsupported_error("Resize with antialias is not supported");
  if (c.attrs.count("axes")) throw unsupported_error("Resize with axes is not supported");
  std::vector<double> scales;
  shape_t out_shape(x.rank());
  const std::size_t scales_at = c.opset_below(11) ? 1 : 2;
  if (c.has(3) && c.in(3).size() > 0) {
    auto sizes = c.in(3).to_ints();
    if (sizes.size() != x.rank()) throw shape_error("Resize sizes need one entry per axis");
    for (std::size_t d = 0; d < x.rank(); ++d) {
      out_shape[d] = sizes[d];
      scales.push_back(double(sizes[d]) / double(x.shape()[d]));
    }
  } else if (c.has(scales_at) && c.in(scales_at).size() > 0) {
    scales = c.in(scales_at).to_doubles();
    if (scales.size() != x.rank()) throw shape_error("Resize scales need one entry per axis");
    out_shape = scaled_shape(x.shape(), scales, "Resize");
  } else {
    throw shape_error("Resize needs scales or sizes");
  }
  for (auto d : out_shape)
    if (d < 0) throw shape_error("Resize sizes must not be negative, are " + to_string(out_shape));
  checked_num_elements(out_shape);  // before the index tables are built
  const std::string coord = c.opset_below(11) ? "asymmetric" : c.attr_string("coordinate_transformation_mode", "half_pixel");
  if (mode != "nearest") {
    interpolation ip;
    ip.cubic = mode == "cubic";
    ip.cubic_a = c.attr_float("cubic_coeff_a", -0.75);
    ip.exclude_outside = c.attr_int("exclude_outside", 0) != 0;
    ip.extrapolation = c.attr_float("extrapolation_value", 0.0);
    if (coord == "tf_crop_and_resize") {
      if (!c.has(1) || c.in(1).size() != std::int64_t(2 * x.rank()))
        throw shape_error("Resize tf_crop_and_resize needs a roi of " + std::to_string(2 * x.rank()) + " values");
      ip.roi = c.in(1).to_doubles();
    }
    return single(resize_interpolate(x, out_shape, scales, coord, ip));
  }
  const std::string rounding = c.opset_below(11) ? "floor" : c.attr_string("nearest_mode", "round_prefer_floor");
  return single(resize_nearest(x, out_shape, scales, coord, rounding));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> upsample(const kernel_context& c) {
  const tensor& x = c.in(0);
  const std::string mode = c.attr_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear") throw unsupported_error("Upsample mode '" + mode + "' is not supported (nearest, linear)");
  std::vector<double> scales = c.has(1) ? c.in(1).to_doubles() : attribute_or<std::vector<double>>(c.attrs, "scales", {});
  if (scales.size() != x.rank()) throw shape_error("Upsample scales need one entry per axis");
  const shape_t out_shape = scaled_shape(x.shape(), scales, "Upsample");
  checked_num_elements(out_shape);  // before the index tables are built
  if (mode == "linear") return single(resize_interpolate(x, out_shape, scales, "asymmetric", interpolation{}));
  return single(resize_nearest(x, out_shape, scales, "asymmetric", "floor"));
}

}  // namespace nnrewrite::exec::kernels
