// onnx::ModelProto -> any nnrewrite IR (nnrewrite::model by default).
//
// Initializers and Constant nodes become constants; graph inputs and outputs become
// input/output vertices; value_info shapes (symbolic dims kept), QONNX
// quantization_annotation (finn_datatype, tensor_layout), node names, domains,
// doc strings and model-level facts (opsets, producer, metadata) are kept.
#pragma once

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/traits.hpp"
#include "nnrewrite/onnx/tensor_proto.hpp"

namespace nnrewrite::onnx_io {

struct import_options {
  std::filesystem::path base_dir;  // where external tensor data lives (the model's directory)
  // Receives what the importer accepts but reports (a dangling operand the op
  // ignores); without it, warnings go to std::cerr.
  std::function<void(const std::string&)> warn;
};

namespace detail {

// QONNX writes layouts as a Python list: "['N', 'C', 'H', 'W']" -> "NCHW". A list
// whose items are not single letters is kept verbatim.
inline std::string parse_layout(const std::string& s) {
  std::string out;
  std::size_t i = 0;
  auto skip = [&] { while (i < s.size() && s[i] == ' ') ++i; };
  skip();
  if (i >= s.size() || s[i] != '[') return s;
  ++i;
  while (true) {
    skip();
    if (i < s.size() && s[i] == ']') return out;
    if (i + 2 >= s.size() || (s[i] != '\'' && s[i] != '"') || s[i + 2] != s[i]) return s;
    out += s[i + 1];
    i += 3;
    skip();
    if (i < s.size() && s[i] == ',') ++i;
    else if (i < s.size() && s[i] == ']') return out;
    else return s;
  }
}

inline attribute from_attribute_proto(const onnx::AttributeProto& a, const std::string& node,
                                      const std::filesystem::path& base_dir) {
  using A = onnx::AttributeProto;
  const std::string where = "node '" + node + "', attribute '" + a.name() + "'";
  if (!a.ref_attr_name().empty()) throw unsupported_error(where + " refers to a function attribute");
  auto type = a.type();
  if (type == A::UNDEFINED) {  // very old writers leave the type out
    type = a.has_f() ? A::FLOAT : a.has_i() ? A::INT : a.has_s() ? A::STRING : a.has_t() ? A::TENSOR
         : a.has_g() ? A::GRAPH : a.floats_size() ? A::FLOATS : a.ints_size() ? A::INTS
         : a.strings_size() ? A::STRINGS : A::UNDEFINED;
  }
  switch (type) {
    case A::INT: return std::int64_t(a.i());
    case A::FLOAT: return double(a.f());
    case A::STRING: return a.s();
    case A::INTS: return std::vector<std::int64_t>(a.ints().begin(), a.ints().end());
    case A::FLOATS: return std::vector<double>(a.floats().begin(), a.floats().end());
    case A::STRINGS: return std::vector<std::string>(a.strings().begin(), a.strings().end());
    case A::TENSOR: return from_tensor_proto(a.t(), base_dir);
    case A::GRAPH:
    case A::GRAPHS:
      throw unsupported_error(where + " is a sub-graph: control flow (If, Loop, Scan) is not supported");
    default:
      throw unsupported_error(where + " has type " + std::string(A::AttributeType_Name(type)) + ", which nnrewrite does not handle");
  }
}

inline value_info from_value_info_proto(const onnx::ValueInfoProto& p) {
  value_info info(p.name());
  if (!p.has_type()) return info;
  if (!p.type().has_tensor_type())
    throw unsupported_error("value '" + p.name() + "' is not a tensor (sequence, map or optional types are not supported)");
  const auto& tt = p.type().tensor_type();
  if (tt.elem_type() != 0) {
    auto et = from_onnx_elem_type(tt.elem_type());
    if (!et) throw unsupported_error("value '" + p.name() + "' has " + onnx_elem_type_name(tt.elem_type()) + ", which nnrewrite does not handle");
    info.elem = *et;
  }
  if (tt.has_shape()) {
    dims d;
    for (const auto& x : tt.shape().dim()) {
      if (x.has_dim_value() && x.dim_value() < 0)
        throw shape_error("value '" + p.name() + "' has a negative dimension (" + std::to_string(x.dim_value()) + ")");
      if (x.has_dim_value()) d.emplace_back(x.dim_value());
      else if (x.has_dim_param()) d.emplace_back(x.dim_param());
      else d.emplace_back();
    }
    info.shape = std::move(d);
  }
  return info;
}

}  // namespace detail

// Builds G from a ModelProto. Throws (graph_error naming the node, type_error,
// unsupported_error, ...) for anything it cannot represent faithfully; on error
// nothing is returned, so no half-imported graph exists.
template <ir_graph G = model>
G import_model(const onnx::ModelProto& m, const import_options& opt = {}) {
  using T = ir_traits<G>;
  using V = vertex_t<G>;
  if (!m.has_graph()) throw file_error("the model has no graph");
  const onnx::GraphProto& graph = m.graph();
  G g;
  if constexpr (requires { g.info; }) {
    model_info& info = g.info;
    info.graph_name = graph.name();
    info.graph_doc_string = graph.doc_string();
    info.doc_string = m.doc_string();
    info.producer_name = m.producer_name();
    info.producer_version = m.producer_version();
    info.domain = m.domain();
    info.ir_version = m.ir_version();
    info.model_version = m.model_version();
    for (const auto& o : m.opset_import()) info.opsets.emplace_back(o.domain(), o.version());
    for (const auto& p : m.metadata_props()) info.metadata.emplace_back(p.key(), p.value());
  }

  // What is known about every named value.
  std::unordered_map<std::string, value_info> known;
  for (const auto* list : {&graph.value_info(), &graph.input(), &graph.output()})
    for (const auto& vi : *list) known[vi.name()] = detail::from_value_info_proto(vi);
  for (const auto& qa : graph.quantization_annotation()) {
    value_info& info = known.try_emplace(qa.tensor_name(), value_info(qa.tensor_name())).first->second;
    for (const auto& kv : qa.quant_parameter_tensor_names()) {
      if (kv.key() == "finn_datatype") {
        info.dtype = data_type::try_parse(kv.value());
        if (!info.dtype)
          throw type_error("value '" + qa.tensor_name() + "': unknown finn_datatype '" + kv.value() + "'");
      } else if (kv.key() == "tensor_layout") {
        info.layout = detail::parse_layout(kv.value());
      }
    }
  }
  auto info_of = [&](const std::string& name) {
    auto it = known.find(name);
    return it == known.end() ? value_info(name) : it->second;
  };

  std::unordered_map<std::string, value_ref<V>> producer_of;
  auto define = [&](const std::string& name, V v, int port, const std::string& by) {
    if (name.empty()) return;
    if (!producer_of.emplace(name, value_ref<V>{v, port}).second)
      throw graph_error(by, "produces value '" + name + "', which is already produced elsewhere");
  };

  for (const auto& init : graph.initializer()) {
    tensor t = from_tensor_proto(init, opt.base_dir);
    value_info info = info_of(init.name());
    define(init.name(), T::add_constant(g, std::move(info), std::move(t)), 0, "initializer " + init.name());
  }
  std::unordered_map<std::string, int> input_seen;
  for (const auto& in : graph.input())
    if (++input_seen[in.name()] == 2) throw graph_error(in.name(), "is listed twice as a graph input");
  for (const auto& in : graph.input()) {
    if (producer_of.count(in.name())) {  // an initializer listed as an input: an input with a default
      if constexpr (requires { g.info; }) g.info.initializer_inputs.push_back(in.name());
      continue;
    }
    define(in.name(), T::add_input(g, info_of(in.name())), 0, "graph input " + in.name());
  }

  struct pending {
    V node;
    std::string label;
    std::vector<std::string> operands;
  };
  std::vector<pending> wiring;
  for (const auto& n : graph.node()) {
    const std::string label = n.name().empty() ? n.op_type() + " producing '" + (n.output_size() ? n.output(0) : "") + "'" : n.name();
    if (n.op_type().empty()) throw graph_error(label, "has no op type");
    const bool onnx_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (n.op_type() == "Constant" && onnx_domain) {
      if (n.output_size() != 1 || n.attribute_size() != 1)
        throw graph_error(label, "a Constant needs exactly one output and one value attribute");
      const auto& a = n.attribute(0);
      attribute val = detail::from_attribute_proto(a, label, opt.base_dir);
      // The attribute's name says what its type must be; a file may disagree.
      auto as = [&]<class X>(X*, const char* kind) -> const X& {
        if (const X* x = std::get_if<X>(&val)) return *x;
        throw graph_error(label, "Constant attribute '" + a.name() + "' must be " + kind + ", is " +
                                     std::string(attribute_kind_name(val)));
      };
      tensor t;
      if (a.name() == "value") t = as((tensor*)nullptr, "a tensor");
      else if (a.name() == "value_float") t = tensor::scalar(as((double*)nullptr, "a float"));
      else if (a.name() == "value_int") t = tensor::scalar(double(as((std::int64_t*)nullptr, "an int")), element_type::int64);
      else if (a.name() == "value_floats") {
        const auto& v = as((std::vector<double>*)nullptr, "floats");
        t = tensor(element_type::float32, {std::int64_t(v.size())}, v);
      } else if (a.name() == "value_ints") {
        const auto& v = as((std::vector<std::int64_t>*)nullptr, "ints");
        t = tensor(element_type::int64, {std::int64_t(v.size())}, v);
      } else throw unsupported_error("node '" + label + "': Constant with '" + a.name() + "' is not supported");
      define(n.output(0), T::add_constant(g, info_of(n.output(0)), std::move(t)), 0, label);
      continue;
    }
    attribute_map attrs;
    for (const auto& a : n.attribute()) attrs.insert_or_assign(a.name(), detail::from_attribute_proto(a, label, opt.base_dir));
    std::vector<value_info> outs;
    for (const auto& o : n.output()) outs.push_back(o.empty() ? value_info() : info_of(o));
    V v = T::add_op(g, n.op_type(), n.domain(), n.name(), std::move(attrs), std::move(outs));
    if constexpr (requires { g[v].doc_string; }) g[v].doc_string = n.doc_string();
    for (int i = 0; i < n.output_size(); ++i) define(n.output(i), v, i, label);
    wiring.push_back({v, label, {n.input().begin(), n.input().end()}});
  }
  for (const auto& w : wiring) {
    for (std::size_t i = 0; i < w.operands.size(); ++i) {
      if (w.operands[i].empty()) continue;  // an absent optional operand
      auto it = producer_of.find(w.operands[i]);
      if (it == producer_of.end()) {
        if (!operand_ignored(T::domain(g, w.node), T::op_type(g, w.node), T::attributes(g, w.node), i))
          throw graph_error(w.label, "reads value '" + w.operands[i] + "', which no node, input or initializer produces");
        const std::string message = "node '" + w.label + "' reads value '" + w.operands[i] +
                                    "', which nothing produces; " + std::string(T::op_type(g, w.node)) +
                                    " ignores operand " + std::to_string(i) + ", so it is left absent";
        if (opt.warn) opt.warn(message);
        else std::cerr << "nnrewrite: warning: " << message << "\n";
        if constexpr (requires { g.info; })
          g.info.dangling_operands.push_back({std::string(T::name(g, w.node)), static_cast<int>(i), w.operands[i]});
        continue;
      }
      T::connect(g, it->second.node, it->second.port, w.node, static_cast<int>(i));
    }
  }
  for (const auto& out : graph.output()) {
    auto it = producer_of.find(out.name());
    if (it == producer_of.end()) throw graph_error(out.name(), "is a graph output that nothing produces");
    T::connect(g, it->second.node, it->second.port, T::add_output(g, out.name()), 0);
  }
  return g;
}

}  // namespace nnrewrite::onnx_io
