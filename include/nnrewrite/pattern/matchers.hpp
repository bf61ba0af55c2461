// Declarative matchers for rewrite patterns:
//
//   value_ref<V> x, a, w;
//   vertex_t<G> mul;
//   auto m = op("MatMul")(op("Mul").bind(&mul).where(not_fork)(any(&x), scalar_const(&a)), any(&w));
//   if (matches(m, g, node)) ...
//
// A matcher matches a value (a node's output). op("T") matches values produced by
// an op of type T ("" for any op); called with child matchers it also matches the
// operands, in order — for Add and Mul (and ops marked .commutative()) in either
// order. Captures write to the pointers given (only meaningful after a match).
// Predicates get (graph, value) and decide with anything they like.
#pragma once

#include <cstdint>
#include <string_view>
#include <tuple>
#include <utility>

#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite::pattern {

namespace detail {
template <class Tuple, class F, std::size_t... I>
bool all_of(const Tuple& t, F&& f, std::index_sequence<I...>) {
  return (f(std::get<I>(t)) && ...);
}
template <class... E, class F>
bool all_of(const std::tuple<E...>& t, F&& f) {
  return all_of(t, std::forward<F>(f), std::index_sequence_for<E...>{});
}
template <class G>
const auto& tensor_of(const G& g, vertex_t<G> v) {
  return *ir_traits<G>::constant_value(g, v);
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

// ---- value matchers

// Any value; captures it when given a pointer.
template <class V = void>
struct any_matcher {
  value_ref<V>* out = nullptr;
  template <ir_graph G>
  bool match(const G&, value_ref<vertex_t<G>> v) const {
    if constexpr (!std::is_void_v<V>) {
      if (out) *out = v;
    }
    return true;
  }
};
inline any_matcher<> any() { return {}; }
template <class V>
any_matcher<V> any(value_ref<V>* out) { return {out}; }

// A value produced by a constant that satisfies `test(tensor)`.
template <class V, class Test>
struct constant_matcher {
  value_ref<V>* out = nullptr;
  Test test;
  template <ir_graph G>
  bool match(const G& g, value_ref<vertex_t<G>> v) const {
    if (ir_traits<G>::kind(g, v.node) != node_kind::constant) return false;
    if (!test(detail::tensor_of(g, v.node))) return false;
    if constexpr (!std::is_void_v<V>) {
      if (out) *out = v;
    }
    return true;
  }
};
struct always {
  bool operator()(const tensor&) const { return true; }
};
struct is_scalar_test {
  bool operator()(const tensor& t) const { return t.is_scalar(); }
};
struct is_channelwise_test {
  std::int64_t axis;
  bool operator()(const tensor& t) const { return t.is_channelwise(axis); }
};

// Any constant.
inline constant_matcher<void, always> constant() { return {nullptr, {}}; }
template <class V>
constant_matcher<V, always> constant(value_ref<V>* out) { return {out, {}}; }
// A constant with one element (any rank).
inline constant_matcher<void, is_scalar_test> scalar_const() { return {nullptr, {}}; }
template <class V>
constant_matcher<V, is_scalar_test> scalar_const(value_ref<V>* out) { return {out, {}}; }
// A constant whose dimensions other than `axis` are all 1 (negative axes count from the end).
inline constant_matcher<void, is_channelwise_test> channelwise_const(std::int64_t axis) { return {nullptr, {axis}}; }
template <class V>
constant_matcher<V, is_channelwise_test> channelwise_const(std::int64_t axis, value_ref<V>* out) { return {out, {axis}}; }
// A constant satisfying a tensor predicate of your own.
template <class V, class Test>
constant_matcher<V, Test> constant_where(Test test, value_ref<V>* out = nullptr) { return {out, std::move(test)}; }

// ---- op matchers

template <class Children = std::tuple<>, class Preds = std::tuple<>, class V = void>
struct op_matcher {
  std::string_view type;  // "" matches any op
  Children children{};
  Preds preds{};
  V* node_out = nullptr;
  bool commutative = false;

  // Also match the operands, in order.
  template <class... M>
  op_matcher<std::tuple<M...>, Preds, V> operator()(M... ms) const {
    return {type, std::tuple<M...>{std::move(ms)...}, preds, node_out, commutative};
  }
  // Also require a predicate.
  template <class P>
  auto where(P p) const {
    return op_matcher<Children, decltype(std::tuple_cat(preds, std::tuple<P>{p})), V>{
        type, children, std::tuple_cat(preds, std::tuple<P>{p}), node_out, commutative};
  }
  // Capture the matched node.
  template <class W>
  op_matcher<Children, Preds, W> bind(W* out) const { return {type, children, preds, out, commutative}; }
  // Operands may match in either order (two operands).
  op_matcher with_commutative(bool c = true) const {
    op_matcher r = *this;
    r.commutative = c;
    return r;
  }

  template <ir_graph G>
  bool match(const G& g, value_ref<vertex_t<G>> v) const {
    using T = ir_traits<G>;
    if (T::kind(g, v.node) != node_kind::op) return false;
    if (!type.empty() && std::string_view(T::op_type(g, v.node)) != type) return false;
    if (!detail::all_of(preds, [&](const auto& p) { return p(g, v); })) return false;
    constexpr std::size_t n = std::tuple_size_v<Children>;
    if constexpr (n > 0) {
      auto ops = operands(g, v.node);
      if (ops.size() != n) return false;
      for (const auto& o : ops)
        if (!o) return false;
      bool ok = match_children(g, ops, std::make_index_sequence<n>{});
      if constexpr (n == 2) {
        if (!ok && (commutative || type == "Add" || type == "Mul")) {
          std::swap(ops[0], ops[1]);
          ok = match_children(g, ops, std::make_index_sequence<n>{});
        }
      }
      if (!ok) return false;
    }
    if constexpr (!std::is_void_v<V>) {
      if (node_out) *node_out = v.node;
    }
    return true;
  }

 private:
  template <class G, class Ops, std::size_t... I>
  bool match_children(const G& g, const Ops& ops, std::index_sequence<I...>) const {
    return (std::get<I>(children).match(g, *ops[I]) && ...);
  }
};

// Values produced by an op of this type ("" for any op).
inline op_matcher<> op(std::string_view type = {}) { return op_matcher<>{type}; }

// Whether `m` matches the first result of node `v`.
template <class M, ir_graph G>
bool matches(const M& m, const G& g, vertex_t<G> v) {
  return m.match(g, value_ref<vertex_t<G>>{v, 0});
}

}  // namespace nnrewrite::pattern
