// Layout rules (FINN: streamline/absorb.py and reorder.py's Transpose, Squeeze and
// Flatten moves): the shape ops between the layers that must meet — NHWC/NCHW
// Transposes, Squeezes, Flattens — move out of the way or fold into the op after
// them.
//
//   AbsorbTransposeIntoMultiThreshold  MT(T(x, p)) => T(MT'(x), p), MT' reading the
//                                      channel axis p[a] of x (its data_layout says so)
//   AbsorbTransposeIntoFlatten         Flatten(T(x, p)) => Flatten(x) when p moves only
//                                      axes of extent 1 (the element order is x's)
//   MoveTransposePastScalarMul         T(x, p) * a => T(x * a, p), a a scalar
//   MoveTransposePastEltwise           T(x, p) op C => T(x op C', p), C' = C transposed back
//   MoveSqueezePastMultiThreshold      MT(Squeeze(x)) => Squeeze(MT'(x))
//   MoveSqueezePastMatMul              Squeeze(x) W => Squeeze(x W)  (the K axis kept)
//   MoveFlattenPastTopK                TopK(Flatten(x)) => Flatten(TopK(x))  x = [b, 1, ..., 1, C]
//   MoveFlattenPastAffine              Flatten(x) W / * c / + c => Flatten(x W / * c / + c)
//   MakeMaxPoolNHWC                    T(MaxPool(x), NCHW->NHWC) => MaxPoolNHWC(T(x)), and
//                                      MaxPool(T(x, NHWC->NCHW)) => T(MaxPoolNHWC(x))
//   MakeScaleResizeNHWC                the same for Resize/Upsample, scales permuted
//
// populate_layout_patterns adds those that keep the plus preset's direction (see
// there); MoveTransposePastScalarMul/Eltwise and MoveFlattenPastAffine's Mul/Add
// instances are for users' own sets.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "nnrewrite/streamline/common.hpp"

