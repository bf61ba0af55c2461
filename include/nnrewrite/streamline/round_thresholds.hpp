// RoundAndClipThresholds (FINN: streamline/round_thresholds.py): a MultiThreshold
// whose input holds only integers in [lo, hi] compares x >= t, which for integer x
// is x >= ceil(t); a threshold below lo is always passed and one above hi never,
// so clipping to [lo, hi + 1] changes nothing. Fixed-point inputs (multiples of a
// step) round to their step the same way. Computed in double: FINN rounds float32
// thresholds and its results shift by one step at boundaries. The thresholds are
// annotated with the smallest data type that holds them.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>

#include "nnrewrite/streamline/common.hpp"

namespace nnrewrite::streamline {

template <ir_graph G>
class RoundAndClipThresholds final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  RoundAndClipThresholds() : rewrite_pattern<G>("RoundAndClipThresholds", "MultiThreshold") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto x = operand(g, v, 0), th = operand(g, v, 1);
    if (!x || !th || T::kind(g, th->node) != node_kind::constant) return failure("its thresholds are not a constant");
    const data_type in = T::value(g, x->node, x->port).qonnx_type();
    if (!in.is_integer() && !in.is_fixed_point() && in.type_kind() != data_type::kind::bipolar &&
        in.type_kind() != data_type::kind::ternary)
      return failure("its input is not of an integer or fixed-point data type");
    const auto tt = T::constant_value(g, th->node);
    if (!tt || tt->rank() != 2) return failure("the thresholds are not a (channels, steps) matrix");
    // One pass: the rounded values, whether any moved, and their range.
    std::vector<double> t = tt->to_doubles();
    const double step = in.is_fixed_point() ? in.step() : 1.0;
    const double lo = in.min(), hi = in.max() + step;
    bool moved = false;
    double least = t.empty() ? 0.0 : hi, most = t.empty() ? 0.0 : lo;
    // ceil and clamp commute (lo and hi are whole steps), so the clamped value is
    // rounded up. Below 2^52 steps that is a truncation toward zero through int64
    // and one correction: a few instructions, where std::ceil is a library call
    // without SSE4.1.
    const bool small = std::max(std::abs(lo), std::abs(hi)) / step < 0x1p52;
    for (double& th_value : t) {
      if (!std::isfinite(th_value)) return failure("a threshold is not finite");
      const double x = std::clamp(th_value, lo, hi) / step;
      double c = small ? double(std::int64_t(x)) : std::ceil(x);
      c += c < x ? 1.0 : 0.0;
      const double r = c * step;
      moved |= r != th_value;
      least = std::min(least, r);
      most = std::max(most, r);
      th_value = r;
    }
    const std::optional<data_type> dtype = in.is_fixed_point() ? std::optional<data_type>(in) : data_type::smallest_for_range(least, most);
    // Compared in double: the ceiling of a float32 (or float64) is one, and the
    // clip bounds are 0 or powers of two, so the thresholds' own element type
    // holds the rounded values exactly.
    if (!moved && T::value(g, th->node, th->port).dtype == dtype) return failure("its thresholds are already rounded and clipped");
    const element_type e = tt->type();
    rw.replace_constant_operand(v, 1, tensor(e, tt->shape(), std::span<const double>(t)), dtype);
    return success();
  }
};

template <ir_graph G>
void populate_threshold_patterns(pattern_set<G>& set) {
  set.template add<RoundAndClipThresholds<G>>();
}

}  // namespace nnrewrite::streamline
