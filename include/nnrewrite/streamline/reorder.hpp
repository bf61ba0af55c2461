// Moving linear operations (FINN: streamline/reorder.py): float scales and biases
// travel toward the MultiThreshold that will absorb them, past the linear ops in
// between. Each rule keeps the function (exactly in the reals; float rounding aside).
//
//   MoveAddPastMul                   Add(x, B) -> Mul(A)          => Mul(x, A) -> Add(B*A)
//   MoveMulPastAdd                   Mul(x, s) -> Add(b)          => Add(x, b/s) -> Mul(s)      (s != 0)
//   MoveScalarMulPastMatMul          MatMul(a*X, b*Y)             => MatMul(X, Y) -> Mul(a*b)   (either or both)
//   MoveScalarAddPastMatMul          MatMul(x + a, W), a scalar   => MatMul(x, W) -> Add(a * 1^T W)
//   MoveAddPastMatMul                MatMul(x + c, W), c a row    => MatMul(x, W) -> Add(c W)
//   MoveAddPastConv                  Conv(x + A, W, b), no pads   => Conv(x, W, b) -> Add(A conv W)
//   MoveScalarMulPastConv            Conv(a*x, W, b)              => Conv(x, W, b/a) -> Mul(a)  (a != 0)
//   MoveScalarMulPastConvTranspose   the same for ConvTranspose
//   MoveMulPastDWConv                depthwise Conv(x*A, W, b)    => Conv(x, W, b/A') -> Mul(A') per output channel
//   MoveMulPastMaxPool               MaxPool(x*A), A >= 0         => MaxPool(x) -> Mul(A)
//   MoveMaxPoolPastMultiThreshold    MT(MaxPool(x)), out_scale>=0 => MaxPool(MT(x))
//   MoveScalarLinearPastInvariants   f(op(x, c)), c scalar        => op(f(x), c) for shape/copy ops f
//   MoveScalesPastIm2Col             Im2Col/Pad(a*x), pad value 0 => Im2Col/Pad(x) -> Mul(a)
//
// The moved op must feed nothing else (not a fork): moving a forking op would
// change its other consumers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "nnrewrite/ir/weights.hpp"
#include "nnrewrite/streamline/common.hpp"

namespace nnrewrite::streamline {

template <ir_graph G>
class MoveAddPastMul final : public rewrite_pattern<G> {
 public:
  MoveAddPastMul() : rewrite_pattern<G>("MoveAddPastMul", "Mul") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto mul = as_const_operand_op(g, v, {"Mul"}, why);
    if (!mul) return failure(why);
    const auto add = single_use_producer(g, v, mul->c_port == 1 ? 0 : 1, {"Add"}, why);
    if (!add) return failure(why);
    if (!keeps_data_shape(g, *add)) return failure("the Add broadcasts the data to another shape");
    const element_type e = mul->constant().type();
    if (!is_floating(e) || add->constant().type() != e) return failure("the constants are not of one float type");
    // (x + B) * A = x * A + B * A
    const value_info& out = ir_traits<G>::value(g, v, 0);
    const tensor ba = combine(add->constant(), mul->constant(), e, [](double b, double a) { return b * a; });
    const auto scaled = rw.op("Mul", {add->x, mul->c}, like(out, "_scaled"));
    rw.replace_op(v, {rw.op_with_constant("Add", scaled, ba, like(out))});
    return success();
  }
};

template <ir_graph G>
class MoveMulPastAdd final : public rewrite_pattern<G> {
 public:
  MoveMulPastAdd() : rewrite_pattern<G>("MoveMulPastAdd", "Add") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto add = as_const_operand_op(g, v, {"Add"}, why);
    if (!add) return failure(why);
    const auto mul = single_use_producer(g, v, add->c_port == 1 ? 0 : 1, {"Mul"}, why);
    if (!mul) return failure(why);
    if (!keeps_data_shape(g, *mul)) return failure("the Mul broadcasts the data to another shape");
    const element_type e = add->constant().type();
    if (!is_floating(e) || mul->constant().type() != e) return failure("the constants are not of one float type");
    if (any_zero(mul->constant())) return failure("the scale has a zero");
    // x * s + b = (x + b / s) * s
    const value_info& out = ir_traits<G>::value(g, v, 0);
    const tensor bs = combine(add->constant(), mul->constant(), e, [](double b, double s) { return b / s; });
    const auto shifted = rw.op_with_constant("Add", mul->x, bs, like(out, "_shifted"));
    rw.replace_op(v, {rw.op("Mul", {shifted, mul->c}, like(out))});
    return success();
  }
};

