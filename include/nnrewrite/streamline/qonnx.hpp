// The QONNX front end: what Brevitas exports, turned into the form streamlining
// works on (FINN's ConvertQONNXtoFINN).
//
//   FoldQuantWeights   Quant(W, s, z, b) or BipolarQuant(W, s) on constant weights
//     -> the integer levels as weights, annotated with their QONNX type (INTb,
//        UINTb, BIPOLAR), and Mul(s) after the MatMul/Conv that uses them (a Conv
//        bias is divided by s) when s is scalar or per output channel; otherwise
//        the quantized values as a plain constant.
//   ConvertQuantActToMultiThreshold   Quant(x, s, z, b) or BipolarQuant(x, s) on data
//     -> MultiThreshold(x, T) giving the integer levels, then Mul(s). T sits where
//        the rounding mode first reaches each level, compared with >= or > as the
//        mode decides at that point, so the two agree on every float32 input
//        (ties included); T is kept in double (float32_threshold). A single-use Relu or Clip before it is absorbed when no
//        threshold lies where it changes the input (FINN's Relu handler).
//
// Quant, IntQuant and BipolarQuant are QONNX's (also under "finn.custom_op.general"
// and "onnx.brevitas", the domain of older Brevitas exports).
#pragma once

#include <limits>

#include "nnrewrite/ir/quant.hpp"
#include "nnrewrite/ir/weights.hpp"
#include "nnrewrite/streamline/common.hpp"

namespace nnrewrite::streamline {

namespace detail {

// A quantizer's constant operands and attributes, read and checked.
struct quantizer {
  bool bipolar_op = false;  // BipolarQuant: the sign of x itself, whatever s
  bool bipolar = false;     // two levels, -1 and +1 (BipolarQuant, or a signed 1-bit Quant)
  tensor scale;
  double zero_point = 0;
  double lo = 0, hi = 0;  // the levels before the zero point is subtracted
  int bits = 1;
  rounding_mode mode = rounding_mode::round;

  bool unit_scale() const {
    return scale.all_of([](auto e) { return double(e) == 1.0; });
  }
  // The level of u = x/s + z (for a bipolar quantizer, its sign).
  double level(double x, double s) const {
    if (bipolar_op) return x >= 0 ? 1.0 : -1.0;
    if (bipolar) return bipolar_level(x, s, zero_point);
    return quantize_level(mode, x, s, zero_point, lo, hi);
  }
};

// The value of constant operand `port` of v, or nullptr with `why` set.
template <ir_graph G>
std::optional<tensor> constant_operand(const G& g, vertex_t<G> v, int port, const char*& why) {
  const auto o = operand(g, v, port);
  if (!o || ir_traits<G>::kind(g, o->node) != node_kind::constant) {
    why = "a scale, zero point or bit width is not a constant";
    return std::nullopt;
  }
  const auto h = ir_traits<G>::constant_value(g, o->node);
  if (!h) {
    why = "a constant has no value";
    return std::nullopt;
  }
  return tensor(*h);
}

template <ir_graph G>
std::optional<quantizer> read_quantizer(const G& g, vertex_t<G> v, const char*& why) {
  using T = ir_traits<G>;
  quantizer q;
  q.bipolar_op = T::op_type(g, v) == "BipolarQuant";
  const int arity = q.bipolar_op ? 2 : 4;
  if (int(in_degree(v, g)) != arity || T::num_outputs(g, v) != 1) {
    why = q.bipolar_op ? "a BipolarQuant takes two operands and gives one result" : "a Quant takes four operands and gives one result";
    return std::nullopt;
  }
  auto s = constant_operand(g, v, 1, why);
  if (!s) return std::nullopt;
  if (!s->all_of([](auto e) { return std::isfinite(double(e)) && double(e) != 0; })) {
    why = "the scale is zero, NaN or Inf";
    return std::nullopt;
  }
  q.scale = std::move(*s);
  if (q.bipolar_op) {
    q.bipolar = true;
    q.lo = -1;
    q.hi = 1;
    return q;
  }
  const auto z = constant_operand(g, v, 2, why);
  if (!z) return std::nullopt;
  const auto b = constant_operand(g, v, 3, why);
  if (!b) return std::nullopt;
  if (z->size() != 1 || !std::isfinite(z->get(0)) || std::nearbyint(z->get(0)) != z->get(0)) {
    why = "the zero point is not one integer";
    return std::nullopt;
  }
  if (b->size() != 1 || std::nearbyint(b->get(0)) != b->get(0) || !(b->get(0) >= 1 && b->get(0) <= 32)) {
    why = "the bit width is not one integer in [1, 32]";
    return std::nullopt;
  }
  const auto& attrs = T::attributes(g, v);
  const auto mode = parse_rounding_mode(attribute_or<std::string>(attrs, "rounding_mode", "ROUND"));
  if (!mode) {
    why = "unknown rounding_mode";
    return std::nullopt;
  }
  q.mode = *mode;
  q.zero_point = z->get(0);
  q.bits = int(b->get(0));
  const bool is_signed = attribute_or<std::int64_t>(attrs, "signed", 1) != 0;
  const bool narrow = attribute_or<std::int64_t>(attrs, "narrow", 0) != 0;
  q.bipolar = is_signed && q.bits == 1;  // QONNX: a signed 1-bit Quant is bipolar
  q.lo = q.bipolar ? -1 : quant_min(is_signed, narrow, q.bits);
  q.hi = q.bipolar ? 1 : quant_max(is_signed, narrow, q.bits);
  if (q.lo > q.hi) {
    why = "the quantizer has no level (narrow 1-bit)";
    return std::nullopt;
  }
  return q;
}

// The QONNX type of the levels minus the zero point.
inline std::optional<data_type> level_type(const quantizer& q) {
  if (q.bipolar && q.zero_point == 0) return data_type::bipolar();
  return data_type::smallest_for_range(q.lo - q.zero_point, q.hi - q.zero_point);
}

}  // namespace detail

template <ir_graph G>
class FoldQuantWeights final : public rewrite_pattern<G> {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;
  // root: Quant, IntQuant or BipolarQuant (populate_qonnx_patterns adds all three).
  explicit FoldQuantWeights(std::string root = "Quant") : rewrite_pattern<G>("FoldQuantWeights", std::move(root)) {}

