// Absorption (FINN: streamline/absorb.py): scales and biases disappear into the
// thresholds of a MultiThreshold, into integer weights, or before a TopK.
//
//   AbsorbSignBiasIntoMultiThreshold  MT -> Add(c), c scalar integer   => MT with out_bias += c
//   AbsorbAddIntoMultiThreshold       Add(x, A) -> MT                  => MT(x, T - A)
//   AbsorbMulIntoMultiThreshold       Mul(x, A) -> MT, A > 0           => MT(x, T / A)
//   FactorOutMulSignMagnitude         Mul(x, A), A with negatives      => Mul(sign A) [BIPOLAR] -> Mul(|A|)
//   Absorb1BitMulIntoMatMul           MatMul(x, W) -> Mul(A), A 1-bit  => MatMul(x, W * A)
//                                     (1-bit: annotated BIPOLAR/BINARY, or all values in {-1,1} or {0,1})
//   Absorb1BitMulIntoConv             Conv(x, W) -> Mul(A), A 1-bit    => Conv(x, W * A)
//   AbsorbScalarMulAddIntoTopK        Mul(a > 0) / Add(a) -> TopK      => TopK (indices only)
//   AbsorbConsecutiveTransposes       Transpose(p) whose every consumer is Transpose(p^-1) => all removed
//
// A and the thresholds are per channel of the MultiThreshold's input: scalar or
// channelwise along its channel axis (data_layout), computed in double.
#pragma once

#include <algorithm>

#include "nnrewrite/ir/weights.hpp"
#include "nnrewrite/streamline/common.hpp"

namespace nnrewrite::streamline {

namespace detail {

// MT(op(x, A), T) -> MT(x, f(T, A)) per channel; the shared part of the Add and Mul
// absorptions. `f(t, a)` gives the new threshold; `check(a)` refuses a channel.
template <ir_graph G, class F>
match_result absorb_into_thresholds(vertex_t<G> mt, rewriter<G>& rw, std::string_view op, F f,
                                    const char* (*check)(double)) {
  using T = ir_traits<G>;
  const G& g = rw.graph();
  const auto th = operand(g, mt, 1);
  if (!th || T::kind(g, th->node) != node_kind::constant) return failure("its thresholds are not a constant");
  const char* why = nullptr;
  const auto m = single_use_producer(g, mt, 0, {op}, why);
  if (!m) return failure(why);
  if (!keeps_data_shape(g, *m)) return failure("the constant broadcasts the data to another shape");
  const auto rank = rank_of(g, m->x);
  if (!rank) return failure("the data's rank is unknown");
  const std::int64_t axis = multithreshold_channel_axis(T::attributes(g, mt), *rank);
  if (!is_channelwise_along(m->constant(), *rank, axis))
    return failure("the constant is neither scalar nor channelwise along the MultiThreshold's channel axis");
  const auto tt = T::constant_value(g, th->node);
  if (!tt || tt->rank() != 2) return failure("the thresholds are not a (channels, steps) matrix");
  threshold_matrix t(*tt);
  std::vector<double> a;
  if (m->constant().is_scalar()) {
    a.assign(std::size_t(t.rows()), m->constant().get(0));
  } else {
    const auto& xs = m->x_info(g).shape;
    const dim& ch = (*xs)[std::size_t(axis)];
    if (!ch.known()) return failure("the channel count is unknown");
    if (t.rows() != 1 && t.rows() != ch.size) return failure("the thresholds have neither one row nor one per channel");
    a = per_channel(m->constant(), *rank, axis, ch.size);
    if (t.shared()) t = t.broadcast_to(ch.size);  // else one row per channel already
  }
  for (double e : a)
    if (const char* bad = check(e)) return failure(bad);
  t.transform([&](std::int64_t row, double v) { return f(v, a[std::size_t(row)]); });
  if (!t.finite()) return failure("a new threshold is not finite");
  rw.replace_constant_operand(mt, 1, t.to_tensor(tt->type()), std::nullopt);
  rw.set_operand(mt, 0, m->x);
  return success();
}

}  // namespace detail

template <ir_graph G>
class AbsorbAddIntoMultiThreshold final : public rewrite_pattern<G> {
 public:
  AbsorbAddIntoMultiThreshold() : rewrite_pattern<G>("AbsorbAddIntoMultiThreshold", "MultiThreshold") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    // x + a >= t  <=>  x >= t - a
    return detail::absorb_into_thresholds(v, rw, "Add", [](double t, double a) { return t - a; },
                                          [](double) -> const char* { return nullptr; });
  }
};

