// ir_traits<G>: how nnrewrite asks op-level questions of a graph type G.
//
// Customization points (all static member functions; `v` a vertex, `e` an edge):
//
//   node queries      kind(g, v) -> node_kind           op / input / output / constant
//                     name(g, v) -> string-like         node name; a graph output's name
//                     op_type(g, v), domain(g, v)       ("" is ONNX's default domain)
//                     attributes(g, v) -> attribute_map (by value or const&)
//                     constant_value(g, v) -> pointer-like    empty unless a constant
//                                         (const tensor*, std::optional<tensor>, ...)
//                     num_outputs(g, v) -> int
//   value queries     value(g, v, port) -> value_info   name, element type, shape,
//                                                       QONNX data type, layout
//   edge queries      ports(g, e) -> port_pair          (out_port, in_port)
//   graph queries     graph_inputs(g), graph_outputs(g) -> vector<vertex>, in graph order
//   node updates      set_name(g, v, s), set_attribute(g, v, name, attribute),
//                     erase_attribute(g, v, name) -> bool,
//                     set_constant_value(g, v, tensor), set_value(g, v, port, value_info)
//   construction      add_op(g, op_type, domain, name, attribute_map, vector<value_info>) -> vertex
//                     add_constant(g, value_info, tensor) -> vertex
//                     add_input(g, value_info) -> vertex, add_output(g, name) -> vertex
//                     connect(g, src, out_port, dst, in_port)
//                     replace_uses(g, from, from_port, to, to_port)
//                     erase_node(g, v)
//   optional          vertex_index(g, v) -> size_t, vertex_index_bound(g) -> size_t
//                                         a dense index (Boost's vertex_index map):
//                                         distinct among live vertices, below the
//                                         bound; per-vertex state is then an array,
//                                         not a hash map. model and vecS graphs
//                                         have it; an IR without it still works.
//                     holds_constants_of(element_type) -> bool   (default: every type)
//                     exchange_constant_value(g, v, tensor) -> tensor (the old
//                     value, moved out; without it: a copy, then set_constant_value;
//                     override it together with set_constant_value)
//                     exchange_value_name(g, v, port, string) -> string (the old
//                     name; without it: value, then set_value with the new name;
//                     override it together with set_value)
//
// Any Boost graph whose bundles are nnrewrite::node and nnrewrite::port_edge
// (nnrewrite::model among them) gets default_ir_traits<G>, which implements all of
// them. For another graph, specialize ir_traits<G>; a specialization may inherit
// default_ir_traits<G> and override what differs (the Eigen NumTraits pattern):
// graph_inputs, graph_outputs, replace_uses and erase_node are written only in
// terms of the other points and the Boost functions, so they carry over.
#pragma once

#include <algorithm>
#include <concepts>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nnrewrite/detail/held.hpp"
#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/attribute.hpp"
#include "nnrewrite/ir/concepts.hpp"
#include "nnrewrite/ir/model.hpp"
#include "nnrewrite/ir/value_info.hpp"

namespace nnrewrite {

struct port_pair {
  int out_port = 0;
  int in_port = 0;
  friend bool operator==(const port_pair&, const port_pair&) = default;
};

template <class G>
struct ir_traits;

// Graphs whose vertex and edge bundles are nnrewrite's own.
template <class G>
concept has_nnrewrite_bundles = graph<G> && requires(const G& g, vertex_t<G> v, edge_t<G> e) {
  { g[v] } -> std::convertible_to<const node&>;
  { g[e] } -> std::convertible_to<const port_edge&>;
};

namespace detail {
// Boost adjacency_lists whose vertex descriptors are positions in a vector
// (vecS: the descriptor is an integer; listS and setS give pointers).
template <class G>
concept vec_vertices = requires { typename G::vertex_list_selector; } && std::integral<vertex_t<G>>;
template <class G>
concept dense_boost_index = std::derived_from<G, model> || vec_vertices<G>;
}  // namespace detail

template <class G>
struct default_ir_traits {
  using vertex = vertex_t<G>;
  using edge = edge_t<G>;

