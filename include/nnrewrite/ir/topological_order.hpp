// Topological order of a graph: every node after the producers of its operands.
#pragma once

#include <deque>
#include <unordered_map>
#include <vector>

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
  std::unordered_map<V, std::size_t> pending;
  pending.reserve(num_vertices(g));
  std::deque<V> ready;
  auto [vi, vend] = vertices(g);
  for (; vi != vend; ++vi) {
    std::size_t d = in_degree(*vi, g);
    pending.emplace(*vi, d);
    if (d == 0) ready.push_back(*vi);
  }
  std::vector<V> order;
  order.reserve(pending.size());
  while (!ready.empty()) {
    V v = ready.front();
    ready.pop_front();
    order.push_back(v);
    auto [ei, eend] = out_edges(v, g);
    for (; ei != eend; ++ei)
      if (--pending[target(*ei, g)] == 0) ready.push_back(target(*ei, g));
  }
  if (order.size() != pending.size()) {
    // Some node that never became ready lies on (or after) a cycle; walk back along
    // pending operands until a node repeats: that one is on the cycle.
    V v{};
    for (auto [ui, uend] = vertices(g); ui != uend; ++ui)
      if (pending[*ui] > 0) { v = *ui; break; }
    std::unordered_map<V, bool> seen;
    while (!seen[v]) {
      seen[v] = true;
      auto [ei, eend] = in_edges(v, g);
      for (; ei != eend; ++ei)
        if (pending[source(*ei, g)] > 0) { v = source(*ei, g); break; }
    }
    throw graph_error(describe(g, v), "lies on a cycle");
  }
  return order;
}

}  // namespace nnrewrite