template <ir_graph G>
class AbsorbMulIntoMultiThreshold final : public rewrite_pattern<G> {
 public:
  AbsorbMulIntoMultiThreshold() : rewrite_pattern<G>("AbsorbMulIntoMultiThreshold", "MultiThreshold") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    // x * a >= t  <=>  x >= t / a  for a > 0. A zero scale makes the channel a
    // constant (no threshold expresses it for every x); a negative one flips the
    // comparison (FactorOutMulSignMagnitude splits it off first).
    return detail::absorb_into_thresholds(v, rw, "Mul", [](double t, double a) { return t / a; },
                                          [](double a) -> const char* {
                                            if (a == 0) return "a channel's scale is zero";
                                            if (a < 0) return "a channel's scale is negative";
                                            return nullptr;
                                          });
  }
};

template <ir_graph G>
class AbsorbSignBiasIntoMultiThreshold final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  AbsorbSignBiasIntoMultiThreshold() : rewrite_pattern<G>("AbsorbSignBiasIntoMultiThreshold", "Add") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto m = as_const_operand_op(g, v, {"Add"}, why);
    if (!m) return failure(why);
    if (!is_op(g, m->x.node, "MultiThreshold")) return failure("the data does not come from a MultiThreshold");
    if (num_uses(g, m->x) != 1) return failure("the MultiThreshold feeds more than one consumer");
    if (!m->constant().is_scalar()) return failure("the bias is not a scalar");
    if (!keeps_data_shape(g, *m)) return failure("the bias broadcasts the data to another shape");
    const vertex_t<G> mt = m->x.node;
    const auto& attrs = T::attributes(g, mt);
    const double scale = attribute_or<double>(attrs, "out_scale", 1.0);
    const double bias = attribute_or<double>(attrs, "out_bias", 0.0) + m->constant().get(0);
    const auto th = operand(g, mt, 1);
    constant_handle_t<G> tt{};
    if (th && T::kind(g, th->node) == node_kind::constant) tt = T::constant_value(g, th->node);
    if (!tt || tt->rank() != 2) return failure("the MultiThreshold's thresholds are not a constant matrix");
    const auto out = multithreshold_out_dtype(scale, bias, tt->shape()[1]);
    if (!out) return failure("no data type holds the new output range");
    const auto old = data_type::try_parse(attribute_or<std::string>(attrs, "out_dtype", ""));
    if (old && !old->is_float() && out->is_float()) return failure("the bias would make an integer output non-integer");
    rw.set_attribute(mt, "out_bias", bias);
    rw.set_attribute(mt, "out_dtype", out->name());
    rw.replace_op(v, {m->x});
    return success();
  }
};

template <ir_graph G>
class FactorOutMulSignMagnitude final : public rewrite_pattern<G> {
 public:
  FactorOutMulSignMagnitude() : rewrite_pattern<G>("FactorOutMulSignMagnitude", "Mul") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto m = as_const_operand_op(g, v, {"Mul"}, why);
    if (!m) return failure(why);
    const tensor& a = m->constant();
    if (!is_floating(a.type())) return failure("not a float scale");
    if (all_nonnegative(a)) return failure("the scale has no negative entry");
    if (a.all_of([](auto e) { return double(e) == 1 || double(e) == -1; })) return failure("the scale is already a sign");
    std::size_t varying = 0;
    for (auto d : a.shape()) varying += d != 1;
    if (varying > 1) return failure("the scale varies along more than one axis");
    const tensor sign = a.map([](auto e) { return e < 0 ? -1.0 : 1.0; });
    const tensor magnitude = a.map([](auto e) { return e < 0 ? -double(e) : double(e); });
    const value_info& out = ir_traits<G>::value(g, v, 0);
    value_info sign_info(out.name + "_sign_param");
    sign_info.dtype = data_type::bipolar();
    const value_ref<vertex_t<G>> s{rw.create_constant(std::move(sign_info), sign), 0};
    const auto signed_x = rw.op("Mul", {m->x, s}, like(out, "_sign"));
    rw.replace_op(v, {rw.op_with_constant("Mul", signed_x, magnitude, like(out))});
    return success();
  }
};

