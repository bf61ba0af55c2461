// The streamlining rule families and the classic preset.
//
//   streamline(g)   FINN's Streamline() sequence (../shared/spec/streamlining.md,
//                   "Presets"): each rule to its own fixpoint under the worklist
//                   driver, with the cleanup set (constant folding, identity
//                   removal, value-info inference, dead nodes) in every step, then
//                   RoundAndClipThresholds. Returns one rewrite_result with the
//                   counts of every rule that fired.
//
// Users compose their own sets from populate_normalize_patterns,
// populate_absorb_patterns, populate_reorder_patterns and
// populate_threshold_patterns.
#pragma once

#include <vector>

#include "nnrewrite/passes/cleanup.hpp"
#include "nnrewrite/rewrite/driver.hpp"
#include "nnrewrite/streamline/absorb.hpp"
#include "nnrewrite/streamline/normalize.hpp"
#include "nnrewrite/streamline/reorder.hpp"
#include "nnrewrite/streamline/round_thresholds.hpp"

namespace nnrewrite::streamline {

struct streamline_options {
  // Used for every step (limits, tracing, expensive checks, error policy).
  driver_config driver{};
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

// The steps of FINN's Streamline(), in its order.
template <ir_graph G>
std::vector<void (*)(pattern_set<G>&)> classic_steps() {
  using S = pattern_set<G>&;
  return {
      [](S s) { s.template add<ConvertSubToAdd<G>>(); },
      [](S s) { s.template add<ConvertDivToMul<G>>(); },
      [](S s) { s.template add<BatchNormToAffine<G>>(); },
      [](S s) { s.template add<ConvertSignToThres<G>>(); },
      [](S s) { s.template add<MoveMulPastMaxPool<G>>(); },
      [](S s) { s.template add<AbsorbSignBiasIntoMultiThreshold<G>>(); },
      [](S s) { s.template add<MoveScalarLinearPastInvariants<G>>(); },
      [](S s) { s.template add<MoveAddPastMul<G>>(); },
      [](S s) { s.template add<MoveScalarAddPastMatMul<G>>(); },
      [](S s) { s.template add<MoveScalarMulPastMatMul<G>>(); },
      [](S s) { s.template add<MoveScalarMulPastConv<G>>(); },
      [](S s) { s.template add<MoveAddPastMul<G>>(); },
      [](S s) { s.template add<CollapseRepeatedAdd<G>>(); },
      [](S s) { s.template add<CollapseRepeatedMul<G>>(); },
      [](S s) { s.template add<MoveMulPastMaxPool<G>>(); },
      [](S s) { s.template add<AbsorbAddIntoMultiThreshold<G>>(); },
      [](S s) { s.template add<FactorOutMulSignMagnitude<G>>(); },
      [](S s) { s.template add<AbsorbMulIntoMultiThreshold<G>>(); },
      [](S s) { s.template add<Absorb1BitMulIntoMatMul<G>>(); },
      [](S s) { s.template add<Absorb1BitMulIntoConv<G>>(); },
  };
}

// Runs the classic sequence. A step that throws leaves the graph as that step
// found it (the driver restores its run); the steps before it stay applied.
template <ir_graph G>
[[nodiscard]] rewrite_result streamline(G& g, const streamline_options& opt = {}) {
  rewrite_result total;
  total.converged = true;
  auto run = [&](void (*add)(pattern_set<G>&)) {
    pattern_set<G> set;
    add(set);
    populate_cleanup_patterns(set);
    accumulate(total, apply_patterns_greedily(g, set, opt.driver));
  };
  for (auto step : classic_steps<G>()) run(step);
  if (opt.round_thresholds) run([](pattern_set<G>& s) { populate_threshold_patterns(s); });
  return total;
}

#ifdef NNREWRITE_SEPARATE_COMPILATION
extern template rewrite_result streamline<model>(model&, const streamline_options&);
#endif

}  // namespace nnrewrite::streamline
