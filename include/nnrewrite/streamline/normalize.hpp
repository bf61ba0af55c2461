// Arithmetic normalisation (FINN: streamline/reorder.py, collapse_repeated.py,
// batchnorm_to_affine.py, sign_to_thres.py): bring scales and biases into the two
// forms the other families move and absorb, Mul(x, C) and Add(x, C).
//
//   ConvertSubToAdd       Sub(x, C)            -> Add(x, -C)
//   ConvertDivToMul       Div(x, C)            -> Mul(x, 1/C)            (float, C != 0)
//   BatchNormToAffine     BatchNormalization   -> Mul(A) -> Add(B)      A = g/sqrt(v+eps), B = b - A*mean
//                         (an Unsqueeze before and Squeeze after on 2-D data fold away)
//   ConvertSignToThres    Sign(x)              -> MultiThreshold(x, [[0]]) BIPOLAR, scale 2, bias -1
//                         (differs at x = 0: Sign gives 0, the threshold +1, as in FINN)
//   CollapseRepeatedAdd   Add(Add(x, C0), C1)  -> Add(x, C0 + C1)        (first Add single-use)
//   CollapseRepeatedMul   Mul(Mul(x, C0), C1)  -> Mul(x, C0 * C1)        (first Mul single-use)
//   RemoveIdentityReshape / RemoveIdentityTranspose   a Reshape to the input's shape, the identity perm
//   CollapseRepeatedTranspose   Transpose(Transpose(x, p), q) -> Transpose(x, r), r[i] = p[q[i]]  (first single-use)
#pragma once

#include "nnrewrite/streamline/common.hpp"

namespace nnrewrite::streamline {

template <ir_graph G>
class ConvertSubToAdd final : public rewrite_pattern<G> {
 public:
  ConvertSubToAdd() : rewrite_pattern<G>("ConvertSubToAdd", "Sub") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto m = as_const_operand_op(g, v, {"Sub"}, why);
    if (!m) return failure(why);
    const value_info& out = ir_traits<G>::value(g, v, 0);
    if (!is_floating(m->constant().type()) || !is_float_value(out)) return failure("an integer Sub is left alone");
    const tensor neg = map_double(m->constant(), m->constant().type(), [](double e) { return -e; });
    rw.replace_op(v, {rw.op_with_constant("Add", m->x, neg, like(out))});
    return success();
  }
};

template <ir_graph G>
class ConvertDivToMul final : public rewrite_pattern<G> {
 public:
  ConvertDivToMul() : rewrite_pattern<G>("ConvertDivToMul", "Div") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto m = as_const_operand_op(g, v, {"Div"}, why);
    if (!m) return failure(why);
    const value_info& out = ir_traits<G>::value(g, v, 0);
    if (!is_floating(m->constant().type()) || !is_float_value(out))
      return failure("an integer Div truncates: it is not a Mul");
    if (any_zero(m->constant())) return failure("the divisor has a zero");
    const tensor inv = map_double(m->constant(), m->constant().type(), [](double e) { return 1.0 / e; });
    rw.replace_op(v, {rw.op_with_constant("Mul", m->x, inv, like(out))});
    return success();
  }
};

template <ir_graph G>
class BatchNormToAffine final : public rewrite_pattern<G> {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;
  BatchNormToAffine() : rewrite_pattern<G>("BatchNormToAffine", "BatchNormalization") {}