// MatMul/Conv(x, W) -> Mul(A) with A of a 1-bit type (BIPOLAR, BINARY): A folds
// into W's output channels when every product stays within W's data type.
template <ir_graph G>
class absorb_1bit_mul : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  explicit absorb_1bit_mul(std::string mac) : rewrite_pattern<G>("Absorb1BitMulInto" + mac, "Mul"), mac_(std::move(mac)) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const char* why = nullptr;
    const auto m = as_const_operand_op(g, v, {"Mul"}, why);
    if (!m) return failure(why);
    if (!is_op(g, m->x.node, mac_)) return mac_ == "MatMul" ? failure("not after a MatMul") : failure("not after a Conv");
    if (num_uses(g, m->x) != 1) return failure("the weighted op feeds more than one consumer");
    // 1-bit by annotation, or by its values (a sign left by collapsing Muls is
    // not annotated).
    const data_type at = T::value(g, m->c.node, m->c.port).qonnx_type();
    const bool annotated = at.bitwidth() == 1 && !at.is_float() && !at.is_fixed_point();
    const bool bipolar = m->constant().all_of([](auto e) { return double(e) == 1 || double(e) == -1; });
    const bool binary = m->constant().all_of([](auto e) { return double(e) == 0 || double(e) == 1; });
    if (!annotated && !bipolar && !binary) return failure("the scale is not of a 1-bit type (BIPOLAR or BINARY)");
    const vertex_t<G> mac = m->x.node;
    const auto w = operand(g, mac, 1);
    if (!w || T::kind(g, w->node) != node_kind::constant) return failure("the weights are not a constant");
    const auto wt = T::constant_value(g, w->node);
    const auto layout = onnx_weight_layout(T::op_type(g, mac), T::attributes(g, mac), wt->rank());
    if (!layout) return failure("the weight layout is not known");
    const auto rank = rank_of(g, m->x);
    const std::int64_t out_axis = mac_ == "MatMul" ? -1 : 1;
    if (!rank || !is_channelwise_along(m->constant(), *rank, out_axis))
      return failure("the scale is neither scalar nor per output channel");
    if (!keeps_data_shape(g, *m)) return failure("the scale broadcasts the data to another shape");
    const std::int64_t oc = layout->output_channels(wt->shape());
    std::vector<double> a;
    try {
      a = per_channel(m->constant(), *rank, out_axis, oc);
    } catch (const shape_error&) {
      return failure("the scale's length is not the output channel count");
    }
    // Every product must stay within W's data type. A weight times 1 is itself;
    // times -1 it stays when the type is symmetric (BIPOLAR, TERNARY, floats);
    // times 0 when the type holds 0. Only what these do not settle is checked.
    const data_type wtype = T::value(g, w->node, w->port).qonnx_type();
    const bool symmetric = wtype.min() == -wtype.max();
    const bool settled = std::all_of(a.begin(), a.end(), [&](double x) {
      return x == 1 || (x == -1 && symmetric) || (x == 0 && wtype.allowed(0));
    });
    if (!settled) {
      const auto allowed = wtype.allowed_predicate();
      bool ok = true;
      for_each_weight(*wt, *layout, [&](double x, std::int64_t out, std::int64_t) {
        const double f = a[std::size_t(out)];
        ok = ok && (f == 1 || allowed(x * f));
      });
      if (!ok) return failure("a product leaves the weights' data type");
    }
    tensor scaled = scale_output_channels(*wt, *layout, a);
    // A bias is scaled with its channel: (x*W + b) * a = x*(W*a) + b*a.
    std::optional<tensor> bias;
    if (const auto b = layout->bias_operand >= 0 ? operand(g, mac, layout->bias_operand) : std::nullopt) {
      if (T::kind(g, b->node) != node_kind::constant) return failure("the bias is not a constant");
      const auto bt = T::constant_value(g, b->node);
      if (!bt || bt->size() != oc) return failure("the bias does not have one value per output channel");
      bias = bt->cast(element_type::float64);
      for (std::int64_t i = 0; i < oc; ++i) bias->set(i, bias->get(i) * a[std::size_t(i)]);
      *bias = bias->cast(bt->type());
    }
    rw.replace_constant_operand(mac, 1, std::move(scaled));
    if (bias) rw.replace_constant_operand(mac, layout->bias_operand, std::move(*bias));
    rw.replace_op(v, {m->x});
    return success();
  }

 private:
  std::string mac_;
};
template <ir_graph G>
struct Absorb1BitMulIntoMatMul final : absorb_1bit_mul<G> {
  Absorb1BitMulIntoMatMul() : absorb_1bit_mul<G>("MatMul") {}
};
template <ir_graph G>
struct Absorb1BitMulIntoConv final : absorb_1bit_mul<G> {
  Absorb1BitMulIntoConv() : absorb_1bit_mul<G>("Conv") {}
};