  match_result match_and_rewrite(V v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto w = operand(g, v, 0);
    if (!w || T::kind(g, w->node) != node_kind::constant) return failure("quantizes data, not a constant (ConvertQuantActToMultiThreshold's job)");
    const auto wh = T::constant_value(g, w->node);
    if (!wh) return failure("the weights have no value");
    const tensor& wt = *wh;
    if (!is_floating(wt.type()) || wt.has_non_finite()) return failure("the weights are not finite floats");
    const char* why = nullptr;
    const auto q = detail::read_quantizer(g, v, why);
    if (!q) return failure(why);
    if (!broadcast_keeps_shape(to_dims(wt.shape()), q->scale.shape())) return failure("the scale broadcasts the weights to another shape");
    const value_info out = T::value(g, v, 0);
    // The levels minus the zero point, as integers stored in the weights' float type.
    const tensor levels = tensor::broadcast(wt.cast(element_type::float64), q->scale.cast(element_type::float64),
                                            element_type::float64,
                                            [&](double x, double s) { return q->level(x, s) - q->zero_point; });
    if (q->unit_scale()) {
      replace_with_constant(v, levels.cast(wt.type()), detail::level_type(*q), rw);
      return success();
    }
    if (fold_scale_past_consumer(v, *q, levels.cast(wt.type()), wt.shape(), out, rw)) return success();
    // Anything else keeps its function as the quantized float values.
    const tensor values = tensor::broadcast(levels, q->scale.cast(element_type::float64), element_type::float64,
                                            [](double l, double s) { return l * s; });
    replace_with_constant(v, values.cast(wt.type()), std::nullopt, rw);
    return success();
  }

 private:
  static void replace_with_constant(V v, tensor t, std::optional<data_type> dtype, rewriter<G>& rw) {
    value_info info(T::value(rw.graph(), v, 0).name);
    info.dtype = dtype;
    const V c = rw.create_constant(std::move(info), std::move(t));
    rw.replace_op(v, {value_ref<V>{c, 0}});
  }

