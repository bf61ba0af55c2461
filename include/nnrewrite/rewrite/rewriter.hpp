// rewriter<G>: the only way patterns change a graph. Every change is told to the
// listeners (the driver re-enqueues what was touched) and recorded in an undo
// log, so that an application that fails midway can be rolled back to exactly
// the graph it started from.
//
// Erased nodes are disconnected and marked, not removed: their descriptors stay
// valid (even for vecS graphs) until flush(), which the driver calls once, at the
// end. Rolling back an erase revives the same vertex.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "nnrewrite/detail/per_vertex.hpp"
#include "nnrewrite/detail/stable_array.hpp"
#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/traits.hpp"
#include "nnrewrite/rewrite/names.hpp"

namespace nnrewrite {

// Told about every change a rewriter makes.
template <class V>
class rewrite_listener {
 public:
  virtual ~rewrite_listener() = default;
  virtual void on_created(V) {}
  virtual void on_erased(V) {}
  // Attributes, a constant's value, a value's info, or an operand of v changed.
  virtual void on_modified(V) {}
  // A use of one of v's results went away (v may now be dead or single-use). Kept
  // apart from on_modified: v itself did not change, so its users need no revisit
  // (which would cost O(fan-out) per removed use).
  virtual void on_use_removed(V) {}
  // What one of v's results is changed: its description (value_info) or, for a
  // constant, its value. Follows on_modified(v). What v's users derive from their
  // operands (inferred shapes and types) is then stale; a change to v's
  // attributes, name or operands alone does not reach its users.
  virtual void on_value_changed(V) {}
  // A rollback restored v (or revived it) to what it was at the checkpoint.
  virtual void on_restored(V) {}
};

template <ir_graph G>
class rewriter {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;
  using value = value_ref<V>;

  // `names`, when given, is the index fresh names come from: one a caller keeps
  // for several rewriters in turn on g (streamline's stages), built once instead
  // of once per rewriter. It must describe g: built from it, and changed since
  // only through rewriters given it.
  explicit rewriter(G& g, name_index* names = nullptr) : g_(g), erased_(g), shared_names_(names) {}
  rewriter(const rewriter&) = delete;
  rewriter& operator=(const rewriter&) = delete;

  G& graph() { return g_; }
  const G& graph() const { return g_; }
  void add_listener(rewrite_listener<V>* l) { listeners_.push_back(l); }
  void remove_listener(rewrite_listener<V>* l) { std::erase(listeners_, l); }
  // A listener registered for the lifetime of this object (also when unwinding).
  class scoped_listener {
   public:
    scoped_listener(rewriter& rw, rewrite_listener<V>* l) : rw_(rw), l_(l) { rw_.add_listener(l_); }
    ~scoped_listener() { rw_.remove_listener(l_); }
    scoped_listener(const scoped_listener&) = delete;
    scoped_listener& operator=(const scoped_listener&) = delete;

   private:
    rewriter& rw_;
    rewrite_listener<V>* l_;
  };

  // ---- names
  // A name no node or value of the graph has: `base` when free, else base_1, ...
  // (see name_index: built on first use, O(1) amortized per call).
  std::string fresh_name(std::string_view base) { return names().fresh(base); }

  // ---- creation
  // Names given to new nodes and values are hints: one already in use gets a
  // suffix, an empty value name becomes a fresh one after the op type. So a
  // pattern applied at two sites never makes two values of the same name.
  // Operands come as a span (a vector converts) or a braced list, so `{x, k}`
  // costs no heap block.
  using operand_list = std::span<const std::optional<value>>;
  V create_op(std::string_view op, std::string_view domain, operand_list operands, std::vector<value_info> results,
              attribute_map attrs = {}, std::string name = {}) {
    for (auto& r : results) r.name = fresh_name(r.name.empty() ? op : std::string_view(r.name));
    if (!name.empty()) name = fresh_name(name);
    V v = T::add_op(g_, op, domain, std::move(name), std::move(attrs), std::move(results));
    log({undo_op::destroy, v});
    for (std::size_t i = 0; i < operands.size(); ++i)
      if (operands[i]) connect(operands[i]->node, operands[i]->port, v, static_cast<int>(i));
    notify_created(v);
    return v;
  }
  V create_op(std::string_view op, std::string_view domain, std::initializer_list<std::optional<value>> operands,
              std::vector<value_info> results, attribute_map attrs = {}, std::string name = {}) {
    return create_op(op, domain, operand_list(operands.begin(), operands.size()), std::move(results), std::move(attrs),
                     std::move(name));
  }

