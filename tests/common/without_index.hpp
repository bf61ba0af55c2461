// without_index<G>: the graph G with its dense vertex index hidden (the
// optional ir_traits::vertex_index declared deleted), so that the tests and the
// benchmarks can run the hash-map path of per-vertex state on the very graphs
// the array path runs on.
#pragma once

#include "nnrewrite/ir/traits.hpp"

namespace ir_check {

template <class Base>
struct without_index : Base {};

}  // namespace ir_check

template <class Base>
struct nnrewrite::ir_traits<ir_check::without_index<Base>> : nnrewrite::ir_traits<Base> {
  using G = ir_check::without_index<Base>;
  static std::size_t vertex_index(const G&, vertex_t<Base>) = delete;
  static std::size_t vertex_index_bound(const G&) = delete;
};
