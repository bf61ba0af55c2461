// The driver's worklist: a vector with set semantics. Each node is in it at most
// once; removal is O(1) (the slot becomes a hole that pop skips, as in MLIR's
// greedy driver); with a seed, pop picks a random entry instead of the last, to
// test that a rule set reaches the same result in any order.
#pragma once

#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "nnrewrite/detail/vertex_map.hpp"

namespace nnrewrite {

// Position is the per-vertex map from node to slot: by default a flat hash map;
// the driver passes detail::per_vertex (an array for IRs with a dense index).
template <class V, class Position = detail::vertex_map<V, std::size_t>>
class worklist {
 public:
  worklist() = default;
  explicit worklist(std::optional<std::uint64_t> random_seed, Position position = Position())
      : position_(std::move(position)) {
    if (random_seed) rng_.emplace(*random_seed);
  }

  // Adds v unless it is already in; true if it was added.
  bool push(V v) {
    if (position_.contains(v)) return false;
    position_[v] = items_.size();
    items_.push_back(v);
    return true;
  }

  bool remove(V v) {
    const std::size_t* p = position_.find(v);
    if (!p) return false;
    items_[*p].reset();
    position_.erase(v);
    return true;
  }

  bool contains(V v) const { return position_.contains(v); }
  bool empty() const { return position_.empty(); }
  std::size_t size() const { return position_.size(); }

  // The next node: the most recently pushed one, or a random one with a seed.
  std::optional<V> pop() {
    while (!items_.empty()) {
      if (rng_) {
        std::uniform_int_distribution<std::size_t> pick(0, items_.size() - 1);
        const std::size_t i = pick(*rng_);
        std::swap(items_[i], items_.back());
        if (items_[i]) position_[*items_[i]] = i;
      }
      std::optional<V> v = items_.back();
      items_.pop_back();
      if (v) {
        position_.erase(*v);
        return v;
      }
    }
    return std::nullopt;
  }

  void reserve(std::size_t n) {
    items_.reserve(n);
    position_.reserve(n);
  }

 private:
  std::vector<std::optional<V>> items_;
  Position position_;
  std::optional<std::mt19937_64> rng_;
};

}  // namespace nnrewrite
