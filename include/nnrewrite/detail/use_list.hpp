// use_list: the in- or out-edges of one vertex of nnrewrite::model, as (edge id,
// other end) pairs in insertion order. Two fit inline, which covers most ops'
// operands and uses, so a typical vertex allocates nothing for its edges; the
// whole list is 24 bytes. Erasure keeps the order (as Boost's vecS edge lists do).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <type_traits>

namespace nnrewrite::detail {

struct use_entry {
  std::uint32_t edge;   // id of the edge record
  std::uint32_t other;  // slot of the vertex at the edge's other end
};

class use_list {
  static constexpr std::uint32_t inline_capacity = 2;

 public:
  use_list() noexcept {}
  use_list(const use_list& o) { assign(o); }
  use_list(use_list&& o) noexcept { take(o); }
  use_list& operator=(const use_list& o) {
    if (this != &o) {
      use_list copy(o);
      release();
      take(copy);
    }
    return *this;
  }
  use_list& operator=(use_list&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  ~use_list() { release(); }

  std::uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const use_entry* begin() const { return data(); }
  const use_entry* end() const { return data() + size_; }

  void push_back(use_entry u) {
    if (size_ == capacity_) grow();
    data()[size_++] = u;
  }
  // Removes the entry of edge `id`, if present, keeping the others in order.
  void erase_edge(std::uint32_t id) {
    use_entry* d = data();
    use_entry* p = std::find_if(d, d + size_, [id](const use_entry& u) { return u.edge == id; });
    if (p == d + size_) return;
    std::copy(p + 1, d + size_, p);
    --size_;
  }
  // Removes the entries for which pred holds, keeping the others in order.
  template <class Pred>
  void erase_if(Pred pred) {
    use_entry* d = data();
    size_ = std::uint32_t(std::remove_if(d, d + size_, pred) - d);
  }
  void clear() noexcept {
    release();
    size_ = 0;
    capacity_ = inline_capacity;
  }

 private:
  static_assert(std::is_trivially_copyable_v<use_entry>);
  use_entry* data() { return capacity_ > inline_capacity ? heap_ : local_; }
  const use_entry* data() const { return capacity_ > inline_capacity ? heap_ : local_; }
  void grow() {
    if (capacity_ > UINT32_MAX / 2) throw std::length_error("nnrewrite: more than 2^31 edges at one vertex");
    const std::uint32_t cap = capacity_ * 2;
    use_entry* p = std::allocator<use_entry>().allocate(cap);
    std::memcpy(p, data(), size_ * sizeof(use_entry));
    release();
    heap_ = p;
    capacity_ = cap;
  }
  void release() noexcept {
    if (capacity_ > inline_capacity) std::allocator<use_entry>().deallocate(heap_, capacity_);
  }
  void assign(const use_list& o) {
    if (o.size_ > inline_capacity) {
      heap_ = std::allocator<use_entry>().allocate(o.size_);
      capacity_ = o.size_;
    }
    std::memcpy(data(), o.data(), o.size_ * sizeof(use_entry));
    size_ = o.size_;
  }
  void take(use_list& o) noexcept {
    size_ = o.size_;
    capacity_ = o.capacity_;
    if (capacity_ > inline_capacity) heap_ = o.heap_;
    else std::memcpy(local_, o.local_, sizeof local_);
    o.size_ = 0;
    o.capacity_ = inline_capacity;
  }

  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = inline_capacity;
  union {
    use_entry local_[inline_capacity] = {};
    use_entry* heap_;
  };
};

}  // namespace nnrewrite::detail
