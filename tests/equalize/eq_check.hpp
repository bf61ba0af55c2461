// What the equalization tests share: names of nodes, and "the equalized graph
// computes what the original did" with the reference executor.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "foreign_ir.hpp"
#include "nnrewrite/equalize.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/verify.hpp"
#include "nnrewrite/target/onnx_float.hpp"
#include "user_boost_graph.hpp"

namespace eq_check {

using namespace nnrewrite;

template <ir_graph G>
std::vector<std::string> names(const G& g, const std::vector<vertex_t<G>>& vs) {
  std::vector<std::string> r;
  for (auto v : vs) r.push_back(describe(g, v));
  return r;
}

// `after` computes what `before` computes on random inputs, to float rounding.
template <ir_graph G>
void require_equivalent(const G& before, const G& after, int runs = 4, double tol = 1e-4) {
  const auto problems = verify(after);
  INFO((problems.empty() ? std::string() : problems.front().message()));
  REQUIRE(problems.empty());
  exec::equivalence_options opt;
  opt.runs = runs;
  opt.rtol = opt.atol = tol;
  const auto r = exec::check_equivalence(before, after, opt);
  INFO(r.first_mismatch);
  REQUIRE(r.ok());
}

// Runs f(g, original) for nnrewrite::model, the example Boost graph and the foreign IR.
template <class F>
void on_every_ir(const char* text, F f) {
  SECTION("nnrewrite::model") {
    auto g = parse_text<model>(text);
    f(g, parse_text<model>(text));
  }
  SECTION("user::graph (a user's Boost graph)") {
    auto g = parse_text<user::graph>(text);
    f(g, parse_text<user::graph>(text));
  }
  SECTION("awesome::net (a foreign IR)") {
    auto g = parse_text<awesome::net>(text);
    f(g, parse_text<awesome::net>(text));
  }
}

}  // namespace eq_check
