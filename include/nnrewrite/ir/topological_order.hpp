// Topological order of a graph: every node after the producers of its operands.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "nnrewrite/detail/per_vertex.hpp"
#include "nnrewrite/detail/vertex_map.hpp"
#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite {

namespace detail {
// Kahn's count of operands not yet placed, per vertex: 32 bits in an array when G
// has a dense index (one small allocation, no per-slot flag), else in a flat map.
template <class G>
class pending_operands {
 public:
  explicit pending_operands(const G& g) { map_.reserve(num_vertices(g)); }
  std::uint32_t& operator[](vertex_t<G> v) { return map_[v]; }
  std::uint32_t get(vertex_t<G> v) const {
    const std::uint32_t* p = map_.find(v);
    return p ? *p : 0;
  }

 private:
  vertex_map<vertex_t<G>, std::uint32_t> map_;
};
template <class G>
  requires has_vertex_index<G>
class pending_operands<G> {
 public:
  explicit pending_operands(const G& g) : g_(g), counts_(ir_traits<G>::vertex_index_bound(g), 0) {}
  std::uint32_t& operator[](vertex_t<G> v) { return counts_[std::size_t(ir_traits<G>::vertex_index(g_, v))]; }
  std::uint32_t get(vertex_t<G> v) const { return counts_[std::size_t(ir_traits<G>::vertex_index(g_, v))]; }

 private:
  const G& g_;
  std::vector<std::uint32_t> counts_;
};
}  // namespace detail

// Kahn's algorithm; ties are broken by vertex-list order, so the result is
// deterministic. Returns std::vector<vertex_t<G>>; throws graph_error naming a
// node on a cycle. (The return type is deduced so that clang checks ir_graph<G>
// before it touches graph_traits<G>: a wrong type then reads as a concept failure.)
template <ir_graph G>
auto topological_order(const G& g) {
  using V = vertex_t<G>;
  detail::pending_operands<G> pending(g);
  // The order doubles as Kahn's FIFO queue: [head, end) are ready, not yet expanded.
  std::vector<V> order;
  order.reserve(num_vertices(g));
  auto [vi, vend] = vertices(g);
  for (; vi != vend; ++vi) {
    const auto d = in_degree(*vi, g);
    if (d == 0) order.push_back(*vi);
    else if (std::uint64_t(d) > std::numeric_limits<std::uint32_t>::max()) throw graph_error(describe(g, *vi), "has more than 2^32 operands");
    else pending[*vi] = std::uint32_t(d);
  }
  for (std::size_t head = 0; head < order.size(); ++head) {
    auto [ei, eend] = out_edges(order[head], g);
    for (; ei != eend; ++ei) {
      const V t = edge_target(*ei, g);
      if (--pending[t] == 0) order.push_back(t);
    }
  }
  if (order.size() != num_vertices(g)) {
    // Some node that never became ready lies on (or after) a cycle; walk back along
    // pending operands until a node repeats: that one is on the cycle.
    auto waiting = [&](V u) { return pending.get(u) > 0; };
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
