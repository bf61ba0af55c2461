// Structural fingerprints of a graph, for cycle detection in the driver.
//
// A node's local hash covers what it is (kind, op type, domain, attributes,
// constant data, result types — not names, which rewrites renew) and what feeds
// it (each operand's producer kind, op type, port, and for constants their data).
// The graph fingerprint is the sum of the local hashes, so it is updated in O(1)
// per touched node: rewriting back to an earlier structure gives back the same sum.
#pragma once

#include <cstdint>
#include <string>

#include "nnrewrite/detail/vertex_map.hpp"
#include "nnrewrite/io/text.hpp"
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

  explicit graph_fingerprint(const G& g) : g_(g) {
    for (auto [it, end] = vertices(g); it != end; ++it) update(*it);
  }

  std::uint64_t value() const { return sum_; }

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
  std::uint64_t constant_hash(V v) const {
    const auto t = T::constant_value(g_, v);
    std::uint64_t h = detail::mix(0, to_string(t->type()));
    for (auto d : t->shape()) h = detail::mix(h, std::uint64_t(d));
    std::visit([&](const auto& a) {
      for (Eigen::Index i = 0; i < a.size(); ++i) {
        double x = double(a[i]);
        std::uint64_t bits;
        std::memcpy(&bits, &x, sizeof bits);
        h = detail::mix(h, bits);
      }
    }, t->data());
    return h;
  }

  std::uint64_t local_hash(V v) const {
    const node_kind k = T::kind(g_, v);
    std::uint64_t h = detail::mix(0x1234, std::uint64_t(k));
    if (k == node_kind::constant) return detail::mix(h, constant_hash(v));
    if (k == node_kind::output || k == node_kind::input) h = detail::mix(h, T::name(g_, v));  // stable identities
    h = detail::mix(h, T::op_type(g_, v));
    h = detail::mix(h, T::domain(g_, v));
    for (const auto& [name, a] : T::attributes(g_, v)) h = detail::mix(detail::mix(h, name), detail::attribute_text(a, {}));
    for (int p = 0, n = T::num_outputs(g_, v); p < n; ++p) {
      const value_info& info = T::value(g_, v, p);
      h = detail::mix(h, detail::value_decl_text(value_info("", info.elem, info.shape, info.dtype, info.layout)));
    }
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
  detail::vertex_map<V, std::uint64_t> hashes_;
  std::uint64_t sum_ = 0;
};

}  // namespace nnrewrite
