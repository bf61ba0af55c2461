// stable_array<T>: a growable array whose elements never move, so references
// stay valid while it grows (as in a std::deque, but indexed by a shift and a
// mask). Storage is a list of equal segments of about 32 KiB (a power of two
// elements), each allocated when the first element lands in it and never
// relocated: growth does not copy or double the peak, and the last segment's
// tail is all it wastes.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace nnrewrite::detail {

template <class T>
class stable_array {
  static constexpr unsigned segment_log = std::bit_width(std::max<std::size_t>(1, 32768 / sizeof(T))) - 1;
  static constexpr std::uint32_t segment_size = std::uint32_t(1) << segment_log;

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
    if (k == segments_.size()) {
      segments_.push_back(nullptr);
      try {
        segments_.back() = std::allocator<T>().allocate(segment_size);
      } catch (...) {
        segments_.pop_back();
        throw;
      }
    }
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
    for (std::uint32_t i = size_; i > 0; --i) std::destroy_at(&at(i - 1));
    size_ = 0;
    for (std::size_t k = 0; k < segments_.size(); ++k) std::allocator<T>().deallocate(segments_[k], segment_size);
    segments_.clear();
    segments_.shrink_to_fit();
  }

 private:
  static std::pair<std::size_t, std::size_t> locate(std::uint32_t i) { return {i >> segment_log, i & (segment_size - 1)}; }
  T& at(std::uint32_t i) {
    const auto [k, offset] = locate(i);
    return segments_[k][offset];
  }
  void steal(stable_array& o) noexcept {
    segments_ = std::exchange(o.segments_, {});
    size_ = std::exchange(o.size_, 0);
  }

  std::vector<T*> segments_;
  std::uint32_t size_ = 0;
};

}  // namespace nnrewrite::detail