template <ir_graph G>
class MoveScalarMulPastMatMul final : public rewrite_pattern<G> {
 public:
  MoveScalarMulPastMatMul() : rewrite_pattern<G>("MoveScalarMulPastMatMul", "MatMul") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const value_info& out = ir_traits<G>::value(g, v, 0);
    if (!is_float_value(out)) return failure("not a float MatMul");
    // (a X)(b Y) = ab XY: either operand may carry a scalar Mul, or both.
    std::optional<value_ref<vertex_t<G>>> ins[2];
    double scale = 1;
    const char* why = "no operand comes from a scalar Mul";
    bool any = false;
    for (int p = 0; p < 2; ++p) {
      ins[p] = operand(g, v, p);
      if (!ins[p]) return failure("an operand is absent");
      const char* w = nullptr;
      const auto m = single_use_producer(g, v, p, {"Mul"}, w);
      if (!m) {
        if (any_reason(w)) why = w;
        continue;
      }
      if (!m->constant().is_scalar()) {
        why = "the Mul's constant is not a scalar";
        continue;
      }
      if (!keeps_data_shape(g, *m)) {
        why = "the Mul broadcasts the data to another shape";
        continue;
      }
      scale *= m->constant().get(0);
      ins[p] = m->x;
      any = true;
    }
    if (!any) return failure(why);
    const auto prod = rw.op("MatMul", {ins[0], ins[1]}, like(out, "_unscaled"));
    rw.replace_op(v, {rw.op_with_constant("Mul", prod, tensor::scalar(scale, out.elem), like(out))});
    return success();
  }

 private:
  // A reason worth reporting over the default (not "not the op": that operand is
  // simply not a Mul).
  static bool any_reason(const char* w) { return w && std::string_view(w) != "not the op the rule moves or absorbs"; }
};

namespace detail {
// MatMul(x + c, W) -> MatMul(x, W) + cW for c a scalar or a row vector ([K] or
// [1, ..., 1, K]) and W a constant [K, N] matrix.
template <ir_graph G>
match_result move_add_past_matmul(vertex_t<G> v, rewriter<G>& rw, bool scalar_only) {
  using T = ir_traits<G>;
  const G& g = rw.graph();
  const value_info& out = T::value(g, v, 0);
  if (!is_float_value(out)) return failure("not a float MatMul");
  const char* why = nullptr;
  const auto add = single_use_producer(g, v, 0, {"Add"}, why);
  if (!add) return failure(why);
  if (!keeps_data_shape(g, *add)) return failure("the Add broadcasts the data to another shape");
  const auto w = operand(g, v, 1);
  if (!w || T::kind(g, w->node) != node_kind::constant) return failure("the weights are not a constant");
  const auto wt = T::constant_value(g, w->node);
  if (!wt || wt->rank() != 2) return failure("the weights are not a matrix");
  const tensor& c = add->constant();
  const std::int64_t k = wt->shape()[0], n = wt->shape()[1];
  if (scalar_only && !c.is_scalar()) return failure("the added constant is not a scalar");
  for (std::size_t i = 0; i + 1 < c.rank(); ++i)
    if (c.shape()[i] != 1) return failure("the added constant is not a row vector");
  if (!c.is_scalar() && c.shape().back() != k) return failure("the added constant's length is not the MatMul's K");
  std::vector<double> per_k(std::size_t(k), c.get(0));
  if (!c.is_scalar())
    for (std::int64_t i = 0; i < k; ++i) per_k[std::size_t(i)] = c.get(i);
  const std::vector<double> bias = through_weights(*wt, *onnx_weight_layout("MatMul", {}, 2), per_k);
  const element_type e = is_floating(c.type()) ? c.type() : element_type::float32;
  const auto prod = rw.op("MatMul", {add->x, *w}, like(out, "_unshifted"));
  rw.replace_op(v, {rw.op_with_constant("Add", prod, tensor(e, shape_t{n}, bias), like(out))});
  return success();
}
}  // namespace detail

