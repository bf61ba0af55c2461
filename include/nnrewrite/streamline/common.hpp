// What the streamlining rules share: reading "an elementwise op with one constant
// operand" off the graph (the shape every FINN rule starts from), the questions
// asked of it (scalar? channelwise for the data it meets? non-negative?), and
// combining constants in double. Rules are written only against ir_traits<G>, the
// queries and the rewriter, so they run unchanged on any IR.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nnrewrite/ir/axes.hpp"
#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/thresholds.hpp"
#include "nnrewrite/ir/traits.hpp"
#include "nnrewrite/rewrite/pattern.hpp"

namespace nnrewrite::streamline {

// The domain new QONNX ops (MultiThreshold) are created in.
inline constexpr std::string_view qonnx_domain = "qonnx.custom_op.general";

// Whether v is an op of type `type` in that type's home domain (ONNX's Add, QONNX's
// MultiThreshold in either of its domains).
template <ir_graph G>
bool is_op(const G& g, vertex_t<G> v, std::string_view type) {
  using T = ir_traits<G>;
  return T::kind(g, v) == node_kind::op && T::op_type(g, v) == type &&
         domain_family(T::domain(g, v)) == domain_family(home_domain(type));
}

// An elementwise binary op with exactly one constant operand: Add(x, C), Mul(C, x),
// Sub(x, C), Div(x, C).
template <ir_graph G>
struct const_operand_op {
  using V = vertex_t<G>;
  V node{};
  value_ref<V> x{};  // the data operand
  value_ref<V> c{};  // the constant operand
  int c_port = 1;
  constant_handle_t<G> handle{};
  const tensor& constant() const { return *handle; }
  // The data operand's description (shape, element type, data type, layout).
  decltype(auto) x_info(const G& g) const { return ir_traits<G>::value(g, x.node, x.port); }
};

// Reads v as a const_operand_op of one of `types`; nullopt with `why` set otherwise.
// The constant may sit on either side only for commutative ops; it must be finite.
template <ir_graph G>
std::optional<const_operand_op<G>> as_const_operand_op(const G& g, vertex_t<G> v, std::initializer_list<std::string_view> types,
                                                        const char*& why) {
  using T = ir_traits<G>;
  bool typed = false;
  for (auto t : types) typed = typed || is_op(g, v, t);
  if (!typed) {
    why = "not the op the rule moves or absorbs";
    return std::nullopt;
  }
  const auto a = operand(g, v, 0), b = operand(g, v, 1);
  if (!a || !b || in_degree(v, g) != 2 || T::num_outputs(g, v) != 1) {
    why = "does not have exactly two operands and one result";
    return std::nullopt;
  }
  const bool ka = T::kind(g, a->node) == node_kind::constant, kb = T::kind(g, b->node) == node_kind::constant;
  if (ka == kb) {
    why = ka ? "both operands are constants (constant folding's job)" : "no operand is a constant";
    return std::nullopt;
  }
  if (ka && !is_commutative(T::domain(g, v), T::op_type(g, v))) {
    why = "the constant is the first operand of a non-commutative op";
    return std::nullopt;
  }
  const_operand_op<G> r;
  r.node = v;
  r.x = ka ? *b : *a;
  r.c = ka ? *a : *b;
  r.c_port = ka ? 0 : 1;
  r.handle = T::constant_value(g, r.c.node);
  if (!r.handle) {
    why = "the constant has no value";
    return std::nullopt;
  }
  if (r.handle->has_non_finite()) {
    why = "the constant holds NaN or Inf";
    return std::nullopt;
  }
  return r;
}

// The producer of v's operand `port` read as a const_operand_op, when it feeds v
// alone (neither a fork nor a graph output): the "NF" precondition of FINN's rules.
template <ir_graph G>
std::optional<const_operand_op<G>> single_use_producer(const G& g, vertex_t<G> v, int port,
                                                        std::initializer_list<std::string_view> types, const char*& why) {
  const auto in = operand(g, v, port);
  if (!in) {
    why = "the operand is absent";
    return std::nullopt;
  }
  auto p = as_const_operand_op(g, in->node, types, why);
  if (!p) return std::nullopt;
  if (num_uses(g, *in) != 1) {
    why = "the op before it feeds more than one consumer (a fork)";
    return std::nullopt;
  }
  return p;
}

// A Transpose's permutation: its `perm`, else (ONNX's default) the axes reversed
// when the rank is known; nullopt when neither, or when `perm` is not a
// permutation of 0..rank-1.
template <ir_graph G>
std::optional<std::vector<std::int64_t>> transpose_perm(const G& g, vertex_t<G> v) {
  const auto& attrs = ir_traits<G>::attributes(g, v);  // held: an IR may return the map by value
  std::vector<std::int64_t> perm;
  if (const auto* p = find_attribute<std::vector<std::int64_t>>(attrs, "perm")) {
    perm = *p;
  } else {
    const auto x = operand(g, v, 0);
    const auto& s = x ? ir_traits<G>::value(g, x->node, x->port).shape : std::nullopt;
    if (!s) return std::nullopt;
    for (std::size_t i = s->size(); i-- > 0;) perm.push_back(std::int64_t(i));
  }
  std::vector<bool> seen(perm.size(), false);
  for (auto a : perm) {
    if (a < 0 || a >= std::int64_t(perm.size()) || seen[std::size_t(a)]) return std::nullopt;
    seen[std::size_t(a)] = true;
  }
  return perm;
}

// Transpose by p, then by q, is one Transpose by r with r[i] = p[q[i]].
inline std::vector<std::int64_t> compose_perms(const std::vector<std::int64_t>& p, const std::vector<std::int64_t>& q) {
  std::vector<std::int64_t> r(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) r[i] = p[std::size_t(q[i])];
  return r;
}
// q with Transpose(Transpose(x, p), q) = x: q[p[i]] = i.
inline std::vector<std::int64_t> inverse_perm(const std::vector<std::int64_t>& p) {
  std::vector<std::int64_t> q(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) q[std::size_t(p[i])] = std::int64_t(i);
  return q;
}
inline bool is_identity_perm(const std::vector<std::int64_t>& p) {
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p[i] != std::int64_t(i)) return false;
  return true;
}

