// What every streamlining test does: apply a rule (or a preset) to a graph written
// in the text format, check that the graph is valid and computes what it computed
// before (the reference executor on random inputs that respect the input data
// types: exactly for integer-valued outputs, to float rounding otherwise), and
// look at the structure that is left.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "foreign_ir.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/verify.hpp"
#include "nnrewrite/passes.hpp"
#include "nnrewrite/streamline/streamline.hpp"
#include "user_boost_graph.hpp"

namespace check {

using namespace nnrewrite;

// Runs the patterns `add` puts in a set (with value-info inference on what they
// touch) to their fixpoint, with the driver's expensive checks on: a rule that
// claims success without a change, or changes the graph while failing, fails.
template <ir_graph G, class Add>
rewrite_result run(G& g, Add add, bool trace = false) {
  pattern_set<G> set;
  add(set);
  add_value_info_inference(set);
  driver_config cfg;
  cfg.expensive_checks = true;
  cfg.trace = trace;
  return apply_patterns_greedily(g, set, cfg);
}
template <template <class> class Rule, ir_graph G>
rewrite_result apply(G& g, bool trace = false) {
  return run(g, [](pattern_set<G>& s) { s.template add<Rule<G>>(); }, trace);
}

// Ops of a type in a graph (every op for "").
template <ir_graph G>
std::size_t count(const G& g, std::string_view type = {}) {
  std::size_t n = 0;
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (ir_traits<G>::kind(g, *it) == node_kind::op && (type.empty() || ir_traits<G>::op_type(g, *it) == type)) ++n;
  return n;
}

// `after` computes what `before` computes on `runs` random inputs: exactly for
// outputs of an integer type, to float rounding otherwise.
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

// The last reason `pattern` gave for not applying (at `node`, when given; run
// with trace on).
inline std::string why_not(const rewrite_result& r, std::string_view pattern, std::string_view node = {}) {
  std::string why;
  for (const auto& t : r.trace)
    if (t.pattern == pattern && !t.applied && (node.empty() || t.node == node)) why = t.reason;
  return why;
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

}  // namespace check
