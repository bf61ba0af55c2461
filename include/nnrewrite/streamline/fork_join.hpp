// Forks and joins (FINN: streamline/reorder.py's MoveOpPastFork family,
// MoveLinearPastEltwiseAdd, MoveIdenticalOpPastJoinOp; FINN+'s residual rules):
// residual networks fork a value into a branch and a skip and join them again
// with Add, Mul or Concat. Scales and biases cross forks by being copied, and
// cross joins by meeting an identical op on the other operand.
//
//   MoveAddPastFork / MoveMulPastFork / MoveLinearPastFork / MoveTransposePastFork
//   MoveScalarLinearPastFork / MoveChannelwiseLinearPastFork
//                            a forking op (one constant operand, or a Transpose)
//                            => one copy per use, each feeding that use alone
//   MoveLinearPastEltwiseAdd Add(x*C, y*C) => Add(x, y)*C;  Add(x+A, y+B) => Add(x, y) + (A+B)
//   MoveMulPastJoinAdd       the Mul half of it (equal constants only)
//   MoveAddPastJoinAdd       the Add half (constants summed elementwise: FINN sums
//                            per-channel constants into one scalar)
//   MoveTransposePastJoinAdd / MoveTransposePastJoinMul
//                            op(T(x, p), T(y, q)) => T(op(x, y), p), only when p = q
//                            (FINN never compares the two permutations)
//   MoveConstMulPastJoinMul  Mul(Mul(x, c), y) => Mul(Mul(x, y), c)
//   MoveConstAddPastJoinAdd  Add(Add(p, B), q) => Add(Add(p, q), B)   (beyond FINN)
//   MoveMulPastJoinConcat / MoveAddPastJoinConcat / MoveAffinePastJoinConcat
//                            Concat(x*A, y*B) => Concat(x, y)*[A B]  (scalars, or
//                            constants along the concat axis, laid side by side)
//   MoveTransposePastJoinConcat  Concat(T(x, p), T(y, p), axis a) => T(Concat(x, y, axis p[a]), p)
//   MoveScalarLinearPastSplit    Split(x op c) => op(·, c) on every part of Split(x)
//   MoveTransposePastSplit       Split(T(x, p), axis a) => T(·, p) on every part of Split(x, axis p[a])
//
// A join is an op with two or more non-constant operands in any position (FINN
// looks at operand 0 only, and crashes on Add(MatMul_out, graph_input)). Every rule
// reports its change to the driver (FINN's fork rules do not, so its loop can miss
// them). The moved ops must feed their join alone: a forking one is copied first.
#pragma once

#include <string>
#include <vector>

#include "nnrewrite/streamline/common.hpp"

