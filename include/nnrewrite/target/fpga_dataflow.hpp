// fpga_dataflow: a FINN-style dataflow backend. Each layer is a hardware block
// working on integers: MatMul/Conv with integer weights on integer inputs,
// MultiThreshold on integer inputs (its output may be scaled and shifted),
// MaxPool, TopK, the Add of two integer streams (a residual join), and the layout
// ops in between. Float arithmetic has no block:
// a float Mul or Add left between two integer layers cannot be mapped; after the
// last one (the head: a scale and bias before TopK) it runs on the host.
#pragma once

#include "nnrewrite/target/target.hpp"

namespace nnrewrite::target {

struct fpga_dataflow {
  static constexpr std::string_view name = "fpga-dataflow";
  static op_role role(std::string_view domain, std::string_view op) { return onnx_role(domain, op); }
  static std::string_view preferred_layout() { return "NHWC"; }
  static bool wants(rule_family) { return true; }

  template <ir_graph G>
  static std::optional<std::string> unmappable(const G& g, vertex_t<G> v, const node_context& c) {
    using T = ir_traits<G>;
    const std::string_view dom = T::domain(g, v), op = T::op_type(g, v);
    const auto in_type = [&](int port) -> std::optional<data_type> {
      const auto o = operand(g, v, port);
      if (!o) return std::nullopt;
      return T::value(g, o->node, o->port).qonnx_type();
    };
    const auto integer = [](const std::optional<data_type>& t) {
      return t && (t->is_integer() || t->type_kind() == data_type::kind::bipolar || t->type_kind() == data_type::kind::ternary);
    };
    switch (role(dom, op)) {
      case op_role::weighted: {
        if (op == "Gemm" || op == "ConvTranspose") return std::string(op) + " has no dataflow block (use MatMul or Conv)";
        if (!integer(in_type(0))) return "its input is " + in_type(0).value_or(data_type::float32()).name() + ", not an integer type";
        const auto w = operand(g, v, 1);
        if (!w || T::kind(g, w->node) != node_kind::constant) return std::string("its weights are not a constant");
        if (!integer(in_type(1))) return "its weights are " + in_type(1).value_or(data_type::float32()).name() + ", not an integer type";
        if (operand(g, v, 2)) return std::string("a bias has no place in the block (absorb it into the next MultiThreshold)");
        return std::nullopt;
      }
      case op_role::activation:
        if (op != "MultiThreshold") return std::string(op) + " must be converted to a MultiThreshold first";
        if (!integer(in_type(0))) return "its input is " + in_type(0).value_or(data_type::float32()).name() + ", not an integer type";
        return std::nullopt;
      case op_role::layout:
        return std::nullopt;
      case op_role::channel_passthrough:
        if (op == "MaxPool" || op == "MaxPoolNHWC" || op == "Identity") return std::nullopt;
        return std::string(op) + " has no dataflow block";
      case op_role::elementwise:
        // A residual join of two integer streams has a block (FINN's AddStreams).
        if (op == "Add" && is_join(g, v) && integer(in_type(0)) && integer(in_type(1))) return std::nullopt;
        if (c.feeds_weighted) return "float " + std::string(op) + " between integer layers (streamline it into a MultiThreshold)";
        return std::nullopt;  // the head, after the last integer layer: on the host
      case op_role::other:
        if (op == "TopK") return std::nullopt;
        if (c.feeds_weighted) return std::string(op) + " has no dataflow block";
        return std::nullopt;
      default:
        return "unknown op " + (dom.empty() ? std::string() : std::string(dom) + ".") + std::string(op);
    }
  }
};

}  // namespace nnrewrite::target
