// Channel equalization: scales for the sets pairing.hpp finds, and their update
// through the rewriter (so listeners see every change and a failure rolls back).
//
// Policies (s_k is the scale of class k: parents' output channels are multiplied
// by it, children's input channels divided):
//  - weight (Nagel et al. 2019, DFQ): s = sqrt(r2 / r1), r1 the class's largest
//    parent output-channel range max|W|, r2 its largest child input-channel range;
//    both become sqrt(r1 r2). In a residual family, where many members share a
//    class, r1 and r2 are geometric means of each member's ranges relative to its
//    own largest (for one parent and one child that is DFQ up to a factor common
//    to all channels, which per-tensor quantization does not see). An op can be a
//    child in one set and a parent in the next (a depthwise conv between two
//    pointwise ones), so all sets are swept until no scale moves by more than
//    `tolerance`.
//  - activation (Meller et al. 2019, the SiMa compiler): from calibrated
//    per-channel ranges of the values the set rescales, s = clamp(M / (m + eps),
//    lo, hi), M the value's largest channel magnitude, m the class's, taking the
//    smallest over the set's values (so no value's largest channel grows).
//  - smoothquant (Xiao et al. 2023) for MatMul/Gemm children:
//    s = a^alpha / w^(1 - alpha) inverted onto our convention, a the class's
//    activation magnitude and w its child weight range.
// Dead channels (a zero weight or activation range) keep scale 1. Bounds inside a
// set (Min/Max by a constant) are multiplied with their channels; a Clip is made
// per-channel first when options::per_channel_clip asks for it (else it blocks).
#pragma once

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nnrewrite/equalize/pairing.hpp"
#include "nnrewrite/exec/executor.hpp"
#include "nnrewrite/rewrite/rewriter.hpp"

namespace nnrewrite::equalize {

enum class scale_policy : std::uint8_t { weight, activation, smoothquant };

inline constexpr std::string_view to_string(scale_policy p) {
  constexpr std::string_view names[] = {"weight", "activation", "smoothquant"};
  return names[static_cast<int>(p)];
}

// Calibrated per-channel ranges of a value.
struct channel_range {
  std::vector<double> min, max;
  double magnitude(std::size_t c) const { return std::max(std::abs(min[c]), std::abs(max[c])); }
};
// Ranges by value name.
using statistics = std::map<std::string, channel_range, std::less<>>;

struct options {
  scale_policy policy = scale_policy::weight;
  // weight: sweeps over every set until no scale moves by more than tolerance
  // (relative), at most max_sweeps.
  int max_sweeps = 50;
  double tolerance = 1e-3;
  // weight and smoothquant: scales stay within [1/max_scale, max_scale]; a channel
  // whose range is below dead_fraction of its set's largest is dead (scale 1).
  double max_scale = 1e3;
  double dead_fraction = 1e-8;
  // activation: bounds and eps (nullopt: the target's equalization_limits()).
  std::optional<target::scale_limits> limits;
  // smoothquant: migration strength.
  double alpha = 0.5;
  // activation: scales from every value a set rescales (per_value), or exactly as
  // the SiMa compiler computes them from the parents' outputs (sima: concat parents
  // brought to a common maximum, a residual family's parent scales combined by
  // elementwise minimum after normalising each by its own minimum).
  enum class activation_rule : std::uint8_t { per_value, sima };
  activation_rule rule = activation_rule::per_value;
  // Rewrite a Clip inside a set (ReLU6) as Relu (or Max) and Min by per-channel
  // constants, which scale exactly; off, a Clip blocks the set.
  bool per_channel_clip = false;
  // Which kinds of sets to equalize (the others are reported as skipped).
  bool chains = true, concat_sets = true, residual_families = true;