namespace nnrewrite::streamline {

namespace detail {

// Why v's single result cannot be given one copy of v per use, or nullptr.
template <ir_graph G>
const char* fork_copy_blocker(const G& g, vertex_t<G> v) {
  using T = ir_traits<G>;
  if (T::num_outputs(g, v) != 1) return "has more than one result";
  // Read off the edges (every one is a use of the one result): no list of uses is
  // built for each op this is asked about.
  if (out_degree(v, g) < 2) return "not a fork (its result has one use)";
  for (auto [it, end] = out_edges(v, g); it != end; ++it)
    if (T::kind(g, edge_target(*it, g)) == node_kind::output) return "its result is a graph output (a copy could not take the name)";
  if (is_join(g, v)) return "it is a join (its copies would fork its operands instead)";
  return nullptr;
}

// Gives every use of v's result but the first its own copy of v (same operands,
// attributes and domain; a constant operand copied too, so each copy can be
// rewritten alone).
template <ir_graph G>
void copy_per_use(rewriter<G>& rw, vertex_t<G> v) {
  using T = ir_traits<G>;
  const G& g = rw.graph();
  const auto us = uses(g, value_ref<vertex_t<G>>{v, 0});
  const value_info out = T::value(g, v, 0);
  const std::string type(T::op_type(g, v)), domain(T::domain(g, v));
  const attribute_map attrs = T::attributes(g, v);
  const auto ops = operands(g, v);
  for (std::size_t i = 1; i < us.size(); ++i) {
    auto copy_ops = ops;
    for (auto& o : copy_ops)
      if (o && T::kind(g, o->node) == node_kind::constant)
        o = rw.constant(*T::constant_value(g, o->node), T::value(g, o->node, o->port).name);
    const auto copy = rw.op(type, copy_ops, like(out), attrs, domain);
    rw.set_operand(us[i].node, us[i].in_port, copy);
  }
}

}  // namespace detail

// Which forking ops a MoveOpPastFork instance copies.
enum class fork_operand {
  any_constant,  // Add/Mul/... with one constant operand of any shape
  scalar,        // ... whose constant is a scalar
  channelwise,   // ... whose constant is a scalar or varies along the data's channel axis only
  data_only,     // a single-operand op (Transpose)
};

// One copy of a forking op per consumer, so that each branch streamlines alone.
// Instances carry FINN's names; a family with several op types (Linear: Add and
// Mul) adds one instance per type.
template <ir_graph G>
class move_op_past_fork : public rewrite_pattern<G> {
 public:
  move_op_past_fork(std::string name, std::string op, fork_operand kind)
      : rewrite_pattern<G>(std::move(name), op), op_(std::move(op)), kind_(kind) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    if (!is_op(g, v, op_)) return failure("not the op the rule moves");
    if (const char* why = detail::fork_copy_blocker(g, v)) return failure(why);
    if (kind_ == fork_operand::data_only) {
      if (in_degree(v, g) != 1) return failure("does not have exactly one operand");
    } else {
      const char* why = nullptr;
      const auto m = as_const_operand_op(g, v, {op_}, why);
      if (!m) return failure(why);
      if (kind_ == fork_operand::scalar && !m->constant().is_scalar()) return failure("the constant is not a scalar");
      if (kind_ == fork_operand::channelwise && !m->constant().is_scalar()) {
        const value_info& x = m->x_info(g);
        const auto rank = x.shape ? std::optional<std::size_t>(x.shape->size()) : std::nullopt;
        if (!rank) return failure("the data's rank is unknown");
        if (!is_channelwise_along(m->constant(), *rank, channel_axis(x).value_or(1)))
          return failure("the constant is neither scalar nor channelwise");
      }
    }
    detail::copy_per_use(rw, v);
    return success();
  }

 private:
  std::string op_;
  fork_operand kind_;
};

template <ir_graph G>
struct MoveAddPastFork final : move_op_past_fork<G> {
  MoveAddPastFork() : move_op_past_fork<G>("MoveAddPastFork", "Add", fork_operand::any_constant) {}
};
template <ir_graph G>
struct MoveMulPastFork final : move_op_past_fork<G> {
  MoveMulPastFork() : move_op_past_fork<G>("MoveMulPastFork", "Mul", fork_operand::any_constant) {}
};
template <ir_graph G>
struct MoveTransposePastFork final : move_op_past_fork<G> {
  MoveTransposePastFork() : move_op_past_fork<G>("MoveTransposePastFork", "Transpose", fork_operand::data_only) {}
};
// Add and Mul: one instance per op type.
template <ir_graph G>
struct MoveLinearPastFork final : move_op_past_fork<G> {
  explicit MoveLinearPastFork(std::string op) : move_op_past_fork<G>("MoveLinearPastFork", std::move(op), fork_operand::any_constant) {}
};
// Add, Sub, Mul, Div by a scalar / by a channelwise constant: one instance per op type.
template <ir_graph G>
struct MoveScalarLinearPastFork final : move_op_past_fork<G> {
  explicit MoveScalarLinearPastFork(std::string op)
      : move_op_past_fork<G>("MoveScalarLinearPastFork", std::move(op), fork_operand::scalar) {}
};
template <ir_graph G>
struct MoveChannelwiseLinearPastFork final : move_op_past_fork<G> {
  explicit MoveChannelwiseLinearPastFork(std::string op)
      : move_op_past_fork<G>("MoveChannelwiseLinearPastFork", std::move(op), fork_operand::channelwise) {}
};

