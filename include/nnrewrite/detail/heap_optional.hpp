// heap_optional<T>: std::optional's interface with the value on the heap, so that
// an empty one is a single null pointer. For members that most objects leave empty
// (a node's constant tensor: only constants hold one). heap_string: the same for a
// string that is usually empty (a node's doc string), read as a std::string.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace nnrewrite::detail {

template <class T>
class heap_optional {
 public:
  heap_optional() = default;
  heap_optional(std::nullopt_t) {}                                       // NOLINT
  heap_optional(T v) : p_(std::make_unique<T>(std::move(v))) {}          // NOLINT: like optional
  heap_optional(const heap_optional& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  heap_optional(heap_optional&&) noexcept = default;
  heap_optional& operator=(const heap_optional& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  heap_optional& operator=(heap_optional&&) noexcept = default;
  heap_optional& operator=(std::nullopt_t) {
    p_.reset();
    return *this;
  }
  // Assigning a value reuses the held object when there is one.
  heap_optional& operator=(T v) {
    if (p_) *p_ = std::move(v);
    else p_ = std::make_unique<T>(std::move(v));
    return *this;
  }

  bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  T& value() { return p_ ? *p_ : throw std::bad_optional_access(); }
  const T& value() const { return p_ ? *p_ : throw std::bad_optional_access(); }
  void reset() { p_.reset(); }
  template <class... A>
  T& emplace(A&&... a) {
    p_ = std::make_unique<T>(std::forward<A>(a)...);
    return *p_;
  }

  friend bool operator==(const heap_optional& a, const heap_optional& b) {
    return a.p_ && b.p_ ? *a.p_ == *b.p_ : a.p_ == b.p_;
  }
  friend bool operator==(const heap_optional& a, std::nullopt_t) { return !a.p_; }

 private:
  std::unique_ptr<T> p_;
};

class heap_string {
 public:
  heap_string() = default;
  heap_string(std::string s) { assign(std::move(s)); }              // NOLINT: reads like a string
  heap_string(std::string_view s) { assign(std::string(s)); }       // NOLINT
  heap_string(const char* s) { assign(std::string(s)); }            // NOLINT

  const std::string& str() const { return s_ ? *s_ : empty_string(); }
  operator const std::string&() const { return str(); }  // NOLINT: the compatibility path
  std::string_view view() const { return str(); }
  bool empty() const { return !s_; }
  std::size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }

  friend bool operator==(const heap_string& a, const heap_string& b) { return a.str() == b.str(); }
  friend bool operator==(const heap_string& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const heap_string& a, const char* b) { return a.view() == b; }
  friend bool operator==(const heap_string& a, const std::string& b) { return a.str() == b; }

 private:
  void assign(std::string s) {
    if (s.empty()) s_.reset();
    else s_ = std::move(s);
  }
  static const std::string& empty_string() {
    static const std::string e;
    return e;
  }
  heap_optional<std::string> s_;  // empty strings are not held
};

}  // namespace nnrewrite::detail
