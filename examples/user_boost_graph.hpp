// Route 1 of plugging in your own IR: it already is a Boost graph, with your own
// vertex and edge structs. Specializing nnrewrite::ir_traits is all it takes.
//
// Here the "user" keeps one value per layer, parameters in maps by kind, weights as
// a flat float vector (integer constants such as shapes as an int vector), and a
// vecS vertex list (descriptors are indices, renumbered on erase: nnrewrite only
// erases through ir_traits::erase_node). Constants are handed to nnrewrite as a
// tensor built on request (std::optional<tensor>), values likewise by value.
#pragma once

#include <boost/graph/adjacency_list.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nnrewrite/ir/traits.hpp"

namespace user {

struct layer {
  std::string op;                          // "Input", "Output", "Const" or an op type
  std::string label;                       // layer name, also the name of the value it produces
  std::vector<std::int64_t> shape;         // of that value
  std::string qtype;                       // QONNX type name, "" when plain float
  std::map<std::string, double> params;    // numeric attributes
  std::vector<float> weights;              // float Const layers
  std::string domain;                      // op domain, "" for ONNX
  std::string layout;                      // e.g. "NCHW", "" when unknown
  std::map<std::string, std::string> text_params;              // string attributes
  std::map<std::string, std::vector<std::int64_t>> int_lists;  // integer-list attributes
  std::vector<std::int64_t> ints;          // integer Const layers (shapes, axes)
  bool integer = false;                    // a Const layer holding ints
  bool shape_known = true;                 // false: not even the rank is known (-1 marks an unknown dim)
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
  static std::string_view domain(const G& g, vertex v) { return g[v].domain; }
  static attribute_map attributes(const G& g, vertex v) {
    attribute_map m;
    for (const auto& [k, x] : g[v].params) m.emplace(k, x);
    for (const auto& [k, x] : g[v].text_params) m.emplace(k, x);
    for (const auto& [k, x] : g[v].int_lists) m.emplace(k, x);
    return m;
  }
  static std::optional<tensor> constant_value(const G& g, vertex v) {
    if (kind(g, v) != node_kind::constant) return std::nullopt;
    if (g[v].integer) return tensor(element_type::int64, g[v].shape, g[v].ints);
    return tensor(element_type::float32, g[v].shape, g[v].weights);
  }
  static int num_outputs(const G& g, vertex v) { return kind(g, v) == node_kind::output ? 0 : 1; }
  static value_info value(const G& g, vertex v, int) {
    value_info info;
    info.name = g[v].label;
    if (g[v].integer) info.elem = element_type::int64;
    if (g[v].shape_known) {
      info.shape.emplace();
      for (auto d : g[v].shape) info.shape->push_back(d >= 0 ? dim(d) : dim());
    }
    if (!g[v].qtype.empty()) info.dtype = data_type::parse(g[v].qtype);
    info.layout = g[v].layout;
    return info;
  }
  static port_pair ports(const G& g, edge e) { return {g[e].src_slot, g[e].dst_slot}; }

  static void set_name(G& g, vertex v, std::string s) { g[v].label = std::move(s); }
  // Numbers, strings and integer lists; an int attribute comes back as a float
  // (this user's IR does not tell them apart; attribute_or reads either).
  static void set_attribute(G& g, vertex v, std::string name, attribute a) {
    erase_attribute(g, v, name);
    if (auto* i = std::get_if<std::int64_t>(&a)) g[v].params[name] = double(*i);
    else if (auto* d = std::get_if<double>(&a)) g[v].params[name] = *d;
    else if (auto* s = std::get_if<std::string>(&a)) g[v].text_params[name] = *s;
    else if (auto* l = std::get_if<std::vector<std::int64_t>>(&a)) g[v].int_lists[name] = *l;
    else throw type_error("user::graph keeps numbers, strings and integer lists only; '" + name + "' is " + std::string(attribute_kind_name(a)));
  }
  static bool erase_attribute(G& g, vertex v, std::string_view name) {
    const std::string k(name);
    return g[v].params.erase(k) + g[v].text_params.erase(k) + g[v].int_lists.erase(k) > 0;
  }
  // Floats are kept as float32, integers as int64; other element types are refused
  // (and said so up front, for rules that would like another type).
  static bool holds_constants_of(element_type e) { return e == element_type::float32 || e == element_type::int64; }
  static void set_constant_value(G& g, vertex v, tensor t) {
    const bool integer = std::holds_alternative<tensor::i64_array>(t.data());
    if (t.type() != (integer ? element_type::int64 : element_type::float32))
      throw type_error("user::graph keeps float32 and int64 constants only, not " + std::string(to_string(t.type())));
    g[v].shape = t.shape();
    g[v].shape_known = true;
    g[v].integer = integer;
    if (integer) {
      auto i = t.values<std::int64_t>();
      g[v].ints.assign(i.begin(), i.end());
      g[v].weights.clear();
    } else {
      auto f = t.values<float>();
      g[v].weights.assign(f.begin(), f.end());
      g[v].ints.clear();
    }
  }
  static void set_value(G& g, vertex v, int, value_info info) {
    g[v].label = info.name;
    g[v].shape_known = info.shape.has_value();
    g[v].shape.clear();
    if (info.shape)
      for (const dim& d : *info.shape) g[v].shape.push_back(d.known() ? d.size : -1);  // a symbolic name is dropped
    g[v].qtype = info.dtype ? info.dtype->name() : "";
    g[v].layout = info.layout;
  }

  static vertex add_op(G& g, std::string_view op, std::string_view domain, std::string name, attribute_map attrs,
                       std::vector<value_info> outs) {
    if (outs.size() != 1) throw type_error("user::graph layers produce exactly one value");
    if (outs[0].elem != element_type::float32)
      throw type_error("user::graph layers produce float32 values, not " + std::string(to_string(outs[0].elem)));
    user::layer l;
    l.op = std::string(op);
    l.domain = std::string(domain);
    (void)name;  // a layer has one name, its value's; a separate node name is dropped
    vertex v = add_vertex(l, g);
    set_value(g, v, 0, outs[0]);
    try {
      for (auto& [k, a] : attrs) set_attribute(g, v, k, a);
    } catch (...) {
      remove_vertex(v, g);  // the last vertex: no other descriptor changes
      throw;
    }
    return v;
  }
  static vertex add_constant(G& g, value_info info, tensor t) {
    user::layer l;
    l.op = "Const";
    vertex v = add_vertex(l, g);
    set_value(g, v, 0, info);
    try {
      set_constant_value(g, v, std::move(t));
    } catch (...) {
      remove_vertex(v, g);  // refused: leave no half-made layer behind
      throw;
    }
    return v;
  }
  static vertex add_input(G& g, value_info info) {
    if (info.elem != element_type::float32)
      throw type_error("user::graph inputs are float32, not " + std::string(to_string(info.elem)));
    user::layer l;
    l.op = "Input";
    vertex v = add_vertex(l, g);
    set_value(g, v, 0, info);
    return v;
  }
  static vertex add_output(G& g, std::string name) {
    user::layer l;
    l.op = "Output";
    l.label = std::move(name);
    return add_vertex(l, g);
  }
  static void connect(G& g, vertex src, int out_port, vertex dst, int in_port) {
    add_edge(src, dst, user::wire{out_port, in_port}, g);
  }
  // erase_node, replace_uses, graph_inputs, graph_outputs: inherited; they use the
  // functions above through ir_traits<user::graph>.
};