  bool wants(set_kind k) const {
    return k == set_kind::chain ? chains : k == set_kind::concat ? concat_sets : residual_families;
  }
};

// What one set received.
struct applied_set {
  std::size_t set = 0;  // index into pairing.sets
  double min_scale = 1.0, max_scale = 1.0;
};

template <class V>
struct result {
  pairing<V> sets;
  std::vector<applied_set> applied;
  std::vector<rejection> skipped;  // valid sets the policy could not scale (no statistics, ...)
  int sweeps = 0;
  // Weighted ops that are a parent or child of an applied set, over all weighted ops.
  double coverage() const {
    if (sets.weighted_ops == 0) return 0.0;
    nnrewrite::detail::vertex_map<V, bool> seen;
    for (const auto& a : applied) {
      const auto& r = sets.sets[a.set];
      for (V v : r.parents) seen[v] = true;
      for (V v : r.children) seen[v] = true;
    }
    return double(seen.size()) / double(sets.weighted_ops);
  }
};

namespace detail {

// The handle of op v's weights (dereference it within the full expression, or hold it).
template <ir_graph G>
constant_handle_t<G> weight_of(const G& g, vertex_t<G> v, const weight_layout& l) {
  return ir_traits<G>::constant_value(g, operand(g, v, l.weight_operand)->node);
}

// Largest |w| per output (or input) channel.
inline std::vector<double> channel_ranges(const tensor& w, const weight_layout& l, bool output) {
  std::vector<double> r(std::size_t(output ? l.output_channels(w.shape()) : l.input_channels(w.shape())), 0.0);
  for_each_weight(w, l, [&](double x, std::int64_t out, std::int64_t in) {
    double& a = r[std::size_t(output ? out : in)];
    a = std::max(a, std::abs(x));
  });
  return r;
}

// Per class: the largest range over the channels of that class.
inline void max_into(std::vector<double>& per_class, const std::vector<int>& classes, const std::vector<double>& ranges) {
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (classes[c] >= 0) per_class[std::size_t(classes[c])] = std::max(per_class[std::size_t(classes[c])], ranges[c]);
}

// Per class: the sum of log(range / the member's largest range), and how many
// channels contributed (zero ranges do not: they are dead).
inline void log_relative_into(std::vector<double>& sum, std::vector<int>& count, const std::vector<int>& classes,
                              const std::vector<double>& ranges) {
  double big = 0;
  for (double x : ranges) big = std::max(big, x);
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (classes[c] >= 0 && ranges[c] > 0) {
      sum[std::size_t(classes[c])] += std::log(ranges[c] / big);
      ++count[std::size_t(classes[c])];
    }
}

inline double largest(const std::vector<double>& xs) {
  double m = 0;
  for (double x : xs) m = std::max(m, x);
  return m;
}

// Per-channel factors of one member from the class scales (1 where no class).
inline std::vector<double> member_factors(const std::vector<int>& classes, const std::vector<double>& s, bool invert) {
  std::vector<double> f(classes.size(), 1.0);
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (classes[c] >= 0) f[c] = invert ? 1.0 / s[std::size_t(classes[c])] : s[std::size_t(classes[c])];
  return f;
}

// Multiplies the parents' output channels (and biases) and divides the children's
// input channels by the class scales.
template <ir_graph G>
void apply_scales(rewriter<G>& rw, const region<vertex_t<G>>& r, const std::vector<double>& s) {
  using T = ir_traits<G>;
  for (std::size_t i = 0; i < r.parents.size(); ++i) {
    const auto p = r.parents[i];
    const weight_layout& l = r.parent_layouts[i];
    const auto f = member_factors(r.parent_classes[i], s, false);
    rw.replace_constant_operand(p, l.weight_operand, scale_output_channels(*weight_of(rw.graph(), p, l), l, f));
    if (l.bias_operand >= 0)
      if (const auto b = operand(rw.graph(), p, l.bias_operand)) {
        const auto held = T::constant_value(rw.graph(), b->node);
        const tensor& bias = *held;
        if (bias.size() != std::int64_t(f.size()))
          throw shape_error("bias of '" + describe(rw.graph(), p) + "' has " + std::to_string(bias.size()) + " values for " +
                            std::to_string(f.size()) + " output channels");
        tensor nb = bias;
        for (std::int64_t c = 0; c < nb.size(); ++c) nb.set(c, bias.get(c) * f[std::size_t(c)]);
        rw.replace_constant_operand(p, l.bias_operand, std::move(nb));
      }
  }
  for (std::size_t i = 0; i < r.children.size(); ++i) {
    const auto c = r.children[i];
    const weight_layout& l = r.child_layouts[i];
    rw.replace_constant_operand(c, l.weight_operand,
                                scale_input_channels(*weight_of(rw.graph(), c, l), l, member_factors(r.child_classes[i], s, true)));
  }
  for (std::size_t i = 0; i < r.bounds.size(); ++i) {
    const auto b = r.bounds[i];
    const auto f = member_factors(r.bound_classes[i], s, false);
    const auto held = T::constant_value(rw.graph(), operand(rw.graph(), b, r.bound_ports[i])->node);
    const tensor& old = *held;
    // One value per channel, shaped to broadcast along the channel axis.
    const std::int64_t rank = std::int64_t(T::value(rw.graph(), b, 0).shape->size());
    shape_t shape(std::size_t(rank - r.channel_axis(rank)), 1);
    shape[0] = std::int64_t(f.size());
    tensor nb = tensor::uninitialized(old.type(), shape);
    for (std::int64_t c = 0; c < nb.size(); ++c) nb.set(c, old.get(old.size() == 1 ? 0 : c) * f[std::size_t(c)]);
    rw.replace_constant_operand(b, r.bound_ports[i], std::move(nb));
  }
}

// Each Clip of r becomes Relu (a zero lower bound) or Max, then Min, by constants
// holding its bounds: the same function, with bounds apply_scales can make
// per-channel. The Min (or the last op) takes the Clip's names.
template <ir_graph G>
void split_clips(rewriter<G>& rw, const region<vertex_t<G>>& r) {
  using T = ir_traits<G>;
  for (const auto v : r.clips) {
    const G& g = rw.graph();
    const auto [lo, hi] = *clamp_bounds(g, v);
    const value_info out = T::value(g, v, 0);
    const element_type type = out.elem;
    value_info step = out;
    step.name.clear();
    value_ref<vertex_t<G>> x = *operand(g, v, 0);
    std::vector<vertex_t<G>> params;  // the Clip's bound constants, erased when no longer used
    for (int p : {1, 2})
      if (const auto o = operand(g, v, p)) params.push_back(o->node);
    if (lo == 0) x = rw.op("Relu", {x}, step);
    else if (std::isfinite(lo)) x = rw.op_with_constant("Max", x, tensor::scalar(lo, type), step);
    if (std::isfinite(hi)) x = rw.op_with_constant("Min", x, tensor::scalar(hi, type), step);
    if (x == *operand(g, v, 0)) x = rw.op("Identity", {x}, step);
    rw.replace_op(v, {x});
    for (const auto c : params)
      if (is_dead(rw.graph(), c)) rw.erase(c);
  }
}

inline double clamp_scale(double s, double lo, double hi) { return std::min(std::max(s, lo), hi); }

// Weight-based (DFQ) scales of one set, from the weights as they are now.
template <ir_graph G>
std::vector<double> weight_scales(const G& g, const region<vertex_t<G>>& r, const options& opt) {
  std::vector<double> r1(std::size_t(r.classes), 0.0), r2(std::size_t(r.classes), 0.0);
  const auto parent_ranges = [&](std::size_t i) {
    return channel_ranges(*weight_of(g, r.parents[i], r.parent_layouts[i]), r.parent_layouts[i], true);
  };
  const auto child_ranges = [&](std::size_t i) {
    return channel_ranges(*weight_of(g, r.children[i], r.child_layouts[i]), r.child_layouts[i], false);
  };
  if (r.kind == set_kind::residual) {
    // Many members share each class: the largest range would let one member
    // decide for all. Each member's ranges relative to its own largest (what
    // per-tensor quantization sees), combined by geometric mean.
    std::vector<int> n1(r1.size(), 0), n2(r2.size(), 0);
    for (std::size_t i = 0; i < r.parents.size(); ++i) log_relative_into(r1, n1, r.parent_classes[i], parent_ranges(i));
    for (std::size_t i = 0; i < r.children.size(); ++i) log_relative_into(r2, n2, r.child_classes[i], child_ranges(i));
    for (std::size_t k = 0; k < r1.size(); ++k) {
      r1[k] = n1[k] ? std::exp(r1[k] / n1[k]) : 0.0;
      r2[k] = n2[k] ? std::exp(r2[k] / n2[k]) : 0.0;
    }
  } else {
    for (std::size_t i = 0; i < r.parents.size(); ++i) max_into(r1, r.parent_classes[i], parent_ranges(i));
    for (std::size_t i = 0; i < r.children.size(); ++i) max_into(r2, r.child_classes[i], child_ranges(i));
  }
  const double dead1 = largest(r1) * opt.dead_fraction, dead2 = largest(r2) * opt.dead_fraction;
  std::vector<double> s(std::size_t(r.classes), 1.0);
  for (std::size_t k = 0; k < s.size(); ++k)
    if (r1[k] > dead1 && r2[k] > dead2 && r1[k] > 0 && r2[k] > 0)
      s[k] = clamp_scale(std::sqrt(r2[k] / r1[k]), 1.0 / opt.max_scale, opt.max_scale);
  return s;
}

// The calibrated ranges of value i of r: nullptr when stats has none with its channel count.
template <ir_graph G, class Stats>
auto* ranges_of(const G& g, const region<vertex_t<G>>& r, std::size_t i, Stats& stats) {
  const auto it = stats.find(ir_traits<G>::value(g, r.values[i].node, r.values[i].port).name);
  return it == stats.end() || it->second.max.size() != r.value_classes[i].size() ? nullptr : &it->second;
}

// A value whose only use is an activation (Relu-like, a Clip, a Min or Max by a
// constant) is not quantized itself (the activation is fused into the op that
// makes it): its range does not count.
template <ir_graph G>
bool fused_into_activation(const G& g, value_ref<vertex_t<G>> v) {
  const auto us = uses(g, v);
  if (us.size() != 1 || ir_traits<G>::kind(g, us[0].node) != node_kind::op) return false;
  const std::string_view op = ir_traits<G>::op_type(g, us[0].node);
  if (op == "Min" || op == "Max") {
    const auto other = operand(g, us[0].node, 1 - us[0].in_port);
    return other && ir_traits<G>::kind(g, other->node) == node_kind::constant;
  }
  return op == "Relu" || op == "LeakyRelu" || op == "PRelu" || op == "Clip";
}

// Activation-based scales; nullopt when no value of the set has statistics.
template <ir_graph G>
std::optional<std::vector<double>> activation_scales(const G& g, const region<vertex_t<G>>& r, const statistics& stats,
                                                     const target::scale_limits& lim) {
  std::vector<double> s(std::size_t(r.classes), lim.max);
  std::vector<bool> seen(std::size_t(r.classes), false);
  bool any = false;
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    const channel_range* cr = fused_into_activation(g, r.values[i]) ? nullptr : ranges_of(g, r, i, stats);
    if (!cr) continue;
    any = true;
    double big = 0;
    for (std::size_t c = 0; c < cr->max.size(); ++c) big = std::max(big, cr->magnitude(c));
    for (std::size_t c = 0; c < cr->max.size(); ++c) {
      const int k = r.value_classes[i][c];
      if (k < 0) continue;
      seen[std::size_t(k)] = true;
      const double m = cr->magnitude(c);
      // A dead channel (m = 0) asks for nothing: M / eps is clamped to hi.
      s[std::size_t(k)] = std::min(s[std::size_t(k)], big / (m + lim.epsilon));
    }
  }
  if (!any) return std::nullopt;
  for (std::size_t k = 0; k < s.size(); ++k) s[k] = seen[k] ? clamp_scale(s[k], lim.min, lim.max) : 1.0;
  return s;
}

// The value a parent's scales are computed from: its result, or, through the
// activations fused into it, the last one's (the tensor that is quantized).
template <ir_graph G>
value_ref<vertex_t<G>> quantized_result(const G& g, vertex_t<G> parent) {
  value_ref<vertex_t<G>> v{parent, 0};
  while (fused_into_activation(g, v)) v = {uses(g, v)[0].node, 0};
  return v;
}

// The SiMa compiler's activation-based scales (see options::activation_rule);
// nullopt when a parent's result has no statistics.
template <ir_graph G>
std::optional<std::vector<double>> sima_scales(const G& g, const region<vertex_t<G>>& r, const statistics& stats,
                                               const target::scale_limits& lim) {
  using T = ir_traits<G>;
  // Each parent's own scales: s_c = clamp(M / (m_c + eps), lo, hi), M = max_c |max_c|.
  std::vector<std::vector<double>> own;
  std::vector<double> scaled_max;
  for (std::size_t i = 0; i < r.parents.size(); ++i) {
    const auto v = quantized_result(g, r.parents[i]);
    const auto it = stats.find(T::value(g, v.node, v.port).name);
    if (it == stats.end() || it->second.max.size() != r.parent_classes[i].size()) return std::nullopt;
    const channel_range& cr = it->second;
    double big = 0;
    for (double x : cr.max) big = std::max(big, std::abs(x));
    std::vector<double> si(cr.max.size());
    double top = 0;
    for (std::size_t c = 0; c < si.size(); ++c) {
      si[c] = clamp_scale(big / (cr.magnitude(c) + lim.epsilon), lim.min, lim.max);
      top = std::max(top, cr.max[c] * si[c]);
    }
    own.push_back(std::move(si));
    scaled_max.push_back(top);
  }
  std::vector<double> s(std::size_t(r.classes), 1.0);
  if (r.kind != set_kind::residual) {
    // A chain has one parent; a concat set brings each parent to the largest scaled maximum.
    const double largest_max = largest(scaled_max);
    for (std::size_t i = 0; i < own.size(); ++i)
      for (std::size_t c = 0; c < own[i].size(); ++c) {
        const int k = r.parent_classes[i][c];
        if (k >= 0) s[std::size_t(k)] = own[i][c] * (r.kind == set_kind::concat ? largest_max / (scaled_max[i] + lim.epsilon) : 1.0);
      }
    return s;
  }
  // A residual family: one vector, from the first parent's scales; each further
  // parent: both normalised by their minimum, the elementwise minimum, floored at 1.
  std::vector<bool> set(s.size(), false);
  for (std::size_t i = 0; i < own.size(); ++i) {
    std::vector<double> v(s.size(), 0.0);
    std::vector<bool> has(s.size(), false);
    for (std::size_t c = 0; c < own[i].size(); ++c)
      if (const int k = r.parent_classes[i][c]; k >= 0) {
        v[std::size_t(k)] = own[i][c];
        has[std::size_t(k)] = true;
      }
    auto min_of = [&](const std::vector<double>& x, const std::vector<bool>& on) {
      double m = INFINITY;
      for (std::size_t k = 0; k < x.size(); ++k)
        if (on[k]) m = std::min(m, x[k]);
      return std::isfinite(m) && m > 0 ? m : 1.0;
    };
    const double mv = min_of(v, has), ms = min_of(s, set);
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (!has[k]) continue;
      s[k] = i == 0 ? v[k] : set[k] ? std::max(std::min(s[k] / ms, v[k] / mv), 1.0) : std::max(v[k] / mv, 1.0);
      set[k] = true;
    }
  }
  return s;
}