namespace detail {

// v as a two-operand join of non-constants with one result: its operands, or why not.
template <ir_graph G>
const char* as_binary_join(const G& g, vertex_t<G> v, std::string_view op, value_ref<vertex_t<G>> (&in)[2]) {
  using T = ir_traits<G>;
  if (!is_op(g, v, op)) return "not the join the rule moves past";
  if (T::num_outputs(g, v) != 1) return "has more than one result";
  const auto a = operand(g, v, 0), b = operand(g, v, 1);
  if (!a || !b || in_degree(v, g) != 2) return "does not have exactly two operands";
  if (T::kind(g, a->node) == node_kind::constant || T::kind(g, b->node) == node_kind::constant)
    return "not a join (an operand is a constant)";
  if (*a == *b) return "both operands are one value (a fork: copy its producer first)";
  in[0] = *a;
  in[1] = *b;
  return nullptr;
}

// The producer of a join operand as an op with one constant operand of `type`
// that feeds the join alone.
template <ir_graph G>
std::optional<const_operand_op<G>> join_producer(const G& g, value_ref<vertex_t<G>> in, std::string_view type, const char*& why) {
  auto p = as_const_operand_op(g, in.node, {type}, why);
  if (!p) return std::nullopt;
  if (num_uses(g, in) != 1) {
    why = "an operand's producer feeds more than one consumer (a fork: copy it first)";
    return std::nullopt;
  }
  if (!keeps_data_shape(g, *p)) {
    why = "a constant broadcasts the data to another shape";
    return std::nullopt;
  }
  if (!is_floating(p->constant().type())) {
    why = "an integer constant is left alone";
    return std::nullopt;
  }
  return p;
}

// Whether a and b hold the same numbers in the same broadcast shape (a 0-d and a
// [1] scalar are the same scale).
inline bool same_constant(const tensor& a, const tensor& b) {
  if (a.is_scalar() && b.is_scalar()) return a.get(0) == b.get(0);
  if (a.shape() != b.shape()) return false;
  for (std::int64_t i = 0; i < a.size(); ++i)
    if (a.get(i) != b.get(i)) return false;
  return true;
}

// join(x0 op C0, x1 op C1) => join(x0, x1) op C, for `op` a Mul with C0 = C1 = C
// (join Add) or an Add with C = C0 + C1 (join Add).
template <ir_graph G>
match_result move_linear_past_join_add(vertex_t<G> v, rewriter<G>& rw, std::string_view op) {
  const G& g = rw.graph();
  value_ref<vertex_t<G>> in[2];
  if (const char* why = as_binary_join(g, v, "Add", in)) return failure(why);
  const char* why = nullptr;
  const auto p0 = join_producer(g, in[0], op, why);
  if (!p0) return failure(why);
  const auto p1 = join_producer(g, in[1], op, why);
  if (!p1) return failure(why);
  const element_type e = p0->constant().type();
  if (p1->constant().type() != e) return failure("the constants are not of one type");
  const bool mul = op == "Mul";
  if (mul && !same_constant(p0->constant(), p1->constant())) return failure("the two scales differ");
  const value_info& out = ir_traits<G>::value(g, v, 0);
  const auto joined = rw.op("Add", {p0->x, p1->x}, like(out, mul ? "_unscaled" : "_unshifted"));
  if (mul) {
    rw.replace_op(v, {rw.op("Mul", {joined, p0->c}, like(out))});
  } else {
    const tensor sum = combine(p0->constant(), p1->constant(), e, [](double a, double b) { return a + b; });
    rw.replace_op(v, {rw.op_with_constant("Add", joined, sum, like(out))});
  }
  return success();
}

}  // namespace detail

template <ir_graph G>
class MoveMulPastJoinAdd final : public rewrite_pattern<G> {
 public:
  MoveMulPastJoinAdd() : rewrite_pattern<G>("MoveMulPastJoinAdd", "Add") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_linear_past_join_add(v, rw, "Mul");
  }
};

template <ir_graph G>
class MoveAddPastJoinAdd final : public rewrite_pattern<G> {
 public:
  MoveAddPastJoinAdd() : rewrite_pattern<G>("MoveAddPastJoinAdd", "Add") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_linear_past_join_add(v, rw, "Add");
  }
};

// Both halves under FINN's one name: Mul pairs with equal scales, then Add pairs.
template <ir_graph G>
class MoveLinearPastEltwiseAdd final : public rewrite_pattern<G> {
 public:
  MoveLinearPastEltwiseAdd() : rewrite_pattern<G>("MoveLinearPastEltwiseAdd", "Add") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    auto r = detail::move_linear_past_join_add(v, rw, "Mul");
    if (r.succeeded()) return r;
    auto a = detail::move_linear_past_join_add(v, rw, "Add");
    return a.succeeded() ? a : failure(std::string(r.reason()) + "; " + std::string(a.reason()));
  }
};