  // The weights' one user is a MatMul or Conv with them as operand 1 and the scale
  // is scalar or per output channel: the scale moves after it.
  // Copies of what is read from the graph: creating nodes may move a graph's
  // vertex storage (vecS), so no reference into it is held across a creation.
  static bool fold_scale_past_consumer(V v, const detail::quantizer& q, tensor ints, const shape_t wshape,
                                       const value_info& out, rewriter<G>& rw) {
    const G& g = rw.graph();
    const value_ref<V> result{v, 0};
    if (num_uses(g, result) != 1) return false;
    const auto use = uses(g, result).front();
    const V user = use.node;
    if (use.in_port != 1 || !(is_op(g, user, "MatMul") || is_op(g, user, "Conv") || is_op(g, user, "ConvTranspose")))
      return false;
    if (T::num_outputs(g, user) != 1 || !is_float_value(T::value(g, user, 0))) return false;
    const attribute_map attrs = T::attributes(g, user);
    const std::string op_type(T::op_type(g, user)), domain(T::domain(g, user));
    const value_info uo = T::value(g, user, 0);
    const auto layout = onnx_weight_layout(op_type, attrs, wshape.size());
    if (!layout) return false;
    const bool scalar = q.scale.is_scalar();
    const bool conv = !is_op(g, user, "MatMul");
    // ConvTranspose folds its groups into the input axis: only a scalar is simple.
    if (!scalar && (op_type == "ConvTranspose" || !is_channelwise_along(q.scale, wshape.size(), layout->out_axis)))
      return false;
    const std::int64_t oc = wshape[std::size_t(layout->out_axis)];
    std::vector<double> s;
    try {
      s = per_channel(q.scale, wshape.size(), layout->out_axis, oc);
    } catch (const shape_error&) {
      return false;
    }
    auto ops = operands(g, user);
    if (layout->bias_operand >= 0 && std::size_t(layout->bias_operand) < ops.size() && ops[std::size_t(layout->bias_operand)]) {
      const auto b = *ops[std::size_t(layout->bias_operand)];
      const auto bh = T::kind(g, b.node) == node_kind::constant ? T::constant_value(g, b.node) : constant_handle_t<G>{};
      if (!bh || bh->size() != oc) return false;
      tensor nb = bh->cast(element_type::float64);
      for (std::int64_t o = 0; o < oc; ++o) nb.set(o, nb.get(o) / s[std::size_t(o)]);  // s != 0: read_quantizer
      const element_type bt = bh->type();
      ops[std::size_t(layout->bias_operand)] = rw.constant(nb.cast(bt), std::string(T::value(g, b.node, b.port).name));
    }
    value_info wi(out.name);
    wi.dtype = detail::level_type(q);
    ops[1] = value_ref<V>{rw.create_constant(std::move(wi), std::move(ints)), 0};
    const V unscaled = rw.create_op(op_type, domain, ops, {like(uo, "_unscaled")}, attrs);
    // After the op the channels are its output's axis 1 (Conv) or last axis (MatMul).
    shape_t sshape;
    if (!scalar) {
      sshape = {oc};
      if (conv)
        for (std::size_t i = 2; i < wshape.size(); ++i) sshape.push_back(1);
    }
    const tensor st = scalar ? tensor::scalar(s[0], uo.elem) : tensor(element_type::float64, sshape, s).cast(uo.elem);
    rw.replace_op(user, {rw.op_with_constant("Mul", value_ref<V>{unscaled, 0}, st, like(uo))});
    rw.erase(v);
    return true;
  }
};

template <ir_graph G>
class ConvertQuantActToMultiThreshold final : public rewrite_pattern<G> {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;
  // More than this many bits would mean more than 65535 thresholds per channel.
  static constexpr int max_bits = 16;
  explicit ConvertQuantActToMultiThreshold(std::string root = "Quant")
      : rewrite_pattern<G>("ConvertQuantActToMultiThreshold", std::move(root)) {}

