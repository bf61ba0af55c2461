// Rewrite patterns (after MLIR's RewritePattern): a root op type (or any op), a
// benefit, a debug name, and match_and_rewrite(node, rewriter) returning success
// or a failure with a reason. pattern_set buckets patterns by root op type,
// highest benefit first; populate_* functions add families of patterns to a set.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  // touched — the nodes it created or modified, and the users of each value whose
  // description or constant value it changed (rewrite_listener::on_value_changed)
  // — and on what the hook itself touches; it returns whether it changed
  // anything. Value-info inference is one: it keeps result descriptions right
  // where rewrites changed them, without visiting the rest of the graph.
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
    if (buckets_.empty()) return any_root_;
    const bucket* b = find(root_view{domain_family(domain), op_type});
    return b ? b->patterns : any_root_;
  }
  // An op of ONNX's domain.
  const std::vector<const pattern*>& for_op(std::string_view op_type) const { return for_op("", op_type); }
  // Whether some pattern is rooted at any op.
  bool has_any_root() const { return !any_root_.empty(); }
  // Whether a pattern is rooted at this op type itself (not only at any op).
  bool roots_at(std::string_view domain, std::string_view op_type) const {
    return !buckets_.empty() && find(root_view{domain_family(domain), op_type}) != nullptr;
  }
  std::size_t size() const { return owned_.size(); }
  std::vector<const pattern*> all() const {
    std::vector<const pattern*> r;
    for (const auto& p : owned_) r.push_back(p.get());
    return r;
  }

 private:
  // Buckets are keyed by (domain family, op type) and found through a small
  // open-addressing table of their indices (looked up for every op the driver
  // pops). Not std::unordered_map: libstdc++ searches a table of up to 20 entries
  // linearly, comparing strings, when the lookup key is a view.
  struct root_view {
    std::string_view family, op;
    friend bool operator==(const root_view&, const root_view&) = default;
  };
  struct bucket {
    std::uint64_t hash;
    std::string family, op;
    std::vector<const pattern*> patterns;
  };
  static std::uint64_t hash(root_view k) { return detail::short_name_hash(k.op) ^ (detail::short_name_hash(k.family) >> 1); }
  const bucket* find(root_view k) const {
    const std::uint64_t h = hash(k);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = std::size_t(h) & mask;; i = (i + 1) & mask) {
      const std::uint32_t s = slots_[i];
      if (s == 0) return nullptr;
      const bucket& b = buckets_[s - 1];
      if (b.hash == h && b.op == k.op && b.family == k.family) return &b;
    }
  }
  // Slots at most half full, a power of two.
  void rebuild_slots() {
    std::size_t n = 8;
    while (n < 2 * buckets_.size()) n *= 2;
    slots_.assign(n, 0);
    for (std::size_t j = 0; j < buckets_.size(); ++j) place(j);
  }
  void place(std::size_t j) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = std::size_t(buckets_[j].hash) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = std::uint32_t(j + 1);
  }
  static void order(std::vector<const pattern*>& v) {
    std::stable_sort(v.begin(), v.end(), [](const pattern* a, const pattern* b) { return a->benefit() > b->benefit(); });
  }
  void insert(std::unique_ptr<pattern> p) {
    const pattern* raw = p.get();
    owned_.push_back(std::move(p));
    if (raw->root().empty()) {
      any_root_.push_back(raw);
      order(any_root_);
      for (auto& b : buckets_) {
        b.patterns.push_back(raw);
        order(b.patterns);
      }
    } else {
      const root_view k{domain_family(raw->root_domain()), raw->root()};
      const bucket* found = buckets_.empty() ? nullptr : find(k);
      if (!found) {
        buckets_.push_back({hash(k), std::string(k.family), std::string(k.op), any_root_});
        if (2 * buckets_.size() > slots_.size()) rebuild_slots();
        else place(buckets_.size() - 1);
        found = &buckets_.back();
      }
      auto& patterns = buckets_[std::size_t(found - buckets_.data())].patterns;
      patterns.push_back(raw);
      order(patterns);
    }
  }

  std::vector<std::unique_ptr<pattern>> owned_;
  std::vector<named_hook> hooks_;
  std::vector<bucket> buckets_;
  std::vector<std::uint32_t> slots_;
  std::vector<const pattern*> any_root_;
};

}  // namespace nnrewrite