// join(T(x, p), T(y, q)) => T(join(x, y), p) for an elementwise join (Add, Mul)
// when p = q: both operands of the join then have their axes in one order.
template <ir_graph G>
class move_transpose_past_join : public rewrite_pattern<G> {
 public:
  explicit move_transpose_past_join(std::string join) : rewrite_pattern<G>("MoveTransposePastJoin" + join, join), join_(std::move(join)) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    value_ref<vertex_t<G>> in[2];
    if (const char* why = detail::as_binary_join(g, v, join_, in)) return failure(why);
    std::optional<std::vector<std::int64_t>> perm[2];
    std::optional<value_ref<vertex_t<G>>> x[2];
    for (int i = 0; i < 2; ++i) {
      if (!is_op(g, in[i].node, "Transpose")) return failure("an operand does not come from a Transpose");
      if (num_uses(g, in[i]) != 1) return failure("a Transpose feeds more than one consumer (a fork: copy it first)");
      perm[i] = transpose_perm(g, in[i].node);
      x[i] = operand(g, in[i].node, 0);
      if (!perm[i] || !x[i]) return failure("a permutation is not known (no perm, and the rank unknown) or not a permutation");
    }
    if (*perm[0] != *perm[1]) return failure("the two permutations differ");
    const value_info& out = ir_traits<G>::value(g, v, 0);
    const auto r0 = rank_of(g, *x[0]), r1 = rank_of(g, *x[1]);
    if (!r0 || !r1 || *r0 != perm[0]->size() || *r1 != perm[0]->size())
      return failure("an operand's rank is unknown or not the permutation's length");
    // The join computed on the untransposed operands: its shape is out's, un-permuted.
    const auto joined = rw.op(join_, {*x[0], *x[1]}, untransposed(out, *perm[0], "_untransposed"));
    rw.replace_op(v, {rw.op("Transpose", {joined}, like(out), attribute_map{{"perm", *perm[0]}})});
    return success();
  }

 private:
  std::string join_;
};
template <ir_graph G>
struct MoveTransposePastJoinAdd final : move_transpose_past_join<G> {
  MoveTransposePastJoinAdd() : move_transpose_past_join<G>("Add") {}
};
template <ir_graph G>
struct MoveTransposePastJoinMul final : move_transpose_past_join<G> {
  MoveTransposePastJoinMul() : move_transpose_past_join<G>("Mul") {}
};

// join(op(x, c), y) => op(join(x, y), c) for op = join = Mul (MoveConstMulPastJoinMul)
// or Add (MoveConstAddPastJoinAdd): the constant leaves the join, which then
// meets what the other branch carries (with MoveMulPastJoinAdd, a residual join
// whose branches carry one scale streamlines completely).
template <ir_graph G>
class move_const_past_join : public rewrite_pattern<G> {
 public:
  explicit move_const_past_join(std::string op) : rewrite_pattern<G>("MoveConst" + op + "PastJoin" + op, op), op_(std::move(op)) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    value_ref<vertex_t<G>> in[2];
    if (const char* why = detail::as_binary_join(g, v, op_, in)) return failure(why);
    // The reason of an operand whose producer is of the right type wins over
    // "not the op" of the other.
    const char* why = "neither operand comes from an op with a constant operand";
    for (int i = 0; i < 2; ++i) {
      const char* w = nullptr;
      const auto p = detail::join_producer(g, in[i], op_, w);
      if (!p) {
        if (w && std::string_view(w) != "not the op the rule moves or absorbs") why = w;
        continue;
      }
      // join(x, y) must have the join's own shape: x carries its operand's shape
      // (the constant keeps it), so only the rank of y could grow it.
      const value_info& out = ir_traits<G>::value(g, v, 0);
      const value_info& xi = p->x_info(g);
      if (!xi.shape || !out.shape || !(*xi.shape == *out.shape)) {
        why = "the moved op's data does not have the join's shape";
        continue;
      }
      std::vector<std::optional<value_ref<vertex_t<G>>>> ops{in[0], in[1]};
      ops[std::size_t(i)] = p->x;
      const auto joined = rw.op(op_, ops, like(out, "_joined"));
      std::vector<std::optional<value_ref<vertex_t<G>>>> outer{joined, p->c};
      if (p->c_port == 0) std::swap(outer[0], outer[1]);
      rw.replace_op(v, {rw.op(op_, outer, like(out))});
      return success();
    }
    return failure(why);
  }

 private:
  std::string op_;
};
template <ir_graph G>
struct MoveConstMulPastJoinMul final : move_const_past_join<G> {
  MoveConstMulPastJoinMul() : move_const_past_join<G>("Mul") {}
};
template <ir_graph G>
struct MoveConstAddPastJoinAdd final : move_const_past_join<G> {
  MoveConstAddPastJoinAdd() : move_const_past_join<G>("Add") {}
};

