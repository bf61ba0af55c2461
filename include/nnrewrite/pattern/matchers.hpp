// Declarative matchers for rewrite patterns:
//
//   value_ref<V> x, w;
//   captured_constant<G> a;          // the constant's value *and* its tensor
//   vertex_t<G> mul;
//   bool swapped = false;
//   auto m = op("MatMul").either_order(&swapped)(
//       op("Mul").bind(&mul).where(not_fork_or_join)(any(&x), scalar_const(&a)), constant(&w));
//   if (matches(m, g, node)) ... a.tensor() ...
//
// A matcher matches a value (a node's output). op("T") matches values produced by
// an op of type T in T's home domain (QONNX's for MultiThreshold, Quant, ...;
// ONNX's otherwise: an Add of a custom domain is not ONNX's Add); op({"Mul", "Div"})
// matches any of up to four types; .in_domain(d) / .any_domain() say otherwise.
// Called with child matchers it also matches the operands, in order — in either
// order for commutative ops (ir/op_schema.hpp: Add, Mul, Max, ...) and for ops
// marked .either_order(); .either_order(&swapped) also says which order matched.
// Captures write to the pointers given (only meaningful after a match).
// Predicates get (graph, value) and decide with anything they like.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>

#include "nnrewrite/ir/axes.hpp"
#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite::pattern {

// A matched constant: which value it is, and a handle that keeps its tensor alive
// (an IR may build the tensor on request; see constant_handle_t).
template <ir_graph G>
struct captured_constant {
  value_ref<vertex_t<G>> value{};
  constant_handle_t<G> handle{};
  const nnrewrite::tensor& tensor() const { return *handle; }
  explicit operator bool() const { return static_cast<bool>(handle); }
};

namespace detail {
template <class Tuple, class F, std::size_t... I>
bool all_of(const Tuple& t, F&& f, std::index_sequence<I...>) {
  return (f(std::get<I>(t)) && ...);
}
template <class... E, class F>
bool all_of(const std::tuple<E...>& t, F&& f) {
  return all_of(t, std::forward<F>(f), std::index_sequence_for<E...>{});
}

// Writes a captured value: a value_ref, or a captured_constant with its tensor.
template <class G, class V>
void store(value_ref<V>* out, const G&, value_ref<vertex_t<G>> v) {
  if (out) *out = v;
}
template <class G>
void store(captured_constant<G>* out, const G& g, value_ref<vertex_t<G>> v) {
  if (out) *out = {v, ir_traits<G>::constant_value(g, v.node)};
}
template <class G>
void store(std::nullptr_t, const G&, value_ref<vertex_t<G>>) {}

// The rank of the data a constant operand of `user` meets: the rank of user's
// result (broadcasting gives the result the larger rank), when known.
template <class G>
std::optional<std::size_t> data_rank(const G& g, const vertex_t<G>* user) {
  if (!user || ir_traits<G>::num_outputs(g, *user) == 0) return std::nullopt;
  const auto& shape = ir_traits<G>::value(g, *user, 0).shape;
  return shape ? std::optional<std::size_t>(shape->size()) : std::nullopt;
}
}  // namespace detail

// ---- predicates: callables (graph, value) -> bool

// The value has exactly one use (a graph output counts).
struct single_use_t {
  template <ir_graph G>
  bool operator()(const G& g, value_ref<vertex_t<G>> v) const { return num_uses(g, v) == 1; }
};
inline constexpr single_use_t single_use{};

// The producing node is not a fork (no result of it has several uses).
struct not_fork_t {
  template <ir_graph G>
  bool operator()(const G& g, value_ref<vertex_t<G>> v) const { return !is_fork(g, v.node); }
};
inline constexpr not_fork_t not_fork{};

// The producing node is not a join (fewer than two non-constant operands).
struct not_join_t {
  template <ir_graph G>
  bool operator()(const G& g, value_ref<vertex_t<G>> v) const { return !is_join(g, v.node); }
};
inline constexpr not_join_t not_join{};

// FINN's "NF/NJ": neither a fork nor a join.
struct not_fork_or_join_t {
  template <ir_graph G>
  bool operator()(const G& g, value_ref<vertex_t<G>> v) const { return !is_fork(g, v.node) && !is_join(g, v.node); }
};
inline constexpr not_fork_or_join_t not_fork_or_join{};

// The producing node has attribute `name` (equal to `value`, when given).
struct has_attr {
  std::string_view name;
  std::optional<attribute> value;
  explicit has_attr(std::string_view n) : name(n) {}
  has_attr(std::string_view n, attribute v) : name(n), value(std::move(v)) {}
  template <ir_graph G>
  bool operator()(const G& g, value_ref<vertex_t<G>> v) const {
    const auto& attrs = ir_traits<G>::attributes(g, v.node);
    auto it = attrs.find(name);
    return it != attrs.end() && (!value || it->second == *value);
  }
};

// ---- tensor tests, for constant_where (and the shorthands below)

