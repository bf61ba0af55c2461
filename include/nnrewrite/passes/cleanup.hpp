// The cleanup set: constant folding, identity removal and value-info inference of
// the nodes they touch, with dead-node removal done by the driver itself. Streamlining runs it between
// its steps; users add it to their own sets.
#pragma once

#include "nnrewrite/passes/dead_code.hpp"
#include "nnrewrite/passes/fold_constants.hpp"
#include "nnrewrite/passes/infer.hpp"
#include "nnrewrite/passes/remove_identities.hpp"
#include "nnrewrite/rewrite/driver.hpp"

namespace nnrewrite {

template <ir_graph G>
void populate_cleanup_patterns(pattern_set<G>& set, fold_options fold = {}) {
  set.template add<fold_constant_op<G>>(std::move(fold));
  populate_identity_removal_patterns(set);
  add_value_info_inference(set);
}

// Runs the cleanup set to its fixpoint.
template <ir_graph G>
[[nodiscard]] rewrite_result cleanup(G& g, const driver_config& cfg = {}, fold_options fold = {}) {
  pattern_set<G> set;
  populate_cleanup_patterns(set, std::move(fold));
  return apply_patterns_greedily(g, set, cfg);
}

#ifdef NNREWRITE_SEPARATE_COMPILATION
extern template void populate_cleanup_patterns<model>(pattern_set<model>&, fold_options);
extern template rewrite_result cleanup<model>(model&, const driver_config&, fold_options);
extern template std::size_t infer_value_infos<model>(model&);
extern template std::size_t remove_dead_nodes<model>(model&);
#endif

}  // namespace nnrewrite
