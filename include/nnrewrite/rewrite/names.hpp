// Fresh names for what rewrites create.
//
// Every IR needs unique value names (ONNX does; the foreign IR keys its nodes by
// them), and readable ones: a user reading a rewritten graph should recognize
// "mm_scale" as coming from "mm". name_index answers "is this name taken?" from a
// flat set of name hashes, built once from the graph (O(N)) and kept up to date by
// the rewriter, so each fresh name costs O(1) amortized instead of a graph search.
// A hash collision only makes a free name look taken, which costs a suffix.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nnrewrite/detail/name_hash.hpp"
#include "nnrewrite/detail/vertex_map.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite {

class name_index {
 public:
  // Every node name and value name of g.
  template <ir_graph G>
  explicit name_index(const G& g) {
    using T = ir_traits<G>;
    // Room for a quarter more than the graph's names before the first rehash.
    used_.assign(table_size(2 * num_vertices(g) + num_vertices(g) / 2), 0);
    for (auto [it, end] = vertices(g); it != end; ++it) {
      const auto& node_name = T::name(g, *it);  // string-like, maybe a temporary
      reserve(node_name);
      for (int p = 0, n = T::num_outputs(g, *it); p < n; ++p) {
        const auto& info = T::value(g, *it, p);
        if (std::string_view(info.name) != std::string_view(node_name)) reserve(info.name);  // constants, inputs: the same
      }
    }
  }

  bool taken(std::string_view name) const { return used_[slot_of(hash(name))] != 0; }
  // Marks a name as used (a node or value got it by other means).
  void reserve(std::string_view name) {
    if (name.empty()) return;
    const std::uint64_t h = hash(name);
    std::uint64_t& s = used_[slot_of(h)];
    if (s != 0) return;
    s = h;
    if (++size_ * 4 > used_.size() * 3) grow();
  }

  // `base` when free, else the first free of base_1, base_2, ...; reserved on return.
  std::string fresh(std::string_view base) {
    if (base.empty()) base = "v";
    if (!taken(base)) {
      reserve(base);
      return std::string(base);
    }
    std::uint32_t& next = suffix_[hash(base)];
    std::string name;
    do name = std::string(base) + "_" + std::to_string(++next);
    while (taken(name));
    reserve(name);
    return name;
  }

 private:
  // 0 marks a free slot, so no name hashes to 0.
  static std::uint64_t hash(std::string_view s) {
    const std::uint64_t h = detail::full_name_hash(s);
    return h == 0 ? 1 : h;
  }
  static std::size_t table_size(std::size_t names) {
    std::size_t c = 16;
    while (c * 3 < names * 4) c *= 2;
    return c;
  }
  // The slot holding h, or the free slot where it would go (linear probing; the
  // table is never more than three quarters full).
  std::size_t slot_of(std::uint64_t h) const {
    const std::size_t mask = used_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h ^ (h >> 29)) & mask;
    while (used_[i] != 0 && used_[i] != h) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<std::uint64_t> old(used_.size() * 2, 0);
    old.swap(used_);
    for (std::uint64_t h : old)
      if (h != 0) used_[slot_of(h)] = h;
  }

  // A set of full 64-bit name hashes, open addressing: 8 bytes a name where a
  // general map of optional pairs took 24 (the name index was a tenth of a
  // cleanup's peak memory on a million vertices).
  std::vector<std::uint64_t> used_ = std::vector<std::uint64_t>(16, 0);
  std::size_t size_ = 0;
  detail::vertex_map<std::uint64_t, std::uint32_t> suffix_;
};

}  // namespace nnrewrite
