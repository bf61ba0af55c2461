// Any nnrewrite IR -> onnx::ModelProto, keeping what the import kept: names, doc
// strings, metadata, opset imports, producer, QONNX annotations.
#pragma once

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <set>
#include <string>

#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/traits.hpp"
#include "nnrewrite/onnx/tensor_proto.hpp"

namespace nnrewrite::onnx_io {

namespace detail {

// "NCHW" -> "['N', 'C', 'H', 'W']" (QONNX's form); a layout kept verbatim stays so.
inline std::string format_layout(const std::string& layout) {
  if (!layout.empty() && layout.front() == '[') return layout;
  std::string r = "[";
  for (std::size_t i = 0; i < layout.size(); ++i) r += std::string(i ? ", " : "") + "'" + layout[i] + "'";
  return r + "]";
}

inline void fill_value_info(onnx::ValueInfoProto& p, const value_info& v, const std::string& name) {
  p.set_name(name);
  auto* tt = p.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(to_onnx_elem_type(v.elem));
  if (!v.shape) return;
  auto* shape = tt->mutable_shape();
  for (const dim& d : *v.shape) {
    auto* x = shape->add_dim();
    if (d.known()) x->set_dim_value(d.size);
    else if (!d.param.empty()) x->set_dim_param(d.param);
  }
}

inline void fill_attribute(onnx::AttributeProto& p, const std::string& name, const attribute& a) {
  using A = onnx::AttributeProto;
  p.set_name(name);
  std::visit([&](const auto& x) {
    using X = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<X, std::int64_t>) { p.set_type(A::INT); p.set_i(x); }
    else if constexpr (std::is_same_v<X, double>) { p.set_type(A::FLOAT); p.set_f(float(x)); }
    else if constexpr (std::is_same_v<X, std::string>) { p.set_type(A::STRING); p.set_s(x); }
    else if constexpr (std::is_same_v<X, std::vector<std::int64_t>>) { p.set_type(A::INTS); for (auto v : x) p.add_ints(v); }
    else if constexpr (std::is_same_v<X, std::vector<double>>) { p.set_type(A::FLOATS); for (auto v : x) p.add_floats(float(v)); }
    else if constexpr (std::is_same_v<X, std::vector<std::string>>) { p.set_type(A::STRINGS); for (const auto& v : x) p.add_strings(v); }
    else { p.set_type(A::TENSOR); *p.mutable_t() = to_tensor_proto(x, ""); }
  }, a);
}

}  // namespace detail