template <ir_graph G>
class MoveScalarAddPastMatMul final : public rewrite_pattern<G> {
 public:
  MoveScalarAddPastMatMul() : rewrite_pattern<G>("MoveScalarAddPastMatMul", "MatMul") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_add_past_matmul(v, rw, true);
  }
};

template <ir_graph G>
class MoveAddPastMatMul final : public rewrite_pattern<G> {
 public:
  MoveAddPastMatMul() : rewrite_pattern<G>("MoveAddPastMatMul", "MatMul") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_add_past_matmul(v, rw, false);
  }
};

namespace detail {
// Conv(x * A, W, b) -> Conv(x, W, b / A') -> Mul(A'), where A' is A per output
// channel: a scalar for any Conv, per channel for a depthwise one. FINN ignores
// the bias here (a(x*W) + b != a(x*W + b)); dividing it by A' keeps the function.
template <ir_graph G>
match_result move_mul_past_conv(vertex_t<G> v, rewriter<G>& rw, bool depthwise) {
  using T = ir_traits<G>;
  const G& g = rw.graph();
  const value_info& out = T::value(g, v, 0);
  if (!is_float_value(out)) return failure("not a float Conv");
  const char* why = nullptr;
  const auto mul = single_use_producer(g, v, 0, {"Mul"}, why);
  if (!mul) return failure(why);
  if (!keeps_data_shape(g, *mul)) return failure("the Mul broadcasts the data to another shape");
  const auto w = operand(g, v, 1);
  if (!w || T::kind(g, w->node) != node_kind::constant) return failure("the weights are not a constant");
  const auto wt = T::constant_value(g, w->node);
  const auto layout = wt ? onnx_weight_layout(T::op_type(g, v), T::attributes(g, v), wt->rank()) : std::nullopt;
  if (!layout) return failure("the weight layout is not known");
  const std::int64_t oc = layout->output_channels(wt->shape()), ic = layout->input_channels(wt->shape());
  std::vector<double> a(static_cast<std::size_t>(oc));
  shape_t ashape;  // of the Mul after the Conv: a scalar, or [oc, 1, ...] along axis 1
  if (!depthwise) {
    if (!mul->constant().is_scalar()) return failure("the scale is not a scalar");
    std::fill(a.begin(), a.end(), mul->constant().get(0));
  } else {
    // Depthwise: groups == input channels, each group one input channel.
    const std::int64_t groups = attribute_or<std::int64_t>(T::attributes(g, v), "group", 1);
    if (groups <= 1 || groups != ic || oc % groups != 0) return failure("not a depthwise Conv");
    const auto rank = rank_of(g, mul->x);
    if (!rank || !is_channelwise_along(mul->constant(), *rank, 1)) return failure("the scale is not per input channel");
    std::vector<double> per_in;
    try {
      per_in = per_channel(mul->constant(), *rank, 1, ic);
    } catch (const shape_error&) {
      return failure("the scale's length is not the input channel count");
    }
    const std::int64_t mult = oc / groups;  // outputs per group
    for (std::int64_t o = 0; o < oc; ++o) a[std::size_t(o)] = per_in[std::size_t(o / mult)];
    ashape = {oc};
    for (std::size_t i = 2; i < *rank; ++i) ashape.push_back(1);
  }
  for (double s : a)
    if (s == 0) return failure("a channel's scale is zero (the bias cannot be divided by it)");
  auto ops = operands(g, v);
  ops[0] = mul->x;
  if (layout->bias_operand >= 0 && std::size_t(layout->bias_operand) < ops.size() && ops[std::size_t(layout->bias_operand)]) {
    const auto b = *ops[std::size_t(layout->bias_operand)];
    if (T::kind(g, b.node) != node_kind::constant) return failure("the bias is not a constant");
    const auto bt = T::constant_value(g, b.node);
    if (!bt || bt->size() != oc) return failure("the bias does not have one value per output channel");
    tensor nb = bt->cast(element_type::float64);
    for (std::int64_t o = 0; o < oc; ++o) nb.set(o, nb.get(o) / a[std::size_t(o)]);
    ops[std::size_t(layout->bias_operand)] = rw.constant(nb.cast(bt->type()), T::value(g, b.node, b.port).name);
  }
  const vertex_t<G> conv = rw.create_op(T::op_type(g, v), T::domain(g, v), ops, {like(out, "_unscaled")}, T::attributes(g, v));
  const tensor scale = depthwise ? tensor(out.elem, ashape, a) : tensor::scalar(a[0], out.elem);
  rw.replace_op(v, {rw.op_with_constant("Mul", value_ref<vertex_t<G>>{conv, 0}, scale, like(out))});
  return success();
}
}  // namespace detail

