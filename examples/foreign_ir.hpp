// Route 2 of plugging in your own IR: it is not a Boost graph at all. Here, a net
// in the shape of many Python-born compilers (the SiMa compiler's AwesomeNet among
// them): a map of named nodes, each with an op object and the names of its input
// nodes. It becomes a Boost graph by specializing boost::graph_traits and writing
// the free functions next to it (as boost/graph/vector_as_graph.hpp does for a
// vector of lists), and then an nnrewrite IR by specializing ir_traits.
//
// Each node produces one value named like the node. Graph inputs are "placeholder"
// nodes, constants "const" nodes, graph outputs "output" nodes keyed "output/<name>".
// This IR stores only input names, so out-edges are found by scanning every node
// (O(N) per call); a production adapter would keep a consumer index.
#pragma once

#include <boost/graph/graph_traits.hpp>
#include <boost/iterator/iterator_facade.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nnrewrite/ir/traits.hpp"

namespace awesome {

struct op_object {
  std::string type;                                 // "placeholder", "const", "output" or an op type
  std::string domain;                               // "" for ONNX ops
  std::map<std::string, nnrewrite::attribute> params;
  std::optional<nnrewrite::tensor> data;            // "const" only
};

struct node {
  std::string name;
  op_object op;
  std::vector<std::string> input_node_names;        // "" marks an absent optional operand
  std::vector<std::int64_t> shape;                  // -1: an unknown dimension
  std::string qtype;                                // QONNX data type name, "" when float
  std::string layout;
  bool shape_known = true;                          // false: not even the rank is known
  nnrewrite::element_type elem = nnrewrite::element_type::float32;
};

struct net {
  std::map<std::string, node> nodes;
  std::vector<std::string> input_names;             // graph input order
  std::vector<std::string> output_names;            // keys of the output nodes, in order
  std::size_t next_id = 0;                          // for names of nodes made by add_vertex

  node* find(const std::string& name) {
    auto it = nodes.find(name);
    return it == nodes.end() ? nullptr : &it->second;
  }
};

// An edge: operand `slot` of `dst` is the value of `src`.
struct edge {
  node* src = nullptr;
  node* dst = nullptr;
  int slot = 0;
  friend bool operator==(const edge&, const edge&) = default;
};

class vertex_iterator : public boost::iterator_facade<vertex_iterator, node*, std::forward_iterator_tag, node*> {
 public:
  vertex_iterator() = default;
  explicit vertex_iterator(std::map<std::string, node>::iterator it) : it_(it) {}

 private:
  friend class boost::iterator_core_access;
  node* dereference() const { return &it_->second; }
  bool equal(const vertex_iterator& o) const { return it_ == o.it_; }
  void increment() { ++it_; }
  std::map<std::string, node>::iterator it_;
};

// Operands of one node, in slot order, skipping absent ones.
class in_edge_iterator : public boost::iterator_facade<in_edge_iterator, edge, std::forward_iterator_tag, edge> {
 public:
  in_edge_iterator() = default;
  in_edge_iterator(net* g, node* v, std::size_t i) : g_(g), v_(v), i_(i) { skip(); }

 private:
  friend class boost::iterator_core_access;
  edge dereference() const { return {g_->find(v_->input_node_names[i_]), v_, static_cast<int>(i_)}; }
  bool equal(const in_edge_iterator& o) const { return v_ == o.v_ && i_ == o.i_; }
  void increment() { ++i_; skip(); }
  void skip() {
    while (v_ && i_ < v_->input_node_names.size() && v_->input_node_names[i_].empty()) ++i_;
  }
  net* g_ = nullptr;
  node* v_ = nullptr;
  std::size_t i_ = 0;
};

// Uses of one node's value: every (node, slot) naming it.
class out_edge_iterator : public boost::iterator_facade<out_edge_iterator, edge, std::forward_iterator_tag, edge> {
 public:
  out_edge_iterator() = default;
  out_edge_iterator(net* g, node* v, bool at_end) : g_(g), v_(v), it_(at_end ? g->nodes.end() : g->nodes.begin()) { skip(); }

 private:
  friend class boost::iterator_core_access;
  edge dereference() const { return {v_, &it_->second, static_cast<int>(slot_)}; }
  bool equal(const out_edge_iterator& o) const { return it_ == o.it_ && slot_ == o.slot_; }
  void increment() { ++slot_; skip(); }
  void skip() {
    for (; it_ != g_->nodes.end(); ++it_, slot_ = 0)
      for (; slot_ < it_->second.input_node_names.size(); ++slot_)
        if (it_->second.input_node_names[slot_] == v_->name) return;
    slot_ = 0;
  }
  net* g_ = nullptr;
  node* v_ = nullptr;
  std::map<std::string, node>::iterator it_;
  std::size_t slot_ = 0;
};

}  // namespace awesome

