// The streamlining rule families and the two presets.
//
//   streamline(g)        value-info inference over the whole graph, the QONNX front
//                        end (qonnx.hpp), then FINN's Streamline() sequence
//                        (../shared/spec/streamlining.md, "Presets"): each rule to
//                        its own fixpoint under the worklist driver, with the
//                        cleanup set (constant folding, identity removal,
//                        value-info inference, dead nodes) in every step, then
//                        RoundAndClipThresholds.
//   streamline_plus(g)   FINN+'s StreamlinePlus for residual and attention
//                        graphs: the same front end, then one exhaustive rule set
//                        (normalisation, absorption, moves, the fork and join rules
//                        of fork_join.hpp, layout clean-ups, NHWC ops for
//                        targets that want them) under the worklist
//                        driver — not FINN+'s nested re-scans — then
//                        RoundAndClipThresholds.
//
// Both return one rewrite_result with the counts of every rule that fired and a
// typed stop reason. streamline(g, target) / streamline_plus(g, target) run only
// the rule families the target wants. Users compose their own sets from
// populate_qonnx_patterns, populate_normalize_patterns, populate_absorb_patterns,
// populate_reorder_patterns, populate_fork_join_patterns, populate_layout_patterns,
// populate_nhwc_patterns and populate_threshold_patterns.
//
// Why the exhaustive set terminates: every rule either removes an op (absorption,
// collapsing, merging two identical ops at a join), moves a constant op one edge
// toward the outputs (never back: MoveMulPastAdd, which moves a bias up, is not in
// the set), or gives each use of a forking constant op its own copy (which
// leaves fewer forking constant ops and moves nothing up). The one rule that adds
// an op in place, FactorOutMulSignMagnitude, splits a mixed-sign scale into a sign
// and a non-negative magnitude, and the set's CollapseRepeatedMul does not merge
// those two back. The NHWC rules each take away what they match: an ONNX MaxPool
// (it becomes MaxPoolNHWC), or a Resize reading NCHW data (it then reads NHWC);
// nothing in the set makes either. The driver's cycle detection stays on as the
// safety net.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "nnrewrite/passes/cleanup.hpp"
#include "nnrewrite/rewrite/driver.hpp"
#include "nnrewrite/streamline/absorb.hpp"
#include "nnrewrite/streamline/fork_join.hpp"
#include "nnrewrite/streamline/layout.hpp"
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

// One part of a preset's stage: rules of one family (a target may not want a
// family: target_traits<T>::wants).
template <ir_graph G>
struct streamline_step {
  target::rule_family family;
  void (*add)(pattern_set<G>&);
};
// A stage: parts run together, under one driver run, to one fixpoint. The classic
// preset has one rule per stage, in FINN's order; the plus preset one stage with
// everything.
template <ir_graph G>
using streamline_stage = std::vector<streamline_step<G>>;

enum class preset : std::uint8_t { classic, plus };

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

// The one exhaustive stage of StreamlinePlus: the classic rules (without the
// repeats the classic order needs), the residual group and the layout clean-ups,
// by family. No two of them undo each other (see the top of this file).
template <ir_graph G>
streamline_stage<G> plus_stage() {
  using S = pattern_set<G>&;
  using F = target::rule_family;
  return {
      {F::normalize,
       [](S s) {
         s.template add<ConvertSubToAdd<G>>();
         s.template add<ConvertDivToMul<G>>();
         s.template add<BatchNormToAffine<G>>();
         s.template add<ConvertSignToThres<G>>();
         s.template add<CollapseRepeatedAdd<G>>();
         s.template add<CollapseRepeatedMul<G>>(true);
         s.template add<RemoveIdentityReshape<G>>();
         s.template add<RemoveIdentityTranspose<G>>();
         s.template add<CollapseRepeatedTranspose<G>>();
       }},
      {F::reorder,
       [](S s) {
         s.template add<MoveMulPastMaxPool<G>>();
         s.template add<MoveScalarLinearPastInvariants<G>>();
         s.template add<MoveAddPastMul<G>>();
         s.template add<MoveScalarAddPastMatMul<G>>();
         s.template add<MoveAddPastConv<G>>();
         s.template add<MoveScalarMulPastMatMul<G>>();
         s.template add<MoveScalarMulPastConv<G>>();
         s.template add<MoveScalesPastIm2Col<G>>("Im2Col");
         s.template add<MoveScalesPastIm2Col<G>>("Pad");
       }},
      {F::fork_join, [](S s) { populate_fork_join_patterns(s); }},
      {F::layout, [](S s) { populate_layout_patterns(s); }},
      {F::nhwc, [](S s) { populate_nhwc_patterns(s); }},
      {F::absorb,
       [](S s) {
         s.template add<AbsorbSignBiasIntoMultiThreshold<G>>();
         s.template add<AbsorbAddIntoMultiThreshold<G>>();
         s.template add<FactorOutMulSignMagnitude<G>>();
         s.template add<AbsorbMulIntoMultiThreshold<G>>();
         s.template add<Absorb1BitMulIntoMatMul<G>>();
         s.template add<Absorb1BitMulIntoConv<G>>();
         s.template add<AbsorbConsecutiveTransposes<G>>();
       }},
  };
}