template <ir_graph G>
class MoveScalarMulPastConv final : public rewrite_pattern<G> {
 public:
  MoveScalarMulPastConv() : rewrite_pattern<G>("MoveScalarMulPastConv", "Conv") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_mul_past_conv(v, rw, false);
  }
};

template <ir_graph G>
class MoveMulPastDWConv final : public rewrite_pattern<G> {
 public:
  MoveMulPastDWConv() : rewrite_pattern<G>("MoveMulPastDWConv", "Conv") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_mul_past_conv(v, rw, true);
  }
};

template <ir_graph G>
class MoveScalarMulPastConvTranspose final : public rewrite_pattern<G> {
 public:
  MoveScalarMulPastConvTranspose() : rewrite_pattern<G>("MoveScalarMulPastConvTranspose", "ConvTranspose") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    return detail::move_mul_past_conv(v, rw, false);
  }
};

// Conv(x + A, W, b) = Conv(x, W, b) + A' without padding, A' the convolution of
// the constant field: per output channel, the sum of its weights times A of their
// input channel. The bias is counted once (FINN adds it into A' too). Padding
// would put zeros, not A, at the borders: refused.
template <ir_graph G>
class MoveAddPastConv final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveAddPastConv() : rewrite_pattern<G>("MoveAddPastConv", "Conv") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const value_info& out = T::value(g, v, 0);
    if (!is_float_value(out)) return failure("not a float Conv");
    const auto& attrs = T::attributes(g, v);
    if (const auto* pads = find_attribute<std::vector<std::int64_t>>(attrs, "pads"))
      for (auto p : *pads)
        if (p != 0) return failure("the Conv pads its input (the borders would see zeros, not the added constant)");
    const std::string pad_mode = attribute_or<std::string>(attrs, "auto_pad", "NOTSET");
    if (pad_mode != "NOTSET" && pad_mode != "VALID") return failure("the Conv pads its input (auto_pad)");
    const char* why = nullptr;
    const auto add = single_use_producer(g, v, 0, {"Add"}, why);
    if (!add) return failure(why);
    if (!keeps_data_shape(g, *add)) return failure("the Add broadcasts the data to another shape");
    const auto w = operand(g, v, 1);
    if (!w || T::kind(g, w->node) != node_kind::constant) return failure("the weights are not a constant");
    const auto wt = T::constant_value(g, w->node);
    const auto layout = wt ? onnx_weight_layout("Conv", attrs, wt->rank()) : std::nullopt;
    if (!layout) return failure("the weight layout is not known");
    const auto rank = rank_of(g, add->x);
    if (!rank || !is_channelwise_along(add->constant(), *rank, 1)) return failure("the added constant is neither scalar nor per channel");
    std::vector<double> a;
    try {
      a = per_channel(add->constant(), *rank, 1, layout->input_channels(wt->shape()));
    } catch (const shape_error&) {
      return failure("the added constant's length is not the input channel count");
    }
    const std::vector<double> shifted = through_weights(*wt, *layout, a);
    auto ops = operands(g, v);
    ops[0] = add->x;
    const vertex_t<G> conv = rw.create_op("Conv", T::domain(g, v), ops, {like(out, "_unshifted")}, attrs);
    shape_t bshape{std::int64_t(shifted.size())};
    for (std::size_t i = 2; i < *rank; ++i) bshape.push_back(1);
    rw.replace_op(v, {rw.op_with_constant("Add", value_ref<vertex_t<G>>{conv, 0}, tensor(out.elem, bshape, shifted), like(out))});
    return success();
  }
};

