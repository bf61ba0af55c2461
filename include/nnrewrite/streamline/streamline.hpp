// The streamlining rule families and the classic preset.
//
//   streamline(g)   value-info inference over the whole graph, the QONNX front
//                   end (qonnx.hpp), then FINN's Streamline()
//                   sequence (../shared/spec/streamlining.md, "Presets"): each rule to its own fixpoint under the worklist
//                   driver, with the cleanup set (constant folding, identity
//                   removal, value-info inference, dead nodes) in every step, then
//                   RoundAndClipThresholds. Returns one rewrite_result with the
//                   counts of every rule that fired.
//
// streamline(g, target) runs only the rule families the target wants. Users
// compose their own sets from populate_qonnx_patterns, populate_normalize_patterns,
// populate_absorb_patterns, populate_reorder_patterns and
// populate_threshold_patterns.
#pragma once

#include <vector>

#include "nnrewrite/passes/cleanup.hpp"
#include "nnrewrite/rewrite/driver.hpp"
#include "nnrewrite/streamline/absorb.hpp"
#include "nnrewrite/streamline/normalize.hpp"
#include "nnrewrite/streamline/qonnx.hpp"
#include "nnrewrite/streamline/reorder.hpp"
#include "nnrewrite/streamline/round_thresholds.hpp"
#include "nnrewrite/target/target.hpp"

namespace nnrewrite::streamline {

struct streamline_options {
  // Used for every step (limits, tracing, expensive checks, error policy).
  driver_config driver{};
  // First run the QONNX front end (FoldQuantWeights, ConvertQuantActToMultiThreshold),
  // so that a Brevitas export goes in as it is.
  bool convert_qonnx = true;
  // Run RoundAndClipThresholds at the end.
  bool round_thresholds = true;
};

// Adds one run's figures to a running total.
inline void accumulate(rewrite_result& total, rewrite_result&& step) {
  if (total.converged && !step.converged) total.reason = step.reason;
  total.converged = total.converged && step.converged;
  total.iterations += step.iterations;
  total.rewrites += step.rewrites;
  total.dead_erased += step.dead_erased;
  for (const auto& [p, n] : step.per_pattern) total.per_pattern[p] += n;
  for (auto& t : step.trace) total.trace.push_back(std::move(t));
}

// One step of a preset: a rule set run to its fixpoint, and the family it is of
// (a target may not want a family: target_traits<T>::wants).
template <ir_graph G>
struct streamline_step {
  target::rule_family family;
  void (*add)(pattern_set<G>&);
};

// The steps of FINN's Streamline(), in its order.
template <ir_graph G>
std::vector<streamline_step<G>> classic_steps() {
  using S = pattern_set<G>&;
  using F = target::rule_family;
  return {
      {F::normalize, [](S s) { s.template add<ConvertSubToAdd<G>>(); }},
      {F::normalize, [](S s) { s.template add<ConvertDivToMul<G>>(); }},
      {F::normalize, [](S s) { s.template add<BatchNormToAffine<G>>(); }},
      {F::normalize, [](S s) { s.template add<ConvertSignToThres<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveMulPastMaxPool<G>>(); }},
      {F::absorb, [](S s) { s.template add<AbsorbSignBiasIntoMultiThreshold<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveScalarLinearPastInvariants<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveAddPastMul<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveScalarAddPastMatMul<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveAddPastConv<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveScalarMulPastMatMul<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveScalarMulPastConv<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveAddPastMul<G>>(); }},
      {F::normalize, [](S s) { s.template add<CollapseRepeatedAdd<G>>(); }},
      {F::normalize, [](S s) { s.template add<CollapseRepeatedMul<G>>(); }},
      {F::reorder, [](S s) { s.template add<MoveMulPastMaxPool<G>>(); }},
      {F::absorb, [](S s) { s.template add<AbsorbAddIntoMultiThreshold<G>>(); }},
      {F::absorb, [](S s) { s.template add<FactorOutMulSignMagnitude<G>>(); }},
      {F::absorb, [](S s) { s.template add<AbsorbMulIntoMultiThreshold<G>>(); }},
      {F::absorb, [](S s) { s.template add<Absorb1BitMulIntoMatMul<G>>(); }},
      {F::absorb, [](S s) { s.template add<Absorb1BitMulIntoConv<G>>(); }},
  };
}

// The whole preset: the front end (when asked for), the classic steps, threshold
// rounding (when asked for).
template <ir_graph G>
std::vector<streamline_step<G>> preset_steps(const streamline_options& opt) {
  using F = target::rule_family;
  std::vector<streamline_step<G>> steps;
  if (opt.convert_qonnx) steps.push_back({F::qonnx, [](pattern_set<G>& s) { populate_qonnx_patterns(s); }});
  for (const auto& s : classic_steps<G>()) steps.push_back(s);
  if (opt.round_thresholds) steps.push_back({F::thresholds, [](pattern_set<G>& s) { populate_threshold_patterns(s); }});
  return steps;
}

namespace detail {
// Whether some op of g is of a type a pattern of `set` is rooted at.
template <ir_graph G>
bool has_root_in(const G& g, const pattern_set<G>& set) {
  using T = ir_traits<G>;
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (T::kind(g, *it) == node_kind::op && !set.for_op(T::domain(g, *it), T::op_type(g, *it)).empty()) return true;
  return false;
}
}  // namespace detail

// The preset's rule sets, built once and run on any number of graphs (after
// MLIR's FrozenRewritePatternSet): a set does not change after it is built and
// patterns keep no state, so one pipeline serves every graph and every thread.
// streamline() keeps one per combination of the options that shape the sets;
// building them costs about as much as streamlining TFC once.
template <ir_graph G>
class streamline_pipeline {
 public:
  // Reads convert_qonnx and round_thresholds; the driver settings are run()'s.
  explicit streamline_pipeline(const streamline_options& opt = {}) {
    for (const auto& s : preset_steps<G>(opt)) {
      step st{s.family, {}, {}};
      s.add(st.rules);
      s.add(st.with_cleanup);
      populate_cleanup_patterns(st.with_cleanup);
      steps_.push_back(std::move(st));
    }
  }

