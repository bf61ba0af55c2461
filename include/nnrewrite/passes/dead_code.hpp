// Dead-node removal: ops and constants none of whose results is used (directly
// or through other dead nodes) by a graph output. Graph inputs are the graph's
// interface and stay, used or not.
#pragma once

#include <vector>

#include "nnrewrite/rewrite/rewriter.hpp"

namespace nnrewrite {

// Erases every dead node, following producers as they die; O(N). Returns how many.
template <ir_graph G>
std::size_t remove_dead_nodes(G& g) {
  using V = vertex_t<G>;
  rewriter<G> rw(g);
  std::vector<V> stack;
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (is_dead(g, *it)) stack.push_back(*it);
  std::size_t removed = 0;
  while (!stack.empty()) {
    const V v = stack.back();
    stack.pop_back();
    if (rw.is_erased(v) || !is_dead(g, v)) continue;
    std::vector<V> producers;
    for (auto [it, end] = in_edges(v, g); it != end; ++it) producers.push_back(source(*it, g));
    rw.erase(v);
    ++removed;
    for (V p : producers)
      if (is_dead(g, p)) stack.push_back(p);
  }
  rw.flush();
  return removed;
}

}  // namespace nnrewrite
