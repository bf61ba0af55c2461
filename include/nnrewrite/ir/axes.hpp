// Axes, broadcasting and per-axis arithmetic, as rules see them.
//
// A rule asks "is this constant channelwise for the data it meets?", "which axis
// of this value holds the channels?", "does broadcasting with this constant keep
// the data's shape?", and then scales, slices or reduces a tensor along one axis.
// The answers live here once, instead of in every rule.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/attribute.hpp"
#include "nnrewrite/ir/tensor.hpp"
#include "nnrewrite/ir/value_info.hpp"

namespace nnrewrite {

// A possibly negative axis for a rank; throws shape_error when out of range.
inline std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, std::string_view what = "axis") {
  if (axis < -rank || axis >= rank)
    throw shape_error(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

// Whether constant c, broadcast against data of rank `data_rank` (numpy rules:
// c's dims align with the data's last dims), varies only along data axis `axis`
// (negative counts from the end). One element is channelwise along every axis;
// a constant of higher rank than the data never is.
inline bool is_channelwise_along(const tensor& c, std::size_t data_rank, std::int64_t axis) {
  if (c.is_scalar()) return true;
  const auto r = std::int64_t(data_rank);
  if (c.rank() > data_rank || axis < -r || axis >= r) return false;
  if (axis < 0) axis += r;
  const std::int64_t offset = r - std::int64_t(c.rank());
  for (std::int64_t i = 0; i < std::int64_t(c.rank()); ++i)
    if (offset + i != axis && c.shape()[std::size_t(i)] != 1) return false;
  return true;
}

// The values of a scalar or channelwise constant, one per channel: `channels`
// entries (a scalar is repeated). Throws shape_error when c is neither, or its
// channel extent is not 1 or `channels`.
inline std::vector<double> per_channel(const tensor& c, std::size_t data_rank, std::int64_t axis, std::int64_t channels) {
  if (!is_channelwise_along(c, data_rank, axis))
    throw shape_error("constant of shape " + to_string(c.shape()) + " is not channelwise along axis " + std::to_string(axis) +
                      " of rank-" + std::to_string(data_rank) + " data");
  if (c.size() != 1 && c.size() != channels)
    throw shape_error("constant has " + std::to_string(c.size()) + " values for " + std::to_string(channels) + " channels");
  std::vector<double> r(static_cast<std::size_t>(channels));
  for (std::int64_t i = 0; i < channels; ++i) r[std::size_t(i)] = c.get(c.size() == 1 ? 0 : i);
  return r;
}

// Whether broadcasting data of (declared) shape `x` with a constant of shape `c`
// gives x's own shape: adding zeros of shape [1,8] to x of shape [8] is no identity.
inline bool broadcast_keeps_shape(const std::optional<dims>& x, const shape_t& c) {
  if (!x || c.size() > x->size()) return false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const dim& d = (*x)[x->size() - c.size() + i];
    if (c[i] != 1 && !(d.known() && d.size == c[i])) return false;
  }
  return true;
}

// The channel axis of a value, from its layout annotation ("NCHW" -> 1, "NHWC" -> 3,
// "NC" -> 1); nullopt when it has no layout, no 'C', or a layout of another rank.
inline std::optional<std::int64_t> channel_axis(const value_info& v) {
  if (v.layout.empty()) return std::nullopt;
  const auto p = v.layout.find('C');
  if (p == std::string::npos) return std::nullopt;
  if (v.shape && v.shape->size() != v.layout.size()) return std::nullopt;
  return std::int64_t(p);
}

// Which axis of a MultiThreshold's input holds the channels its threshold rows
// refer to: the position of 'C' in data_layout when the layout matches the rank
// (NCHW, NHWC, NC, ...); otherwise axis 1 for rank 2 and 4 and the last axis for
// other ranks (what QONNX's execution does).
inline std::int64_t multithreshold_channel_axis(const attribute_map& attrs, std::size_t rank) {
  const std::string layout = attribute_or<std::string>(attrs, "data_layout", "");
  if (layout.size() == rank) {
    if (auto p = layout.find('C'); p != std::string::npos) return std::int64_t(p);
  }
  if (rank == 2 || rank == 4) {
    if (rank == 4 && layout == "NHWC") return 3;
    return 1;
  }
  return std::int64_t(rank) - 1;
}

namespace detail {
// Sizes around `axis`: outer (product before), extent, inner (product after).
struct axis_split {
  std::int64_t outer = 1, extent = 1, inner = 1;
};
inline axis_split split_at(const shape_t& s, std::int64_t axis) {
  axis = normalize_axis(axis, std::int64_t(s.size()));
  axis_split r;
  for (std::int64_t d = 0; d < std::int64_t(s.size()); ++d) {
    if (d < axis) r.outer *= s[std::size_t(d)];
    else if (d > axis) r.inner *= s[std::size_t(d)];
  }
  r.extent = s[std::size_t(axis)];
  return r;
}
}  // namespace detail

// t with every slice k along `axis` multiplied by factors[k] (computed in double,
// stored in t's element type). Throws shape_error when the counts differ.
inline tensor scale_along(const tensor& t, std::int64_t axis, std::span<const double> factors) {
  const auto s = detail::split_at(t.shape(), axis);
  if (std::int64_t(factors.size()) != s.extent)
    throw shape_error("scale_along: " + std::to_string(factors.size()) + " factors for extent " + std::to_string(s.extent) +
                      " of " + to_string(t.shape()));
  tensor r = t;
  for (std::int64_t o = 0; o < s.outer; ++o)
    for (std::int64_t k = 0; k < s.extent; ++k)
      for (std::int64_t i = 0; i < s.inner; ++i) {
        const std::int64_t at = (o * s.extent + k) * s.inner + i;
        r.set(at, t.get(at) * factors[std::size_t(k)]);
      }
  return r;
}

// Slices [begin, end) of t along `axis`.
inline tensor slice_along(const tensor& t, std::int64_t axis, std::int64_t begin, std::int64_t end) {
  const auto s = detail::split_at(t.shape(), axis);
  if (begin < 0 || end > s.extent || begin > end)
    throw shape_error("slice_along: [" + std::to_string(begin) + ", " + std::to_string(end) + ") of extent " + std::to_string(s.extent));
  shape_t out_shape = t.shape();
  out_shape[std::size_t(normalize_axis(axis, std::int64_t(t.rank())))] = end - begin;
  tensor r(t.type(), out_shape);
  const std::int64_t n = end - begin;
  for (std::int64_t o = 0; o < s.outer; ++o)
    for (std::int64_t k = 0; k < n; ++k)
      for (std::int64_t i = 0; i < s.inner; ++i)
        r.set((o * n + k) * s.inner + i, t.get((o * s.extent + begin + k) * s.inner + i));
  return r;
}

// One value per index along `axis`, reducing everything else: max of |x|
// (a weight range), min, max, or sum. Empty slices give 0.
enum class axis_reduction { abs_max, min, max, sum };
inline std::vector<double> reduce_along(const tensor& t, std::int64_t axis, axis_reduction op) {
  const auto s = detail::split_at(t.shape(), axis);
  std::vector<double> r(std::size_t(s.extent), 0.0);
  std::vector<bool> seen(std::size_t(s.extent), false);
  for (std::int64_t o = 0; o < s.outer; ++o)
    for (std::int64_t k = 0; k < s.extent; ++k)
      for (std::int64_t i = 0; i < s.inner; ++i) {
        const double v = t.get((o * s.extent + k) * s.inner + i);
        double& acc = r[std::size_t(k)];
        const bool first = !seen[std::size_t(k)];
        seen[std::size_t(k)] = true;
        switch (op) {
          case axis_reduction::abs_max: acc = first ? std::abs(v) : std::max(acc, std::abs(v)); break;
          case axis_reduction::min: acc = first ? v : std::min(acc, v); break;
          case axis_reduction::max: acc = first ? v : std::max(acc, v); break;
          case axis_reduction::sum: acc += v; break;
        }
      }
  return r;
}

}  // namespace nnrewrite
