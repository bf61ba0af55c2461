// Live and peak heap bytes of a benchmark program, counted by replacing the global
// operator new/delete. Include in exactly one file of a program.
#pragma once

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

// Live and peak heap bytes of the whole program. (GCC cannot see that the
// replaced operator new below allocates with malloc, hence the pragma.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace heap {
std::atomic<std::size_t> live{0}, peak{0};
// Counting costs an atomic update and a malloc_usable_size per call (about a sixth
// of TFC's streamline time): a benchmark that reports time only turns it off.
bool counting = true;
void* allocate(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  if (!counting) return p;
  const std::size_t now = live += malloc_usable_size(p);
  for (std::size_t seen = peak; now > seen && !peak.compare_exchange_weak(seen, now);) {
  }
  return p;
}
void release(void* p) {
  if (!p) return;
  if (counting) {
    // Memory allocated while not counting was never added: never below zero.
    const std::size_t n = malloc_usable_size(p);
    for (std::size_t seen = live; !live.compare_exchange_weak(seen, seen - std::min(seen, n));) {
    }
  }
  std::free(p);
}
// Not counted while one exists.
struct uncounted {
  bool was = counting;
  uncounted() { counting = false; }
  ~uncounted() { counting = was; }
  uncounted(const uncounted&) = delete;
  uncounted& operator=(const uncounted&) = delete;
};
}  // namespace heap

void* operator new(std::size_t n) { return heap::allocate(n); }
void* operator new[](std::size_t n) { return heap::allocate(n); }
void operator delete(void* p) noexcept { heap::release(p); }
void operator delete[](void* p) noexcept { heap::release(p); }
void operator delete(void* p, std::size_t) noexcept { heap::release(p); }
void operator delete[](void* p, std::size_t) noexcept { heap::release(p); }