  // ---- node queries
  static node_kind kind(const G& g, vertex v) { return g[v].kind; }
  static std::string_view name(const G& g, vertex v) { return g[v].name; }
  static std::string_view op_type(const G& g, vertex v) { return g[v].op_type.view(); }
  static std::string_view domain(const G& g, vertex v) { return g[v].domain.view(); }
  static const attribute_map& attributes(const G& g, vertex v) { return g[v].attributes; }
  static const tensor* constant_value(const G& g, vertex v) {
    return g[v].kind == node_kind::constant && g[v].value ? &*g[v].value : nullptr;
  }
  static int num_outputs(const G& g, vertex v) { return static_cast<int>(g[v].outputs.size()); }

  // ---- value queries
  static const value_info& value(const G& g, vertex v, int port) { return output(g, v, port); }

  // ---- the optional dense index
  static std::size_t vertex_index(const G& g, vertex v)
    requires detail::dense_boost_index<G>
  {
    if constexpr (std::derived_from<G, model>) return g.index(v);
    else return static_cast<std::size_t>(v);
  }
  static std::size_t vertex_index_bound(const G& g)
    requires detail::dense_boost_index<G>
  {
    if constexpr (std::derived_from<G, model>) return g.index_bound();
    else return num_vertices(g);
  }

  // ---- edge queries
  static port_pair ports(const G& g, edge e) { return {g[e].out_port, g[e].in_port}; }

  // ---- graph queries (iteration order of the vertex list)
  static std::vector<vertex> graph_inputs(const G& g) { return of_kind(g, node_kind::input); }
  static std::vector<vertex> graph_outputs(const G& g) { return of_kind(g, node_kind::output); }

  // ---- node updates
  static void set_name(G& g, vertex v, std::string s) { g[v].name = std::move(s); }
  static void set_attribute(G& g, vertex v, std::string name, attribute a) {
    g[v].attributes.insert_or_assign(std::move(name), std::move(a));
  }
  static bool erase_attribute(G& g, vertex v, std::string_view name) {
    auto it = g[v].attributes.find(name);
    if (it == g[v].attributes.end()) return false;
    g[v].attributes.erase(it);
    return true;
  }
  static void set_constant_value(G& g, vertex v, tensor t) {
    if (g[v].kind != node_kind::constant) throw graph_error(g[v].name, "is not a constant");
    g[v].value = std::move(t);
  }
  // Only for nnrewrite's bundles: a specialization that inherits these defaults
  // for its own structs falls back to copy + set_constant_value.
  static tensor exchange_constant_value(G& g, vertex v, tensor t)
    requires has_nnrewrite_bundles<G>
  {
    if (g[v].kind != node_kind::constant || !g[v].value) throw graph_error(g[v].name, "is not a constant");
    return std::exchange(*g[v].value, std::move(t));
  }
  static void set_value(G& g, vertex v, int port, value_info info) { output(g, v, port) = std::move(info); }
  // Only for nnrewrite's bundles, like exchange_constant_value.
  static std::string exchange_value_name(G& g, vertex v, int port, std::string name)
    requires has_nnrewrite_bundles<G>
  {
    return std::exchange(output(g, v, port).name, std::move(name));
  }

  // ---- construction
  static vertex add_op(G& g, std::string_view op_type, std::string_view domain, std::string name,
                       attribute_map attrs, std::vector<value_info> outputs) {
    node n;
    n.kind = node_kind::op;
    n.op_type = op_type;
    n.domain = domain;
    n.name = std::move(name);
    n.attributes = std::move(attrs);
    n.outputs.assign(std::make_move_iterator(outputs.begin()), std::make_move_iterator(outputs.end()));
    return add_vertex(std::move(n), g);
  }
  // The value's element type and shape are taken from the tensor.
  static vertex add_constant(G& g, value_info info, tensor value) {
    info.elem = value.type();
    info.shape = to_dims(value.shape());
    node n;
    n.kind = node_kind::constant;
    n.name = info.name;
    n.outputs.push_back(std::move(info));
    n.value = std::move(value);
    return add_vertex(std::move(n), g);
  }
  static vertex add_input(G& g, value_info info) {
    node n;
    n.kind = node_kind::input;
    n.name = info.name;
    n.outputs.push_back(std::move(info));
    return add_vertex(std::move(n), g);
  }
  static vertex add_output(G& g, std::string name) {
    node n;
    n.kind = node_kind::output;
    n.name = std::move(name);
    return add_vertex(std::move(n), g);
  }
  static void connect(G& g, vertex src, int out_port, vertex dst, int in_port) {
    add_edge(src, dst, port_edge{out_port, in_port}, g);
  }
  static void erase_node(G& g, vertex v) {
    clear_vertex(v, g);
    remove_vertex(v, g);
  }

