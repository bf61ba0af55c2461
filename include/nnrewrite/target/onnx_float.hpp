// onnx_float: a float ONNX runtime as an equalization target. Weighted ops are
// Conv, Gemm and MatMul (ONNX's weight layouts); Relu, LeakyRelu, PRelu, MaxPool,
// AveragePool, a zero Pad, Resize/Upsample and Identity commute with a positive
// per-channel scale;
// Add of two activations is a residual join; Concat on the channel axis is a
// channel concat. Activations are NCHW. It maps every ONNX op (it is a float
// runtime), so its legality report lists only ops of other domains.
#pragma once

#include "nnrewrite/target/target.hpp"

namespace nnrewrite::target {

struct onnx_float {
  static constexpr std::string_view name = "onnx";
  static op_role role(std::string_view domain, std::string_view op) {
    if (!is_onnx_domain(domain)) return onnx_role(domain, op);
    if (op == "ConvTranspose") return op_role::other;  // not equalized (yet): its layout differs
    // Resize and Upsample mix values within a channel only (nearest, linear, cubic).
    if (op == "PRelu" || op == "Pad" || op == "Resize" || op == "Upsample") return op_role::channel_passthrough;
    if (op == "Add" || op == "Sum") return op_role::residual_join;
    return onnx_role(domain, op);
  }
  static std::string_view preferred_layout() { return "NCHW"; }
  static std::string_view activation_layout() { return "NCHW"; }
  static bool wants(rule_family) { return false; }  // a float runtime needs no streamlining

  template <ir_graph G>
  static std::optional<std::string> unmappable(const G& g, vertex_t<G> v, const node_context&) {
    using T = ir_traits<G>;
    if (is_onnx_domain(T::domain(g, v))) return std::nullopt;
    return "op of domain '" + std::string(T::domain(g, v)) + "' is not ONNX";
  }
};

}  // namespace nnrewrite::target