// SmoothQuant's scales (Xiao et al. 2023): the child computes X W = (X / s) (s W)
// with s = a^alpha / w^(1 - alpha); here the parent divides X, so the class scale
// is w^(1 - alpha) / a^alpha. a: the class's largest activation magnitude; w: its
// largest child input-channel weight range. nullopt without statistics.
template <ir_graph G>
std::optional<std::vector<double>> smoothquant_scales(const G& g, const region<vertex_t<G>>& r, const statistics& stats,
                                                      const options& opt) {
  std::vector<double> a(std::size_t(r.classes), 0.0), w(std::size_t(r.classes), 0.0);
  bool any = false;
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    const channel_range* cr = fused_into_activation(g, r.values[i]) ? nullptr : ranges_of(g, r, i, stats);
    if (!cr) continue;
    any = true;
    std::vector<double> m(cr->max.size());
    for (std::size_t c = 0; c < m.size(); ++c) m[c] = cr->magnitude(c);
    max_into(a, r.value_classes[i], m);
  }
  if (!any) return std::nullopt;
  for (std::size_t i = 0; i < r.children.size(); ++i)
    max_into(w, r.child_classes[i], channel_ranges(*weight_of(g, r.children[i], r.child_layouts[i]), r.child_layouts[i], false));
  const double dead_a = largest(a) * opt.dead_fraction, dead_w = largest(w) * opt.dead_fraction;
  std::vector<double> s(std::size_t(r.classes), 1.0);
  for (std::size_t k = 0; k < s.size(); ++k)
    if (a[k] > dead_a && w[k] > dead_w && a[k] > 0 && w[k] > 0)
      s[k] = clamp_scale(std::pow(w[k], 1.0 - opt.alpha) / std::pow(a[k], opt.alpha), 1.0 / opt.max_scale, opt.max_scale);
  return s;
}