// MaxPool -> MultiThreshold => MultiThreshold -> MaxPool: a threshold with
// out_scale >= 0 never decreases, so it commutes with max. ONNX pads MaxPool with
// -inf, but dataflow backends (FINN's) pad with 0, which is only neutral for a
// non-negative output: a padded pool before a MultiThreshold whose output can be
// negative is refused — every pad is looked at (FINN multiplies them, so
// asymmetric pads such as [0, 0, 1, 1] slip through).
template <ir_graph G>
class MoveMaxPoolPastMultiThreshold final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveMaxPoolPastMultiThreshold() : rewrite_pattern<G>("MoveMaxPoolPastMultiThreshold", "MultiThreshold") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto in = operand(g, v, 0);
    if (!in || !is_op(g, in->node, "MaxPool")) return failure("not after a MaxPool");
    const vertex_t<G> pool = in->node;
    if (T::num_outputs(g, pool) > 1 && num_uses(g, value_ref<vertex_t<G>>{pool, 1}) != 0) return failure("the MaxPool's indices are used");
    if (num_uses(g, *in) != 1) return failure("the MaxPool feeds more than one consumer");
    const auto& mt_attrs = T::attributes(g, v);
    const double scale = attribute_or<double>(mt_attrs, "out_scale", 1.0);
    const double bias = attribute_or<double>(mt_attrs, "out_bias", 0.0);
    if (scale < 0) return failure("the MultiThreshold decreases (negative out_scale)");
    const auto rank = rank_of(g, *in);
    if (!rank || *rank < 3) return failure("the data's rank is unknown");
    if (multithreshold_channel_axis(mt_attrs, *rank) != 1) return failure("the MultiThreshold's channels are not the MaxPool's (axis 1)");
    const auto& pool_attrs = T::attributes(g, pool);
    bool padded = attribute_or<std::string>(pool_attrs, "auto_pad", "NOTSET") != "NOTSET" &&
                  attribute_or<std::string>(pool_attrs, "auto_pad", "NOTSET") != "VALID";
    if (const auto* pads = find_attribute<std::vector<std::int64_t>>(pool_attrs, "pads"))
      for (auto p : *pads) padded = padded || p != 0;
    if (padded && bias < 0) return failure("a padded MaxPool before a MultiThreshold with negative outputs (zero padding would change them)");
    const auto x = operand(g, pool, 0);
    if (!x) return failure("the MaxPool has no input");
    const value_info& out = T::value(g, v, 0);
    const auto th = operand(g, v, 1);
    if (!th) return failure("the MultiThreshold has no thresholds");
    value_info mt_info(out.name + "_unpooled", out.elem, T::value(g, x->node, x->port).shape, out.dtype, out.layout);
    const auto mt = rw.op(T::op_type(g, v), {*x, *th}, std::move(mt_info), mt_attrs, T::domain(g, v));
    const vertex_t<G> moved = rw.create_op("MaxPool", T::domain(g, pool), {mt}, {like(out)}, pool_attrs);
    rw.replace_op(v, {value_ref<vertex_t<G>>{moved, 0}});
    return success();
  }
};

