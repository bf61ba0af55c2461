// The drivers that apply a pattern_set to a graph.
//
// apply_patterns_greedily — after MLIR's greedy pattern rewrite driver, not
// FINN's loop of whole-graph rescans: a worklist seeded with every node; each
// popped op is tried against the patterns rooted at its type (highest benefit
// first); after a rewrite only the touched nodes and their users are re-enqueued;
// ops and constants nothing uses are erased when popped. When the worklist drains, one more
// sweep over the whole graph must find nothing to do (the fixpoint). Cost:
// O(N + rewrites x local degree) instead of O(passes x N^2).
//
// apply_patterns_once — a single walk in topological order, for cheap cases.
#pragma once

#include <algorithm>
#include <iostream>
#include <optional>
#include <unordered_set>

#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/ir/verify.hpp"
#include "nnrewrite/rewrite/fingerprint.hpp"
#include "nnrewrite/rewrite/pattern.hpp"
#include "nnrewrite/rewrite/result.hpp"
#include "nnrewrite/rewrite/worklist.hpp"

namespace nnrewrite {

struct driver_config {
  // Sweeps over the whole graph; the last one is the check that nothing is left.
  std::size_t max_iterations = 10;
  // Successful applications; 0 means 64 per node of the initial graph + 4096.
  std::size_t max_rewrites = 0;
  // Top-down pops producers before users; bottom-up (the default) users first.
  bool top_down = false;
  // Pop the worklist in a random order (seeded): a confluence test.
  std::optional<std::uint64_t> random_seed;
  // Stop with cycle_detected when a graph state (structural fingerprint) repeats;
  // watched from the moment the rewrites outnumber the nodes of the graph.
  bool detect_cycles = true;
  // Erase ops and constants none of whose results is used when they are popped.
  bool erase_dead = true;
  // Fail when a pattern reports success without a change or a change with
  // failure (an incremental structural fingerprint, O(touched) per attempt), and
  // verify the whole graph after every successful rewrite (O(N) per rewrite, not
  // per attempt): cheap enough to leave on in every rule test.
  bool expensive_checks = false;
  // When a pattern or hook throws: restore the graph as it was before the run
  // (the undo log is kept for the whole run), or, when false, stop at the last
  // consistent state (every rewrite that completed stays; the log is dropped after
  // each, which bounds its memory on huge graphs). Never an invalid graph.
  bool restore_on_error = true;
  // Seed the worklist and the final sweep only with ops a pattern is rooted at by
  // type (MLIR's applyOpPatternsGreedily on chosen ops): patterns rooted at any op
  // then see only what rewrites touch. For a graph already at those patterns'
  // fixpoint, as after a cleanup run: streamline() runs its steps this way.
  bool seed_rooted_ops_only = false;
  // Record every attempt (pattern, node, applied or why not) in the result.
  bool trace = false;
  non_convergence policy = non_convergence::report;
  // Where fresh names come from (see rewriter): an index a caller keeps for several
  // runs on one graph, as streamline's stages do, instead of one built per run.
  // It must describe the graph. Null: the run builds its own when it first needs it.
  name_index* names = nullptr;
};

namespace detail {

// The driver's worklist: positions in an array when G has a dense vertex index.
template <ir_graph G>
using node_worklist = worklist<vertex_t<G>, per_vertex<G, std::size_t>>;

// Re-enqueues what a change touched: the node and the users of its results.
template <ir_graph G>
class enqueue_touched final : public rewrite_listener<vertex_t<G>> {
 public:
  using V = vertex_t<G>;
  enqueue_touched(const G& g, node_worklist<G>& wl) : g_(g), wl_(wl) {}
  void track(graph_fingerprint<G>* fp) { fp_ = fp; }
  void on_created(V v) override {
    touched(v);
    changed_.push_back(v);
  }
  void on_modified(V v) override {
    touched(v);
    changed_.push_back(v);
  }
  // What v's users read changed: they are hooked too (they are enqueued already).
  void on_value_changed(V v) override {
    for (auto [it, end] = out_edges(v, g_); it != end; ++it) changed_.push_back(edge_target(*it, g_));
  }
  // Only v: it may be dead now, or newly single-use; its users saw no change.
  void on_use_removed(V v) override { pending_.push_back(v); }
  void on_erased(V v) override {
    wl_.remove(v);
    std::erase(pending_, v);
    std::erase(changed_, v);
    if (fp_) fp_->remove(v);
  }

