// Route 1 of plugging in your own IR: it already is a Boost graph, with your own
// vertex and edge structs. Specializing nnrewrite::ir_traits is all it takes.
//
// Here the "user" keeps one value per layer, numeric parameters in a map, weights as
// a flat float vector, and a vecS vertex list (descriptors are indices, renumbered
// on erase: nnrewrite only erases through ir_traits::erase_node).
#pragma once

#include <boost/graph/adjacency_list.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nnrewrite/ir/traits.hpp"

namespace user {

struct layer {
  std::string op;                          // "Input", "Output", "Const" or an ONNX op type
  std::string label;                       // layer name, also the name of the value it produces
  std::vector<std::int64_t> shape;         // of that value
  std::string qtype;                       // QONNX type name, "" when plain float
  std::map<std::string, double> params;    // numeric attributes only
  std::vector<float> weights;              // Const layers
};

struct wire {
  int src_slot = 0;
  int dst_slot = 0;
};

using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, layer, wire>;

}  // namespace user

template <>
struct nnrewrite::ir_traits<user::graph> : nnrewrite::default_ir_traits<user::graph> {
  using G = user::graph;
  using vertex = nnrewrite::vertex_t<G>;
  using edge = nnrewrite::edge_t<G>;

  static node_kind kind(const G& g, vertex v) {
    const std::string& op = g[v].op;
    return op == "Input" ? node_kind::input : op == "Output" ? node_kind::output
         : op == "Const" ? node_kind::constant : node_kind::op;
  }
  static std::string_view name(const G& g, vertex v) { return g[v].label; }
  static std::string_view op_type(const G& g, vertex v) { return kind(g, v) == node_kind::op ? std::string_view(g[v].op) : ""; }
  static std::string_view domain(const G&, vertex) { return ""; }
  static attribute_map attributes(const G& g, vertex v) {
    attribute_map m;
    for (const auto& [k, x] : g[v].params) m.emplace(k, x);
    return m;
  }
  static std::optional<tensor> constant_value(const G& g, vertex v) {
    if (kind(g, v) != node_kind::constant) return std::nullopt;
    return tensor(element_type::float32, g[v].shape, g[v].weights);
  }
  static int num_outputs(const G& g, vertex v) { return kind(g, v) == node_kind::output ? 0 : 1; }
  static value_info value(const G& g, vertex v, int) {
    value_info info;
    info.name = g[v].label;
    info.shape = to_dims(g[v].shape);
    if (!g[v].qtype.empty()) info.dtype = data_type::parse(g[v].qtype);
    return info;
  }
  static port_pair ports(const G& g, edge e) { return {g[e].src_slot, g[e].dst_slot}; }

  static void set_name(G& g, vertex v, std::string s) { g[v].label = std::move(s); }
  static void set_attribute(G& g, vertex v, std::string name, attribute a) {
    if (auto* i = std::get_if<std::int64_t>(&a)) g[v].params[name] = double(*i);
    else if (auto* d = std::get_if<double>(&a)) g[v].params[name] = *d;
    else throw type_error("user::graph keeps numeric attributes only; '" + name + "' is " + std::string(attribute_kind_name(a)));
  }
  static bool erase_attribute(G& g, vertex v, std::string_view name) { return g[v].params.erase(std::string(name)) > 0; }
  static void set_constant_value(G& g, vertex v, tensor t) {
    g[v].shape = t.shape();
    const tensor f32 = t.cast(element_type::float32);
    auto f = f32.values<float>();
    g[v].weights.assign(f.begin(), f.end());
  }
  static void set_value(G& g, vertex v, int, value_info info) {
    g[v].label = info.name;
    g[v].shape = info.shape ? known_shape(info.shape).value_or(shape_t{}) : shape_t{};
    g[v].qtype = info.dtype ? info.dtype->name() : "";
  }

  static vertex add_op(G& g, std::string_view op, std::string_view domain, std::string name, attribute_map attrs,
                       std::vector<value_info> outs) {
    if (!domain.empty()) throw type_error("user::graph has no op domains ('" + std::string(domain) + "')");
    if (outs.size() != 1) throw type_error("user::graph layers produce exactly one value");
    user::layer l;
    l.op = std::string(op);
    (void)name;  // a layer has one name, its value's; a separate node name is dropped
    vertex v = add_vertex(l, g);
    set_value(g, v, 0, outs[0]);
    for (auto& [k, a] : attrs) set_attribute(g, v, k, a);
    return v;
  }
  static vertex add_constant(G& g, value_info info, tensor t) {
    vertex v = add_vertex(user::layer{"Const", "", {}, "", {}, {}}, g);
    set_value(g, v, 0, info);
    set_constant_value(g, v, std::move(t));
    return v;
  }
  static vertex add_input(G& g, value_info info) {
    vertex v = add_vertex(user::layer{"Input", "", {}, "", {}, {}}, g);
    set_value(g, v, 0, info);
    return v;
  }
  static vertex add_output(G& g, std::string name) { return add_vertex(user::layer{"Output", std::move(name), {}, "", {}, {}}, g); }
  static void connect(G& g, vertex src, int out_port, vertex dst, int in_port) {
    add_edge(src, dst, user::wire{out_port, in_port}, g);
  }
  // erase_node, replace_uses, graph_inputs, graph_outputs: inherited; they use the
  // functions above through ir_traits<user::graph>.
};