// A positive scalar Mul or a scalar Add before a TopK whose values are unused
// changes no index: it goes.
template <ir_graph G>
class AbsorbScalarMulAddIntoTopK final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  AbsorbScalarMulAddIntoTopK() : rewrite_pattern<G>("AbsorbScalarMulAddIntoTopK", "TopK") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    if (num_uses(g, value_ref<vertex_t<G>>{v, 0}) != 0) return failure("the TopK's values are used, not only its indices");
    const char* why = nullptr;
    const auto m = single_use_producer(g, v, 0, {"Mul", "Add"}, why);
    if (!m) return failure(why);
    if (!m->constant().is_scalar()) return failure("the constant is not a scalar");
    if (!keeps_data_shape(g, *m)) return failure("the constant broadcasts the data to another shape");
    if (is_op(g, m->node, "Mul") && !(m->constant().get(0) > 0)) return failure("the scale is not positive");
    rw.set_operand(v, 0, m->x);
    return success();
  }
};

// A Transpose all of whose consumers are Transposes by its inverse permutation:
// every consumer's result is the Transpose's input again, so all of them go.
template <ir_graph G>
class AbsorbConsecutiveTransposes final : public rewrite_pattern<G> {
 public:
  using T = ir_traits<G>;
  AbsorbConsecutiveTransposes() : rewrite_pattern<G>("AbsorbConsecutiveTransposes", "Transpose") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto x = operand(g, v, 0);
    if (!x) return failure("has no input");
    const auto p = transpose_perm(g, v);
    if (!p) return failure("its permutation is not known (no perm, and the rank unknown) or not a permutation");
    const auto users = uses(g, value_ref<vertex_t<G>>{v, 0});
    if (users.empty()) return failure("its result is not used");
    for (const auto& u : users) {
      if (!is_op(g, u.node, "Transpose")) return failure("a consumer is not a Transpose (or it is a graph output)");
      const auto q = transpose_perm(g, u.node);
      if (!q || q->size() != p->size() || !is_identity_perm(compose_perms(*p, *q)))
        return failure("a consuming Transpose does not undo its permutation");
    }
    for (const auto& u : users) rw.replace_op(u.node, {*x});
    return success();
  }
};

template <ir_graph G>
void populate_absorb_patterns(pattern_set<G>& set) {
  set.template add<AbsorbSignBiasIntoMultiThreshold<G>>();
  set.template add<AbsorbAddIntoMultiThreshold<G>>();
  set.template add<AbsorbMulIntoMultiThreshold<G>>();
  set.template add<FactorOutMulSignMagnitude<G>>();
  set.template add<Absorb1BitMulIntoMatMul<G>>();
  set.template add<Absorb1BitMulIntoConv<G>>();
  set.template add<AbsorbScalarMulAddIntoTopK<G>>();
  set.template add<AbsorbConsecutiveTransposes<G>>();
}

}  // namespace nnrewrite::streamline
