// Constant folding through the reference executor: an op whose operands are all
// constants is evaluated once and replaced by constants holding its results.
// Constants are nodes, not ops, so a folded result is never folded again.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "nnrewrite/exec/executor.hpp"
#include "nnrewrite/rewrite/pattern.hpp"

namespace nnrewrite {

struct fold_options {
  // QONNX's FoldConstants keeps weight quantizers: FoldQuantWeights turns them into
  // integer weights and a scale instead of float weights.
  std::vector<std::string> exclude_ops{"Quant", "BipolarQuant"};
  // Folding must not blow a small Expand/Tile/ConstantOfShape up into a huge constant.
  std::int64_t max_elements = std::int64_t(1) << 24;
  const exec::kernel_registry* kernels = nullptr;  // default_kernels() when null
};

namespace detail {
inline bool is_random_op(std::string_view op) {
  return op.starts_with("Random") || op == "Multinomial" || op == "Bernoulli" || op == "Dropout";
}
}  // namespace detail

template <ir_graph G>
class fold_constant_op final : public rewrite_pattern<G> {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;

  explicit fold_constant_op(fold_options opt = {}) : rewrite_pattern<G>("FoldConstants", "", 2), opt_(std::move(opt)) {}

  match_result match_and_rewrite(V v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    // The common case first, without allocating: some operand is not a constant.
    if (in_degree(v, g) == 0) return failure("has no operands");
    for (auto [it, end] = in_edges(v, g); it != end; ++it)
      if (T::kind(g, source(*it, g)) != node_kind::constant) return failure("an operand is not a constant");
    const std::string_view op = T::op_type(g, v);
    if (std::find(opt_.exclude_ops.begin(), opt_.exclude_ops.end(), op) != opt_.exclude_ops.end())
      return failure(std::string(op) + " is excluded from folding");
    if (detail::is_random_op(op)) return failure(std::string(op) + " is not deterministic");
    const auto ops = operands(g, v);
    // The handles live as long as the evaluation: an IR may build the tensor on request.
    std::vector<constant_handle_t<G>> held(ops.size());
    std::vector<const tensor*> args(ops.size(), nullptr);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!ops[i]) continue;
      held[i] = T::constant_value(g, ops[i]->node);
      if (!held[i]) return failure("a constant operand holds no value");
      args[i] = &*held[i];
    }
    const exec::kernel_registry& reg = opt_.kernels ? *opt_.kernels : exec::default_kernels();
    if (!reg.supports(T::domain(g, v), op)) return failure("the reference executor has no kernel for " + std::string(op));

    std::vector<tensor> results;
    try {
      results = exec::evaluate_op(g, v, args, reg, exec::default_opset(g));
    } catch (const error& e) {
      return failure(std::string("evaluating it failed: ") + e.what());
    }
    for (const tensor& t : results)
      if (t.size() > opt_.max_elements)
        return failure("its result has " + std::to_string(t.size()) + " elements, more than the folding limit " +
                       std::to_string(opt_.max_elements));
    for (int p = 0; p < T::num_outputs(g, v); ++p) {
      const value_info& declared = T::value(g, v, p);
      if (!exec::detail::shape_agrees(declared.shape, results[std::size_t(p)].shape()))
        return failure("computed shape " + to_string(results[std::size_t(p)].shape()) + " for '" + declared.name +
                       "', which is declared " + to_string(*declared.shape));
    }

    for (int p = 0; p < T::num_outputs(g, v); ++p) {
      const value_ref<V> out{v, p};
      if (num_uses(g, out) == 0) continue;
      tensor& t = results[std::size_t(p)];
      value_info info = T::value(g, v, p);  // keeps the name, QONNX type and layout
      info.elem = t.type();
      info.shape = to_dims(t.shape());
      const V c = rw.create_constant(std::move(info), std::move(t));
      rw.replace_all_uses(out, value_ref<V>{c, 0});
    }
    rw.erase(v);
    return success();
  }

 private:
  fold_options opt_;
};

}  // namespace nnrewrite