  V create_constant(value_info info, tensor t) {
    info.name = fresh_name(info.name.empty() ? "const" : std::string_view(info.name));
    V v = T::add_constant(g_, std::move(info), std::move(t));
    log({undo_op::destroy, v});
    notify_created(v);
    return v;
  }

  // ---- builders: a rule is a few lines
  // A new constant holding t, named after `hint`.
  value constant(tensor t, std::string_view hint = "const") {
    return {create_constant(value_info(std::string(hint)), std::move(t)), 0};
  }
  // A new single-result op. `result` describes its value (shape, types); its name is
  // a hint, and left empty the value is named after the op type.
  value op(std::string_view type, operand_list operands, value_info result, attribute_map attrs = {},
           std::string_view domain = {}) {
    std::vector<value_info> results;  // not {std::move(result)}: an initializer list copies
    results.push_back(std::move(result));
    return {create_op(type, domain, operands, std::move(results), std::move(attrs)), 0};
  }
  value op(std::string_view type, std::initializer_list<std::optional<value>> operands, value_info result,
           attribute_map attrs = {}, std::string_view domain = {}) {
    return op(type, operand_list(operands.begin(), operands.size()), std::move(result), std::move(attrs), domain);
  }
  // op(x, c) with c a new constant holding `c` (named after the result): the
  // "Mul by a scale" / "Add a bias" step most rules end with.
  value op_with_constant(std::string_view type, value x, tensor c, value_info result, attribute_map attrs = {},
                         std::string_view domain = {}) {
    const std::string hint = (result.name.empty() ? std::string(type) : result.name) + "_param";
    const value k = constant(std::move(c), hint);
    return op(type, {x, k}, std::move(result), std::move(attrs), domain);
  }

  // ---- rewiring
  // Operand `in_port` of `user` becomes `v` (or absent).
  void set_operand(V user, int in_port, std::optional<value> v) {
    const std::optional<V> old = disconnect_operand(user, in_port);
    if (v) connect(v->node, v->port, user, in_port);
    notify_modified(user);
    if (old) notify_use_removed(*old);
  }

  // Every use of `from` (graph outputs included) becomes a use of `to`. When `to`
  // has no uses yet — it was just built to stand in for `from` — it takes over
  // from's name (and `from` gets a fresh one): graph outputs keep their names and
  // rewritten graphs stay readable on every IR. A graph input is never renamed.
  void replace_all_uses(value from, value to) {
    if (from == to) return;
    if (num_uses(g_, to) == 0 && T::kind(g_, to.node) != node_kind::input && T::kind(g_, from.node) != node_kind::input)
      take_name(from, to);
    std::vector<use_ref<V>> users = uses(g_, from);
    disconnect_uses(from, users);
    for (const auto& u : users) connect(to.node, to.port, u.node, u.in_port);
    for (const auto& u : users) notify_modified(u.node);
    if (!users.empty()) notify_use_removed(from.node);
  }

