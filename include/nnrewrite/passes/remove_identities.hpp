// Identity removal: Identity ops, and Add/Sub of zeros and Mul/Div by ones whose
// broadcasting does not change the other operand's shape or element type (adding
// zeros of shape [1,8] to x of shape [8] is not an identity: it adds an axis).
#pragma once

#include <string>

#include "nnrewrite/ir/axes.hpp"
#include "nnrewrite/pattern/matchers.hpp"
#include "nnrewrite/rewrite/pattern.hpp"

namespace nnrewrite {

template <ir_graph G>
class remove_identity_op final : public rewrite_pattern<G> {
 public:
  remove_identity_op() : rewrite_pattern<G>("RemoveIdentityOp", "Identity", 3) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    if (!is_onnx_domain(ir_traits<G>::domain(g, v))) return failure("not ONNX's Identity");
    const auto x = operand(g, v, 0);
    if (!x) return failure("has no operand");
    rw.replace_op(v, {*x});
    return success();
  }
};

// x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1 -> x.
template <ir_graph G>
class remove_neutral_elementwise final : public rewrite_pattern<G> {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;

  // op: Add, Sub, Mul or Div.
  explicit remove_neutral_elementwise(std::string op)
      : rewrite_pattern<G>("RemoveNeutral" + op, op, 3), neutral_(op == "Add" || op == "Sub" ? 0.0 : 1.0),
        commutative_(op == "Add" || op == "Mul") {}

  match_result match_and_rewrite(V v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    if (!is_onnx_domain(T::domain(g, v))) return failure("not an ONNX op");
    const auto x0 = operand(g, v, 0), x1 = operand(g, v, 1);
    if (!x0 || !x1 || in_degree(v, g) != 2) return failure("does not have two operands");
    const char* why = "no operand is a constant";
    for (int c = commutative_ ? 0 : 1; c < 2; ++c) {
      const value_ref<V> x = c == 0 ? *x1 : *x0, k = c == 0 ? *x0 : *x1;
      const auto t = T::constant_value(g, k.node);
      if (!t) continue;
      if (!t->all_of([n = neutral_](auto e) { return double(e) == n; })) {
        why = neutral_ == 0.0 ? "the constant is not all zeros" : "the constant is not all ones";
        continue;
      }
      const value_info& xi = T::value(g, x.node, x.port);
      if (xi.elem != T::value(g, v, 0).elem) {
        why = "the result's element type differs from the operand's";
        continue;
      }
      if (!broadcast_keeps_shape(xi.shape, t->shape())) {
        why = "broadcasting with the constant may change the other operand's shape";
        continue;
      }
      rw.replace_op(v, {x});
      return success();
    }
    return failure(why);
  }

 private:
  double neutral_;
  bool commutative_;
};

template <ir_graph G>
void populate_identity_removal_patterns(pattern_set<G>& set) {
  set.template add<remove_identity_op<G>>();
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) set.template add<remove_neutral_elementwise<G>>(op);
}

}  // namespace nnrewrite
