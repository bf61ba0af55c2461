// A flat open-addressing hash map keyed by vertex descriptors (pointers or
// indices): no allocation per entry, linear probing, deletion by backward shift
// (no tombstones), so lookups stay O(1) on graphs of millions of nodes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace nnrewrite::detail {

template <class K, class T>
class vertex_map {
 public:
  vertex_map() { rehash(16); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void reserve(std::size_t n) {
    if (n * 2 > slots_.size()) rehash(capacity_for(n));
  }
  void clear() {
    for (auto& s : slots_) s.reset();
    size_ = 0;
  }

  T* find(const K& k) {
    for (std::size_t i = index(k);; i = next(i)) {
      if (!slots_[i]) return nullptr;
      if (slots_[i]->first == k) return &slots_[i]->second;
    }
  }
  const T* find(const K& k) const { return const_cast<vertex_map*>(this)->find(k); }
  bool contains(const K& k) const { return find(k) != nullptr; }

  // The value for k, default-constructed if absent.
  T& operator[](const K& k) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    std::size_t i = index(k);
    for (; slots_[i]; i = next(i))
      if (slots_[i]->first == k) return slots_[i]->second;
    slots_[i].emplace(k, T{});
    ++size_;
    return slots_[i]->second;
  }

  bool erase(const K& k) {
    std::size_t i = index(k);
    for (; slots_[i]; i = next(i))
      if (slots_[i]->first == k) break;
    if (!slots_[i]) return false;
    slots_[i].reset();
    --size_;
    // Backward shift: pull later entries of the probe run into the hole.
    for (std::size_t j = next(i); slots_[j]; j = next(j)) {
      const std::size_t home = index(slots_[j]->first);
      const bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots_[i] = std::move(slots_[j]);
        slots_[j].reset();
        i = j;
      }
    }
    return true;
  }

  template <class F>
  void for_each(F f) const {
    for (const auto& s : slots_)
      if (s) f(s->first, s->second);
  }

 private:
  static std::size_t capacity_for(std::size_t n) {
    std::size_t c = 16;
    while (c < n * 2) c *= 2;
    return c;
  }
  std::size_t index(const K& k) const {
    // Mix the bits: pointers are aligned and indices sequential.
    std::uint64_t h = std::hash<K>{}(k);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<std::size_t>(h) & (slots_.size() - 1);
  }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void rehash(std::size_t n) {
    std::vector<std::optional<std::pair<K, T>>> old(n);
    old.swap(slots_);
    size_ = 0;
    for (auto& s : old)
      if (s) (*this)[s->first] = std::move(s->second);
  }

  std::vector<std::optional<std::pair<K, T>>> slots_;
  std::size_t size_ = 0;
};

}  // namespace nnrewrite::detail