namespace nnrewrite::streamline {

namespace detail {

// A data_layout string of `rank` letters with 'C' at `axis` (NCHW, NHWC, NCW, NWC,
// ...), for a MultiThreshold reading its channels there.
inline std::string layout_with_channel_at(std::size_t rank, std::int64_t axis) {
  static constexpr std::string_view others = "HWDUVXYZ";
  std::string r;
  std::size_t next = 0;
  for (std::size_t i = 0; i < rank; ++i) {
    if (std::int64_t(i) == axis) r += 'C';
    else if (i == 0) r += 'N';
    else r += others[std::min(next++, others.size() - 1)];
  }
  return r;
}

// A single-use producer of v's operand `port` of op type `type`.
template <ir_graph G>
std::optional<value_ref<vertex_t<G>>> single_use_op(const G& g, vertex_t<G> v, int port, std::string_view type) {
  const auto in = operand(g, v, port);
  if (!in || !is_op(g, in->node, type) || num_uses(g, *in) != 1) return std::nullopt;
  return in;
}

// MultiThreshold mt, re-laid to read x (of rank `rank`) with its channel axis at
// `axis` of x: a new op whose data_layout says so, with mt's thresholds and types.
template <ir_graph G>
value_ref<vertex_t<G>> multithreshold_on(rewriter<G>& rw, vertex_t<G> mt, value_ref<vertex_t<G>> x, value_ref<vertex_t<G>> th,
                                         std::size_t rank, std::int64_t axis) {
  using T = ir_traits<G>;
  const G& g = rw.graph();
  const value_info& out = T::value(g, mt, 0);
  value_info inner = like(T::value(g, x.node, x.port), "_thresholded");
  inner.elem = out.elem;
  inner.dtype = out.dtype;
  inner.layout.clear();
  attribute_map attrs = T::attributes(g, mt);
  attrs.insert_or_assign("data_layout", layout_with_channel_at(rank, axis));
  return rw.op(T::op_type(g, mt), {x, th}, std::move(inner), std::move(attrs), T::domain(g, mt));
}

// Squeeze's axes (attribute before opset 13, operand since), normalized; nullopt
// when absent (every extent-1 axis) or not a constant list.
template <ir_graph G>
std::optional<std::vector<std::int64_t>> squeeze_axes(const G& g, vertex_t<G> s, std::size_t rank) {
  using T = ir_traits<G>;
  std::vector<std::int64_t> axes;
  if (const auto a = operand(g, s, 1)) {
    if (T::kind(g, a->node) != node_kind::constant) return std::nullopt;
    const auto t = T::constant_value(g, a->node);
    for (std::int64_t i = 0; i < t->size(); ++i) axes.push_back(std::int64_t(t->get(i)));
  } else {
    const auto& attrs = T::attributes(g, s);
    if (!attrs.contains("axes")) return std::nullopt;
    try {
      axes = attribute_or<std::vector<std::int64_t>>(attrs, "axes", {});
    } catch (const type_error&) {
      return std::nullopt;
    }
  }
  for (auto& a : axes) {
    if (a < -std::int64_t(rank) || a >= std::int64_t(rank)) return std::nullopt;
    if (a < 0) a += std::int64_t(rank);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

}  // namespace detail

template <ir_graph G>
class AbsorbTransposeIntoMultiThreshold final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  AbsorbTransposeIntoMultiThreshold() : rewrite_pattern<G>("AbsorbTransposeIntoMultiThreshold", "MultiThreshold") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto t = detail::single_use_op(g, v, 0, "Transpose");
    if (!t) return failure("not after a single-use Transpose");
    const auto perm = transpose_perm(g, t->node);
    const auto x = operand(g, t->node, 0);
    const auto th = operand(g, v, 1);
    if (!perm || !x || !th) return failure("the permutation is not known, or an operand is absent");
    const std::size_t rank = perm->size();
    if (rank < 2) return failure("the data has fewer than two axes");
    const std::int64_t a = multithreshold_channel_axis(T::attributes(g, v), rank);
    const auto mt = detail::multithreshold_on(rw, v, *x, *th, rank, (*perm)[std::size_t(a)]);
    rw.replace_op(v, {rw.op("Transpose", {mt}, like(T::value(g, v, 0)), attribute_map{{"perm", *perm}})});
    return success();
  }
};

template <ir_graph G>
class AbsorbTransposeIntoFlatten final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  AbsorbTransposeIntoFlatten() : rewrite_pattern<G>("AbsorbTransposeIntoFlatten", "Flatten") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto t = detail::single_use_op(g, v, 0, "Transpose");
    if (!t) return failure("not after a single-use Transpose");
    const auto perm = transpose_perm(g, t->node);
    const auto x = operand(g, t->node, 0);
    if (!perm || !x) return failure("the permutation is not known");
    const auto xs = known_shape(T::value(g, x->node, x->port).shape);
    if (!xs || xs->size() != perm->size()) return failure("the data's shape is not known");
    const auto flat_axis = detail::integer_attribute(T::attributes(g, v), "axis").value_or(1);
    if (flat_axis < 0 || flat_axis > std::int64_t(perm->size())) return failure("the Flatten axis is out of range");
    // Each half of the Flatten must see x's axes of extent > 1 in x's order,
    // and the same ones: the Transpose then moves only axes of extent 1.
    std::vector<std::int64_t> moved;
    for (std::size_t i = 0; i < perm->size(); ++i) {
      const std::int64_t from = (*perm)[i];
      if ((*xs)[std::size_t(from)] == 1) continue;
      if (!moved.empty() && moved.back() > from) return failure("the Transpose reorders axes of extent > 1");
      if ((std::int64_t(i) < flat_axis) != (from < flat_axis)) return failure("the Transpose moves an axis across the Flatten axis");
      moved.push_back(from);
    }
    const value_info& out = T::value(g, v, 0);
    rw.replace_op(v, {rw.op("Flatten", {*x}, like(out), T::attributes(g, v))});
    return success();
  }
};

