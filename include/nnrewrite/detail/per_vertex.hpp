// Per-vertex state of an algorithm (pending operand counts, worklist positions,
// erased flags, hashes): an array indexed by the IR's dense vertex index when it
// has one (ir_traits::vertex_index, after Boost's vertex_index property map), else
// a flat hash map keyed by the descriptor. One interface for both.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "nnrewrite/detail/vertex_map.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite::detail {

// Without a dense index: the hash map.
template <class G, class T>
class per_vertex {
 public:
  using V = vertex_t<G>;
  explicit per_vertex(const G&) {}

  T* find(V v) { return map_.find(v); }
  const T* find(V v) const { return map_.find(v); }
  bool contains(V v) const { return map_.contains(v); }
  T& operator[](V v) { return map_[v]; }
  bool erase(V v) { return map_.erase(v); }
  std::size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  void reserve(std::size_t n) { map_.reserve(n); }
  void clear() { map_.clear(); }

 private:
  vertex_map<V, T> map_;
};

// With one: a vector of slots, grown on demand (vertices created after the state
// was set up get indices at or past the bound it started with).
template <class G, class T>
  requires has_vertex_index<G>
class per_vertex<G, T> {
 public:
  using V = vertex_t<G>;
  explicit per_vertex(const G& g) : g_(&g) {}

  T* find(V v) {
    const std::size_t i = index(v);
    return i < slots_.size() && slots_[i].present ? &slots_[i].value : nullptr;
  }
  const T* find(V v) const { return const_cast<per_vertex*>(this)->find(v); }
  bool contains(V v) const { return find(v) != nullptr; }
  T& operator[](V v) {
    const std::size_t i = index(v);
    if (i >= slots_.size()) grow(i + 1);
    slot& s = slots_[i];
    if (!s.present) {
      s.present = true;
      ++size_;
    }
    return s.value;
  }
  bool erase(V v) {
    const std::size_t i = index(v);
    if (i >= slots_.size() || !slots_[i].present) return false;
    slots_[i] = slot{};  // releases what the value holds
    --size_;
    return true;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The bound is what matters for an array, not the count.
  void reserve(std::size_t) { grow(ir_traits<G>::vertex_index_bound(*g_)); }
  void clear() {
    if (size_ == 0) return;
    std::fill(slots_.begin(), slots_.end(), slot{});
    size_ = 0;
  }

 private:
  struct slot {
    T value{};
    bool present = false;
  };
  std::size_t index(V v) const { return static_cast<std::size_t>(ir_traits<G>::vertex_index(*g_, v)); }
  void grow(std::size_t n) {
    if (n <= slots_.size()) return;
    // Geometric growth: vertices created one by one must not resize each time.
    slots_.resize(std::max({n, slots_.size() * 3 / 2, ir_traits<G>::vertex_index_bound(*g_)}));
  }

  const G* g_;
  std::vector<slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace nnrewrite::detail
