// Structural questions every rule asks: who produces an operand, who uses a value,
// is this a fork, is this a join. Generic over any ir_graph.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite {

// One produced value: output `port` of `node`.
template <class V>
struct value_ref {
  V node;
  int port = 0;
  friend bool operator==(const value_ref&, const value_ref&) = default;
};

// One use of a value: operand `in_port` of `node`.
template <class V>
struct use_ref {
  V node;
  int in_port = 0;
  friend bool operator==(const use_ref&, const use_ref&) = default;
};

// The value feeding operand `in_port` of v (nullopt when that operand is absent).
template <ir_graph G>
std::optional<value_ref<vertex_t<G>>> operand(const G& g, vertex_t<G> v, int in_port) {
  auto [it, end] = in_edges(v, g);
  for (; it != end; ++it) {
    port_pair p = ir_traits<G>::ports(g, *it);
    if (p.in_port == in_port) return value_ref<vertex_t<G>>{source(*it, g), p.out_port};
  }
  return std::nullopt;
}

// All operands of v indexed by in_port; absent optional operands are nullopt.
template <ir_graph G>
std::vector<std::optional<value_ref<vertex_t<G>>>> operands(const G& g, vertex_t<G> v) {
  std::vector<std::optional<value_ref<vertex_t<G>>>> r;
  r.reserve(static_cast<std::size_t>(in_degree(v, g)));  // ports are usually 0..n-1: one allocation
  auto [it, end] = in_edges(v, g);
  for (; it != end; ++it) {
    port_pair p = ir_traits<G>::ports(g, *it);
    if (p.in_port < 0) continue;
    if (static_cast<std::size_t>(p.in_port) >= r.size()) r.resize(static_cast<std::size_t>(p.in_port) + 1);
    r[static_cast<std::size_t>(p.in_port)] = value_ref<vertex_t<G>>{source(*it, g), p.out_port};
  }
  return r;
}

// The producer of operand `in_port`, when present.
template <ir_graph G>
std::optional<vertex_t<G>> producer(const G& g, vertex_t<G> v, int in_port) {
  if (auto o = operand(g, v, in_port)) return o->node;
  return std::nullopt;
}

// Every use of a value (a graph output is a use too), in out-edge order.
template <ir_graph G>
std::vector<use_ref<vertex_t<G>>> uses(const G& g, value_ref<vertex_t<G>> val) {
  std::vector<use_ref<vertex_t<G>>> r;
  auto [it, end] = out_edges(val.node, g);
  for (; it != end; ++it) {
    port_pair p = ir_traits<G>::ports(g, *it);
    if (p.out_port == val.port) r.push_back({edge_target(*it, g), p.in_port});
  }
  return r;
}

// The distinct nodes using any output of v.
template <ir_graph G>
std::vector<vertex_t<G>> consumers(const G& g, vertex_t<G> v) {
  std::vector<vertex_t<G>> r;
  auto [it, end] = out_edges(v, g);
  for (; it != end; ++it)
    if (std::find(r.begin(), r.end(), edge_target(*it, g)) == r.end()) r.push_back(edge_target(*it, g));
  return r;
}

template <ir_graph G>
std::size_t num_uses(const G& g, value_ref<vertex_t<G>> val) {
  std::size_t n = 0;
  auto [it, end] = out_edges(val.node, g);
  for (; it != end; ++it) n += ir_traits<G>::ports(g, *it).out_port == val.port;
  return n;
}

// A fork is a value with more than one use; a graph output counts as a use.
template <ir_graph G>
bool is_fork(const G& g, value_ref<vertex_t<G>> val) {
  return num_uses(g, val) > 1;
}

// A node is a fork when any of its values is.
template <ir_graph G>
bool is_fork(const G& g, vertex_t<G> v) {
  for (int p = 0, n = ir_traits<G>::num_outputs(g, v); p < n; ++p)
    if (is_fork(g, value_ref<vertex_t<G>>{v, p})) return true;
  return false;
}

// A join is an operation with two or more non-constant operands, in any position
// (FINN's is_join_node looks only at operand 0; that misses Add(MatMul_out, skip)).
template <ir_graph G>
bool is_join(const G& g, vertex_t<G> v) {
  int non_constant = 0;
  auto [it, end] = in_edges(v, g);
  for (; it != end; ++it)
    if (ir_traits<G>::kind(g, source(*it, g)) != node_kind::constant && ++non_constant >= 2) return true;
  return false;
}

// The vertex whose produced value (or, for graph outputs, whose name) is `name`.
template <ir_graph G>
std::optional<value_ref<vertex_t<G>>> find_value(const G& g, std::string_view name) {
  auto [it, end] = vertices(g);
  for (; it != end; ++it)
    for (int p = 0, n = ir_traits<G>::num_outputs(g, *it); p < n; ++p)
      if (std::string_view(ir_traits<G>::value(g, *it, p).name) == name) return value_ref<vertex_t<G>>{*it, p};
  return std::nullopt;
}

// The first op node named `name`.
template <ir_graph G>
std::optional<vertex_t<G>> find_node(const G& g, std::string_view name) {
  auto [it, end] = vertices(g);
  for (; it != end; ++it)
    if (std::string_view(ir_traits<G>::name(g, *it)) == name) return *it;
  return std::nullopt;
}

// A readable label for messages: the node name, else "<op_type> producing <value>".
template <ir_graph G>
std::string describe(const G& g, vertex_t<G> v) {
  std::string n(ir_traits<G>::name(g, v));
  if (!n.empty()) return n;
  std::string r(ir_traits<G>::kind(g, v) == node_kind::op ? std::string(ir_traits<G>::op_type(g, v))
                                                           : std::string(to_string(ir_traits<G>::kind(g, v))));
  if (ir_traits<G>::num_outputs(g, v) > 0) r += " producing '" + std::string(ir_traits<G>::value(g, v, 0).name) + "'";
  return r;
}

// An op or constant that nothing uses (graph inputs are the interface: never dead).
template <ir_graph G>
bool is_dead(const G& g, vertex_t<G> v) {
  const node_kind k = ir_traits<G>::kind(g, v);
  return (k == node_kind::op || k == node_kind::constant) && out_degree(v, g) == 0;
}

// The bounds [lo, hi] an ONNX Relu or Clip clamps its input to (Clip: opset 11+
// operands, attributes before; a missing bound is infinite); nullopt for other
// ops and for a Clip whose bounds are not constant scalars.
template <ir_graph G>
std::optional<std::pair<double, double>> clamp_bounds(const G& g, vertex_t<G> v) {
  using T = ir_traits<G>;
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (T::kind(g, v) != node_kind::op || !is_onnx_domain(T::domain(g, v))) return std::nullopt;
  if (T::op_type(g, v) == "Relu") return std::pair{0.0, inf};
  if (T::op_type(g, v) != "Clip") return std::nullopt;
  std::pair<double, double> r{-inf, inf};
  if (in_degree(v, g) > 1) {
    for (int p : {1, 2}) {
      const auto o = operand(g, v, p);
      if (!o) continue;
      const auto h = T::kind(g, o->node) == node_kind::constant ? T::constant_value(g, o->node) : constant_handle_t<G>{};
      if (!h || h->size() != 1 || std::isnan(h->get(0))) return std::nullopt;
      (p == 1 ? r.first : r.second) = h->get(0);
    }
  } else {
    const auto& attrs = T::attributes(g, v);
    r.first = attribute_or<double>(attrs, "min", -inf);
    r.second = attribute_or<double>(attrs, "max", inf);
  }
  return r;
}

}  // namespace nnrewrite