  // Runs the steps whose family `wants` accepts (wants(rule_family) -> bool).
  template <class Wants>
  rewrite_result run(G& g, const driver_config& driver, Wants wants) const {
    rewrite_result total;
    total.converged = true;
    // The rules read data types (integer accumulators, 1-bit weights): infer them
    // over the whole graph once, in one walk (an op after its operands); the steps
    // keep them current where they rewrite.
    if (const std::size_t updated = infer_value_infos(g)) {
      total.rewrites += updated;
      total.per_pattern["InferValueInfo"] += updated;
    }
    total.iterations += 1;
    // After a step reaches its fixpoint, no cleanup pattern applies anywhere: a later
    // step need only try its own rules' root ops (and what their rewrites touch;
    // a rule rooted at any op still sees every op), and a step none of whose rules
    // is rooted at an op type present is skipped.
    bool at_cleanup_fixpoint = false;
    for (const auto& st : steps_) {
      if (!wants(st.family)) continue;
      if (at_cleanup_fixpoint && !detail::has_root_in(g, st.rules)) continue;
      driver_config cfg = driver;
      cfg.seed_rooted_ops_only = at_cleanup_fixpoint && !st.rules.has_any_root();
      rewrite_result r = apply_patterns_greedily(g, st.with_cleanup, cfg);
      at_cleanup_fixpoint = r.converged;
      accumulate(total, std::move(r));
    }
    return total;
  }
  rewrite_result run(G& g, const driver_config& driver = {}) const {
    return run(g, driver, [](target::rule_family) { return true; });
  }

 private:
  struct step {
    target::rule_family family;
    pattern_set<G> rules;         // the step's own rules: what it is rooted at
    pattern_set<G> with_cleanup;  // what the driver runs
  };
  std::vector<step> steps_;
};

namespace detail {
// The pipeline for these options, built on first use (thread-safe: function-local statics).
template <ir_graph G>
const streamline_pipeline<G>& shared_pipeline(const streamline_options& opt) {
  auto make = [](bool qonnx, bool round) {
    streamline_options o;
    o.convert_qonnx = qonnx;
    o.round_thresholds = round;
    return streamline_pipeline<G>(o);
  };
  if (opt.convert_qonnx && opt.round_thresholds) { static const auto p = make(true, true); return p; }
  if (opt.convert_qonnx) { static const auto p = make(true, false); return p; }
  if (opt.round_thresholds) { static const auto p = make(false, true); return p; }
  static const auto p = make(false, false);
  return p;
}
}  // namespace detail

// Runs the preset. A step that throws leaves the graph as that step found it (the
// driver restores its run); the steps before it stay applied.
template <ir_graph G>
[[nodiscard]] rewrite_result streamline(G& g, const streamline_options& opt = {}) {
  return detail::shared_pipeline<G>(opt).run(g, opt.driver);
}

// The same, with only the families `Target` wants (target_traits<Target>::wants).
template <ir_graph G, target::backend_target Target>
[[nodiscard]] rewrite_result streamline(G& g, const Target&, const streamline_options& opt = {}) {
  return detail::shared_pipeline<G>(opt).run(g, opt.driver,
                                             [](target::rule_family f) { return target::target_traits<Target>::wants(f); });
}

#ifdef NNREWRITE_SEPARATE_COMPILATION
extern template rewrite_result streamline<model>(model&, const streamline_options&);
#endif

}  // namespace nnrewrite::streamline