namespace detail {
// T(x, p) op C => T(x op C', p): C expanded to the data's rank and transposed
// back (C' = C by the inverse permutation).
template <ir_graph G>
match_result move_transpose_past_const_op(vertex_t<G> v, rewriter<G>& rw, bool scalar_only) {
  using T = ir_traits<G>;
  const G& g = rw.graph();
  const char* why = nullptr;
  const auto m = as_const_operand_op(g, v, {"Mul", "Add", "Sub", "Div"}, why);
  if (!m) return failure(why);
  if (!is_op(g, m->x.node, "Transpose") || num_uses(g, m->x) != 1) return failure("the data does not come from a single-use Transpose");
  if (scalar_only && !m->constant().is_scalar()) return failure("the constant is not a scalar");
  if (!keeps_data_shape(g, *m)) return failure("the constant broadcasts the data to another shape");
  const auto perm = transpose_perm(g, m->x.node);
  const auto x = operand(g, m->x.node, 0);
  if (!perm || !x) return failure("the permutation is not known");
  tensor c = m->constant();
  if (!c.is_scalar()) {
    shape_t full(perm->size() - c.rank(), 1);
    full.insert(full.end(), c.shape().begin(), c.shape().end());
    c = c.reshape(full).transpose(inverse_perm(*perm));
  }
  const value_info& out = T::value(g, v, 0);
  value_info inner = like(T::value(g, x->node, x->port), "_op");
  inner.elem = out.elem;
  inner.dtype.reset();
  std::vector<std::optional<value_ref<vertex_t<G>>>> ops{*x, std::nullopt};
  ops[1] = rw.constant(std::move(c), T::value(g, m->c.node, m->c.port).name);
  if (m->c_port == 0) std::swap(ops[0], ops[1]);
  const auto moved = rw.op(T::op_type(g, v), ops, std::move(inner));
  rw.replace_op(v, {rw.op("Transpose", {moved}, like(out), attribute_map{{"perm", *perm}})});
  return success();
}
}  // namespace detail

// Mul is the root; one instance per op type for the Eltwise variant.
template <ir_graph G>
class MoveTransposePastScalarMul final : public rewrite_pattern<G> {
 public:
  MoveTransposePastScalarMul() : rewrite_pattern<G>("MoveTransposePastScalarMul", "Mul") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_transpose_past_const_op(v, rw, true);
  }
};
template <ir_graph G>
class MoveTransposePastEltwise final : public rewrite_pattern<G> {
 public:
  explicit MoveTransposePastEltwise(std::string op = "Mul") : rewrite_pattern<G>("MoveTransposePastEltwise", std::move(op)) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_transpose_past_const_op(v, rw, false);
  }
};

template <ir_graph G>
class MoveSqueezePastMultiThreshold final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveSqueezePastMultiThreshold() : rewrite_pattern<G>("MoveSqueezePastMultiThreshold", "MultiThreshold") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto s = detail::single_use_op(g, v, 0, "Squeeze");
    if (!s) return failure("not after a single-use Squeeze");
    const auto x = operand(g, s->node, 0);
    const auto th = operand(g, v, 1);
    // A scale or bias right before the Squeeze has yet to reach the thresholds
    // (TFC's Unsqueeze -> BatchNorm -> Squeeze folds away once the BatchNorm is
    // affine): moving the Squeeze first would leave it stranded in the wider layout.
    const char* ignored = nullptr;
    if (x && (is_op(g, x->node, "BatchNormalization") || as_const_operand_op(g, x->node, {"Mul", "Add", "Sub", "Div"}, ignored)))
      return failure("a scale or bias before the Squeeze has yet to move into the thresholds");
    if (!x || !th) return failure("an operand is absent");
    const auto known_in = rank_of(g, *x), known_out = rank_of(g, *s);
    if (!known_in || !known_out) return failure("a rank is not known");
    const std::size_t in_rank = *known_in, out_rank = *known_out;
    const auto axes = detail::squeeze_axes(g, s->node, in_rank);
    if (!axes) return failure("the squeezed axes are not given as constants");
    std::vector<std::int64_t> kept;
    for (std::int64_t i = 0; i < std::int64_t(in_rank); ++i)
      if (!std::binary_search(axes->begin(), axes->end(), i)) kept.push_back(i);
    if (kept.size() != out_rank) return failure("the Squeeze's result rank does not match its axes");
    const std::int64_t a = multithreshold_channel_axis(T::attributes(g, v), out_rank);
    const auto mt = detail::multithreshold_on(rw, v, *x, *th, in_rank, kept[std::size_t(a)]);
    auto ops = operands(g, s->node);
    ops[0] = mt;
    rw.replace_op(v, {value_ref<vertex_t<G>>{rw.create_op("Squeeze", T::domain(g, s->node), ops, {like(T::value(g, v, 0))}, T::attributes(g, s->node)), 0}});
    return success();
  }
};

