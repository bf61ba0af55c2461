// Rewrite patterns (after MLIR's RewritePattern): a root op type (or any op), a
// benefit, a debug name, and match_and_rewrite(node, rewriter) returning success
// or a failure with a reason. pattern_set buckets patterns by root op type,
// highest benefit first; populate_* functions add families of patterns to a set.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nnrewrite/detail/name_hash.hpp"
#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/rewrite/rewriter.hpp"

namespace nnrewrite {

// The outcome of one attempt: success, or failure with the reason it did not apply.
// Most attempts fail, so a failure with a string literal for its reason costs no
// allocation; a built reason (std::string) is owned.
class match_result {
 public:
  static match_result success() { return match_result(true); }
  // `literal` must have static storage duration (a string literal).
  static match_result failure(const char* literal) {
    match_result r(false);
    r.literal_ = literal;
    return r;
  }
  static match_result failure(std::string reason) {
    match_result r(false);
    r.owned_ = std::move(reason);
    return r;
  }
  explicit operator bool() const { return ok_; }
  bool succeeded() const { return ok_; }
  std::string reason() const { return literal_ ? std::string(literal_) : owned_; }

 private:
  explicit match_result(bool ok) : ok_(ok) {}
  bool ok_;
  const char* literal_ = nullptr;
  std::string owned_;
};

inline match_result success() { return match_result::success(); }
inline match_result failure(const char* literal) { return match_result::failure(literal); }
inline match_result failure(std::string reason) { return match_result::failure(std::move(reason)); }

template <ir_graph G>
class rewrite_pattern {
 public:
  using V = vertex_t<G>;

  // root_op "" applies the pattern to every op. The root's domain defaults to the
  // op type's home domain (QONNX's for MultiThreshold, Quant, ...; ONNX's for the
  // rest); the pattern is tried on ops of that domain family only.
  rewrite_pattern(std::string name, std::string root_op, int benefit = 1)
      : rewrite_pattern(std::move(name), root_op, benefit, std::string(home_domain(root_op))) {}
  rewrite_pattern(std::string name, std::string root_op, int benefit, std::string root_domain)
      : name_(std::move(name)), root_(std::move(root_op)), domain_(std::move(root_domain)), benefit_(benefit) {}
  virtual ~rewrite_pattern() = default;

  const std::string& name() const { return name_; }
  const std::string& root() const { return root_; }
  const std::string& root_domain() const { return domain_; }
  int benefit() const { return benefit_; }

  // Changes the graph only through `rw`, and only when it returns success.
  virtual match_result match_and_rewrite(V node, rewriter<G>& rw) const = 0;

 private:
  std::string name_, root_, domain_;
  int benefit_;
};

// A pattern from a callable: match_result f(V, rewriter<G>&).
template <ir_graph G, class F>
class lambda_pattern final : public rewrite_pattern<G> {
 public:
  lambda_pattern(std::string name, std::string root, int benefit, F f)
      : rewrite_pattern<G>(std::move(name), std::move(root), benefit), f_(std::move(f)) {}
  lambda_pattern(std::string name, std::string root, int benefit, std::string root_domain, F f)
      : rewrite_pattern<G>(std::move(name), std::move(root), benefit, std::move(root_domain)), f_(std::move(f)) {}
  match_result match_and_rewrite(vertex_t<G> node, rewriter<G>& rw) const override { return f_(node, rw); }

 private:
  F f_;
};

template <ir_graph G>
class pattern_set {
 public:
  using pattern = rewrite_pattern<G>;

  template <class P, class... Args>
  P& add(Args&&... args) {
    auto p = std::make_unique<P>(std::forward<Args>(args)...);
    P& ref = *p;
    insert(std::move(p));
    return ref;
  }
  template <class F>
  void add_lambda(std::string name, std::string root, int benefit, F f) {
    insert(std::make_unique<lambda_pattern<G, F>>(std::move(name), std::move(root), benefit, std::move(f)));
  }

  // A hook runs, inside the same transaction, on every node a successful rewrite
  // touched (created or modified nodes and their users), and on what the hook
  // itself touches; it returns whether it changed anything. Value-info inference
  // is one: it keeps result descriptions right where rewrites changed them,
  // without visiting the rest of the graph.
  using touched_hook = std::function<bool(vertex_t<G>, rewriter<G>&)>;
  void add_touched_hook(std::string name, touched_hook f) { hooks_.push_back({std::move(name), std::move(f)}); }
  struct named_hook {
    std::string name;
    touched_hook run;
  };
  const std::vector<named_hook>& touched_hooks() const { return hooks_; }

  // Patterns that may apply to an op of this domain and type, highest benefit
  // first (patterns rooted at any op are merged in by benefit).
  const std::vector<const pattern*>& for_op(std::string_view domain, std::string_view op_type) const {
    if (by_root_.empty()) return any_root_;
    auto it = by_root_.find(root_view{domain_family(domain), op_type});
    return it == by_root_.end() ? any_root_ : it->second;
  }
  // An op of ONNX's domain.
  const std::vector<const pattern*>& for_op(std::string_view op_type) const { return for_op("", op_type); }
  // Whether some pattern is rooted at any op.
  bool has_any_root() const { return !any_root_.empty(); }
  // Whether a pattern is rooted at this op type itself (not only at any op).
  bool roots_at(std::string_view domain, std::string_view op_type) const {
    return by_root_.find(root_view{domain_family(domain), op_type}) != by_root_.end();
  }
  std::size_t size() const { return owned_.size(); }
  std::vector<const pattern*> all() const {
    std::vector<const pattern*> r;
    for (const auto& p : owned_) r.push_back(p.get());
    return r;
  }

 private:
  // Buckets are keyed by (domain family, op type), looked up without allocating.
  struct root_view {
    std::string_view family, op;
    friend bool operator==(const root_view&, const root_view&) = default;
  };
  struct root_key {
    std::string family, op;
    operator root_view() const { return {family, op}; }
  };
  struct hash {
    using is_transparent = void;
    std::size_t operator()(root_view k) const { return std::size_t(detail::short_name_hash(k.op) ^ (detail::short_name_hash(k.family) >> 1)); }
  };
  struct equal {
    using is_transparent = void;
    bool operator()(root_view a, root_view b) const { return a == b; }
  };
  static void order(std::vector<const pattern*>& v) {
    std::stable_sort(v.begin(), v.end(), [](const pattern* a, const pattern* b) { return a->benefit() > b->benefit(); });
  }
  void insert(std::unique_ptr<pattern> p) {
    const pattern* raw = p.get();
    owned_.push_back(std::move(p));
    if (raw->root().empty()) {
      any_root_.push_back(raw);
      order(any_root_);
      for (auto& [k, v] : by_root_) {
        v.push_back(raw);
        order(v);
      }
    } else {
      const root_key k{std::string(domain_family(raw->root_domain())), raw->root()};
      auto& bucket = by_root_.try_emplace(k, any_root_).first->second;
      bucket.push_back(raw);
      order(bucket);
    }
  }

  std::vector<std::unique_ptr<pattern>> owned_;
  std::vector<named_hook> hooks_;
  std::unordered_map<root_key, std::vector<const pattern*>, hash, equal> by_root_;
  std::vector<const pattern*> any_root_;
};

}  // namespace nnrewrite