  match_result match_and_rewrite(V v, rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto x = operand(g, v, 0);
    if (!x) return failure("has no data operand");
    if (T::kind(g, x->node) == node_kind::constant) return failure("quantizes a constant (FoldQuantWeights' job)");
    const char* why = nullptr;
    const auto q = detail::read_quantizer(g, v, why);
    if (!q) return failure(why);
    const value_info xi = T::value(g, x->node, x->port);
    const value_info out = T::value(g, v, 0);
    if (!is_float_value(xi) || !is_float_value(out)) return failure("not a float activation");
    if (!xi.shape) return failure("the data's rank is unknown");
    if (!broadcast_keeps_shape(xi.shape, q->scale.shape())) return failure("the scale broadcasts the data to another shape");
    if (!q->bipolar && q->bits > max_bits) return failure("more than 16 bits (too many thresholds)");
    const std::size_t rank = xi.shape->size();
    if (rank == 0) return failure("a scalar activation (MultiThreshold needs a channel axis)");

    // Thresholds: one row for a scalar scale (or a BipolarQuant, whose thresholds
    // do not depend on it), else one per channel along the channel axis.
    std::vector<double> s{q->scale.is_scalar() ? q->scale.get(0) : 1.0};
    if (!q->bipolar_op && !q->scale.is_scalar()) {
      // MultiThreshold's channel axis: the layout's C, or its default for the rank.
      const std::int64_t axis = xi.layout.empty() ? multithreshold_channel_axis({}, rank) : channel_axis(xi).value_or(-1);
      if (axis < 0) return failure("the data's layout names no channel axis");
      if (!is_channelwise_along(q->scale, rank, axis)) return failure("the scale is neither scalar nor per channel");
      const dim& ch = (*xi.shape)[std::size_t(axis)];
      if (!ch.known()) return failure("the channel count is unknown");
      try {
        s = per_channel(q->scale, rank, axis, ch.size);
      } catch (const shape_error&) {
        return failure("the scale has neither one value nor one per channel");
      }
    }
    if (!q->bipolar_op)
      for (double e : s)
        if (!(e > 0)) return failure("a scale is negative (the levels would fall as x rises)");
    const std::int64_t steps = q->bipolar ? 1 : std::int64_t(q->hi - q->lo);
    // Thresholds in double, so that a strict one's margin survives the rules that
    // absorb scales and biases into it later (float32 would round it away) — when
    // the IR's constants can be float64.
    const bool in_double = holds_constants_of<G>(element_type::float64);
    threshold_matrix t(std::int64_t(s.size()), steps);
    for (std::int64_t r = 0; r < t.rows(); ++r)
      for (std::int64_t j = 0; j < steps; ++j) {
        // Level lo + j + 1 is reached where u = x/s + z crosses `at`: x = (at - z) s.
        const level_threshold lt = q->bipolar ? level_threshold{0.0, false} : threshold_for_level(q->mode, q->lo + double(j) + 1);
        const double at = q->bipolar_op ? 0.0 : (lt.at - q->zero_point) * s[std::size_t(r)];
        t.at(r, j) = xi.elem == element_type::float64 ? (lt.strict ? std::nextafter(at, std::numeric_limits<double>::infinity()) : at)
                     : in_double                        ? float32_threshold(at, lt.strict)
                                                        : double(float32_threshold_as_float(at, lt.strict));
      }
    if (!t.finite()) return failure("a threshold is not finite");
    const double out_scale = q->bipolar ? 2.0 : 1.0;
    const double out_bias = q->lo - q->zero_point;
    const auto dtype = multithreshold_out_dtype(out_scale, out_bias, steps);
    if (!dtype) return failure("no data type holds the levels");

    // A Relu or Clip before it that only it uses changes nothing the thresholds see
    // when they all lie inside its range (above its minimum, at most its maximum).
    value_ref<V> data = *x;
    std::optional<V> absorbed;
    if (num_uses(g, *x) == 1 && T::num_outputs(g, x->node) == 1)
      if (const auto b = clamp_bounds(g, x->node); b && t.min() > b->first && t.max() <= b->second)
        if (const auto in = operand(g, x->node, 0)) {
          data = *in;
          absorbed = x->node;
        }

    attribute_map attrs{{"out_dtype", dtype->name()}, {"out_scale", out_scale}, {"out_bias", out_bias}};
    if (!xi.layout.empty()) attrs.emplace("data_layout", xi.layout);
    const value_ref<V> th = rw.constant(t.to_tensor(in_double ? element_type::float64 : element_type::float32), out.name + "_thresholds");
    value_info levels = like(out, q->unit_scale() ? "" : "_levels");
    levels.dtype = *dtype;
    const value_ref<V> mt = rw.op("MultiThreshold", {data, th}, std::move(levels), std::move(attrs), qonnx_domain);
    if (q->unit_scale())
      rw.replace_op(v, {mt});
    else
      rw.replace_op(v, {rw.op_with_constant("Mul", mt, q->scale.cast(out.elem), like(out))});
    if (absorbed) rw.erase(*absorbed);
    return success();
  }
};

// The front end: both rules for Quant, IntQuant and BipolarQuant.
template <ir_graph G>
void populate_qonnx_patterns(pattern_set<G>& set) {
  for (const char* op : {"Quant", "IntQuant", "BipolarQuant"}) {
    set.template add<FoldQuantWeights<G>>(std::string(op));
    set.template add<ConvertQuantActToMultiThreshold<G>>(std::string(op));
  }
}

}  // namespace nnrewrite::streamline