template <ir_graph G>
class MoveSqueezePastMatMul final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveSqueezePastMatMul() : rewrite_pattern<G>("MoveSqueezePastMatMul", "MatMul") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto s = detail::single_use_op(g, v, 0, "Squeeze");
    if (!s) return failure("not after a single-use Squeeze");
    const auto x = operand(g, s->node, 0);
    const auto w = operand(g, v, 1);
    if (!x || !w || T::kind(g, w->node) != node_kind::constant || T::constant_value(g, w->node)->rank() != 2)
      return failure("the weights are not a constant matrix");
    const auto xs = known_shape(T::value(g, x->node, x->port).shape);
    if (!xs || xs->size() < 2) return failure("the data's shape is not known, or has fewer than two axes");
    const auto axes = detail::squeeze_axes(g, s->node, xs->size());
    if (!axes) return failure("the squeezed axes are not given as constants");
    if (!axes->empty() && axes->back() >= std::int64_t(xs->size()) - 1) return failure("the Squeeze removes the K axis");
    const std::int64_t n = T::constant_value(g, w->node)->shape()[1];
    const value_info& out = T::value(g, v, 0);
    dims inner_shape(xs->begin(), xs->end());
    inner_shape.back() = n;
    const auto mm = rw.op("MatMul", {*x, *w}, value_info(out.name + "_unsqueezed", out.elem, std::move(inner_shape)));
    auto ops = operands(g, s->node);
    ops[0] = mm;
    rw.replace_op(v, {value_ref<vertex_t<G>>{rw.create_op("Squeeze", T::domain(g, s->node), ops, {like(out)}, T::attributes(g, s->node)), 0}});
    return success();
  }
};

namespace detail {
// x when v's operand 0 is Flatten(x, axis 1) used once and x = [b, 1, ..., 1, C].
template <ir_graph G>
std::optional<value_ref<vertex_t<G>>> flattened_row(const G& g, vertex_t<G> v, const char*& why) {
  using T = ir_traits<G>;
  const auto f = single_use_op(g, v, 0, "Flatten");
  if (!f) {
    why = "not after a single-use Flatten";
    return std::nullopt;
  }
  const auto x = operand(g, f->node, 0);
  if (!x) {
    why = "the Flatten has no input";
    return std::nullopt;
  }
  const auto xs = known_shape(T::value(g, x->node, x->port).shape);
  if (!xs || xs->size() < 2 || integer_attribute(T::attributes(g, f->node), "axis").value_or(1) != 1) {
    why = "the Flatten's input shape is not known, or its axis is not 1";
    return std::nullopt;
  }
  for (std::size_t i = 1; i + 1 < xs->size(); ++i)
    if ((*xs)[i] != 1) {
      why = "the flattened axes other than the last are not all 1";
      return std::nullopt;
    }
  return x;
}
// The shape of x with its last extent set to n.
inline dims with_last(const shape_t& s, std::int64_t n) {
  dims d(s.begin(), s.end());
  d.back() = n;
  return d;
}
}  // namespace detail