  // Every use of (from, from_port) becomes a use of (to, to_port). Written in terms
  // of ir_traits<G>::ports/connect, so a specialization that overrides those can
  // still inherit this.
  static void replace_uses(G& g, vertex from, int from_port, vertex to, int to_port) {
    std::vector<std::pair<edge, port_pair>> uses;
    auto [it, end] = out_edges(from, g);
    for (; it != end; ++it) {
      port_pair p = ir_traits<G>::ports(g, *it);
      if (p.out_port == from_port) uses.emplace_back(*it, p);
    }
    for (auto& [e, p] : uses) {
      vertex user = target(e, g);
      remove_edge(e, g);
      ir_traits<G>::connect(g, to, to_port, user, p.in_port);
    }
  }

 protected:
  // Result `port` of v (const or not), or graph_error naming v.
  template <class Graph>
  static auto& output(Graph& g, vertex v, int port) {
    auto& outs = g[v].outputs;
    if (port < 0 || static_cast<std::size_t>(port) >= outs.size())
      throw graph_error(g[v].name, "has no output " + std::to_string(port));
    return outs[static_cast<std::size_t>(port)];
  }
  static std::vector<vertex> of_kind(const G& g, node_kind k) {
    std::vector<vertex> r;
    auto [it, end] = vertices(g);
    for (; it != end; ++it)
      if (ir_traits<G>::kind(g, *it) == k) r.push_back(*it);
    return r;
  }
};

// The customization point. The primary template is empty on purpose: a graph type
// with its own vertex structs must specialize it (ir_graph<G> names what is
// missing until it does). Graphs with nnrewrite's bundles get the defaults.
template <class G>
struct ir_traits {};

template <has_nnrewrite_bundles G>
struct ir_traits<G> : default_ir_traits<G> {};

// Whether G gives its vertices a dense index (the optional customization point
// vertex_index / vertex_index_bound). A specialization can opt out by declaring
// them deleted.
template <class G>
concept has_vertex_index = requires(const G& g, vertex_t<G> v) {
  { ir_traits<G>::vertex_index(g, v) } -> std::convertible_to<std::size_t>;
  { ir_traits<G>::vertex_index_bound(g) } -> std::convertible_to<std::size_t>;
};

namespace detail {
// What constant_value returns: tests false when absent, dereferences to a tensor.
template <class P>
concept nullable_tensor = requires(const P& p) {
  static_cast<bool>(p);
  { *p } -> std::convertible_to<const tensor&>;
};
}  // namespace detail

// The full contract: a Boost graph with the structure nnrewrite rewrites, and
// ir_traits<G> answering every op-level question with the right types.
template <class G>
concept ir_graph = rewritable_graph<G> &&
    requires(const G& cg, G& g, vertex_t<G> v, edge_t<G> e, int port, std::string s, attribute a,
             tensor t, value_info info, attribute_map attrs, std::vector<value_info> outs) {
      { ir_traits<G>::kind(cg, v) } -> std::same_as<node_kind>;
      { ir_traits<G>::name(cg, v) } -> std::convertible_to<std::string_view>;
      { ir_traits<G>::op_type(cg, v) } -> std::convertible_to<std::string_view>;
      { ir_traits<G>::domain(cg, v) } -> std::convertible_to<std::string_view>;
      { ir_traits<G>::attributes(cg, v) } -> std::convertible_to<const attribute_map&>;
      { ir_traits<G>::constant_value(cg, v) } -> detail::nullable_tensor;
      { ir_traits<G>::num_outputs(cg, v) } -> std::convertible_to<int>;
      { ir_traits<G>::value(cg, v, port) } -> std::convertible_to<const value_info&>;
      { ir_traits<G>::ports(cg, e) } -> std::same_as<port_pair>;
      { ir_traits<G>::graph_inputs(cg) } -> std::same_as<std::vector<vertex_t<G>>>;
      { ir_traits<G>::graph_outputs(cg) } -> std::same_as<std::vector<vertex_t<G>>>;
      ir_traits<G>::set_name(g, v, s);
      ir_traits<G>::set_attribute(g, v, s, a);
      { ir_traits<G>::erase_attribute(g, v, s) } -> std::convertible_to<bool>;
      ir_traits<G>::set_constant_value(g, v, t);
      ir_traits<G>::set_value(g, v, port, info);
      { ir_traits<G>::add_op(g, s, s, s, attrs, outs) } -> std::convertible_to<vertex_t<G>>;
      { ir_traits<G>::add_constant(g, info, t) } -> std::convertible_to<vertex_t<G>>;
      { ir_traits<G>::add_input(g, info) } -> std::convertible_to<vertex_t<G>>;
      { ir_traits<G>::add_output(g, s) } -> std::convertible_to<vertex_t<G>>;
      ir_traits<G>::connect(g, v, port, v, port);
      ir_traits<G>::replace_uses(g, v, port, v, port);
      ir_traits<G>::erase_node(g, v);
    };


// What constant_value returns for G (const tensor*, std::optional<tensor>, ...).
// Keep the handle alive while using the tensor it gives: `*ir_traits<G>::constant_value(g, v)`
// may be a temporary that dies at the end of the full expression.
template <ir_graph G>
using constant_handle_t =
    std::remove_cvref_t<decltype(ir_traits<G>::constant_value(std::declval<const G&>(), std::declval<vertex_t<G>>()))>;

// A value description or attribute map kept past the call that returned it (a
// pointer when the IR returns a reference, a copy when it returns a value).
template <ir_graph G>
using held_value_info = detail::held<decltype(ir_traits<G>::value(std::declval<const G&>(), std::declval<vertex_t<G>>(), 0))>;
template <ir_graph G>
using held_attributes = detail::held<decltype(ir_traits<G>::attributes(std::declval<const G&>(), std::declval<vertex_t<G>>()))>;

// Whether G's constants can hold element type e: the optional customization point
// `ir_traits<G>::holds_constants_of(element_type) -> bool` (an IR without it
// holds every type). A rule that would like a float64 constant asks first.
template <ir_graph G>
bool holds_constants_of(element_type e) {
  if constexpr (requires { { ir_traits<G>::holds_constants_of(e) } -> std::convertible_to<bool>; })
    return ir_traits<G>::holds_constants_of(e);
  else
    return true;
}


// Sets constant v to t and returns its old value: the optional customization
// point `ir_traits<G>::exchange_constant_value` moves it out (no copy of a large
// weight tensor); an IR without it pays one copy.
template <ir_graph G>
tensor exchange_constant_value(G& g, vertex_t<G> v, tensor t) {
  using T = ir_traits<G>;
  if constexpr (requires { { T::exchange_constant_value(g, v, std::move(t)) } -> std::same_as<tensor>; }) {
    return T::exchange_constant_value(g, v, std::move(t));
  } else {
    const auto current = T::constant_value(g, v);
    if (!current) throw graph_error(std::string(T::name(g, v)), "is not a constant");
    tensor old = *current;
    T::set_constant_value(g, v, std::move(t));
    return old;
  }
}

// Renames result `port` of v and returns its old name: the optional customization
// point `ir_traits<G>::exchange_value_name` sets the name alone; an IR without it
// pays a copy of the value's description. Rewrites rename often (take_name).
template <ir_graph G>
std::string exchange_value_name(G& g, vertex_t<G> v, int port, std::string name) {
  using T = ir_traits<G>;
  if constexpr (requires { { T::exchange_value_name(g, v, port, std::move(name)) } -> std::same_as<std::string>; }) {
    return T::exchange_value_name(g, v, port, std::move(name));
  } else {
    value_info info = T::value(g, v, port);
    std::string old = std::exchange(info.name, std::move(name));
    T::set_value(g, v, port, std::move(info));
    return old;
  }
}

}  // namespace nnrewrite
