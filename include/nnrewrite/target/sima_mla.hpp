// sima_mla: a SiMa-style ML accelerator IR as an equalization target, after the
// SiMa compiler's channel-scaling pass. Ops live in the domain "sima":
//   ConvAddActivation(x, W, bias) {activation}   weighted; W is [KH, KW, I, G, O]
//                                                (I and O per group, G groups)
//   AddActivation(a, b) {activation}             residual join
//   TupleConcatenate(a, b, ...) {axis}           channel concat (axis 3: NHWC)
//   MaxPool2D, AvgPool2D                         pass-through
// Activations are NHWC. A fused activation must commute with a positive scale:
// "none", "linear" and "relu" do; "relu6" (a clip) does not, so an op fusing it
// cannot be a parent, and a join fusing it blocks. Scales are bounded to [1, 20]
// with eps 1e-30, as in the SiMa compiler.
#pragma once

#include "nnrewrite/target/target.hpp"

namespace nnrewrite::target {

struct sima_mla {
  static constexpr std::string_view name = "sima";
  static constexpr std::string_view domain = "sima";

  static op_role role(std::string_view dom, std::string_view op) {
    if (dom != domain) return onnx_role(dom, op);
    if (op == "ConvAddActivation") return op_role::weighted;
    if (op == "AddActivation") return op_role::residual_join;
    if (op == "TupleConcatenate") return op_role::channel_concat;
    if (op == "MaxPool2D" || op == "AvgPool2D") return op_role::channel_passthrough;
    return op_role::unknown;
  }
  static std::string_view preferred_layout() { return "NHWC"; }
  static std::string_view activation_layout() { return "NHWC"; }
  static scale_limits equalization_limits() { return {1.0, 20.0, 1e-30}; }
  static bool wants(rule_family) { return false; }

  template <ir_graph G>
  static std::optional<weight_layout> weight_layout_of(const G& g, vertex_t<G> v) {
    using T = ir_traits<G>;
    if (T::domain(g, v) != domain || T::op_type(g, v) != "ConvAddActivation") return onnx_weight_layout_of(g, v);
    weight_layout l;
    l.out_axis = 4;
    l.in_axis = 2;
    l.group_axis = 3;
    l.weight_operand = 1;
    l.bias_operand = 2;
    return l;
  }

  template <ir_graph G>
  static std::optional<std::string> scaling_blocker(const G& g, vertex_t<G> v) {
    using T = ir_traits<G>;
    if (T::domain(g, v) != domain) return std::nullopt;
    const std::string act = attribute_or<std::string>(T::attributes(g, v), "activation", "none");
    if (act == "none" || act == "linear" || act == "relu") return std::nullopt;
    return "fuses activation '" + act + "', which a per-channel scale would change";
  }

  template <ir_graph G>
  static std::optional<std::string> unmappable(const G& g, vertex_t<G> v, const node_context&) {
    using T = ir_traits<G>;
    if (T::domain(g, v) == domain && role(domain, T::op_type(g, v)) != op_role::unknown) return std::nullopt;
    return "not a SiMa op";
  }
};

}  // namespace nnrewrite::target