  // Each result of `op` is replaced by the matching value, then `op` is erased.
  // New replacements take over the names of what they replace (replace_all_uses);
  // an unnamed node that replaced op's first result also takes op's node name.
  void replace_op(V op, const std::vector<value>& values) {
    if (static_cast<int>(values.size()) != T::num_outputs(g_, op))
      throw graph_error(describe(g_, op), "replaced by " + std::to_string(values.size()) + " values, it has " +
                                              std::to_string(T::num_outputs(g_, op)) + " results");
    const bool fresh_first = !values.empty() && num_uses(g_, values[0]) == 0 && T::kind(g_, values[0].node) == node_kind::op;
    for (std::size_t p = 0; p < values.size(); ++p) replace_all_uses(value{op, static_cast<int>(p)}, values[p]);
    if (fresh_first && T::name(g_, values[0].node).empty() && !T::name(g_, op).empty()) {
      const std::string node_name(T::name(g_, op));
      set_name(op, fresh_name(node_name + "_replaced"));
      set_name(values[0].node, node_name);
    }
    erase(op);
  }

  // `to` gets the name of value `from`; `from` gets a fresh one first, so no two
  // values share a name at any moment (IRs keyed by name need that).
  void take_name(value from, value to) {
    const std::string name = T::value(g_, from.node, from.port).name;
    if (name.empty() || T::value(g_, to.node, to.port).name == name) return;
    rename_value(from, fresh_name(name + "_replaced"));
    rename_value(to, name);
  }

  // Operand `in_port` of `user` is a constant; make it hold `t` without touching
  // other users of that constant: set in place when this is its only use, else
  // (copy-on-write) a new constant for this operand alone. The constant keeps its
  // annotations (data type, layout). Returns the constant used.
  value replace_constant_operand(V user, int in_port, tensor t) {
    const auto old = operand(g_, user, in_port);
    if (!old || T::kind(g_, old->node) != node_kind::constant)
      throw graph_error(describe(g_, user), "operand " + std::to_string(in_port) + " is not a constant");
    if (num_uses(g_, *old) == 1) {
      set_constant(old->node, std::move(t));
      return *old;
    }
    const value c{create_constant(T::value(g_, old->node, old->port), std::move(t)), 0};
    set_operand(user, in_port, c);
    return c;
  }
  // The same, and the constant's QONNX data type becomes `dtype` (nullopt:
  // unannotated, i.e. FLOAT32) — for a rule whose new values leave the old type.
  value replace_constant_operand(V user, int in_port, tensor t, std::optional<data_type> dtype) {
    const value c = replace_constant_operand(user, in_port, std::move(t));
    if (!(T::value(g_, c.node, c.port).dtype == dtype)) {
      value_info info = T::value(g_, c.node, c.port);
      info.dtype = dtype;
      set_value_info(c.node, c.port, std::move(info));
    }
    return c;
  }

  // Erases a node none of whose results is used any more.
  void erase(V v) {
    if (erased_.contains(v)) return;
    if (out_degree(v, g_) != 0)
      throw graph_error(describe(g_, v), "cannot be erased: its results still have " + std::to_string(out_degree(v, g_)) + " uses");
    boost::container::small_vector<std::pair<int, value>, 4> ops;  // no allocation per erased node
    for (auto [it, end] = in_edges(v, g_); it != end; ++it) {
      port_pair p = T::ports(g_, *it);
      ops.emplace_back(p.in_port, value{source(*it, g_), p.out_port});
    }
    for (const auto& [in_port, src] : ops) disconnect_operand(v, in_port);
    erased_[v] = true;
    erased_list_.push_back(v);
    log({undo_op::unerase, v});
    for (auto& l : listeners_) l->on_erased(v);
    for (const auto& [in_port, src] : ops) notify_use_removed(src.node);
  }

  bool is_erased(V v) const { return erased_.contains(v); }

  // ---- in place
  void set_attribute(V v, std::string name, attribute a) {
    const attribute_map& attrs = T::attributes(g_, v);
    auto it = attrs.find(name);
    std::optional<attribute> old = it == attrs.end() ? std::nullopt : std::optional<attribute>(it->second);
    T::set_attribute(g_, v, name, std::move(a));
    log({undo_op::attribute, v}, attribute_undo{name, std::move(old)});
    notify_modified(v);
  }

