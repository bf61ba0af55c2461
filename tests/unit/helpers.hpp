// Small helpers shared by the unit tests.
#pragma once

#include <optional>
#include <string>

#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/model.hpp"
#include "nnrewrite/ir/queries.hpp"

namespace test {

using nnrewrite::model;
using V = nnrewrite::vertex_t<model>;
using T = nnrewrite::ir_traits<model>;

// The vertex producing value `name` (inputs, constants, ops) — REQUIREs that it exists.
inline V producer_of(const model& g, const std::string& name) {
  auto v = nnrewrite::find_value(g, name);
  if (!v) throw std::runtime_error("test graph has no value " + name);
  return v->node;
}

inline V output_named(const model& g, const std::string& name) {
  for (V v : T::graph_outputs(g))
    if (T::name(g, v) == name) return v;
  throw std::runtime_error("test graph has no output " + name);
}

}  // namespace test