// The whole preset: the front end (when asked for), the preset's stages,
// threshold rounding (when asked for).
template <ir_graph G>
std::vector<streamline_stage<G>> preset_stages(const streamline_options& opt, preset which = preset::classic) {
  using F = target::rule_family;
  std::vector<streamline_stage<G>> stages;
  if (opt.convert_qonnx) stages.push_back({{F::qonnx, [](pattern_set<G>& s) { populate_qonnx_patterns(s); }}});
  if (which == preset::plus) {
    stages.push_back(plus_stage<G>());
  } else {
    for (const auto& s : classic_steps<G>()) stages.push_back({s});
  }
  if (opt.round_thresholds) stages.push_back({{F::thresholds, [](pattern_set<G>& s) { populate_threshold_patterns(s); }}});
  return stages;
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

// A preset's rule sets, built once and run on any number of graphs (after
// MLIR's FrozenRewritePatternSet): a set does not change after it is built and
// patterns keep no state, so one pipeline serves every graph and every thread.
// streamline() keeps one per preset and combination of the options that shape
// the sets; building them costs about as much as streamlining TFC once.
template <ir_graph G>
class streamline_pipeline {
 public:
  // Reads convert_qonnx and round_thresholds; the driver settings are run()'s.
  explicit streamline_pipeline(const streamline_options& opt = {}, preset which = preset::classic) {
    for (auto& parts : preset_stages<G>(opt, which)) {
      stage st;
      st.parts = std::move(parts);
      build(st.parts, st.rules, st.with_cleanup, [](target::rule_family) { return true; });
      stages_.push_back(std::move(st));
    }
  }

  // Runs the stages' parts whose family `wants` accepts (wants(rule_family) -> bool).
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
    // After a stage reaches its fixpoint, no cleanup pattern applies anywhere: a
    // later stage need only try its own rules' root ops (and what their rewrites
    // touch; a rule rooted at any op still sees every op), and a stage none of
    // whose rules is rooted at an op type present is skipped.
    bool at_cleanup_fixpoint = false;
    // One name index for every stage, not one per stage's run.
    std::optional<name_index> own_names;
    name_index* names = driver.names;
    if (!names) names = &own_names.emplace(g);
    for (const auto& st : stages_) {
      std::size_t wanted = 0;
      for (const auto& p : st.parts) wanted += wants(p.family);
      if (wanted == 0) continue;
      // A target that wants only some families of a stage gets a set built for it.
      std::optional<std::pair<pattern_set<G>, pattern_set<G>>> own;
      if (wanted != st.parts.size()) {
        own.emplace();
        build(st.parts, own->first, own->second, wants);
      }
      const pattern_set<G>& rules = own ? own->first : st.rules;
      const pattern_set<G>& with_cleanup = own ? own->second : st.with_cleanup;
      if (at_cleanup_fixpoint && !detail::has_root_in(g, rules)) continue;
      driver_config cfg = driver;
      cfg.names = names;
      cfg.seed_rooted_ops_only = at_cleanup_fixpoint && !rules.has_any_root();
      rewrite_result r = apply_patterns_greedily(g, with_cleanup, cfg);
      at_cleanup_fixpoint = r.converged;
      accumulate(total, std::move(r));
    }
    return total;
  }
  rewrite_result run(G& g, const driver_config& driver = {}) const {
    return run(g, driver, [](target::rule_family) { return true; });
  }

 private:
  struct stage {
    streamline_stage<G> parts;
    pattern_set<G> rules;         // the stage's own rules: what it is rooted at
    pattern_set<G> with_cleanup;  // what the driver runs
  };
  template <class Wants>
  static void build(const streamline_stage<G>& parts, pattern_set<G>& rules, pattern_set<G>& with_cleanup, Wants wants) {
    for (const auto& p : parts)
      if (wants(p.family)) {
        p.add(rules);
        p.add(with_cleanup);
      }
    populate_cleanup_patterns(with_cleanup);
  }
  std::vector<stage> stages_;
};

namespace detail {
// The pipeline for a preset and options, built on first use (thread-safe:
// function-local statics, one per combination).
template <ir_graph G, int Which>
const streamline_pipeline<G>& pipeline_for() {
  static const streamline_pipeline<G> p = [] {
    streamline_options o;
    o.convert_qonnx = (Which & 1) != 0;
    o.round_thresholds = (Which & 2) != 0;
    return streamline_pipeline<G>(o, (Which & 4) != 0 ? preset::plus : preset::classic);
  }();
  return p;
}
template <ir_graph G>
const streamline_pipeline<G>& shared_pipeline(const streamline_options& opt, preset which = preset::classic) {
  using get = const streamline_pipeline<G>& (*)();
  static constexpr get table[] = {&pipeline_for<G, 0>, &pipeline_for<G, 1>, &pipeline_for<G, 2>, &pipeline_for<G, 3>,
                                  &pipeline_for<G, 4>, &pipeline_for<G, 5>, &pipeline_for<G, 6>, &pipeline_for<G, 7>};
  return table[(opt.convert_qonnx ? 1 : 0) | (opt.round_thresholds ? 2 : 0) | (which == preset::plus ? 4 : 0)]();
}
}  // namespace detail

// Runs the classic preset. A stage that throws leaves the graph as that stage
// found it (the driver restores its run); the stages before it stay applied.
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

// Runs StreamlinePlus: for residual (fork/join) and attention graphs.
template <ir_graph G>
[[nodiscard]] rewrite_result streamline_plus(G& g, const streamline_options& opt = {}) {
  return detail::shared_pipeline<G>(opt, preset::plus).run(g, opt.driver);
}
template <ir_graph G, target::backend_target Target>
[[nodiscard]] rewrite_result streamline_plus(G& g, const Target&, const streamline_options& opt = {}) {
  return detail::shared_pipeline<G>(opt, preset::plus)
      .run(g, opt.driver, [](target::rule_family f) { return target::target_traits<Target>::wants(f); });
}

#ifdef NNREWRITE_SEPARATE_COMPILATION
extern template rewrite_result streamline<model>(model&, const streamline_options&);
extern template rewrite_result streamline_plus<model>(model&, const streamline_options&);
#endif

}  // namespace nnrewrite::streamline