  bool erase_attribute(V v, std::string_view name) {
    const attribute_map& attrs = T::attributes(g_, v);
    auto it = attrs.find(name);
    if (it == attrs.end()) return false;
    attribute old = it->second;
    std::string key(name);
    T::erase_attribute(g_, v, name);
    log({undo_op::attribute, v}, attribute_undo{std::move(key), std::move(old)});
    notify_modified(v);
    return true;
  }

  void set_constant(V v, tensor t) {
    if (!T::constant_value(g_, v)) throw graph_error(describe(g_, v), "is not a constant");
    value_info old_info = T::value(g_, v, 0);
    tensor old = exchange_constant_value(g_, v, std::move(t));
    // The handle, not a reference through it: an IR may hand out a tensor it
    // converted for the call (its lifetime is the handle's).
    const auto now = T::constant_value(g_, v);
    // The description follows the tensor (usually it already matches: a rule
    // rewrites values, not their element type or shape).
    if (old_info.elem != now->type() || !same_shape(old_info.shape, now->shape())) {
      value_info info = old_info;
      info.elem = now->type();
      info.shape = to_dims(now->shape());
      T::set_value(g_, v, 0, std::move(info));
    }
    log({undo_op::constant, v}, constant_undo{std::move(old), std::move(old_info)});
    notify_modified(v);
    notify_value_changed(v);
  }

  void set_name(V v, std::string name) {
    std::string old(T::name(g_, v));
    if (old == name) return;
    if (name_index* n = built_names()) n->reserve(name);
    T::set_name(g_, v, std::move(name));
    log({undo_op::name, v}, std::move(old));
    notify_modified(v);
  }

  void set_value_info(V v, int port, value_info info) {
    if (name_index* n = built_names()) n->reserve(info.name);
    value_info old = T::value(g_, v, port);
    T::set_value(g_, v, port, std::move(info));
    log({undo_op::value, v, V{}, port}, std::move(old));
    notify_modified(v);
    notify_value_changed(v);
  }

  // ---- transactions
  // A point to roll back to; rollback undoes every change made since, newest first,
  // and tells the listeners: undone creations as erasures, everything else as
  // on_restored (not on_modified: the graph is back where it was, nothing new to try).
  std::size_t checkpoint() const { return undo_.size(); }
  bool changed_since(std::size_t cp) const { return undo_.size() > cp; }
  void rollback(std::size_t cp) {
    while (undo_.size() > cp) {
      if (undo_connections_at_once(cp)) continue;
      const entry e = undo_.back();
      undo_.pop_back();
      if (e.op == undo_op::destroy) {
        // Tell the listeners while the vertex still exists; undoing destroys it.
        for (auto& l : listeners_) l->on_erased(e.node);
        undo(e);
      } else {
        undo(e);
        for (auto& l : listeners_) l->on_restored(e.node);
      }
    }
  }
  // Forgets the undo log (the changes stay).
  void commit() {
    undo_.truncate(0);
    payloads_.truncate(0);
  }

  // Physically removes erased nodes. Descriptors of other nodes may change for
  // graphs without stable descriptors (vecS), so call it when none are held.
  void flush() {
    commit();
    std::vector<V> dead = std::move(erased_list_);
    erased_list_.clear();
    erased_.clear();
    // Highest descriptors first, so that vecS graphs do not renumber the rest.
    std::sort(dead.begin(), dead.end(), [](V a, V b) { return std::greater<>{}(a, b); });
    for (V v : dead) T::erase_node(g_, v);
  }

 private:
  // The undo log: one small record per change, no allocation for the common ones
  // (creation, erasure, edges); what a record cannot hold (an old attribute, name,
  // value info or tensor) goes to a side stack, popped in the same LIFO order.
  enum class undo_op : std::uint8_t { destroy, unerase, disconnect, reconnect, attribute, name, value, value_name, constant };
  struct entry {
    undo_op op;
    V node;        // the node the listeners hear about (the edge's user for edge records)
    V other{};     // the edge's producer
    int port = 0;  // the edge's out port; the result's port for `value`
    int in_port = 0;
  };
  struct attribute_undo {
    std::string name;
    std::optional<attribute> old;  // absent: the attribute did not exist
  };
  struct constant_undo {
    tensor old;
    value_info info;
  };
  using payload = std::variant<attribute_undo, std::string, value_info, constant_undo>;