template <ir_graph G>
class MoveMulPastMaxPool final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveMulPastMaxPool() : rewrite_pattern<G>("MoveMulPastMaxPool", "MaxPool") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    for (int p = 1; p < T::num_outputs(g, v); ++p)
      if (num_uses(g, value_ref<vertex_t<G>>{v, p}) != 0) return failure("its indices are used");
    const char* why = nullptr;
    const auto mul = single_use_producer(g, v, 0, {"Mul"}, why);
    if (!mul) return failure(why);
    if (!keeps_data_shape(g, *mul)) return failure("the Mul broadcasts the data to another shape");
    const auto rank = rank_of(g, mul->x);
    if (!rank || !is_channelwise_along(mul->constant(), *rank, 1)) return failure("the scale is neither scalar nor per channel");
    // max(a x) = a max(x) needs a >= 0.
    if (!all_nonnegative(mul->constant())) return failure("the scale has a negative entry");
    const value_info& out = T::value(g, v, 0);
    std::vector<value_info> results{like(out, "_unscaled")};
    for (int p = 1; p < T::num_outputs(g, v); ++p) results.push_back(T::value(g, v, p));
    const vertex_t<G> pool = rw.create_op("MaxPool", T::domain(g, v), {mul->x}, std::move(results), T::attributes(g, v));
    const auto scaled = rw.op("Mul", {value_ref<vertex_t<G>>{pool, 0}, mul->c}, like(out));
    std::vector<value_ref<vertex_t<G>>> repl{scaled};
    for (int p = 1; p < T::num_outputs(g, v); ++p) repl.push_back(value_ref<vertex_t<G>>{pool, p});
    rw.replace_op(v, repl);
    return success();
  }
};

// v's producer m (a scalar Mul/Div/Add/Sub) goes after v: v(x) -> op(·, c), the
// other operands and attributes of v kept. A scalar of rank r would broadcast v's
// result to rank r: its rank is kept at most the result's.
template <ir_graph G>
match_result move_scalar_past(rewriter<G>& rw, vertex_t<G> v, const const_operand_op<G>& m) {
  using T = ir_traits<G>;
  const G& g = rw.graph();
  const auto r = rank_of(g, value_ref<vertex_t<G>>{v, 0});
  if (!r) return failure("the result's rank is unknown");
  const value_info out = T::value(g, v, 0);
  auto ops = operands(g, v);
  ops[0] = m.x;
  const std::string op(T::op_type(g, m.node));
  const vertex_t<G> moved =
      rw.create_op(std::string(T::op_type(g, v)), std::string(T::domain(g, v)), ops, {like(out, "_unscaled")}, T::attributes(g, v));
  auto c = m.c;
  if (m.constant().rank() > *r) c = rw.constant(m.constant().reshape(shape_t{}), T::value(g, c.node, c.port).name);
  rw.replace_op(v, {rw.op(op, {value_ref<vertex_t<G>>{moved, 0}, c}, like(out))});
  return success();
}

// Ops that only move, copy or average values, so that a scalar Mul or Div (and,
// for all of them here, a scalar Add or Sub) commutes with them.
inline bool is_scalar_invariant(std::string_view op) {
  for (std::string_view f : {"GlobalAveragePool", "Identity", "Reshape", "Transpose", "Flatten", "Expand", "Slice",
                             "Squeeze", "Unsqueeze", "Resize", "Upsample"})
    if (op == f) return true;
  return false;
}

template <ir_graph G>
class MoveScalarLinearPastInvariants final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  MoveScalarLinearPastInvariants() : rewrite_pattern<G>("MoveScalarLinearPastInvariants", "") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const std::string_view f = T::op_type(g, v);
    if (!is_onnx_domain(T::domain(g, v)) || !is_scalar_invariant(f)) return failure("not a shape or copy op");
    if ((f == "Resize" || f == "Upsample") && attribute_or<std::string>(T::attributes(g, v), "mode", "nearest") != "nearest")
      return failure("an interpolating Resize mixes values");
    if (T::num_outputs(g, v) != 1) return failure("has more than one result");
    const char* why = nullptr;
    const auto m = single_use_producer(g, v, 0, {"Mul", "Div", "Add", "Sub"}, why);
    if (!m) return failure(why);
    if (!m->constant().is_scalar()) return failure("the constant is not a scalar");
    if (!keeps_data_shape(g, *m)) return failure("the constant broadcasts the data to another shape");
    return move_scalar_past(rw, v, *m);
  }
};