template <ir_graph G>
onnx::ModelProto export_model(const G& g) {
  using T = ir_traits<G>;
  onnx::ModelProto m;
  onnx::GraphProto& graph = *m.mutable_graph();
  std::vector<std::pair<std::string, std::int64_t>> opsets;
  std::vector<std::string> initializer_inputs;
  if constexpr (requires { g.info; }) {
    const model_info& info = g.info;
    m.set_ir_version(info.ir_version);
    m.set_producer_name(info.producer_name);
    m.set_producer_version(info.producer_version);
    m.set_domain(info.domain);
    m.set_model_version(info.model_version);
    m.set_doc_string(info.doc_string);
    graph.set_name(info.graph_name);
    graph.set_doc_string(info.graph_doc_string);
    for (const auto& [k, v] : info.metadata) {
      auto* p = m.add_metadata_props();
      p->set_key(k);
      p->set_value(v);
    }
    opsets = info.opsets;
    initializer_inputs = info.initializer_inputs;
  }
  if (m.ir_version() == 0) m.set_ir_version(8);
  if (m.producer_name().empty()) m.set_producer_name("nnrewrite");
  if (graph.name().empty()) graph.set_name("nnrewrite");

  auto annotate = [&](const value_info& v) {
    if (!v.dtype && v.layout.empty()) return;
    auto* qa = graph.add_quantization_annotation();
    qa->set_tensor_name(v.name);
    if (v.dtype) {
      auto* kv = qa->add_quant_parameter_tensor_names();
      kv->set_key("finn_datatype");
      kv->set_value(v.dtype->name());
    }
    if (!v.layout.empty()) {
      auto* kv = qa->add_quant_parameter_tensor_names();
      kv->set_key("tensor_layout");
      kv->set_value(detail::format_layout(v.layout));
    }
  };

  std::set<std::string> used_domains;
  for (auto in : T::graph_inputs(g)) {
    const value_info& v = T::value(g, in, 0);
    detail::fill_value_info(*graph.add_input(), v, v.name);
    annotate(v);
  }
  for (auto v : nnrewrite::detail::canonical_order(g)) {
    if (T::kind(g, v) == node_kind::constant) {
      const value_info& info = T::value(g, v, 0);
      *graph.add_initializer() = to_tensor_proto(*T::constant_value(g, v), info.name);
      annotate(info);
      if (std::find(initializer_inputs.begin(), initializer_inputs.end(), info.name) != initializer_inputs.end()) {
        value_info as_input = info;
        as_input.shape = to_dims(T::constant_value(g, v)->shape());
        detail::fill_value_info(*graph.add_input(), as_input, info.name);
      }
      continue;
    }
    onnx::NodeProto& n = *graph.add_node();
    n.set_name(std::string(T::name(g, v)));
    n.set_op_type(std::string(T::op_type(g, v)));
    n.set_domain(std::string(T::domain(g, v)));
    if (!n.domain().empty() && n.domain() != "ai.onnx") used_domains.insert(n.domain());
    if constexpr (requires { g[v].doc_string; }) n.set_doc_string(static_cast<const std::string&>(g[v].doc_string));
    for (const auto& o : operands(g, v)) n.add_input(o ? T::value(g, o->node, o->port).name : std::string());
    if constexpr (requires { g.info; })
      for (const auto& d : g.info.dangling_operands) {
        // Written back where it was, if that operand is still absent and ignored.
        if (d.node != T::name(g, v) || d.in_port < 0 ||
            !operand_ignored(T::domain(g, v), T::op_type(g, v), T::attributes(g, v), std::size_t(d.in_port)))
          continue;
        while (n.input_size() <= d.in_port) n.add_input(std::string());
        if (n.input(d.in_port).empty()) n.set_input(d.in_port, d.value);
      }
    for (const auto& [k, a] : T::attributes(g, v)) detail::fill_attribute(*n.add_attribute(), k, a);
    for (int p = 0; p < T::num_outputs(g, v); ++p) {
      const value_info& info = T::value(g, v, p);
      n.add_output(info.name);
      if (info.name.empty()) continue;
      annotate(info);
      // Shapes only where something is known: never invent a type for a value.
      if (info.shape) detail::fill_value_info(*graph.add_value_info(), info, info.name);
    }
  }
  for (auto out : T::graph_outputs(g)) {
    auto o = operand(g, out, 0);
    if (!o) throw graph_error(std::string(T::name(g, out)), "is a graph output with no producer");
    const value_info& v = T::value(g, o->node, o->port);
    const std::string name(T::name(g, out));
    if (name != v.name) {  // ONNX names an output by its value: add an Identity under the output's name
      onnx::NodeProto& id = *graph.add_node();
      id.set_op_type("Identity");
      id.add_input(v.name);
      id.add_output(name);
    }
    detail::fill_value_info(*graph.add_output(), v, name);
  }
  // Graph outputs carry their type in graph.output; drop duplicates from value_info.
  std::set<std::string> outputs;
  for (const auto& o : graph.output()) outputs.insert(o.name());
  auto* vi = graph.mutable_value_info();
  vi->erase(std::remove_if(vi->begin(), vi->end(), [&](const auto& p) { return outputs.count(p.name()) > 0; }), vi->end());

  if (opsets.empty()) opsets.emplace_back("", 13);
  for (const auto& d : used_domains)
    if (std::none_of(opsets.begin(), opsets.end(), [&](const auto& o) { return o.first == d; })) opsets.emplace_back(d, 1);
  for (const auto& [d, v] : opsets) {
    auto* o = m.add_opset_import();
    o->set_domain(d);
    o->set_version(v);
  }
  return m;
}

}  // namespace nnrewrite::onnx_io
