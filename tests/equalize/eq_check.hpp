// What the equalization tests share: names of nodes, and "the equalized graph
// computes what the original did" with the reference executor.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ir_check.hpp"
#include "nnrewrite/equalize.hpp"
#include "nnrewrite/target/onnx_float.hpp"

namespace eq_check {

using namespace nnrewrite;

template <ir_graph G>
std::vector<std::string> names(const G& g, const std::vector<vertex_t<G>>& vs) {
  std::vector<std::string> r;
  for (auto v : vs) r.push_back(describe(g, v));
  return r;
}

// Equalization changes float rounding more than a rewrite rule: a looser default.
template <ir_graph G>
void require_equivalent(const G& before, const G& after) { ir_check::require_equivalent(before, after, 4, 1e-4); }

using ir_check::on_every_ir;

}  // namespace eq_check
