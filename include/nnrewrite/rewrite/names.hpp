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
    used_.reserve(2 * num_vertices(g));
    for (auto [it, end] = vertices(g); it != end; ++it) {
      const auto& node_name = T::name(g, *it);  // string-like, maybe a temporary
      reserve(node_name);
      for (int p = 0, n = T::num_outputs(g, *it); p < n; ++p) {
        const auto& info = T::value(g, *it, p);
        if (std::string_view(info.name) != std::string_view(node_name)) reserve(info.name);  // constants, inputs: the same
      }
    }
  }

  bool taken(std::string_view name) const { return used_.contains(hash(name)); }
  // Marks a name as used (a node or value got it by other means).
  void reserve(std::string_view name) {
    if (!name.empty()) used_[hash(name)] = true;
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
  static std::uint64_t hash(std::string_view s) { return detail::full_name_hash(s); }
  detail::vertex_map<std::uint64_t, bool> used_;
  detail::vertex_map<std::uint64_t, std::uint32_t> suffix_;
};

}  // namespace nnrewrite