template <ir_graph G>
class MoveFlattenPastTopK final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveFlattenPastTopK() : rewrite_pattern<G>("MoveFlattenPastTopK", "TopK") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto x = detail::flattened_row(g, v, why);
    if (!x) return failure(why);
    const auto axis = detail::integer_attribute(T::attributes(g, v), "axis").value_or(-1);
    if (axis != -1 && axis != 1) return failure("the TopK is not along the last axis");
    if (T::num_outputs(g, v) != 2) return failure("does not have two results");
    const shape_t xs = *known_shape(T::value(g, x->node, x->port).shape);
    const auto& k_out = T::value(g, v, 0).shape;
    if (!k_out || k_out->size() != 2 || !(*k_out)[1].known()) return failure("the result's shape is not known");
    attribute_map attrs = T::attributes(g, v);
    attrs.insert_or_assign("axis", std::int64_t(-1));
    auto ops = operands(g, v);
    ops[0] = *x;
    std::vector<value_info> results;
    for (int p = 0; p < 2; ++p)
      results.push_back(value_info(T::value(g, v, p).name + "_unflattened", T::value(g, v, p).elem, detail::with_last(xs, (*k_out)[1].size)));
    const vertex_t<G> topk = rw.create_op("TopK", T::domain(g, v), ops, std::move(results), std::move(attrs));
    std::vector<value_ref<vertex_t<G>>> repl;
    for (int p = 0; p < 2; ++p)
      repl.push_back(rw.op("Flatten", {value_ref<vertex_t<G>>{topk, p}}, like(T::value(g, v, p)), attribute_map{{"axis", std::int64_t(1)}}));
    rw.replace_op(v, repl);
    return success();
  }
};

// Flatten(x) -> MatMul(W) / Mul(c) / Add(c) => op(x) -> Flatten, x = [b, 1, ..., 1, K]:
// one instance per op type.
template <ir_graph G>
class MoveFlattenPastAffine final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  explicit MoveFlattenPastAffine(std::string op = "MatMul") : rewrite_pattern<G>("MoveFlattenPastAffine", op), op_(std::move(op)) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    if (!is_op(g, v, op_)) return failure("not the op the rule moves past");
    const char* why = nullptr;
    const auto x = detail::flattened_row(g, v, why);
    if (!x) return failure(why);
    const auto c = operand(g, v, 1);
    if (!c || T::kind(g, c->node) != node_kind::constant || in_degree(v, g) != 2) return failure("operand 1 is not a constant");
    const auto handle = T::constant_value(g, c->node);  // held: an IR may hand out a copy
    const tensor& k = *handle;
    const shape_t xs = *known_shape(T::value(g, x->node, x->port).shape);
    std::int64_t n = xs.back();
    if (op_ == "MatMul") {
      if (k.rank() != 2) return failure("the weights are not a matrix");
      n = k.shape()[1];
    } else {
      // c must broadcast against [b, 1, ..., 1, K] as it did against [b, K].
      if (k.rank() > 2 || (k.rank() == 2 && k.shape()[0] != 1)) return failure("the constant is not a scalar or a row");
    }
    const value_info& out = T::value(g, v, 0);
    const auto moved = rw.op(op_, {*x, *c}, value_info(out.name + "_unflattened", out.elem, detail::with_last(xs, n)));
    rw.replace_op(v, {rw.op("Flatten", {moved}, like(out), attribute_map{{"axis", std::int64_t(1)}})});
    return success();
  }

 private:
  std::string op_;
};