  void log(entry e) { undo_.push_back(e); }
  void log(entry e, payload p) {
    payloads_.push_back(std::move(p));
    undo_.push_back(e);
  }
  template <class P>
  P pop_payload() {
    P p = std::get<P>(std::move(payloads_.back()));
    payloads_.pop_back();
    return p;
  }
  void undo(const entry& e) {
    switch (e.op) {
      case undo_op::destroy: destroy(e.node); break;
      case undo_op::unerase:
        erased_.erase(e.node);
        // Erasures are undone newest first: the node is the list's last.
        if (!erased_list_.empty() && erased_list_.back() == e.node) erased_list_.pop_back();
        else std::erase(erased_list_, e.node);
        break;
      case undo_op::disconnect: remove_edge_between(e.other, e.port, e.node, e.in_port); break;
      case undo_op::reconnect: T::connect(g_, e.other, e.port, e.node, e.in_port); break;
      case undo_op::attribute: {
        auto a = pop_payload<attribute_undo>();
        if (a.old) T::set_attribute(g_, e.node, a.name, std::move(*a.old));
        else T::erase_attribute(g_, e.node, a.name);
        break;
      }
      case undo_op::name: T::set_name(g_, e.node, pop_payload<std::string>()); break;
      case undo_op::value: T::set_value(g_, e.node, e.port, pop_payload<value_info>()); break;
      case undo_op::value_name: (void)exchange_value_name(g_, e.node, e.port, pop_payload<std::string>()); break;
      case undo_op::constant: {
        auto c = pop_payload<constant_undo>();
        T::set_constant_value(g_, e.node, std::move(c.old));
        T::set_value(g_, e.node, 0, std::move(c.info));
        break;
      }
    }
  }

  name_index& names() {
    if (shared_names_) return *shared_names_;
    if (!names_) names_.emplace(g_);
    return *names_;
  }
  // The index if there is one yet (a name taken before it is built is in g, so
  // building it later finds the name).
  name_index* built_names() { return shared_names_ ? shared_names_ : names_ ? &*names_ : nullptr; }
  // Logs the old name only, and is no on_value_changed: users derive nothing from
  // a name (a rename is part of most replacements: see take_name).
  void rename_value(value v, std::string name) {
    if (name_index* n = built_names()) n->reserve(name);
    std::string old = exchange_value_name(g_, v.node, v.port, std::move(name));
    log({undo_op::value_name, v.node, V{}, v.port}, std::move(old));
    notify_modified(v.node);
  }

  void connect(V src, int out_port, V dst, int in_port) {
    T::connect(g_, src, out_port, dst, in_port);
    log({undo_op::disconnect, dst, src, out_port, in_port});
  }

  // Removes the given uses (every use) of `from`. Where the IR has Boost's
  // remove_out_edge_if, in one pass over from's uses: removing them one by one
  // searches from's use list each time, O(k^2) for a value with k uses.
  struct on_port {
    const G* g;
    int port;
    bool operator()(const edge_t<G>& e) const { return T::ports(*g, e).out_port == port; }
  };
  static constexpr bool removes_edges_by_predicate =
      requires(G& g, V v, on_port pred) { remove_out_edge_if(v, pred, g); };
  void disconnect_uses(value from, const std::vector<use_ref<V>>& users) {
    if constexpr (removes_edges_by_predicate) {
      if (users.size() > 1) {
        remove_out_edge_if(from.node, on_port{&g_, from.port}, g_);
        for (const auto& u : users) log({undo_op::reconnect, u.node, from.node, from.port, u.in_port});
        return;
      }
    }
    for (const auto& u : users) disconnect_operand(u.node, u.in_port);
  }

