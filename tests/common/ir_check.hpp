// What the algorithm tests share: run a check on every IR of the examples, and
// "the rewritten graph is valid and computes what the original did" with the
// reference executor on random inputs that respect the input data types
// (exactly for integer-valued outputs, to `tol` otherwise).
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "foreign_ir.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/verify.hpp"
#include "user_boost_graph.hpp"

namespace ir_check {

using namespace nnrewrite;

template <ir_graph G>
void require_equivalent(const G& before, const G& after, int runs = 8, double tol = 1e-5) {
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

// Runs f(g, original) — two parses of `text`, one to rewrite and one to compare
// with — for nnrewrite::model, the example Boost graph and the foreign IR.
template <class F>
void on_every_ir(const char* text, F f) {
  SECTION("nnrewrite::model") {
    auto g = parse_text<model>(text);
    const auto original = parse_text<model>(text);
    f(g, original);
  }
  SECTION("user::graph (a user's Boost graph)") {
    auto g = parse_text<user::graph>(text);
    const auto original = parse_text<user::graph>(text);
    f(g, original);
  }
  SECTION("awesome::net (a foreign IR)") {
    auto g = parse_text<awesome::net>(text);
    const auto original = parse_text<awesome::net>(text);
    f(g, original);
  }
}

}  // namespace ir_check