struct always {
  bool operator()(const tensor&) const { return true; }
};
struct is_scalar_test {
  bool operator()(const tensor& t) const { return t.is_scalar(); }
};
// Every element >= 0 (NaN fails).
struct nonnegative_test {
  bool operator()(const tensor& t) const { return t.all_of([](auto v) { return double(v) >= 0; }); }
};
// Every element > 0 (NaN fails).
struct positive_test {
  bool operator()(const tensor& t) const { return t.all_of([](auto v) { return double(v) > 0; }); }
};
// Every element finite.
struct finite_test {
  bool operator()(const tensor& t) const { return !t.has_non_finite(); }
};
// Both tests hold.
template <class A, class B>
struct both {
  A a;
  B b;
  bool operator()(const tensor& t) const { return a(t) && b(t); }
};
template <class A, class B>
both(A, B) -> both<A, B>;

// ---- value matchers

// Any value; captures it when given a pointer.
template <class Out = std::nullptr_t>
struct any_matcher {
  Out out{};
  template <ir_graph G>
  bool match(const G& g, value_ref<vertex_t<G>> v, const vertex_t<G>* = nullptr) const {
    detail::store(out, g, v);
    return true;
  }
};
inline any_matcher<> any() { return {}; }
template <class V>
any_matcher<value_ref<V>*> any(value_ref<V>* out) { return {out}; }

// A value produced by a constant that satisfies `test(tensor)`; for
// channelwise_const, `test(tensor, rank of the data it meets)`.
template <class Out, class Test>
struct constant_matcher {
  Out out{};
  Test test;
  template <ir_graph G>
  bool match(const G& g, value_ref<vertex_t<G>> v, const vertex_t<G>* user = nullptr) const {
    if (ir_traits<G>::kind(g, v.node) != node_kind::constant) return false;
    const auto handle = ir_traits<G>::constant_value(g, v.node);  // may own the tensor: keep it
    if (!handle) return false;
    if constexpr (std::is_invocable_r_v<bool, const Test&, const tensor&, std::size_t>) {
      if (!test(*handle, detail::data_rank(g, user).value_or((*handle).rank()))) return false;
    } else {
      if (!test(*handle)) return false;
    }
    detail::store(out, g, v);
    return true;
  }
};

// Channelwise along data axis `axis`: see is_channelwise_along (ir/axes.hpp). The
// axis counts the dims of the data the constant meets (the consumer's result),
// not the constant's own: [4,1,1] meeting NCHW data is channelwise along 1.
struct is_channelwise_test {
  std::int64_t axis;
  bool operator()(const tensor& t, std::size_t data_rank) const { return is_channelwise_along(t, data_rank, axis); }
};

template <class Test, class Out>
constant_matcher<Out, Test> make_constant_matcher(Out out, Test test) { return {out, std::move(test)}; }

// Any constant.
inline auto constant() { return make_constant_matcher(nullptr, always{}); }
template <class Out>
auto constant(Out* out) { return make_constant_matcher(out, always{}); }
// A constant with one element (any rank).
inline auto scalar_const() { return make_constant_matcher(nullptr, is_scalar_test{}); }
template <class Out>
auto scalar_const(Out* out) { return make_constant_matcher(out, is_scalar_test{}); }
// A constant whose dimensions other than data axis `axis` are 1 (negative axes
// count from the end of the data's dims).
inline auto channelwise_const(std::int64_t axis) { return make_constant_matcher(nullptr, is_channelwise_test{axis}); }
template <class Out>
auto channelwise_const(std::int64_t axis, Out* out) { return make_constant_matcher(out, is_channelwise_test{axis}); }
// A constant whose elements are all >= 0 / all > 0.
inline auto nonnegative_const() { return make_constant_matcher(nullptr, nonnegative_test{}); }
template <class Out>
auto nonnegative_const(Out* out) { return make_constant_matcher(out, nonnegative_test{}); }
inline auto positive_const() { return make_constant_matcher(nullptr, positive_test{}); }
template <class Out>
auto positive_const(Out* out) { return make_constant_matcher(out, positive_test{}); }
// A constant satisfying a tensor test of your own (tests combine with both{a, b}).
template <class Test>
auto constant_where(Test test) { return make_constant_matcher(nullptr, std::move(test)); }
template <class Test, class Out>
auto constant_where(Test test, Out* out) { return make_constant_matcher(out, std::move(test)); }
// Kept for code that names the vertex type: constant_where<V>(test).
template <class V, class Test>
auto constant_where(Test test) { return make_constant_matcher(static_cast<value_ref<V>*>(nullptr), std::move(test)); }

// ---- op matchers

template <class Children = std::tuple<>, class Preds = std::tuple<>, class V = void>
struct op_matcher {
  std::array<std::string_view, 4> types{};  // alternatives; none: any op
  std::uint8_t num_types = 0;
  std::string_view domain;                  // with domain_given: this family; else the type's home
  bool domain_given = false;
  bool all_domains = false;
  std::optional<bool> swappable;            // nullopt: what ir/op_schema says of the op
  bool* swapped_out = nullptr;
  Children children{};
  Preds preds{};
  V* node_out = nullptr;

