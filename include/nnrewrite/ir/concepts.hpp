// C++20 concepts over Boost.Graph's graph concepts.
//
// They restate what Boost's BidirectionalGraph, VertexListGraph and MutableGraph
// concept-check classes require, as requires-expressions on function parameters
// (nothing is default-constructed), layered so that a failure names the layer
// that is missing: `graph` -> `incidence_graph` -> `bidirectional_graph`, plus
// `vertex_list_graph` and `mutable_graph`. The free functions are found by ADL,
// so a foreign IR adapts by defining them next to its types (see
// examples/foreign_ir.cpp), the way boost/graph/vector_as_graph.hpp does.
#pragma once

#include <boost/graph/graph_traits.hpp>

#include <concepts>
#include <cstddef>
#include <iterator>
#include <utility>

namespace nnrewrite {

template <class G>
using vertex_t = typename boost::graph_traits<G>::vertex_descriptor;
template <class G>
using edge_t = typename boost::graph_traits<G>::edge_descriptor;

namespace detail {
// A pair of iterators (what Boost's out_edges/in_edges/vertices return).
template <class P, class Value>
concept iterator_range_of = requires(P p) {
  requires std::input_iterator<decltype(p.first)>;
  requires std::sentinel_for<decltype(p.second), decltype(p.first)>;
  { *p.first } -> std::convertible_to<Value>;
};
}  // namespace detail

// A type Boost's free functions treat as a graph: vertices(g) is found (by ADL).
// Checked first because graph_traits<G> is a hard error for a type that is no
// graph at all; this way `int` fails here, with a readable message.
template <class G>
concept has_graph_functions = requires(const G& g) { vertices(g); };

// graph_traits<G> names copyable, comparable vertex and edge descriptors.
template <class G>
concept graph = has_graph_functions<G> && requires {
  typename boost::graph_traits<G>::vertex_descriptor;
  typename boost::graph_traits<G>::edge_descriptor;
} && std::copyable<vertex_t<G>> && std::equality_comparable<vertex_t<G>> && std::copyable<edge_t<G>>;

// Boost IncidenceGraph: out-edges of a vertex, and the ends of an edge.
template <class G>
concept incidence_graph = graph<G> && requires(const G& g, vertex_t<G> v, edge_t<G> e) {
  { out_edges(v, g) } -> detail::iterator_range_of<edge_t<G>>;
  { out_degree(v, g) } -> std::convertible_to<std::size_t>;
  { source(e, g) } -> std::convertible_to<vertex_t<G>>;
  { target(e, g) } -> std::convertible_to<vertex_t<G>>;
};

// Boost BidirectionalGraph: in-edges as well.
template <class G>
concept bidirectional_graph = incidence_graph<G> && requires(const G& g, vertex_t<G> v) {
  { in_edges(v, g) } -> detail::iterator_range_of<edge_t<G>>;
  { in_degree(v, g) } -> std::convertible_to<std::size_t>;
};

// Boost VertexListGraph: all vertices can be enumerated.
template <class G>
concept vertex_list_graph = graph<G> && requires(const G& g) {
  { vertices(g) } -> detail::iterator_range_of<vertex_t<G>>;
  { num_vertices(g) } -> std::convertible_to<std::size_t>;
};

// Boost MutableGraph: vertices and edges can be added and removed.
template <class G>
concept mutable_graph = graph<G> && requires(G& g, vertex_t<G> u, vertex_t<G> v, edge_t<G> e) {
  { add_vertex(g) } -> std::convertible_to<vertex_t<G>>;
  add_edge(u, v, g);
  remove_edge(e, g);
  clear_vertex(v, g);
  remove_vertex(v, g);
};

// target(e, g) found by argument-dependent lookup, for code in namespace nnrewrite
// parsed after nnrewrite::target (the targets' namespace) is declared: there the
// bare name means the namespace and the call would not compile.
template <class G>
vertex_t<G> edge_target(const edge_t<G>& e, const G& g) {
  return target(e, g);
}

// Everything nnrewrite's algorithms ask of the graph structure.
template <class G>
concept rewritable_graph = bidirectional_graph<G> && vertex_list_graph<G> && mutable_graph<G>;

}  // namespace nnrewrite