  // Undoes, in one pass over the producer's uses, the newest run of connections
  // from one value (what replace_all_uses made of a value with many uses);
  // false when there is no such run or the IR cannot remove edges by predicate.
  bool undo_connections_at_once(std::size_t cp) {
    if constexpr (removes_edges_by_predicate) {
      const entry& last = undo_.back();
      if (last.op != undo_op::disconnect) return false;
      std::size_t first = undo_.size() - 1;
      while (first > cp && undo_[first - 1].op == undo_op::disconnect && undo_[first - 1].other == last.other &&
             undo_[first - 1].port == last.port)
        --first;
      if (undo_.size() - first < 8) return false;
      std::vector<std::pair<V, int>> made;  // (user, in_port), sorted for the lookup
      for (std::size_t i = first; i < undo_.size(); ++i) made.emplace_back(undo_[i].node, undo_[i].in_port);
      const auto less = [](const std::pair<V, int>& a, const std::pair<V, int>& b) {
        return std::less<V>{}(a.first, b.first) || (!std::less<V>{}(b.first, a.first) && a.second < b.second);
      };
      std::sort(made.begin(), made.end(), less);
      const V src = last.other;
      const int port = last.port;
      remove_out_edge_if(src, [&](const edge_t<G>& e) {
        const port_pair p = T::ports(g_, e);
        return p.out_port == port && std::binary_search(made.begin(), made.end(), std::pair<V, int>(edge_target(e, g_), p.in_port), less);
      }, g_);
      while (undo_.size() > first) {
        const V user = undo_.back().node;
        undo_.pop_back();
        for (auto& l : listeners_) l->on_restored(user);
      }
      return true;
    } else {
      (void)cp;
      return false;
    }
  }

  // Returns the producer that lost the use, if the operand was present.
  std::optional<V> disconnect_operand(V user, int in_port) {
    for (auto [it, end] = in_edges(user, g_); it != end; ++it) {
      port_pair p = T::ports(g_, *it);
      if (p.in_port != in_port) continue;
      V src = source(*it, g_);
      remove_edge(*it, g_);
      log({undo_op::reconnect, user, src, p.out_port, p.in_port});
      return src;
    }
    return std::nullopt;
  }

  void remove_edge_between(V src, int out_port, V dst, int in_port) {
    for (auto [it, end] = in_edges(dst, g_); it != end; ++it) {
      port_pair p = T::ports(g_, *it);
      if (source(*it, g_) == src && p.out_port == out_port && p.in_port == in_port) {
        remove_edge(*it, g_);
        return;
      }
    }
  }

  // Whether d is exactly to_dims(s).
  static bool same_shape(const std::optional<dims>& d, const shape_t& s) {
    return d && std::equal(d->begin(), d->end(), s.begin(), s.end(), [](const dim& a, std::int64_t b) { return a == dim(b); });
  }

  // Undoing a creation: the node is new, so nothing else refers to it.
  void destroy(V v) { T::erase_node(g_, v); }

  void notify_created(V v) {
    for (auto& l : listeners_) l->on_created(v);
  }
  void notify_modified(V v) {
    for (auto& l : listeners_) l->on_modified(v);
  }
  void notify_value_changed(V v) {
    for (auto& l : listeners_) l->on_value_changed(v);
  }
  void notify_use_removed(V v) {
    for (auto& l : listeners_) l->on_use_removed(v);
  }

  G& g_;
  std::vector<rewrite_listener<V>*> listeners_;
  // Segmented stacks: a run's log of millions of records grows without ever
  // being copied to a bigger buffer (a vector's doubling moved every payload).
  detail::stable_array<entry> undo_;
  detail::stable_array<payload> payloads_;
  detail::per_vertex<G, bool> erased_;
  std::vector<V> erased_list_;  // the same nodes, for flush
  name_index* shared_names_;         // the caller's, if given
  std::optional<name_index> names_;  // else this one, built on the first fresh name
};

}  // namespace nnrewrite