  // Also match the operands, in order.
  template <class... M>
  op_matcher<std::tuple<M...>, Preds, V> operator()(M... ms) const {
    return rebuild<std::tuple<M...>, Preds, V>(std::tuple<M...>{std::move(ms)...}, preds, node_out);
  }
  // Also require a predicate.
  template <class P>
  auto where(P p) const {
    auto ps = std::tuple_cat(preds, std::tuple<P>{p});
    return rebuild<Children, decltype(ps), V>(children, ps, node_out);
  }
  // Capture the matched node.
  template <class W>
  op_matcher<Children, Preds, W> bind(W* out) const { return rebuild<Children, Preds, W>(children, preds, out); }
  // Only ops of this domain (its family: "ai.onnx" is "", "finn.custom_op.general" is QONNX's).
  op_matcher in_domain(std::string_view d) const {
    op_matcher r = *this;
    r.domain = d;
    r.domain_given = true;
    return r;
  }
  // Ops of any domain.
  op_matcher any_domain() const {
    op_matcher r = *this;
    r.all_domains = true;
    return r;
  }
  // Two operands may match in either order (a scalar Mul may sit on either MatMul
  // operand); `swapped`, when given, says whether they matched swapped.
  op_matcher either_order(bool* swapped = nullptr) const {
    op_matcher r = *this;
    r.swappable = true;
    r.swapped_out = swapped;
    return r;
  }
  // Operands match in order only, even for a commutative op (or, with true, in either).
  op_matcher with_commutative(bool c = true) const {
    op_matcher r = *this;
    r.swappable = c;
    return r;
  }

  template <ir_graph G>
  bool match(const G& g, value_ref<vertex_t<G>> v, const vertex_t<G>* = nullptr) const {
    using T = ir_traits<G>;
    if (T::kind(g, v.node) != node_kind::op) return false;
    const std::string_view type = T::op_type(g, v.node), dom = T::domain(g, v.node);
    if (!type_matches(type) || !domain_matches(type, dom)) return false;
    if (!detail::all_of(preds, [&](const auto& p) { return p(g, v); })) return false;
    constexpr std::size_t n = std::tuple_size_v<Children>;
    if constexpr (n > 0) {
      auto ops = operands(g, v.node);
      if (ops.size() != n) return false;
      for (const auto& o : ops)
        if (!o) return false;
      bool swapped = false;
      bool ok = match_children(g, ops, v.node, std::make_index_sequence<n>{});
      if constexpr (n == 2) {
        if (!ok && swappable.value_or(is_commutative(dom, type))) {
          std::swap(ops[0], ops[1]);
          ok = swapped = match_children(g, ops, v.node, std::make_index_sequence<n>{});
        }
      }
      if (!ok) return false;
      if (swapped_out) *swapped_out = swapped;
    }
    if constexpr (!std::is_void_v<V>) {
      if (node_out) *node_out = v.node;
    }
    return true;
  }

 private:
  template <class C, class P, class W>
  op_matcher<C, P, W> rebuild(C c, P p, W* out) const {
    return {types, num_types, domain, domain_given, all_domains, swappable, swapped_out, std::move(c), std::move(p), out};
  }
  bool type_matches(std::string_view type) const {
    if (num_types == 0) return true;
    for (std::uint8_t i = 0; i < num_types; ++i)
      if (types[i] == type) return true;
    return false;
  }
  bool domain_matches(std::string_view type, std::string_view dom) const {
    if (all_domains || (!domain_given && num_types == 0)) return true;
    return domain_family(dom) == domain_family(domain_given ? domain : home_domain(type));
  }
  template <class G, class Ops, std::size_t... I>
  bool match_children(const G& g, const Ops& ops, vertex_t<G> user, std::index_sequence<I...>) const {
    return (std::get<I>(children).match(g, *ops[I], &user) && ...);
  }
};

// Values produced by an op of this type ("" for any op).
inline op_matcher<> op(std::string_view type = {}) {
  op_matcher<> m;
  if (!type.empty()) {
    m.types[0] = type;
    m.num_types = 1;
  }
  return m;
}
// Values produced by an op of any of these types (at most four): op({"Mul", "Div"}).
inline op_matcher<> op(std::initializer_list<std::string_view> types) {
  op_matcher<> m;
  for (std::string_view t : types) {
    if (m.num_types == m.types.size()) throw std::invalid_argument("op({...}) takes at most four op types");
    m.types[m.num_types++] = t;
  }
  return m;
}

// Whether `m` matches the first result of node `v`.
template <class M, ir_graph G>
bool matches(const M& m, const G& g, vertex_t<G> v) {
  return m.match(g, value_ref<vertex_t<G>>{v, 0});
}

}  // namespace nnrewrite::pattern
