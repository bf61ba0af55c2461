// Keeps what an ir_traits call returned usable for as long as its holder lives.
//
// ir_traits lets an IR answer value(), attributes() and constant_value() by
// reference or by value (an IR that keeps weights its own way builds a tensor on
// request). Code that keeps the answer past the full expression must not take the
// address of a temporary: held<R> stores a reference as a pointer (no copy) and a
// value by value, so both kinds of IR are served without a copy where none is needed.
#pragma once

#include <type_traits>
#include <utility>

namespace nnrewrite::detail {

// R is the call's type, decltype(ir_traits<G>::value(g, v, p)).
template <class R>
class held {
  using T = std::remove_cvref_t<R>;
  static constexpr bool by_reference = std::is_lvalue_reference_v<R>;

 public:
  explicit held(R r) : v_(store(std::forward<R>(r))) {}
  const T& get() const {
    if constexpr (by_reference) return *v_;
    else return v_;
  }
  const T& operator*() const { return get(); }
  const T* operator->() const { return &get(); }

 private:
  static auto store(R r) {
    if constexpr (by_reference) return &r;
    else return T(std::move(r));
  }
  std::conditional_t<by_reference, const T*, T> v_;
};

}  // namespace nnrewrite::detail