  // Nodes touched during an attempt are enqueued only if it succeeds: a failed,
  // rolled-back attempt must not bring its node back (it would fail forever).
  void begin_attempt() { clear(); }
  void commit_attempt() {
    for (V v : pending_) wl_.push(v);
    clear();
  }
  void discard_attempt() { clear(); }
  // Nodes the attempt created or modified, and the users of values it changed:
  // what the set's hooks run on (grows while hooks change things). Narrower than
  // what is enqueued, which adds every user of a touched node (a pattern may now
  // match there) though nothing it reads changed.
  const std::vector<V>& changed() const { return changed_; }
  // After a rollback only the fingerprint needs fixing: re-enqueueing a node whose
  // pattern just failed would try it again forever.
  void on_restored(V v) override {
    if (!fp_) return;
    fp_->update(v);
    for (auto [it, end] = out_edges(v, g_); it != end; ++it) fp_->update(edge_target(*it, g_));
  }

 private:
  void touched(V v) {
    pending_.push_back(v);
    if (fp_) fp_->update(v);
    for (auto [it, end] = out_edges(v, g_); it != end; ++it) {
      const V u = edge_target(*it, g_);
      pending_.push_back(u);
      if (fp_) fp_->update(u);  // its hash covers what feeds it
    }
  }
  void clear() {
    pending_.clear();
    changed_.clear();
  }
  const G& g_;
  node_worklist<G>& wl_;
  graph_fingerprint<G>* fp_ = nullptr;
  std::vector<V> pending_;  // to enqueue
  std::vector<V> changed_;  // to hook
};

inline rewrite_result finish(rewrite_result r, const driver_config& cfg) {
  if (!r.converged && r.reason != stop_reason::single_pass) {
    if (cfg.policy == non_convergence::throw_error) throw convergence_error("rewriting " + to_string(r));
    if (cfg.policy == non_convergence::warn) std::cerr << "nnrewrite: warning: rewriting " << to_string(r) << "\n";
  }
  return r;
}

}  // namespace detail

namespace detail {
// Runs the set's hooks over what the attempt changed, including what they change.
template <ir_graph G>
void run_touched_hooks(const pattern_set<G>& patterns, rewriter<G>& rw, const enqueue_touched<G>& touched,
                       rewrite_result& result) {
  const G& g = rw.graph();
  // changed() grows while hooks change nodes: index, do not iterate.
  for (std::size_t i = 0; i < touched.changed().size(); ++i) {
    if (i > 64 * (touched.changed().size() - i) + 100'000)  // grows much faster than it drains
      throw convergence_error("touched-node hooks keep changing the graph: a hook must reach a fixpoint");
    const auto& changed = touched.changed();
    const auto v = changed[i];
    if (rw.is_erased(v) || ir_traits<G>::kind(g, v) != node_kind::op) continue;
    // A node changed again later in the list is run then, on its final operands
    // (short lists only: the scan is linear).
    if (changed.size() - i < 64 && std::find(changed.begin() + std::ptrdiff_t(i) + 1, changed.end(), v) != changed.end()) continue;
    for (const auto& hook : patterns.touched_hooks())
      if (hook.run(v, rw)) ++result.per_pattern[hook.name];
  }
}
}  // namespace detail

// Tries the patterns on one op; applies the first that succeeds. The rewriter
// rolls back whatever a pattern changed if it fails or throws.
// `fp`, when given, is kept up to date by `touched` and serves the expensive checks.
template <ir_graph G>
bool apply_first_match(vertex_t<G> v, const pattern_set<G>& patterns, rewriter<G>& rw, const driver_config& cfg,
                       rewrite_result& result, detail::enqueue_touched<G>* touched = nullptr,
                       const graph_fingerprint<G>* fp = nullptr) {
  using T = ir_traits<G>;
  const G& g = rw.graph();
  for (const rewrite_pattern<G>* p : patterns.for_op(T::domain(g, v), T::op_type(g, v))) {
    const auto cp = rw.checkpoint();
    const std::string node = cfg.trace || cfg.expensive_checks ? describe(g, v) : std::string();
    const std::uint64_t before = fp ? fp->value() : 0;
    match_result r = match_result::failure("");
    if (touched) touched->begin_attempt();
    try {
      r = p->match_and_rewrite(v, rw);
    } catch (...) {
      rw.rollback(cp);
      if (touched) touched->discard_attempt();
      throw;
    }
    if (!r) {
      if (touched) touched->discard_attempt();
      if (rw.changed_since(cp)) {
        rw.rollback(cp);
        if (cfg.expensive_checks)
          throw graph_error(node, "pattern '" + p->name() + "' changed the graph but reported failure (" + r.reason() + ")");
      }
      if (cfg.trace) result.trace.push_back({p->name(), node, false, r.reason()});
      continue;
    }
    if (touched && !patterns.touched_hooks().empty()) {
      try {
        run_touched_hooks(patterns, rw, *touched, result);
      } catch (...) {
        rw.rollback(cp);
        touched->discard_attempt();
        throw;
      }
    }
    if (cfg.expensive_checks) {
      if (!rw.changed_since(cp) || (fp && fp->value() == before))
        throw graph_error(node, "pattern '" + p->name() + "' reported success but did not change the graph");
      auto problems = verify(g, [&](vertex_t<G> u) { return rw.is_erased(u); });
      if (!problems.empty())
        throw graph_error(problems.front().node, "after pattern '" + p->name() + "': " + problems.front().problem);
    }
    if (!cfg.restore_on_error) rw.commit();
    if (touched) touched->commit_attempt();
    ++result.rewrites;
    ++result.per_pattern[p->name()];
    if (cfg.trace) result.trace.push_back({p->name(), node, true, {}});
    return true;
  }
  return false;
}

namespace detail {
// Runs `body` on a rewriter of g; if it throws, everything not yet committed is
// rolled back — the whole run under restore_on_error (nothing is committed before
// the end), else only the failing application — and erased nodes are removed:
// the caller never sees a half-rewritten graph.
template <ir_graph G, class Body>
void guarded_run(G& g, name_index* names, Body body) {
  rewriter<G> rw(g, names);
  try {
    body(rw);
  } catch (...) {
    rw.rollback(0);
    rw.flush();
    throw;
  }
  rw.flush();
}
}  // namespace detail

template <ir_graph G>
rewrite_result apply_patterns_greedily(G& g, const pattern_set<G>& patterns, const driver_config& cfg = {}) {
  using V = vertex_t<G>;
  using T = ir_traits<G>;
  rewrite_result result;
  detail::guarded_run(g, cfg.names, [&](rewriter<G>& rw) {
    detail::node_worklist<G> wl(cfg.random_seed, detail::per_vertex<G, std::size_t>(g));
    detail::enqueue_touched<G> listener(g, wl);
    typename rewriter<G>::scoped_listener listening(rw, &listener);
    // The structural fingerprint: from the start under expensive checks; else from
    // the moment there have been as many rewrites as nodes (cycle detection). A
    // converging set rarely gets there, so it pays nothing for fingerprints (O(N)
    // to start); a cycle is still caught within one turn after that.
    std::optional<graph_fingerprint<G>> fp;
    auto start_fingerprint = [&] {
      fp.emplace(g, [&](V u) { return rw.is_erased(u); });
      listener.track(&*fp);
    };
    if (cfg.expensive_checks) start_fingerprint();
    bool watching = false;
    std::unordered_set<std::uint64_t> seen, deep_seen;
    const std::size_t watch_after = num_vertices(g);
    const std::size_t max_rewrites = cfg.max_rewrites ? cfg.max_rewrites : 64 * num_vertices(g) + 4096;

    bool stopped = false;
    for (std::size_t iteration = 1; iteration <= cfg.max_iterations && !stopped; ++iteration) {
      result.iterations = iteration;
      // Seed with every live node: bottom-up pops users first, top-down producers first.
      auto order = topological_order(g);
      wl.reserve(order.size());
      if (cfg.top_down) std::reverse(order.begin(), order.end());
      for (V v : order) {
        if (rw.is_erased(v)) continue;
        if (T::kind(g, v) == node_kind::op ? !cfg.seed_rooted_ops_only || patterns.roots_at(T::domain(g, v), T::op_type(g, v))
                                           : cfg.erase_dead && is_dead(g, v))
          wl.push(v);
      }
      const std::size_t rewrites_before = result.rewrites, dead_before = result.dead_erased;
      while (auto next = wl.pop()) {
        const V v = *next;
        if (rw.is_erased(v)) continue;
        if (cfg.erase_dead && is_dead(g, v)) {
          listener.begin_attempt();
          rw.erase(v);
          if (!cfg.restore_on_error) rw.commit();
          listener.commit_attempt();
          ++result.dead_erased;
          continue;
        }
        if (T::kind(g, v) != node_kind::op) continue;
        if (!apply_first_match(v, patterns, rw, cfg, result, &listener, fp ? &*fp : nullptr)) continue;
        if (cfg.detect_cycles && !watching && result.rewrites >= watch_after) {
          watching = true;
          if (!fp) start_fingerprint();
          seen.insert(fp->value());
        } else if (watching && !seen.insert(fp->value()).second) {
          // value() can repeat without the graph repeating (it sums local hashes):
          // the deep fingerprint of this state is recorded, and a cycle is a state
          // whose deep fingerprint was recorded before — one turn later for a real
          // cycle, O(N) only at these repeats.
          const auto erased = [&](V u) { return rw.is_erased(u); };
          if (!deep_seen.insert(fp->deep_value(topological_order(g), erased)).second) {
            result.reason = stop_reason::cycle_detected;
            stopped = true;
            break;
          }
        }
        if (result.rewrites >= max_rewrites) {
          result.reason = stop_reason::rewrite_limit;
          stopped = true;
          break;
        }
      }
      if (!stopped && result.rewrites == rewrites_before && result.dead_erased == dead_before) {
        result.converged = true;
        result.reason = stop_reason::fixpoint;
        break;
      }
    }
    if (!result.converged && !stopped) result.reason = stop_reason::iteration_limit;
  });
  return detail::finish(std::move(result), cfg);
}

// One walk over the ops in topological order, each tried once; nothing is re-enqueued.
template <ir_graph G>
rewrite_result apply_patterns_once(G& g, const pattern_set<G>& patterns, const driver_config& cfg = {}) {
  using T = ir_traits<G>;
  rewrite_result result;
  result.iterations = 1;
  result.reason = stop_reason::single_pass;
  detail::guarded_run(g, cfg.names, [&](rewriter<G>& rw) {
    // Nothing is re-enqueued; the listener only keeps the fingerprint for the checks.
    detail::node_worklist<G> unused(std::nullopt, detail::per_vertex<G, std::size_t>(g));
    detail::enqueue_touched<G> listener(g, unused);
    std::optional<typename rewriter<G>::scoped_listener> listening;
    std::optional<graph_fingerprint<G>> fp;
    if (cfg.expensive_checks) {
      fp.emplace(g);
      listener.track(&*fp);
      listening.emplace(rw, &listener);
    }
    for (auto v : topological_order(g))
      if (!rw.is_erased(v) && T::kind(g, v) == node_kind::op)
        (void)apply_first_match(v, patterns, rw, cfg, result, fp ? &listener : nullptr, fp ? &*fp : nullptr);
  });
  return detail::finish(std::move(result), cfg);
}

#ifdef NNREWRITE_SEPARATE_COMPILATION
extern template rewrite_result apply_patterns_greedily<model>(model&, const pattern_set<model>&, const driver_config&);
extern template rewrite_result apply_patterns_once<model>(model&, const pattern_set<model>&, const driver_config&);
#endif

}  // namespace nnrewrite
