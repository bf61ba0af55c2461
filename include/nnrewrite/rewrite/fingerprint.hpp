// Structural fingerprints of a graph, for cycle detection in the driver.
//
// A node's local hash covers what it is (kind, op type, domain, attributes,
// constant data, result types — not names, which rewrites renew) and what feeds
// it (each operand's producer kind, op type, port, and for constants their data).
// The graph fingerprint is the sum of the local hashes, so it is updated in O(1)
// per touched node: rewriting back to an earlier structure gives back the same sum.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "nnrewrite/detail/per_vertex.hpp"
#include "nnrewrite/ir/attribute.hpp"
#include "nnrewrite/ir/queries.hpp"

namespace nnrewrite {

namespace detail {
inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}
inline std::uint64_t mix(std::uint64_t h, std::string_view s) { return mix(h, std::hash<std::string_view>{}(s)); }
}  // namespace detail

template <ir_graph G>
class graph_fingerprint {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;

  explicit graph_fingerprint(const G& g) : graph_fingerprint(g, [](V) { return false; }) {}
  // Leaves out the nodes `skip` says are gone (erased but not yet flushed).
  template <class Skip>
  graph_fingerprint(const G& g, Skip skip) : g_(g), hashes_(g) {
    hashes_.reserve(num_vertices(g));
    for (auto [it, end] = vertices(g); it != end; ++it)
      if (!skip(*it)) update(*it);
  }

  std::uint64_t value() const { return sum_; }

  // A deeper fingerprint, computed over the whole graph in O(N): each node's hash
  // also covers the deep hashes of its operands' producers (a Merkle hash in
  // topological order). value() sums local hashes, so two graphs that differ only
  // in the order of two constant ops in a chain (Mul(Mul(x, a), b) and
  // Mul(Mul(x, b), a)) share it; the driver confirms a repeat of value() with this.
  template <class Skip>
  std::uint64_t deep_value(const std::vector<V>& topological, Skip skip) const {
    detail::per_vertex<G, std::uint64_t> deep(g_);
    std::uint64_t sum = 0;
    for (V v : topological) {
      if (skip(v)) continue;
      std::uint64_t h = local_hash(v);
      for (const auto& o : operands(g_, v))
        if (o)
          if (const std::uint64_t* d = deep.find(o->node)) h = detail::mix(h, *d);
      deep[v] = h;
      sum += h;
    }
    return sum;
  }

  // Recompute v's hash (after v was created or changed).
  void update(V v) {
    remove(v);
    const std::uint64_t h = local_hash(v);
    hashes_[v] = h;
    sum_ += h;
  }
  void remove(V v) {
    if (const std::uint64_t* h = hashes_.find(v)) {
      sum_ -= *h;
      hashes_.erase(v);
    }
  }

 private:
  static std::uint64_t bits(double x) {
    std::uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
  }
  static std::uint64_t tensor_hash(const tensor& t) {
    std::uint64_t h = detail::mix(0, std::uint64_t(t.type()));
    for (auto d : t.shape()) h = detail::mix(h, std::uint64_t(d));
    std::visit([&](const auto& a) {
      for (Eigen::Index i = 0; i < a.size(); ++i) h = detail::mix(h, bits(double(a[i])));
    }, t.data());
    return h;
  }
  std::uint64_t constant_hash(V v) const { return tensor_hash(*T::constant_value(g_, v)); }

  // Hashes the fields directly: printing them to text first cost more than the rest of a rewrite.
  static std::uint64_t attribute_hash(std::uint64_t h, const attribute& a) {
    h = detail::mix(h, std::uint64_t(a.index()));
    std::visit([&](const auto& x) {
      using X = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<X, std::int64_t>) h = detail::mix(h, std::uint64_t(x));
      else if constexpr (std::is_same_v<X, double>) h = detail::mix(h, bits(x));
      else if constexpr (std::is_same_v<X, std::string>) h = detail::mix(h, std::string_view(x));
      else if constexpr (std::is_same_v<X, tensor>) h = detail::mix(h, tensor_hash(x));
      else
        for (const auto& e : x) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, std::string>) h = detail::mix(h, std::string_view(e));
          else if constexpr (std::is_same_v<E, double>) h = detail::mix(h, bits(e));
          else h = detail::mix(h, std::uint64_t(e));
        }
    }, a);
    return h;
  }
  static std::uint64_t value_hash(std::uint64_t h, const value_info& info) {  // not the name
    h = detail::mix(h, std::uint64_t(info.elem));
    h = detail::mix(h, info.shape ? info.shape->size() + 1 : 0);
    if (info.shape)
      for (const dim& d : *info.shape) h = d.known() ? detail::mix(h, std::uint64_t(d.size)) : detail::mix(h, d.param.view());
    if (info.dtype) {
      const data_type& t = *info.dtype;
      h = detail::mix(h, std::uint64_t(t.type_kind()) << 48 | std::uint64_t(t.bitwidth()) << 16 |
                             std::uint64_t(t.int_bits()) << 1 | std::uint64_t(t.is_signed()));
    }
    return detail::mix(h, info.layout.view());
  }

  std::uint64_t local_hash(V v) const {
    const node_kind k = T::kind(g_, v);
    std::uint64_t h = detail::mix(0x1234, std::uint64_t(k));
    if (k == node_kind::constant) return detail::mix(h, constant_hash(v));
    if (k == node_kind::output || k == node_kind::input) h = detail::mix(h, T::name(g_, v));  // stable identities
    h = detail::mix(h, T::op_type(g_, v));
    h = detail::mix(h, T::domain(g_, v));
    for (const auto& [name, a] : T::attributes(g_, v)) h = attribute_hash(detail::mix(h, name), a);
    for (int p = 0, n = T::num_outputs(g_, v); p < n; ++p) h = value_hash(h, T::value(g_, v, p));
    for (const auto& o : operands(g_, v)) {
      if (!o) {
        h = detail::mix(h, 0xab5e47ULL);
        continue;
      }
      const node_kind pk = T::kind(g_, o->node);
      h = detail::mix(detail::mix(h, std::uint64_t(pk)), std::uint64_t(o->port));
      h = detail::mix(h, T::op_type(g_, o->node));
      if (pk == node_kind::constant) h = detail::mix(h, constant_hash(o->node));
      if (pk == node_kind::input) h = detail::mix(h, T::name(g_, o->node));
    }
    return h;
  }

  const G& g_;
  detail::per_vertex<G, std::uint64_t> hashes_;
  std::uint64_t sum_ = 0;
};

}  // namespace nnrewrite