  match_result match_and_rewrite(V v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto& attrs = T::attributes(g, v);
    if (attribute_or<std::int64_t>(attrs, "training_mode", 0) != 0) return failure("in training mode");
    for (int p = 1; p < T::num_outputs(g, v); ++p)
      if (num_uses(g, value_ref<V>{v, p}) != 0) return failure("its running statistics are used");
    const auto x = operand(g, v, 0);
    if (!x) return failure("has no input");
    std::vector<constant_handle_t<G>> k;
    for (int p = 1; p <= 4; ++p) {
      const auto o = operand(g, v, p);
      if (!o || T::kind(g, o->node) != node_kind::constant) return failure("scale, bias, mean and variance are not all constants");
      k.push_back(T::constant_value(g, o->node));
      if (!k.back() || k.back()->has_non_finite()) return failure("a parameter holds NaN or Inf");
    }
    const std::int64_t c = k[0]->size();
    for (const auto& t : k)
      if (t->size() != c || t->rank() != 1) return failure("the parameters are not vectors of one length");
    const auto& xs = T::value(g, x->node, x->port).shape;
    if (!xs || xs->size() < 2) return failure("the input's rank is unknown or below 2");
    if ((*xs)[1].known() && (*xs)[1].size != c) return failure("the parameters' length is not the input's channel count");
    const double eps = attribute_or<double>(attrs, "epsilon", 1e-5);
    std::vector<double> a(static_cast<std::size_t>(c)), b(static_cast<std::size_t>(c));
    for (std::int64_t i = 0; i < c; ++i) {
      const double var = k[3]->get(i) + eps;
      if (!(var > 0)) return failure("variance + epsilon is not positive");
      a[std::size_t(i)] = k[0]->get(i) / std::sqrt(var);
      b[std::size_t(i)] = k[1]->get(i) - a[std::size_t(i)] * k[2]->get(i);
    }

    // Unsqueeze -> BN -> Squeeze on 2-D data [N, C]: the affine goes on the 2-D data.
    value_ref<V> data = *x;
    value_ref<V> result{v, 0};
    shape_t cshape{c};
    for (std::size_t i = 2; i < xs->size(); ++i) cshape.push_back(1);
    if (auto folded = fold_unsqueeze_squeeze(g, v, *x)) {
      data = folded->first;
      result = folded->second;
      cshape = {c};
    }
    const value_info& out = T::value(g, result.node, result.port);
    const element_type e = is_floating(out.elem) ? out.elem : element_type::float32;
    const auto mul = rw.op_with_constant("Mul", data, tensor(e, cshape, std::span<const double>(a)), like(out, "_scaled"));
    const auto add = rw.op_with_constant("Add", mul, tensor(e, cshape, std::span<const double>(b)), like(out));
    rw.replace_all_uses(result, add);
    return success();
  }

 private:
  // (the 2-D data, the Squeeze's result) when x = Unsqueeze(data) feeds only this
  // BN, the BN's only use is a Squeeze giving data's shape back, and the Unsqueeze
  // keeps the first two axes.
  static std::optional<std::pair<value_ref<V>, value_ref<V>>> fold_unsqueeze_squeeze(const G& g, V bn, value_ref<V> x) {
    if (!is_op(g, x.node, "Unsqueeze") || num_uses(g, x) != 1) return std::nullopt;
    const auto users = uses(g, value_ref<V>{bn, 0});
    if (users.size() != 1 || !is_op(g, users[0].node, "Squeeze")) return std::nullopt;
    const auto data = operand(g, x.node, 0);
    if (!data) return std::nullopt;
    const auto& ds = T::value(g, data->node, data->port).shape;
    const auto& us = T::value(g, x.node, x.port).shape;
    const auto& ss = T::value(g, users[0].node, 0).shape;
    if (!ds || !us || !ss || ds->size() != 2 || !(*ds == *ss) || us->size() < 2) return std::nullopt;
    if (!((*us)[0] == (*ds)[0]) || !((*us)[1] == (*ds)[1]) || !(*ds)[1].known()) return std::nullopt;
    return std::pair{*data, value_ref<V>{users[0].node, 0}};
  }
};

template <ir_graph G>
class ConvertSignToThres final : public rewrite_pattern<G> {
 public:
  ConvertSignToThres() : rewrite_pattern<G>("ConvertSignToThres", "Sign") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto x = operand(g, v, 0);
    if (!x) return failure("has no operand");
    const value_info& out = ir_traits<G>::value(g, v, 0);
    if (!is_float_value(out)) return failure("not a float Sign");
    const auto t = rw.constant(tensor(element_type::float32, shape_t{1, 1}, std::vector<float>{0.0f}), out.name + "_thresholds");
    attribute_map attrs{{"out_dtype", std::string("BIPOLAR")}, {"out_scale", 2.0}, {"out_bias", -1.0}};
    if (!ir_traits<G>::value(g, x->node, x->port).layout.empty())
      attrs.emplace("data_layout", ir_traits<G>::value(g, x->node, x->port).layout);
    value_info r = like(out);
    r.dtype = data_type::bipolar();
    rw.replace_op(v, {rw.op("MultiThreshold", {*x, t}, std::move(r), std::move(attrs), qonnx_domain)});
    return success();
  }
};