namespace boost {
template <>
struct graph_traits<awesome::net> {
  using vertex_descriptor = awesome::node*;
  using edge_descriptor = awesome::edge;
  using directed_category = bidirectional_tag;
  using edge_parallel_category = allow_parallel_edge_tag;
  struct traversal_category : bidirectional_graph_tag, vertex_list_graph_tag {};
  using vertex_iterator = awesome::vertex_iterator;
  using out_edge_iterator = awesome::out_edge_iterator;
  using in_edge_iterator = awesome::in_edge_iterator;
  using vertices_size_type = std::size_t;
  using edges_size_type = std::size_t;
  using degree_size_type = std::size_t;
  static vertex_descriptor null_vertex() { return nullptr; }
};
}  // namespace boost

namespace awesome {

// The Boost free functions, found by ADL. The graph is taken by const& as Boost
// requires; the iterators need a mutable net for find(), hence the const_casts
// (nothing is modified through them).
inline std::pair<vertex_iterator, vertex_iterator> vertices(const net& g) {
  auto& m = const_cast<net&>(g).nodes;
  return {vertex_iterator(m.begin()), vertex_iterator(m.end())};
}
inline std::size_t num_vertices(const net& g) { return g.nodes.size(); }
inline std::pair<in_edge_iterator, in_edge_iterator> in_edges(node* v, const net& g) {
  auto* n = const_cast<net*>(&g);
  return {in_edge_iterator(n, v, 0), in_edge_iterator(n, v, v->input_node_names.size())};
}
inline std::size_t in_degree(node* v, const net& g) {
  auto [a, b] = in_edges(v, g);
  return static_cast<std::size_t>(std::distance(a, b));
}
inline std::pair<out_edge_iterator, out_edge_iterator> out_edges(node* v, const net& g) {
  auto* n = const_cast<net*>(&g);
  return {out_edge_iterator(n, v, false), out_edge_iterator(n, v, true)};
}
inline std::size_t out_degree(node* v, const net& g) {
  auto [a, b] = out_edges(v, g);
  return static_cast<std::size_t>(std::distance(a, b));
}
inline node* source(const edge& e, const net&) { return e.src; }
inline node* target(const edge& e, const net&) { return e.dst; }

inline node* add_vertex(net& g) {
  std::string name;
  do name = "node_" + std::to_string(g.next_id++);
  while (g.nodes.count(name));
  node& n = g.nodes[name];
  n.name = name;
  return &n;
}
// Appends u as the next operand of v.
inline std::pair<edge, bool> add_edge(node* u, node* v, net&) {
  v->input_node_names.push_back(u->name);
  return {edge{u, v, static_cast<int>(v->input_node_names.size()) - 1}, true};
}
inline void remove_edge(const edge& e, net&) {
  auto& ins = e.dst->input_node_names;
  ins[static_cast<std::size_t>(e.slot)].clear();
  while (!ins.empty() && ins.back().empty()) ins.pop_back();
}
inline void clear_vertex(node* v, net& g) {
  v->input_node_names.clear();
  for (auto& [k, n] : g.nodes)
    for (auto& in : n.input_node_names)
      if (in == v->name) in.clear();
}
inline void remove_vertex(node* v, net& g) {
  std::erase(g.input_names, v->name);
  std::erase(g.output_names, v->name);
  g.nodes.erase(v->name);
}

}  // namespace awesome

template <>
struct nnrewrite::ir_traits<awesome::net> : nnrewrite::default_ir_traits<awesome::net> {
  using G = awesome::net;
  using vertex = awesome::node*;

  static constexpr std::string_view output_prefix = "output/";

  static node_kind kind(const G&, vertex v) {
    const std::string& t = v->op.type;
    return t == "placeholder" ? node_kind::input : t == "output" ? node_kind::output
         : t == "const" ? node_kind::constant : node_kind::op;
  }
  static std::string_view name(const G& g, vertex v) {
    std::string_view n = v->name;
    if (kind(g, v) == node_kind::output && n.starts_with(output_prefix)) n.remove_prefix(output_prefix.size());
    return n;
  }
  static std::string_view op_type(const G& g, vertex v) { return kind(g, v) == node_kind::op ? std::string_view(v->op.type) : ""; }
  static std::string_view domain(const G&, vertex v) { return v->op.domain; }
  static attribute_map attributes(const G&, vertex v) { return attribute_map(v->op.params.begin(), v->op.params.end()); }
  static const tensor* constant_value(const G&, vertex v) { return v->op.data ? &*v->op.data : nullptr; }
  static int num_outputs(const G& g, vertex v) { return kind(g, v) == node_kind::output ? 0 : 1; }
  static value_info value(const G&, vertex v, int) {
    value_info info;
    info.name = v->name;
    info.elem = v->op.data ? v->op.data->type() : v->elem;
    if (v->shape_known) {
      info.shape.emplace();
      for (auto d : v->shape) info.shape->push_back(d >= 0 ? dim(d) : dim());
    }
    if (!v->qtype.empty()) info.dtype = data_type::parse(v->qtype);
    info.layout = v->layout;
    return info;
  }
  static port_pair ports(const G&, const awesome::edge& e) { return {0, e.slot}; }
  static std::vector<vertex> graph_inputs(const G& g) { return lookup(g, g.input_names); }
  static std::vector<vertex> graph_outputs(const G& g) { return lookup(g, g.output_names); }

