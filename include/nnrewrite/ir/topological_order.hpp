// Topological order of a graph: every node after the producers of its operands.
#pragma once

#include <vector>

#include "nnrewrite/detail/per_vertex.hpp"
#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite {

// Kahn's algorithm; ties are broken by vertex-list order, so the result is
// deterministic. Returns std::vector<vertex_t<G>>; throws graph_error naming a
// node on a cycle. (The return type is deduced so that clang checks ir_graph<G>
// before it touches graph_traits<G>: a wrong type then reads as a concept failure.)
template <ir_graph G>
auto topological_order(const G& g) {
  using V = vertex_t<G>;
  // Operands not yet placed, per vertex: an array when G has a dense index, else a
  // flat map (no allocation per vertex either way).
  detail::per_vertex<G, std::size_t> pending(g);
  pending.reserve(num_vertices(g));
  // The order doubles as Kahn's FIFO queue: [head, end) are ready, not yet expanded.
  std::vector<V> order;
  order.reserve(num_vertices(g));
  auto [vi, vend] = vertices(g);
  for (; vi != vend; ++vi) {
    const std::size_t d = in_degree(*vi, g);
    if (d == 0) order.push_back(*vi);
    else pending[*vi] = d;
  }
  for (std::size_t head = 0; head < order.size(); ++head) {
    auto [ei, eend] = out_edges(order[head], g);
    for (; ei != eend; ++ei) {
      const V t = edge_target(*ei, g);
      if (--*pending.find(t) == 0) order.push_back(t);
    }
  }
  if (order.size() != num_vertices(g)) {
    // Some node that never became ready lies on (or after) a cycle; walk back along
    // pending operands until a node repeats: that one is on the cycle.
    auto waiting = [&](V u) {
      const std::size_t* p = pending.find(u);
      return p && *p > 0;
    };
    V v{};
    for (auto [ui, uend] = vertices(g); ui != uend; ++ui)
      if (waiting(*ui)) { v = *ui; break; }
    detail::per_vertex<G, bool> seen(g);
    while (!seen.contains(v)) {
      seen[v] = true;
      auto [ei, eend] = in_edges(v, g);
      for (; ei != eend; ++ei)
        if (waiting(source(*ei, g))) { v = source(*ei, g); break; }
    }
    throw graph_error(describe(g, v), "lies on a cycle");
  }
  return order;
}

}  // namespace nnrewrite