namespace detail {
inline const std::vector<std::int64_t>& nchw_to_nhwc() {
  static const std::vector<std::int64_t> p{0, 2, 3, 1};
  return p;
}
inline const std::vector<std::int64_t>& nhwc_to_nchw() {
  static const std::vector<std::int64_t> p{0, 3, 1, 2};
  return p;
}
// The Transpose that is the single use of v's first result, when its permutation is `perm`.
template <ir_graph G>
std::optional<vertex_t<G>> sole_transpose_user(const G& g, vertex_t<G> v, const std::vector<std::int64_t>& perm) {
  const auto us = uses(g, value_ref<vertex_t<G>>{v, 0});
  if (us.size() != 1 || !is_op(g, us[0].node, "Transpose") || transpose_perm(g, us[0].node) != perm) return std::nullopt;
  return us[0].node;
}
// The single-use Transpose by `perm` that produces v's operand 0.
template <ir_graph G>
std::optional<vertex_t<G>> sole_transpose_producer(const G& g, vertex_t<G> v, const std::vector<std::int64_t>& perm) {
  const auto t = single_use_op(g, v, 0, "Transpose");
  if (!t || transpose_perm(g, t->node) != perm) return std::nullopt;
  return t->node;
}

// The attributes of QONNX's MaxPoolNHWC computing MaxPool `v`, all explicit (QONNX
// requires pads and strides); nullopt with `why` when MaxPoolNHWC cannot: it is 2-D,
// undilated, explicitly padded, and QONNX's shape inference reads both spatial pads
// from pads[0] (a larger width pad would make FINN's tools infer the wrong width).
template <ir_graph G>
std::optional<attribute_map> maxpool_nhwc_attributes(const G& g, vertex_t<G> v, const char*& why) {
  using T = ir_traits<G>;
  const auto& attrs = T::attributes(g, v);  // held: an IR may return the map by value
  if (T::num_outputs(g, v) > 1 && num_uses(g, value_ref<vertex_t<G>>{v, 1}) != 0) {
    why = "the MaxPool's indices are used";
    return std::nullopt;
  }
  try {
    const auto kernel = attribute_or<std::vector<std::int64_t>>(attrs, "kernel_shape", {});
    const auto strides = attribute_or<std::vector<std::int64_t>>(attrs, "strides", {1, 1});
    const auto pads = attribute_or<std::vector<std::int64_t>>(attrs, "pads", {0, 0, 0, 0});
    const auto dilations = attribute_or<std::vector<std::int64_t>>(attrs, "dilations", {1, 1});
    const auto auto_pad = attribute_or<std::string>(attrs, "auto_pad", "NOTSET");
    if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4) why = "not a 2-D MaxPool";
    else if (dilations != std::vector<std::int64_t>{1, 1}) why = "a dilated MaxPool (MaxPoolNHWC has no dilations)";
    else if (auto_pad != "NOTSET") why = "auto_pad (MaxPoolNHWC takes explicit pads)";
    else if (pads[0] != pads[1] || pads[0] != pads[2] || pads[0] != pads[3])
      why = "unequal pads (QONNX's MaxPoolNHWC pads every side by pads[0])";
    else
      return attribute_map{{"kernel_shape", kernel}, {"strides", strides}, {"pads", pads},
                           {"ceil_mode", integer_attribute(attrs, "ceil_mode").value_or(0)}};
  } catch (const type_error&) {
    why = "an attribute has the wrong type";
  }
  return std::nullopt;
}
}  // namespace detail

