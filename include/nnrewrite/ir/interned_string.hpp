// nnrewrite::interned_string — one pointer to a string kept once per process.
//
// Op types, domains and symbolic dimension names repeat across every node of a
// model ("MatMul", "qonnx.custom_op.general", "batch"); a node holding each as a
// std::string pays 32 bytes apiece. Like MLIR's identifiers (uniqued in the
// context), an interned_string points into a process-wide pool: 8 bytes, equal
// strings share one pointer, and the pool only grows by the vocabulary of op
// types, domains and dimension names, which is small. It reads as a
// `const std::string&`, so code written against the std::string fields keeps
// compiling: `n.op_type == "Mul"`, `n.op_type = "Add"`, `std::string s = n.op_type`.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_set>

namespace nnrewrite {

class interned_string {
 public:
  interned_string() = default;
  interned_string(std::string_view s) : p_(intern(s)) {}  // NOLINT: reads like a string
  interned_string(const std::string& s) : p_(intern(s)) {}  // NOLINT
  interned_string(const char* s) : p_(intern(s)) {}         // NOLINT

  const std::string& str() const { return p_ ? *p_ : empty_string(); }
  std::string_view view() const { return p_ ? std::string_view(*p_) : std::string_view(); }
  operator const std::string&() const { return str(); }  // NOLINT: the compatibility path
  const char* c_str() const { return str().c_str(); }
  const char* data() const { return str().data(); }
  std::size_t size() const { return str().size(); }
  bool empty() const { return p_ == nullptr || p_->empty(); }
  char operator[](std::size_t i) const { return str()[i]; }
  auto begin() const { return str().begin(); }
  auto end() const { return str().end(); }
  std::size_t find(char c, std::size_t pos = 0) const { return str().find(c, pos); }
  bool starts_with(std::string_view s) const { return view().starts_with(s); }
  bool ends_with(std::string_view s) const { return view().ends_with(s); }
  void clear() { p_ = nullptr; }

  // Two interned strings are equal exactly when they share the pooled string.
  friend bool operator==(const interned_string& a, const interned_string& b) {
    return a.p_ == b.p_ || (a.empty() && b.empty());
  }
  friend bool operator==(const interned_string& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const interned_string& a, const char* b) { return a.view() == b; }
  friend bool operator==(const interned_string& a, const std::string& b) { return a.view() == b; }
  friend auto operator<=>(const interned_string& a, const interned_string& b) { return a.view() <=> b.view(); }
  friend auto operator<=>(const interned_string& a, std::string_view b) { return a.view() <=> b; }
  friend auto operator<=>(const interned_string& a, const std::string& b) { return a.view() <=> std::string_view(b); }
  friend auto operator<=>(const interned_string& a, const char* b) { return a.view() <=> std::string_view(b); }
  friend std::string operator+(const interned_string& a, std::string_view b) { return std::string(a.view()).append(b); }
  friend std::string operator+(std::string_view a, const interned_string& b) { return std::string(a).append(b.view()); }
  friend std::string operator+(const interned_string& a, const char* b) { return std::string(a.view()).append(b); }
  friend std::string operator+(const char* a, const interned_string& b) { return std::string(a).append(b.view()); }
  friend std::string operator+(std::string a, const interned_string& b) { return std::move(a.append(b.view())); }
  friend std::ostream& operator<<(std::ostream& os, const interned_string& s) { return os << s.view(); }

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The pool outlives every interned_string (a function-local static that is never
  // destroyed), so strings in static objects stay valid at exit.
  struct pool {
    std::mutex mutex;
    std::unordered_set<std::string, hash, std::equal_to<>> strings;
  };
  static pool& the_pool() {
    static pool* p = new pool;  // never destroyed, on purpose
    return *p;
  }
  static const std::string& empty_string() {
    static const std::string e;
    return e;
  }
  static const std::string* intern(std::string_view s) {
    if (s.empty()) return nullptr;
    pool& p = the_pool();
    std::lock_guard lock(p.mutex);
    auto it = p.strings.find(s);
    if (it == p.strings.end()) it = p.strings.emplace(s).first;
    return &*it;  // node-based set: the address never changes
  }

  const std::string* p_ = nullptr;  // nullptr: the empty string
};

}  // namespace nnrewrite

template <>
struct std::hash<nnrewrite::interned_string> {
  std::size_t operator()(const nnrewrite::interned_string& s) const { return std::hash<std::string_view>{}(s.view()); }
};