// Add(Add(x, C0), C1) -> Add(x, C0 + C1); Mul likewise. With keep_sign_factor
// (streamline_plus, where FactorOutMulSignMagnitude is in the same rule set), a
// sign factor followed by a non-negative magnitude — what that rule splits a
// mixed-sign scale into — is not merged back, so the two rules cannot undo each other.
template <ir_graph G>
class collapse_repeated : public rewrite_pattern<G> {
 public:
  explicit collapse_repeated(std::string op, bool keep_sign_factor = false)
      : rewrite_pattern<G>("CollapseRepeated" + op, op), op_(std::move(op)), keep_sign_factor_(keep_sign_factor) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto second = as_const_operand_op(g, v, {op_}, why);
    if (!second) return failure(why);
    const auto first = single_use_producer(g, v, second->c_port == 1 ? 0 : 1, {op_}, why);
    if (!first) return failure(why);
    const element_type e = second->constant().type();
    if (!is_floating(e) || first->constant().type() != e) return failure("the constants are not of one float type");
    const bool add = op_ == "Add";
    if (!add && keep_sign_factor_ && is_sign_factor(first->constant()) && all_nonnegative(second->constant()))
      return failure("a sign factor and its magnitude (FactorOutMulSignMagnitude's split) stay apart");
    const tensor c = combine(first->constant(), second->constant(), e,
                             [add](double a, double b) { return add ? a + b : a * b; });
    rw.replace_op(v, {rw.op_with_constant(op_, first->x, c, like(ir_traits<G>::value(g, v, 0)))});
    return success();
  }

 private:
  // Every element -1 or +1, one of them -1.
  static bool is_sign_factor(const tensor& t) {
    return t.all_of([](auto e) { return double(e) == 1 || double(e) == -1; }) && !all_nonnegative(t);
  }
  std::string op_;
  bool keep_sign_factor_;
};
template <ir_graph G>
struct CollapseRepeatedAdd final : collapse_repeated<G> {
  CollapseRepeatedAdd() : collapse_repeated<G>("Add") {}
};
template <ir_graph G>
struct CollapseRepeatedMul final : collapse_repeated<G> {
  explicit CollapseRepeatedMul(bool keep_sign_factor = false) : collapse_repeated<G>("Mul", keep_sign_factor) {}
};

// Reshape to the input's own (known) shape, Transpose by the identity permutation.
template <ir_graph G>
class RemoveIdentityReshape final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  RemoveIdentityReshape() : rewrite_pattern<G>("RemoveIdentityReshape", "Reshape") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto x = operand(g, v, 0);
    if (!x) return failure("has no input");
    const auto in = known_shape(T::value(g, x->node, x->port).shape), out = known_shape(T::value(g, v, 0).shape);
    if (!in || !out) return failure("a shape is not known");
    if (*in != *out) return failure("it changes the shape");
    rw.replace_op(v, {*x});
    return success();
  }
};

template <ir_graph G>
class RemoveIdentityTranspose final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  RemoveIdentityTranspose() : rewrite_pattern<G>("RemoveIdentityTranspose", "Transpose") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto x = operand(g, v, 0);
    if (!x) return failure("has no input");
    const auto& attrs = T::attributes(g, v);  // held: an IR may return the map by value
    const auto* perm = find_attribute<std::vector<std::int64_t>>(attrs, "perm");
    if (!perm) return failure("no perm (the default reverses the axes)");
    for (std::size_t i = 0; i < perm->size(); ++i)
      if ((*perm)[i] != std::int64_t(i)) return failure("the permutation is not the identity");
    rw.replace_op(v, {*x});
    return success();
  }
};

template <ir_graph G>
class CollapseRepeatedTranspose final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  CollapseRepeatedTranspose() : rewrite_pattern<G>("CollapseRepeatedTranspose", "Transpose") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto inner = operand(g, v, 0);
    if (!inner || !is_op(g, inner->node, "Transpose")) return failure("not after a Transpose");
    if (num_uses(g, *inner) != 1) return failure("the first Transpose feeds more than one consumer (a fork)");
    const auto x = operand(g, inner->node, 0);
    if (!x) return failure("the first Transpose has no input");
    const auto p = transpose_perm(g, inner->node), q = transpose_perm(g, v);
    if (!p || !q) return failure("a permutation is not known (no perm, and the rank unknown) or not a permutation");
    if (p->size() != q->size()) return failure("the permutations have different lengths");
    const value_info out = T::value(g, v, 0);
    rw.replace_op(v, {rw.op("Transpose", {*x}, like(out), attribute_map{{"perm", compose_perms(*p, *q)}})});
    return success();
  }
};

template <ir_graph G>
void populate_normalize_patterns(pattern_set<G>& set) {
  set.template add<ConvertSubToAdd<G>>();
  set.template add<ConvertDivToMul<G>>();
  set.template add<BatchNormToAffine<G>>();
  set.template add<ConvertSignToThres<G>>();
  set.template add<CollapseRepeatedAdd<G>>();
  set.template add<CollapseRepeatedMul<G>>();
  set.template add<RemoveIdentityReshape<G>>();
  set.template add<RemoveIdentityTranspose<G>>();
  set.template add<CollapseRepeatedTranspose<G>>();
}

}  // namespace nnrewrite::streamline
