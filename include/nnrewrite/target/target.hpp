// Targets: what a backend can map, described the way ir_traits describes an IR.
//
// A target is a type T with a specialization of target_traits<T> (or the members
// themselves, for target_traits' primary template to forward to):
//
//   static constexpr std::string_view name;              "fpga-dataflow", ...
//   static op_role role(std::string_view domain, std::string_view op_type);
//                                                        what the op is to rules and to
//                                                        equalization (weighted, pass-through,
//                                                        join, concat, ...)
//   static std::string_view preferred_layout();          "NCHW", "NHWC"
//   static bool wants(rule_family f);                    which streamlining families to run
//   template <ir_graph G>
//   static std::optional<std::string> unmappable(const G&, vertex_t<G> v, const node_context&);
//                                                        nullopt when the backend maps op v,
//                                                        else why not
//
// Optional, for channel equalization (defaults: ONNX's conventions):
//   static std::string_view activation_layout();         where activations keep their
//                                                        channels: "NCHW" (axis 1, default)
//                                                        or "NHWC" (last axis)
//   static scale_limits equalization_limits();           bounds of activation-based scales
//   template <ir_graph G>
//   static std::optional<weight_layout> weight_layout_of(const G&, vertex_t<G> v);
//                                                        where a weighted op keeps its
//                                                        channels (default onnx_weight_layout)
//   template <ir_graph G>
//   static std::optional<std::string> scaling_blocker(const G&, vertex_t<G> v);
//                                                        why op v's result cannot be scaled
//                                                        per channel though its role says it
//                                                        can (a fused ReLU6), or nullopt
//
// legality_report(g, target) runs `unmappable` over every op and lists what the
// backend cannot map, with the reason. onnx_role gives the roles of ONNX's ops;
// a target starts from it and overrides what differs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/weights.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite::target {

enum class op_role : std::uint8_t {
  weighted,             // Conv, ConvTranspose, Gemm, MatMul: channels scaled through the weights
  channel_passthrough,  // positively homogeneous per channel: Relu, MaxPool, AveragePool, ...
  residual_join,        // Add of two non-constant values
  channel_concat,       // Concat
  activation,           // MultiThreshold, Quant: where values become integers
  layout,               // Reshape, Transpose, Flatten, Squeeze, Unsqueeze, ...
  elementwise,          // Mul, Add, Sub, Div, ... by constants
  other,                // anything else a target may still map (TopK, Softmax, ...)
  unknown,              // an op the target knows nothing about
};

inline constexpr std::string_view to_string(op_role r) {
  constexpr std::string_view names[] = {"weighted", "channel pass-through", "residual join", "channel concat", "activation",
                                        "layout", "elementwise", "other", "unknown"};
  return names[static_cast<int>(r)];
}

// The streamlining rule families (streamline/*.hpp): the QONNX front end,
// arithmetic normalisation, absorption into thresholds and weights, moving linear
// ops, threshold rounding, moving ops past forks and joins (residual networks),
// moving and folding layout ops, and turning NCHW ops between Transposes into a
// dataflow target's NHWC ops (MaxPoolNHWC).
enum class rule_family : std::uint8_t { qonnx, normalize, absorb, reorder, thresholds, fork_join, layout, nhwc };

inline constexpr std::string_view to_string(rule_family f) {
  constexpr std::string_view names[] = {"qonnx", "normalize", "absorb", "reorder", "thresholds", "fork_join", "layout", "nhwc"};
  return names[static_cast<int>(f)];
}

// The roles of ONNX's and QONNX's ops, as most targets see them.
inline op_role onnx_role(std::string_view domain, std::string_view op) {
  auto any = [&](std::initializer_list<std::string_view> ops) {
    for (auto o : ops)
      if (op == o) return true;
    return false;
  };
  if (is_qonnx_domain(domain)) {
    if (any({"MultiThreshold", "Quant", "IntQuant", "BipolarQuant", "Trunc"})) return op_role::activation;
    if (any({"Im2Col"})) return op_role::layout;
    if (any({"MaxPoolNHWC"})) return op_role::channel_passthrough;
    return op_role::unknown;
  }
  if (!is_onnx_domain(domain)) return op_role::unknown;
  if (any({"Conv", "ConvTranspose", "Gemm", "MatMul"})) return op_role::weighted;
  if (any({"Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Identity", "LeakyRelu", "Dropout"}))
    return op_role::channel_passthrough;
  if (any({"Concat"})) return op_role::channel_concat;
  if (any({"Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Split", "Expand", "Pad", "Resize",
           "Upsample"}))
    return op_role::layout;
  if (any({"Add", "Sub", "Mul", "Div", "Neg", "BatchNormalization", "Sign", "Clip", "Min", "Max"})) return op_role::elementwise;
  return op_role::other;
}

