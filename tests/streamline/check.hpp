// What every streamlining test does: apply a rule (or a preset) to a graph written
// in the text format, check that the graph is valid and computes what it computed
// before (the reference executor on random inputs that respect the input data
// types: exactly for integer-valued outputs, to float rounding otherwise), and
// look at the structure that is left.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "ir_check.hpp"
#include "nnrewrite/passes.hpp"
#include "nnrewrite/streamline/streamline.hpp"

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

using ir_check::require_equivalent;
using ir_check::on_every_ir;

// The last reason `pattern` gave for not applying (at `node`, when given; run
// with trace on).
inline std::string why_not(const rewrite_result& r, std::string_view pattern, std::string_view node = {}) {
  std::string why;
  for (const auto& t : r.trace)
    if (t.pattern == pattern && !t.applied && (node.empty() || t.node == node)) why = t.reason;
  return why;
}

}  // namespace check