// Scalar Mul/Div -> Im2Col (QONNX) or Pad (ONNX) => Im2Col/Pad -> Mul/Div. A
// padded position holds the pad value p and becomes a*p only if the scale goes
// first: the move is exact when nothing is padded or p = 0 (FINN moves the scale
// past any pad value). Pad's reflect/edge/wrap modes copy values: always exact.
template <ir_graph G>
class MoveScalesPastIm2Col final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  explicit MoveScalesPastIm2Col(std::string root = "Im2Col") : rewrite_pattern<G>("MoveScalesPastIm2Col", std::move(root)) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    if (T::num_outputs(g, v) != 1) return failure("has more than one result");
    const char* why = nullptr;
    const auto m = single_use_producer(g, v, 0, {"Mul", "Div"}, why);
    if (!m) return failure(why);
    if (!m->constant().is_scalar()) return failure("the scale is not a scalar");
    if (!keeps_data_shape(g, *m)) return failure("the scale broadcasts the data to another shape");
    if (const char* pad = nonzero_padding(g, v)) return failure(pad);
    return move_scalar_past(rw, v, *m);
  }

 private:
  // Why a padded position would not stay as it is, or nullptr.
  static const char* nonzero_padding(const G& g, vertex_t<G> v) {
    const auto& attrs = T::attributes(g, v);
    if (T::op_type(g, v) == "Im2Col") {
      const auto pads = attribute_or<std::vector<std::int64_t>>(attrs, "pad_amount", {});
      const bool padded = std::any_of(pads.begin(), pads.end(), [](std::int64_t p) { return p != 0; });
      return padded && attribute_or<std::int64_t>(attrs, "pad_value", 0) != 0 ? "the pad value is not 0" : nullptr;
    }
    if (attribute_or<std::string>(attrs, "mode", "constant") != "constant") return nullptr;
    // Pad-11 and later: pads and constant_value are operands; before: attributes.
    double value = attribute_or<double>(attrs, "value", 0.0);
    if (const auto c = operand(g, v, 2)) {
      if (T::kind(g, c->node) != node_kind::constant) return "the pad value is not a constant";
      const auto t = T::constant_value(g, c->node);
      if (t->size() > 1) return "the pad value is not one number";
      if (t->size() == 1) value = t->get(0);
    }
    if (value == 0) return nullptr;
    if (const auto p = operand(g, v, 1)) {
      if (T::kind(g, p->node) != node_kind::constant) return "the pads are not a constant (and the pad value is not 0)";
      return T::constant_value(g, p->node)->all_of([](auto x) { return x == 0; }) ? nullptr : "the pad value is not 0";
    }
    const auto pads = attribute_or<std::vector<std::int64_t>>(attrs, "pads", {});
    return std::all_of(pads.begin(), pads.end(), [](std::int64_t x) { return x == 0; }) ? nullptr : "the pad value is not 0";
  }
};

template <ir_graph G>
void populate_reorder_patterns(pattern_set<G>& set) {
  set.template add<MoveAddPastMul<G>>();
  set.template add<MoveScalarMulPastMatMul<G>>();
  set.template add<MoveScalarAddPastMatMul<G>>();
  set.template add<MoveAddPastMatMul<G>>();
  set.template add<MoveScalarMulPastConv<G>>();
  set.template add<MoveScalarMulPastConvTranspose<G>>();
  set.template add<MoveAddPastConv<G>>();
  set.template add<MoveMulPastDWConv<G>>();
  set.template add<MoveMaxPoolPastMultiThreshold<G>>();
  set.template add<MoveMulPastMaxPool<G>>();
  set.template add<MoveScalarLinearPastInvariants<G>>();
  set.template add<MoveScalesPastIm2Col<G>>("Im2Col");
  set.template add<MoveScalesPastIm2Col<G>>("Pad");
}

}  // namespace nnrewrite::streamline