// The statistics of every value the set rescales, rescaled with it.
template <ir_graph G>
void rescale_statistics(const G& g, const region<vertex_t<G>>& r, const std::vector<double>& s, statistics& stats) {
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    channel_range* cr = ranges_of(g, r, i, stats);
    if (!cr) continue;
    const auto f = member_factors(r.value_classes[i], s, false);
    for (std::size_t c = 0; c < f.size(); ++c) {
      cr->min[c] *= f[c];
      cr->max[c] *= f[c];
    }
  }
}

}  // namespace detail

// Per-channel ranges of every value a set of `p` rescales, observed by running
// the reference executor on each of `inputs`.
template <ir_graph G>
statistics calibrate(const G& g, const pairing<vertex_t<G>>& p, std::span<const exec::tensor_map> inputs) {
  using T = ir_traits<G>;
  std::map<std::string, bool, std::less<>> channels_last;  // the values to observe
  for (const auto& r : p.sets)
    for (const auto& v : r.values) channels_last[std::string(T::value(g, v.node, v.port).name)] = r.channels_last;
  statistics stats;
  exec::execute_options opt;
  opt.observe = [&](const std::string& name, const tensor& t) {
    const auto it = channels_last.find(name);
    if (it == channels_last.end() || t.rank() == 0) return;
    const std::int64_t rank = std::int64_t(t.rank());
    const std::int64_t axis = it->second ? rank - 1 : std::min<std::int64_t>(1, rank - 1);
    auto lo = reduce_along(t, axis, axis_reduction::min), hi = reduce_along(t, axis, axis_reduction::max);
    auto [at, fresh] = stats.try_emplace(name, channel_range{lo, hi});
    if (!fresh)
      for (std::size_t c = 0; c < lo.size() && c < at->second.min.size(); ++c) {
        at->second.min[c] = std::min(at->second.min[c], lo[c]);
        at->second.max[c] = std::max(at->second.max[c], hi[c]);
      }
  };
  for (const auto& in : inputs) (void)exec::execute(g, in, opt);
  return stats;
}