// The rank of a value when known.
template <ir_graph G>
std::optional<std::size_t> rank_of(const G& g, value_ref<vertex_t<G>> v) {
  const auto& s = ir_traits<G>::value(g, v.node, v.port).shape;
  return s ? std::optional<std::size_t>(s->size()) : std::nullopt;
}

// Whether the op's constant leaves the data's shape alone (a constant that
// broadcasts the data to a larger shape cannot be moved or absorbed).
template <ir_graph G>
bool keeps_data_shape(const G& g, const const_operand_op<G>& m) {
  return broadcast_keeps_shape(m.x_info(g).shape, m.constant().shape());
}

// Whether every element is >= 0 / > 0 / in {-1, +1}.
inline bool all_nonnegative(const tensor& t) {
  return t.all_of([](auto e) { return double(e) >= 0; });
}
inline bool all_positive(const tensor& t) {
  return t.all_of([](auto e) { return double(e) > 0; });
}
inline bool any_zero(const tensor& t) {
  return !t.all_of([](auto e) { return double(e) != 0; });
}

// a (op) b with numpy broadcasting, computed in double and stored as `type`
// (float constants combined in float32 would round twice).
template <class F>
tensor combine(const tensor& a, const tensor& b, element_type type, F f) {
  return tensor::broadcast(a, b, element_type::float64, [&](auto x, auto y) { return f(double(x), double(y)); }).cast(type);
}
template <class F>
tensor map_double(const tensor& a, element_type type, F f) {
  return a.cast(element_type::float64).map([&](auto x) { return f(double(x)); }).cast(type);
}

// The description of a new value standing for `like` (same shape and element type;
// data type and layout left to inference), named after it.
inline value_info like(const value_info& v, std::string_view suffix = {}) {
  value_info r(v.name + std::string(suffix), v.elem, v.shape);
  r.layout = v.layout;
  return r;
}

// A value seen through Transpose(perm), named after v: `transposed` describes
// Transpose(v, perm) (axis i is v's axis perm[i]); `untransposed` describes the x
// with Transpose(x, perm) = v. Shape and layout are carried when v's rank is the
// permutation's; the data type is left to inference.
inline value_info transposed(const value_info& v, const std::vector<std::int64_t>& perm, std::string_view suffix) {
  value_info r(v.name + std::string(suffix), v.elem);
  if (v.shape && v.shape->size() == perm.size()) {
    dims s(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) s[i] = (*v.shape)[std::size_t(perm[i])];
    r.shape = std::move(s);
  }
  if (v.layout.size() == perm.size()) {
    std::string l;
    for (std::size_t i = 0; i < perm.size(); ++i) l += v.layout[std::size_t(perm[i])];
    r.layout = l;
  }
  return r;
}
inline value_info untransposed(const value_info& v, const std::vector<std::int64_t>& perm, std::string_view suffix) {
  return transposed(v, inverse_perm(perm), suffix);
}

namespace detail {
// An integer attribute (an IR may keep it as an integral double); nullopt when
// absent or of another type — a rule refuses then, it does not throw.
inline std::optional<std::int64_t> integer_attribute(const attribute_map& attrs, std::string_view name) {
  if (!attrs.contains(name)) return std::nullopt;
  try {
    return attribute_or<std::int64_t>(attrs, name, 0);
  } catch (const type_error&) {
    return std::nullopt;
  }
}
}  // namespace detail

// Whether the element type of a value is a float one (the rules move float scales).
inline bool is_float_value(const value_info& v) { return is_floating(v.elem); }

}  // namespace nnrewrite::streamline
