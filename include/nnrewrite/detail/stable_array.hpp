// stable_array<T>: a growable array whose elements never move, so references
// stay valid while it grows (as in a std::deque, but indexed by arithmetic).
// Storage is a list of segments of 16, 32, 64, ... elements, each twice the
// last: an index maps to (segment, offset) with one bit scan and no branch, a
// small graph allocates little, growth allocates O(log n) times and never
// copies, and a large array's segments are large, contiguous allocations
// (equal 32 KiB segments were tried: interleaved with the bundles' heap
// blocks, they made the sort of a 1M-vertex graph twice as slow). The last
// segment's unused tail is address space, not memory: its pages are never
// touched (capping segments at 65,536 elements left the peak RSS of a 1M-vertex
// cleanup unchanged at 693 MB and cost 7% more instructions on small graphs).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>

namespace nnrewrite::detail {

template <class T>
class stable_array {
  static constexpr unsigned first_log = 4;                  // the first segment holds 2^4 elements
  static constexpr unsigned max_segments = 33 - first_log;  // enough for 2^32 elements

 public:
  stable_array() = default;
  stable_array(const stable_array& o) {
    for (std::uint32_t i = 0; i < o.size_; ++i) emplace_back(o[i]);
  }
  stable_array(stable_array&& o) noexcept { steal(o); }
  stable_array& operator=(const stable_array& o) {
    if (this != &o) {
      stable_array copy(o);
      clear();
      steal(copy);
    }
    return *this;
  }
  stable_array& operator=(stable_array&& o) noexcept {
    if (this != &o) {
      clear();
      steal(o);
    }
    return *this;
  }
  ~stable_array() { clear(); }

  std::uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return at(std::uint32_t(i)); }
  const T& operator[](std::size_t i) const { return const_cast<stable_array*>(this)->at(std::uint32_t(i)); }
  T& back() { return at(size_ - 1); }
  const T& back() const { return const_cast<stable_array*>(this)->at(size_ - 1); }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == UINT32_MAX) throw std::length_error("nnrewrite: more than 2^32-1 elements");
    const auto [k, offset] = locate(size_);
    if (!segments_[k]) segments_[k] = std::allocator<T>().allocate(capacity(k));
    T* p = ::new (static_cast<void*>(segments_[k] + offset)) T(std::forward<Args>(args)...);
    ++size_;
    return *p;
  }

  void push_back(T v) { emplace_back(std::move(v)); }
  // Destroys the last element; its segment stays for the next one (a stack that
  // grows and shrinks, like the rewriter's undo log, allocates once).
  void pop_back() noexcept { std::destroy_at(&at(--size_)); }
  // Destroys the elements from n on, keeping the segments.
  void truncate(std::uint32_t n) noexcept {
    while (size_ > n) pop_back();
  }

  // Destroys every element and frees the segments.
  void clear() noexcept {
    truncate(0);
    for (unsigned k = 0; k < max_segments; ++k)
      if (segments_[k]) std::allocator<T>().deallocate(std::exchange(segments_[k], nullptr), capacity(k));
  }

 private:
  static std::size_t capacity(unsigned k) { return std::size_t(1) << (k + first_log); }
  static std::pair<unsigned, std::size_t> locate(std::uint32_t i) {
    const std::uint64_t j = std::uint64_t(i) + (std::uint64_t(1) << first_log);
    const unsigned k = unsigned(std::bit_width(j)) - 1 - first_log;
    return {k, std::size_t(j - (std::uint64_t(1) << (k + first_log)))};
  }
  T& at(std::uint32_t i) {
    const auto [k, offset] = locate(i);
    return segments_[k][offset];
  }
  void steal(stable_array& o) noexcept {
    for (unsigned k = 0; k < max_segments; ++k) segments_[k] = std::exchange(o.segments_[k], nullptr);
    size_ = std::exchange(o.size_, 0);
  }

  T* segments_[max_segments] = {};
  std::uint32_t size_ = 0;
};

}  // namespace nnrewrite::detail