// Finds the sets of g under Target and equalizes them with opt.policy. `stats`
// (from calibrate) is required by the activation and smoothquant policies and is
// updated in place: afterwards it describes the equalized graph. Throws (leaving
// g as it was) when an update fails.
template <target::backend_target Target, ir_graph G>
result<vertex_t<G>> equalize(G& g, const Target& target, const options& opt = {}, statistics* stats = nullptr) {
  using V = vertex_t<G>;
  result<V> res;
  const target::scale_limits lim = opt.limits.value_or(target::target_traits<Target>::equalization_limits());
  const auto find = [&] {
    res.sets = find_sets(g, target, {opt.per_channel_clip});
    res.skipped.clear();
    // Sets of unwanted kinds leave the pairing (to `skipped`): indices stay those of res.sets.sets.
    std::vector<region<V>> kept;
    for (auto& r : res.sets.sets) {
      if (opt.wants(r.kind)) kept.push_back(std::move(r));
      else res.skipped.push_back({describe(g, r.parents.front()), r.kind, "not selected (options)"});
    }
    res.sets.sets = std::move(kept);
  };
  find();
  rewriter<G> rw(g);
  const std::size_t cp = rw.checkpoint();
  bool split = false;
  try {
    // Clips first: the sets are the same after, with Min/Max bounds in their place.
    for (const auto& r : res.sets.sets) {
      detail::split_clips(rw, r);
      split = split || !r.clips.empty();
    }
    if (split) find();
    std::vector<applied_set> applied(res.sets.sets.size());
    std::vector<bool> done(res.sets.sets.size(), false);
    for (std::size_t i = 0; i < applied.size(); ++i) applied[i].set = i;
    const auto record = [&](std::size_t i, const std::vector<double>& s) {
      done[i] = true;
      for (double x : s) {
        applied[i].min_scale = std::min(applied[i].min_scale, x);
        applied[i].max_scale = std::max(applied[i].max_scale, x);
      }
    };
    if (opt.policy == scale_policy::weight) {
      // Cumulative scales per set, for the report.
      std::vector<std::vector<double>> total(res.sets.sets.size());
      for (std::size_t i = 0; i < total.size(); ++i) total[i].assign(std::size_t(res.sets.sets[i].classes), 1.0);
      for (res.sweeps = 1; res.sweeps <= opt.max_sweeps; ++res.sweeps) {
        double moved = 0;
        for (std::size_t i = 0; i < res.sets.sets.size(); ++i) {
          const auto& r = res.sets.sets[i];
          auto s = detail::weight_scales(rw.graph(), r, opt);
          for (std::size_t k = 0; k < s.size(); ++k) {
            // max_scale bounds what a set does in all, not per sweep (the bias grows with it).
            const double t = detail::clamp_scale(total[i][k] * s[k], 1.0 / opt.max_scale, opt.max_scale);
            s[k] = t / total[i][k];
            total[i][k] = t;
            moved = std::max(moved, std::abs(std::log(s[k])));
          }
          detail::apply_scales(rw, r, s);
          if (stats) detail::rescale_statistics(rw.graph(), r, s, *stats);
        }
        if (moved < opt.tolerance) break;
      }
      res.sweeps = std::min(res.sweeps, opt.max_sweeps);
      for (std::size_t i = 0; i < total.size(); ++i) record(i, total[i]);
    } else {
      if (!stats) throw error(std::string("the ") + std::string(to_string(opt.policy)) + " policy needs calibration statistics");
      res.sweeps = 1;
      for (std::size_t i = 0; i < res.sets.sets.size(); ++i) {
        const auto& r = res.sets.sets[i];
        std::optional<std::vector<double>> s;
        if (opt.policy == scale_policy::activation) {
          s = opt.rule == options::activation_rule::sima ? detail::sima_scales(rw.graph(), r, *stats, lim)
                                                          : detail::activation_scales(rw.graph(), r, *stats, lim);
        } else {
          s = detail::smoothquant_scales(rw.graph(), r, *stats, opt);
        }
        if (!s) {
          res.skipped.push_back({describe(rw.graph(), r.parents.front()), r.kind, "no calibration statistics for its values"});
          continue;
        }
        detail::apply_scales(rw, r, *s);
        detail::rescale_statistics(rw.graph(), r, *s, *stats);
        record(i, *s);
      }
    }
    for (std::size_t i = 0; i < applied.size(); ++i)
      if (done[i]) res.applied.push_back(applied[i]);
  } catch (...) {
    rw.rollback(cp);
    throw;
  }
  if (split) {
    // The erased Clips leave the graph; a vecS IR renumbers its vertices then, so
    // the sets are found again (the same sets, in the same order).
    rw.flush();
    auto skipped = std::move(res.skipped);
    find();
    res.skipped = std::move(skipped);
  } else {
    rw.commit();
  }
  return res;
}

}  // namespace nnrewrite::equalize