namespace detail {

// v as a Concat of non-constant values of known rank: its operands, its output
// rank and its axis (normalized), or why not.
template <ir_graph G>
const char* as_concat_join(const G& g, vertex_t<G> v, std::vector<value_ref<vertex_t<G>>>& in, std::size_t& rank,
                           std::int64_t& axis) {
  using T = ir_traits<G>;
  if (!is_op(g, v, "Concat")) return "not a Concat";
  if (T::num_outputs(g, v) != 1) return "has more than one result";
  const auto ops = operands(g, v);
  if (ops.size() < 2) return "has fewer than two operands";
  for (const auto& o : ops) {
    if (!o) return "an operand is absent";
    if (T::kind(g, o->node) == node_kind::constant) return "an operand is a constant";
    for (const auto& q : in)
      if (q == *o) return "two operands are one value (a fork: copy its producer first)";
    in.push_back(*o);
  }
  const auto r = rank_of(g, value_ref<vertex_t<G>>{v, 0});
  if (!r) return "the result's rank is unknown";
  rank = *r;
  const auto a = integer_attribute(T::attributes(g, v), "axis");
  if (!a || *a < -std::int64_t(rank) || *a >= std::int64_t(rank)) return "the axis is missing, not an integer or out of range";
  axis = *a < 0 ? *a + std::int64_t(rank) : *a;
  return nullptr;
}

// Concat(x0 op C0, x1 op C1, ...) => Concat(x0, x1, ...) op C, op a Mul or Add:
// C is the constants laid side by side along the concat axis (one scalar when
// they are all one scalar). Each Ci must be a scalar or vary along that axis only.
template <ir_graph G>
match_result move_linear_past_join_concat(vertex_t<G> v, rewriter<G>& rw, std::string_view op) {
  const G& g = rw.graph();
  std::vector<value_ref<vertex_t<G>>> in;
  std::size_t rank = 0;
  std::int64_t axis = 0;
  if (const char* why = as_concat_join(g, v, in, rank, axis)) return failure(why);
  std::vector<const_operand_op<G>> ps;
  for (const auto& i : in) {
    const char* why = nullptr;
    auto p = join_producer(g, i, op, why);
    if (!p) return failure(why);
    ps.push_back(std::move(*p));
  }
  const element_type e = ps[0].constant().type();
  bool one_scalar = true;
  std::vector<double> along;
  for (const auto& p : ps) {
    if (p.constant().type() != e) return failure("the constants are not of one type");
    one_scalar = one_scalar && p.constant().is_scalar() && p.constant().get(0) == ps[0].constant().get(0);
    const value_info& x = p.x_info(g);
    if (!x.shape || x.shape->size() != rank || !(*x.shape)[std::size_t(axis)].known())
      return failure("an operand's extent along the concat axis is unknown");
    if (!is_channelwise_along(p.constant(), rank, axis)) return failure("a constant varies along another axis than the concat axis");
    const std::int64_t d = (*x.shape)[std::size_t(axis)].size;
    std::vector<double> c;
    try {
      c = per_channel(p.constant(), rank, axis, d);
    } catch (const shape_error&) {
      return failure("a constant's length is not its operand's extent along the concat axis");
    }
    along.insert(along.end(), c.begin(), c.end());
  }
  const value_info& out = ir_traits<G>::value(g, v, 0);
  std::vector<std::optional<value_ref<vertex_t<G>>>> xs;
  for (const auto& p : ps) xs.push_back(p.x);
  const auto joined = rw.op("Concat", xs, like(out, op == "Mul" ? "_unscaled" : "_unshifted"), ir_traits<G>::attributes(g, v));
  tensor c = tensor::scalar(ps[0].constant().get(0), e);
  if (!one_scalar) {
    shape_t cs(rank - std::size_t(axis), 1);
    cs[0] = std::int64_t(along.size());
    c = tensor(element_type::float64, cs, along).cast(e);
  }
  rw.replace_op(v, {rw.op_with_constant(std::string(op), joined, std::move(c), like(out))});
  return success();
}

}  // namespace detail