// (NCHW->NHWC Transpose after MaxPool) => (Transpose, MaxPoolNHWC), and
// (NHWC->NCHW Transpose, MaxPool) => (MaxPoolNHWC, Transpose): the pool moves to
// the side of the Transpose where the data is NHWC, as QONNX's MaxPoolNHWC, which
// FINN's dataflow flow maps. Unlike FINN, a MaxPool whose result forks stays.
template <ir_graph G>
class MakeMaxPoolNHWC final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MakeMaxPoolNHWC() : rewrite_pattern<G>("MakeMaxPoolNHWC", "MaxPool") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto before = detail::sole_transpose_producer(g, v, detail::nhwc_to_nchw());
    std::optional<vertex_t<G>> after;  // not built by a conditional: g++ -O2 warns maybe-uninitialized
    if (!before) after = detail::sole_transpose_user(g, v, detail::nchw_to_nhwc());
    if (!before && !after) return failure("not between the NHWC and NCHW Transposes");
    const char* why = nullptr;
    auto attrs = detail::maxpool_nhwc_attributes(g, v, why);
    if (!attrs) return failure(why);
    const auto x = operand(g, before ? *before : v, 0);
    if (!x) return failure("an operand is absent");
    const value_info& out = T::value(g, v, 0);
    if (before) {
      const auto pooled = rw.op("MaxPoolNHWC", {*x}, transposed(out, detail::nchw_to_nhwc(), "_nhwc"), std::move(*attrs), qonnx_domain);
      rw.replace_all_uses({v, 0}, rw.op("Transpose", {pooled}, like(out), attribute_map{{"perm", detail::nhwc_to_nchw()}}));
    } else {
      const auto nhwc = rw.op("Transpose", {*x}, transposed(T::value(g, x->node, x->port), detail::nchw_to_nhwc(), "_nhwc"),
                              attribute_map{{"perm", detail::nchw_to_nhwc()}});
      rw.replace_op(*after, {rw.op("MaxPoolNHWC", {nhwc}, like(T::value(g, *after, 0)), std::move(*attrs), qonnx_domain)});
    }
    rw.erase(v);
    return success();
  }
};

namespace detail {
// Where a Resize or Upsample keeps its per-axis factors: the operand (Resize:
// sizes at 3 or scales at 2, opset 10's scales at 1; Upsample: 1), or -1 for
// Upsample-7's `scales` attribute.
template <ir_graph G>
int resize_factor_port(const G& g, vertex_t<G> v) {
  const bool resize = ir_traits<G>::op_type(g, v) == "Resize";
  if (!resize) return operand(g, v, 1) ? 1 : -1;
  if (operand(g, v, 3)) {
    const auto sizes = operand(g, v, 3);
    if (ir_traits<G>::kind(g, sizes->node) != node_kind::constant || ir_traits<G>::constant_value(g, sizes->node)->size() != 0)
      return 3;
  }
  return operand(g, v, 2) ? 2 : 1;
}
// t's entries in the order `perm` reads them (a per-axis list, or starts then ends).
inline tensor permuted_entries(const tensor& t, const std::vector<std::int64_t>& perm) {
  const std::int64_t r = std::int64_t(perm.size());
  tensor p = t;
  for (std::int64_t half = 0; half < t.size() / r; ++half)
    for (std::int64_t i = 0; i < r; ++i) p.set(half * r + i, t.get(half * r + perm[std::size_t(i)]));
  return p;
}
}  // namespace detail