// What legality checks may want to know about an op beyond the op itself,
// computed once per graph by legality_report.
struct node_context {
  bool feeds_weighted = false;  // some weighted op or activation is downstream of it
};

// Bounds of activation-based equalization scales (Meller et al.; the SiMa compiler
// uses [1, 20] and eps 1e-30): s = clamp(M / (m + eps), min, max).
struct scale_limits {
  double min = 1.0;
  double max = 20.0;
  double epsilon = 1e-30;
};

// ONNX's weight layout of op v, read from its weight operand's shape.
template <ir_graph G>
std::optional<weight_layout> onnx_weight_layout_of(const G& g, vertex_t<G> v) {
  using T = ir_traits<G>;
  const std::string_view op = T::op_type(g, v);
  const auto w = operand(g, v, 1);
  if (!w) return std::nullopt;
  std::size_t rank = 0;
  if (const auto c = T::constant_value(g, w->node)) rank = c->shape().size();
  else if (const auto& s = T::value(g, w->node, w->port).shape) rank = s->size();
  else return std::nullopt;
  if (!is_onnx_domain(T::domain(g, v))) return std::nullopt;
  return onnx_weight_layout(op, T::attributes(g, v), rank);
}

// The primary template is empty; for a T with the members itself, target_traits
// forwards to them. (So asking backend_target<X> of any X is a clean "no".)
template <class T>
struct target_traits {};

template <class T>
  requires requires { T::name; }
struct target_traits<T> {
  static constexpr std::string_view name = T::name;
  static op_role role(std::string_view domain, std::string_view op) { return T::role(domain, op); }
  static std::string_view preferred_layout() { return T::preferred_layout(); }
  static bool wants(rule_family f) { return T::wants(f); }
  template <ir_graph G>
  static std::optional<std::string> unmappable(const G& g, vertex_t<G> v, const node_context& c) {
    return T::unmappable(g, v, c);
  }
  static std::string_view activation_layout() {
    if constexpr (requires { T::activation_layout(); }) return T::activation_layout();
    else return "NCHW";
  }
  static scale_limits equalization_limits() {
    if constexpr (requires { T::equalization_limits(); }) return T::equalization_limits();
    else return {};
  }
  template <ir_graph G>
  static std::optional<weight_layout> weight_layout_of(const G& g, vertex_t<G> v) {
    if constexpr (requires { T::template weight_layout_of<G>(g, v); }) return T::template weight_layout_of<G>(g, v);
    else return onnx_weight_layout_of(g, v);
  }
  template <ir_graph G>
  static std::optional<std::string> scaling_blocker(const G& g, vertex_t<G> v) {
    if constexpr (requires { T::template scaling_blocker<G>(g, v); }) return T::template scaling_blocker<G>(g, v);
    else return std::nullopt;
  }
};

template <class T>
concept backend_target = requires(std::string_view s, rule_family f) {
  { target_traits<T>::name } -> std::convertible_to<std::string_view>;
  { target_traits<T>::role(s, s) } -> std::same_as<op_role>;
  { target_traits<T>::preferred_layout() } -> std::convertible_to<std::string_view>;
  { target_traits<T>::wants(f) } -> std::same_as<bool>;
};

struct illegal_node {
  std::string node;    // describe() of the node
  std::string op;      // domain.op_type
  std::string reason;  // why the target cannot map it
};

// Every op of g the target cannot map, in topological order.
template <backend_target Target, ir_graph G>
std::vector<illegal_node> legality_report(const G& g, const Target& = {}) {
  using T = ir_traits<G>;
  using TT = target_traits<Target>;
  const auto order = topological_order(g);
  // One reverse sweep: does a weighted op or an activation lie downstream?
  nnrewrite::detail::per_vertex<G, bool> feeds(g);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    bool f = false;
    for (auto u : consumers(g, *it)) {
      if (T::kind(g, u) != node_kind::op) continue;
      const op_role r = TT::role(T::domain(g, u), T::op_type(g, u));
      f = f || r == op_role::weighted || r == op_role::activation || feeds[u];
    }
    feeds[*it] = f;
  }
  std::vector<illegal_node> r;
  for (auto v : order) {
    if (T::kind(g, v) != node_kind::op) continue;
    node_context c;
    c.feeds_weighted = feeds[v];
    if (auto why = TT::template unmappable<G>(g, v, c)) {
      const std::string_view dom = T::domain(g, v);
      r.push_back({describe(g, v), (dom.empty() ? "" : std::string(dom) + ".") + std::string(T::op_type(g, v)), std::move(*why)});
    }
  }
  return r;
}

}  // namespace nnrewrite::target