template <ir_graph G>
class MoveMulPastJoinConcat final : public rewrite_pattern<G> {
 public:
  MoveMulPastJoinConcat() : rewrite_pattern<G>("MoveMulPastJoinConcat", "Concat") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_linear_past_join_concat(v, rw, "Mul");
  }
};

template <ir_graph G>
class MoveAddPastJoinConcat final : public rewrite_pattern<G> {
 public:
  MoveAddPastJoinConcat() : rewrite_pattern<G>("MoveAddPastJoinConcat", "Concat") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_linear_past_join_concat(v, rw, "Add");
  }
};

// Both under FINN+'s one name: Mul operands, else Add operands.
template <ir_graph G>
class MoveAffinePastJoinConcat final : public rewrite_pattern<G> {
 public:
  MoveAffinePastJoinConcat() : rewrite_pattern<G>("MoveAffinePastJoinConcat", "Concat") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    auto r = detail::move_linear_past_join_concat(v, rw, "Mul");
    if (r.succeeded()) return r;
    auto a = detail::move_linear_past_join_concat(v, rw, "Add");
    return a.succeeded() ? a : failure(std::string(r.reason()) + "; " + std::string(a.reason()));
  }
};

// Concat(T(x0, p), T(x1, p), ..., axis a) => T(Concat(x0, x1, ..., axis p[a]), p).
template <ir_graph G>
class MoveTransposePastJoinConcat final : public rewrite_pattern<G> {
 public:
  MoveTransposePastJoinConcat() : rewrite_pattern<G>("MoveTransposePastJoinConcat", "Concat") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    std::vector<value_ref<vertex_t<G>>> in;
    std::size_t rank = 0;
    std::int64_t axis = 0;
    if (const char* why = detail::as_concat_join(g, v, in, rank, axis)) return failure(why);
    std::optional<std::vector<std::int64_t>> perm;
    std::vector<std::optional<value_ref<vertex_t<G>>>> xs;
    for (const auto& i : in) {
      if (!is_op(g, i.node, "Transpose")) return failure("an operand does not come from a Transpose");
      if (num_uses(g, i) != 1) return failure("a Transpose feeds more than one consumer (a fork: copy it first)");
      const auto p = transpose_perm(g, i.node);
      const auto x = operand(g, i.node, 0);
      if (!p || !x) return failure("a permutation is not known (no perm, and the rank unknown) or not a permutation");
      if (perm && *perm != *p) return failure("the permutations differ");
      perm = p;
      xs.push_back(*x);
    }
    if (perm->size() != rank) return failure("the permutation's length is not the result's rank");
    const value_info& out = ir_traits<G>::value(g, v, 0);
    const auto joined = rw.op("Concat", xs, untransposed(out, *perm, "_untransposed"), attribute_map{{"axis", (*perm)[std::size_t(axis)]}});
    rw.replace_op(v, {rw.op("Transpose", {joined}, like(out), attribute_map{{"perm", *perm}})});
    return success();
  }
};

namespace detail {
// The Split v's data operand when it comes from a single-use op; the rank of the data.
template <ir_graph G>
const char* split_input(const G& g, vertex_t<G> v, std::size_t& rank) {
  if (!is_op(g, v, "Split")) return "not a Split";
  const auto x = operand(g, v, 0);
  if (!x) return "has no input";
  if (num_uses(g, *x) != 1) return "its input feeds more than one consumer";
  const auto r = rank_of(g, *x);
  if (!r) return "the input's rank is unknown";
  rank = *r;
  return nullptr;
}
}  // namespace detail

