// Where a weighted op keeps its channels: a weight-layout descriptor, and scaling
// of a weight tensor per output or input channel that respects groups.
//
// Rules that move a per-channel scale through a Conv or MatMul, and equalization,
// which rescales the output channels of one layer and the input channels of the
// next, both need to know which axis of W is which. Layouts:
//   Conv           W [O, I/g, k...]    out 0, in 1; the g groups are folded into O (group-major)
//   ConvTranspose  W [I, O/g, k...]    in 0, out 1; the groups are folded into I
//   Gemm           B [K, N], transB: [N, K]
//   MatMul         W [..., K, N]
//   SiMa           W [KH, KW, I, G, O] out 4, in 2, groups on an axis of their own (3)
// Channel numbers below are always the layer's total channels (all groups).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nnrewrite/ir/attribute.hpp"
#include "nnrewrite/ir/axes.hpp"
#include "nnrewrite/ir/tensor.hpp"

namespace nnrewrite {

struct weight_layout {
  enum class folding : std::uint8_t { none, into_out, into_in };
  std::int64_t out_axis = 0;     // output channels (of one group, unless folded)
  std::int64_t in_axis = 1;      // input channels (of one group, unless folded)
  std::int64_t group_axis = -1;  // groups on an axis of their own, or -1
  std::int64_t groups = 1;       // with group_axis -1: how many groups `fold` folds into an axis
  folding fold = folding::none;
  int weight_operand = 1;        // which operand of the op holds W
  int bias_operand = -1;         // which holds the bias, or -1