// (NHWC->NCHW Transpose, Resize) => (Resize', Transpose) and (Resize, NCHW->NHWC
// Transpose) => (Transpose, Resize'): Resize' works on the NHWC side, its scales
// (or sizes, and a tf_crop_and_resize roi) permuted to NHWC. Each axis is resized
// on its own, so the move is exact for every mode. Like FINN, only a Resize that
// reads NCHW data (by its layout annotation); one instance per op type (Resize,
// Upsample).
template <ir_graph G>
class MakeScaleResizeNHWC final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  explicit MakeScaleResizeNHWC(std::string op = "Resize") : rewrite_pattern<G>("MakeScaleResizeNHWC", std::move(op)) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto x = operand(g, v, 0);
    if (!x || T::value(g, x->node, x->port).layout != "NCHW") return failure("the input is not annotated NCHW");
    if (T::num_outputs(g, v) != 1) return failure("does not have one result");
    const auto before = detail::sole_transpose_producer(g, v, detail::nhwc_to_nchw());
    std::optional<vertex_t<G>> after;  // not built by a conditional: g++ -O2 warns maybe-uninitialized
    if (!before) after = detail::sole_transpose_user(g, v, detail::nchw_to_nhwc());
    if (!before && !after) return failure("not between the NHWC and NCHW Transposes");
    const auto& perm = detail::nchw_to_nhwc();
    auto attrs = T::attributes(g, v);
    auto ops = operands(g, v);
    const int port = detail::resize_factor_port(g, v);
    if (port < 0) {
      const auto* scales = find_attribute<std::vector<double>>(attrs, "scales");
      if (!scales || scales->size() != 4) return failure("the scales are not four numbers");
      std::vector<double> s(4);
      for (std::size_t i = 0; i < 4; ++i) s[i] = (*scales)[std::size_t(perm[i])];
      attrs.insert_or_assign("scales", std::move(s));
    } else {
      const auto f = operand(g, v, port);
      if (T::kind(g, f->node) != node_kind::constant) return failure("the scales or sizes are not a constant");
      const auto handle = T::constant_value(g, f->node);  // held: an IR may hand out a copy
      if (handle->size() != 4) return failure("the scales or sizes are not one per axis of 4-D data");
      ops[std::size_t(port)] = rw.constant(detail::permuted_entries(*handle, perm), T::value(g, f->node, f->port).name);
    }
    if (attribute_or<std::string>(attrs, "coordinate_transformation_mode", "") == "tf_crop_and_resize") {
      const auto roi = operand(g, v, 1);
      if (!roi || T::kind(g, roi->node) != node_kind::constant) return failure("tf_crop_and_resize with a roi that is not a constant");
      const auto handle = T::constant_value(g, roi->node);
      if (handle->size() != 8) return failure("the roi is not a start and an end per axis");
      ops[1] = rw.constant(detail::permuted_entries(*handle, perm), T::value(g, roi->node, roi->port).name);
    }
    const std::string op(T::op_type(g, v)), domain(T::domain(g, v));
    const value_info& out = T::value(g, v, 0);
    if (before) {
      ops[0] = operand(g, *before, 0);
      const auto resized = rw.create_op(op, domain, ops, {transposed(out, perm, "_nhwc")}, std::move(attrs));
      rw.replace_all_uses({v, 0}, rw.op("Transpose", {value_ref<vertex_t<G>>{resized, 0}}, like(out),
                                         attribute_map{{"perm", detail::nhwc_to_nchw()}}));
    } else {
      ops[0] = rw.op("Transpose", {*x}, transposed(T::value(g, x->node, x->port), perm, "_nhwc"), attribute_map{{"perm", perm}});
      rw.replace_op(*after, {value_ref<vertex_t<G>>{rw.create_op(op, domain, ops, {like(T::value(g, *after, 0))}, std::move(attrs)), 0}});
    }
    rw.erase(v);
    return success();
  }
};

// The layout rules that keep streamline_plus's direction (streamline_plus runs
// them): Transposes and Squeezes move toward the outputs past MultiThresholds and
// MatMuls, Flattens past MatMuls and TopK, a Transpose folds into a Flatten. Not
// here: MoveTransposePastScalarMul/Eltwise and MoveFlattenPastAffine's Mul and Add
// instances, which move a scale up past a shape op while
// MoveScalarLinearPastInvariants moves it down.
template <ir_graph G>
void populate_layout_patterns(pattern_set<G>& set) {
  set.template add<AbsorbTransposeIntoMultiThreshold<G>>();
  set.template add<AbsorbTransposeIntoFlatten<G>>();
  set.template add<MoveSqueezePastMultiThreshold<G>>();
  set.template add<MoveSqueezePastMatMul<G>>();
  set.template add<MoveFlattenPastTopK<G>>();
  set.template add<MoveFlattenPastAffine<G>>("MatMul");
}

// The NHWC rules (family `nhwc`): a dataflow target's NHWC ops for the NCHW ops
// that sit between a pair of layout Transposes (FINN runs them when it lowers
// convolutions).
template <ir_graph G>
void populate_nhwc_patterns(pattern_set<G>& set) {
  set.template add<MakeMaxPoolNHWC<G>>();
  set.template add<MakeScaleResizeNHWC<G>>("Resize");
  set.template add<MakeScaleResizeNHWC<G>>("Upsample");
}

}  // namespace nnrewrite::streamline