// Split(x op c) => Split(x), then op(·, c) on every part (c a scalar: one copy each).
template <ir_graph G>
class MoveScalarLinearPastSplit final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveScalarLinearPastSplit() : rewrite_pattern<G>("MoveScalarLinearPastSplit", "Split") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    std::size_t rank = 0;
    if (const char* why = detail::split_input(g, v, rank)) return failure(why);
    const char* why = nullptr;
    const auto m = single_use_producer(g, v, 0, {"Mul", "Div", "Add", "Sub"}, why);
    if (!m) return failure(why);
    if (!m->constant().is_scalar()) return failure("the constant is not a scalar");
    if (!keeps_data_shape(g, *m)) return failure("the constant broadcasts the data to another shape");
    auto ops = operands(g, v);
    ops[0] = m->x;
    std::vector<value_info> results;
    for (int p = 0; p < T::num_outputs(g, v); ++p) results.push_back(like(T::value(g, v, p), "_unscaled"));
    const vertex_t<G> split = rw.create_op("Split", T::domain(g, v), ops, std::move(results), T::attributes(g, v));
    const std::string op(T::op_type(g, m->node));
    const tensor c = m->constant().reshape(shape_t{});
    std::vector<value_ref<vertex_t<G>>> parts;
    for (int p = 0; p < T::num_outputs(g, v); ++p)
      parts.push_back(rw.op_with_constant(op, value_ref<vertex_t<G>>{split, p}, c, like(T::value(g, v, p))));
    rw.replace_op(v, parts);
    return success();
  }
};

// Split(T(x, p), axis a) => Split(x, axis p[a]), then T(·, p) on every part.
template <ir_graph G>
class MoveTransposePastSplit final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveTransposePastSplit() : rewrite_pattern<G>("MoveTransposePastSplit", "Split") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    std::size_t rank = 0;
    if (const char* why = detail::split_input(g, v, rank)) return failure(why);
    const auto t = operand(g, v, 0);
    if (!is_op(g, t->node, "Transpose")) return failure("not after a Transpose");
    const auto perm = transpose_perm(g, t->node);
    const auto x = operand(g, t->node, 0);
    if (!perm || !x || perm->size() != rank) return failure("the permutation is not known or not the data's rank");
    attribute_map attrs = T::attributes(g, v);
    std::int64_t axis = attrs.contains("axis") ? detail::integer_attribute(attrs, "axis").value_or(std::int64_t(rank)) : 0;
    if (axis < -std::int64_t(rank) || axis >= std::int64_t(rank)) return failure("the axis is not an integer or out of range");
    if (axis < 0) axis += std::int64_t(rank);
    attrs.insert_or_assign("axis", (*perm)[std::size_t(axis)]);
    auto ops = operands(g, v);
    ops[0] = *x;
    std::vector<value_info> results;
    for (int p = 0; p < T::num_outputs(g, v); ++p) results.push_back(untransposed(T::value(g, v, p), *perm, "_untransposed"));
    const vertex_t<G> split = rw.create_op("Split", T::domain(g, v), ops, std::move(results), std::move(attrs));
    std::vector<value_ref<vertex_t<G>>> parts;
    for (int p = 0; p < T::num_outputs(g, v); ++p)
      parts.push_back(rw.op("Transpose", {value_ref<vertex_t<G>>{split, p}}, like(T::value(g, v, p)), attribute_map{{"perm", *perm}}));
    rw.replace_op(v, parts);
    return success();
  }
};

// The fork and join rules of streamline_plus(): channelwise linear ops and
// Transposes copied past forks, identical ops moved past Add/Mul joins, constants
// moved out of joins. (MoveLinearPastEltwiseAdd is its two halves here.)
template <ir_graph G>
void populate_fork_join_patterns(pattern_set<G>& set) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) set.template add<MoveChannelwiseLinearPastFork<G>>(op);
  set.template add<MoveTransposePastFork<G>>();
  set.template add<MoveMulPastJoinAdd<G>>();
  set.template add<MoveAddPastJoinAdd<G>>();
  set.template add<MoveTransposePastJoinAdd<G>>();
  set.template add<MoveTransposePastJoinMul<G>>();
  set.template add<MoveConstMulPastJoinMul<G>>();
  set.template add<MoveConstAddPastJoinAdd<G>>();
  set.template add<MoveMulPastJoinConcat<G>>();
  set.template add<MoveAddPastJoinConcat<G>>();
  set.template add<MoveTransposePastJoinConcat<G>>();
  set.template add<MoveScalarLinearPastSplit<G>>();
  set.template add<MoveTransposePastSplit<G>>();
}

}  // namespace nnrewrite::streamline