  // Total output / input channels of a weight tensor of this shape.
  std::int64_t output_channels(const shape_t& w) const {
    const std::int64_t o = w.at(std::size_t(out_axis));
    return group_axis >= 0 ? o * w.at(std::size_t(group_axis)) : fold == folding::into_in ? o * groups : o;
  }
  std::int64_t input_channels(const shape_t& w) const {
    const std::int64_t i = w.at(std::size_t(in_axis));
    return group_axis >= 0 ? i * w.at(std::size_t(group_axis)) : fold == folding::into_out ? i * groups : i;
  }
};

// The weight layout of an ONNX op (Conv, ConvTranspose, Gemm, MatMul) with weights
// of rank `weight_rank`; nullopt for other ops or ranks they cannot have.
inline std::optional<weight_layout> onnx_weight_layout(std::string_view op, const attribute_map& attrs,
                                                       std::size_t weight_rank) {
  using F = weight_layout::folding;
  const std::int64_t r = std::int64_t(weight_rank);
  if (op == "Conv" && r >= 3) {
    const std::int64_t g = attribute_or<std::int64_t>(attrs, "group", 1);
    return weight_layout{0, 1, -1, g, g > 1 ? F::into_out : F::none, 1, 2};
  }
  if (op == "ConvTranspose" && r >= 3) {
    const std::int64_t g = attribute_or<std::int64_t>(attrs, "group", 1);
    return weight_layout{1, 0, -1, g, g > 1 ? F::into_in : F::none, 1, 2};
  }
  if (op == "Gemm" && r == 2) {
    const bool trans = attribute_or<std::int64_t>(attrs, "transB", 0) != 0;
    return weight_layout{trans ? 0 : 1, trans ? 1 : 0, -1, 1, F::none, 1, 2};
  }
  if (op == "MatMul" && r >= 2) return weight_layout{r - 1, r - 2, -1, 1, F::none, 1, -1};
  return std::nullopt;
}

namespace detail {
// For every element of W (row-major), its total output and input channel.
template <class F>
void for_each_weight_channel(const shape_t& w, const weight_layout& l, F f) {
  const std::size_t rank = w.size();
  for (auto a : {l.out_axis, l.in_axis, l.group_axis})
    if (a >= std::int64_t(rank)) throw shape_error("weight layout axis " + std::to_string(a) + " for rank " + std::to_string(rank));
  const std::int64_t out_ext = w[std::size_t(l.out_axis)], in_ext = w[std::size_t(l.in_axis)];
  if (l.fold != weight_layout::folding::none && l.groups < 1) throw shape_error("weight layout with " + std::to_string(l.groups) + " groups");
  const std::int64_t folded_ext = l.fold == weight_layout::folding::into_out ? out_ext : in_ext;
  if (l.fold != weight_layout::folding::none && folded_ext % l.groups != 0)
    throw shape_error("weight axis of extent " + std::to_string(folded_ext) + " does not split into " + std::to_string(l.groups) + " groups");
  // Row by row along the last axis: the axes before it are fixed within a row,
  // so the inner loop only varies whichever of (out, in, group) is last.
  const std::int64_t last = std::int64_t(rank) - 1, n = num_elements(w), row = w[std::size_t(last)];
  if (row == 0) return;
  const bool out_last = l.out_axis == last, in_last = l.in_axis == last, group_last = l.group_axis == last;
  const bool plain = l.group_axis < 0 && l.fold == weight_layout::folding::none;
  shape_t idx(rank, 0);
  for (std::int64_t e = 0; e < n; e += row) {
    const std::int64_t o0 = out_last ? 0 : idx[std::size_t(l.out_axis)], i0 = in_last ? 0 : idx[std::size_t(l.in_axis)];
    if (plain && out_last) {
      for (std::int64_t j = 0; j < row; ++j) f(e + j, j, i0);
    } else if (plain && in_last) {
      for (std::int64_t j = 0; j < row; ++j) f(e + j, o0, j);
    } else if (plain) {
      for (std::int64_t j = 0; j < row; ++j) f(e + j, o0, i0);
    } else {
      const std::int64_t g0 = l.group_axis < 0 || group_last ? 0 : idx[std::size_t(l.group_axis)];
      for (std::int64_t j = 0; j < row; ++j) {
        const std::int64_t o = out_last ? j : o0, i = in_last ? j : i0;
        if (l.group_axis >= 0) {
          const std::int64_t g = group_last ? j : g0;
          f(e + j, g * out_ext + o, g * in_ext + i);
        } else if (l.fold == weight_layout::folding::into_out) {
          f(e + j, o, (o / (out_ext / l.groups)) * in_ext + i);
        } else {
          f(e + j, (i / (in_ext / l.groups)) * out_ext + o, i);
        }
      }
    }
    for (std::size_t d = std::size_t(last); d-- > 0;) {
      if (++idx[d] < w[d]) break;
      idx[d] = 0;
    }
  }
}
inline void check_count(std::span<const double> s, std::int64_t channels, const char* what) {
  if (std::int64_t(s.size()) != channels)
    throw shape_error(std::string(what) + ": " + std::to_string(s.size()) + " scales for " + std::to_string(channels) + " channels");
}

// W with every weight multiplied by s[channel], the channel being its output
// channel (`output` true) or input channel: one pass over W's own storage type,
// written into a fresh tensor (neither a copy of W nor a zero fill first).
inline tensor scale_channels(const tensor& w, const weight_layout& l, std::span<const double> s, bool output) {
  tensor r = tensor::uninitialized(w.type(), w.shape());
  const std::int64_t last = std::int64_t(w.rank()) - 1, axis = output ? l.out_axis : l.in_axis;
  const bool along_rows = l.group_axis < 0 && l.fold == weight_layout::folding::none && last >= 0 && axis == last;
  std::visit(
      [&](auto& dst) {
        using A = std::decay_t<decltype(dst)>;
        const A& src = std::get<A>(w.data());
        if (along_rows) {  // MatMul's output channels: each row times s, a loop the compiler vectorizes
          const std::int64_t row = w.shape()[std::size_t(last)], n = w.size();
          if (std::int64_t(s.size()) != row) throw shape_error("scale count does not match the weight rows");
          using S = typename A::Scalar;
          const double* f = s.data();
          if constexpr (std::is_same_v<S, float>) {
            // Scales that are floats themselves (signs, powers of two, ...): the
            // float product is correctly rounded like the double one rounded to
            // float (a product of two floats is exact in double), so the two agree
            // bit for bit, and floats go four to a vector instead of two.
            std::vector<float> fs(s.begin(), s.end());
            if (std::equal(fs.begin(), fs.end(), s.begin(), [](float a, double b) { return double(a) == b; })) {
              for (std::int64_t e = 0; row > 0 && e < n; e += row) {
                float* __restrict d = dst.data() + e;
                const float* __restrict x = src.data() + e;
                const float* __restrict g = fs.data();
                for (std::int64_t j = 0; j < row; ++j) d[j] = x[j] * g[j];
              }
              return;
            }
          }
          for (std::int64_t e = 0; row > 0 && e < n; e += row) {
            S* __restrict d = dst.data() + e;
            const S* __restrict x = src.data() + e;
            for (std::int64_t j = 0; j < row; ++j) d[j] = tensor::convert<S>(double(x[j]) * f[j]);
          }
          return;
        }
        for_each_weight_channel(w.shape(), l, [&](std::int64_t e, std::int64_t out, std::int64_t in) {
          dst[e] = tensor::convert<typename A::Scalar>(double(src[e]) * s[std::size_t(output ? out : in)]);
        });
      },
      r.data());
  return r;
}
}  // namespace detail

// f(value, output channel, input channel) for every weight of W, in W's order.
template <class F>
void for_each_weight(const tensor& w, const weight_layout& l, F f) {
  std::visit([&](const auto& src) {
    detail::for_each_weight_channel(w.shape(), l, [&](std::int64_t e, std::int64_t out, std::int64_t in) { f(double(src[e]), out, in); });
  }, w.data());
}

// W with every weight of output channel c multiplied by s[c].
inline tensor scale_output_channels(const tensor& w, const weight_layout& l, std::span<const double> s) {
  detail::check_count(s, l.output_channels(w.shape()), "scale_output_channels");
  return detail::scale_channels(w, l, s, /*output=*/true);
}

// W with every weight of input channel c multiplied by s[c].
inline tensor scale_input_channels(const tensor& w, const weight_layout& l, std::span<const double> s) {
  detail::check_count(s, l.input_channels(w.shape()), "scale_input_channels");
  return detail::scale_channels(w, l, s, /*output=*/false);
}

// What a constant that is c[i] on every element of input channel i becomes at
// output channel o of the weighted op (no bias, no padding): sum over W's
// elements of output channel o of w * c[their input channel]. MoveAddPastConv and
// MoveAddPastMatMul carry an Add through a weighted op with it.
inline std::vector<double> through_weights(const tensor& w, const weight_layout& l, std::span<const double> c) {
  detail::check_count(c, l.input_channels(w.shape()), "through_weights");
  std::vector<double> r(std::size_t(l.output_channels(w.shape())), 0.0);
  for_each_weight(w, l, [&](double x, std::int64_t out, std::int64_t in) { r[std::size_t(out)] += x * c[std::size_t(in)]; });
  return r;
}

// max |w| per output channel (the weight range DFQ equalizes).
inline std::vector<double> output_channel_ranges(const tensor& w, const weight_layout& l) {
  std::vector<double> r(std::size_t(l.output_channels(w.shape())), 0.0);
  for_each_weight(w, l, [&](double x, std::int64_t out, std::int64_t) { r[std::size_t(out)] = std::max(r[std::size_t(out)], std::abs(x)); });
  return r;
}

// max |w| per input channel.
inline std::vector<double> input_channel_ranges(const tensor& w, const weight_layout& l) {
  std::vector<double> r(std::size_t(l.input_channels(w.shape())), 0.0);
  for_each_weight(w, l, [&](double x, std::int64_t, std::int64_t in) { r[std::size_t(in)] = std::max(r[std::size_t(in)], std::abs(x)); });
  return r;
}

}  // namespace nnrewrite