  static void set_name(G& g, vertex v, std::string s) { rename(g, v, s); }
  static void set_attribute(G&, vertex v, std::string name, attribute a) { v->op.params[name] = std::move(a); }
  static bool erase_attribute(G&, vertex v, std::string_view name) { return v->op.params.erase(std::string(name)) > 0; }
  static void set_constant_value(G&, vertex v, tensor t) {
    v->shape = t.shape();
    v->shape_known = true;
    v->op.data = std::move(t);
  }
  static void set_value(G& g, vertex v, int, const value_info& info) {
    v->elem = info.elem;
    v->shape_known = info.shape.has_value();
    v->shape.clear();
    if (info.shape)
      for (const dim& d : *info.shape) v->shape.push_back(d.known() ? d.size : -1);  // a symbolic name is dropped
    v->qtype = info.dtype ? info.dtype->name() : "";
    v->layout = info.layout;
    if (info.name != v->name) rename(g, v, info.name);
  }

  static vertex add_op(G& g, std::string_view op, std::string_view domain, std::string name, attribute_map attrs,
                       std::vector<value_info> outs) {
    if (outs.size() > 1) throw type_error("awesome::net nodes produce one value; " + std::string(op) + " declares " + std::to_string(outs.size()));
    vertex v = make(g, outs.empty() ? name : outs[0].name, std::string(op));
    v->op.domain = std::string(domain);
    v->op.params = std::map<std::string, attribute>(attrs.begin(), attrs.end());
    if (!outs.empty()) set_value(g, v, 0, outs[0]);
    return v;
  }
  static vertex add_constant(G& g, const value_info& info, tensor t) {
    vertex v = make(g, info.name, "const");
    set_value(g, v, 0, info);
    set_constant_value(g, v, std::move(t));
    return v;
  }
  static vertex add_input(G& g, const value_info& info) {
    vertex v = make(g, info.name, "placeholder");
    set_value(g, v, 0, info);
    g.input_names.push_back(v->name);
    return v;
  }
  static vertex add_output(G& g, std::string name) {
    vertex v = make(g, std::string(output_prefix) + name, "output");
    g.output_names.push_back(v->name);
    return v;
  }
  static void connect(G&, vertex src, int, vertex dst, int in_port) {
    auto& ins = dst->input_node_names;
    if (ins.size() <= static_cast<std::size_t>(in_port)) ins.resize(static_cast<std::size_t>(in_port) + 1);
    ins[static_cast<std::size_t>(in_port)] = src->name;
  }

 private:
  static vertex make(G& g, const std::string& key, std::string type) {
    if (key.empty() || g.nodes.count(key)) throw graph_error(key, "awesome::net needs unique, non-empty node names");
    awesome::node& n = g.nodes[key];
    n.name = key;
    n.op.type = std::move(type);
    return &n;
  }
  static std::vector<vertex> lookup(const G& g, const std::vector<std::string>& names) {
    std::vector<vertex> r;
    for (const auto& n : names)
      if (auto* p = const_cast<G&>(g).find(n)) r.push_back(p);
    return r;
  }
  // A node's name is its key and its value's name: rekey it and fix every reference.
  static void rename(G& g, vertex& v, const std::string& to) {
    if (to == v->name) return;
    if (to.empty() || g.nodes.count(to)) throw graph_error(v->name, "cannot be renamed to '" + to + "'");
    const std::string from = v->name;
    auto handle = g.nodes.extract(from);
    handle.key() = to;
    handle.mapped().name = to;
    auto it = g.nodes.insert(std::move(handle)).position;
    v = &it->second;  // map nodes are stable: this is the same address
    for (auto& [k, n] : g.nodes)
      for (auto& in : n.input_node_names)
        if (in == from) in = to;
    std::replace(g.input_names.begin(), g.input_names.end(), from, to);
    std::replace(g.output_names.begin(), g.output_names.end(), from, to);
  }
};
