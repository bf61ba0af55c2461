// The pairing engine of channel equalization: which weighted ops can trade a
// per-channel scale, and how their channels line up.
//
// Scaling output channel c of a weighted op (a parent) by s_c and dividing the
// matching input channel of every op that reads it (a child) by s_c leaves the
// float function unchanged, provided everything in between commutes with a
// positive per-channel scale. The SiMa compiler finds three kinds of such sets
// (after Meller et al. 2019): chains (a weighted op whose consumers, seen through
// pass-through ops, are all weighted), channel-concat sets and residual-add
// families merged across adds. Here each set is a *region*: starting from a
// weighted op's result, everything reachable through pass-through ops, residual
// joins and channel concats — downward to consumers and upward from joins and
// concats to their other producers — until weighted ops bound it on every side.
// A chain is a region with neither joins nor concats; a concat set one with
// concats only; a residual family one with joins (merged families fall out of
// connectivity). A region is valid when nothing else bounds it: a graph input or
// output, a constant other than a concat's zero padding, or any op the target
// calls neither weighted nor pass-through, join or concat makes it invalid, with
// the reason in the report.
//
// Channels line up through *classes*: each channel of a parent starts a class; a
// pass-through keeps its operand's classes, a concat concatenates them (zero
// padding has none), a join unites the classes its operands have on the same
// channel. All channels of a class share one scale. That one rule gives the
// chain's own scales, the concat set's concatenated scales and the residual
// family's shared scale vector, and it handles channel padding by a zero concat
// (BlazeFace's skips) without a special case.
//
// Bounds scale with the channels: a Min or Max with a constant (scalar or per
// channel) stays exact when its constant is multiplied by the channel's scale, so
// it is part of a region (a `bound`). A Clip cannot hold per-channel bounds; with
// find_options::per_channel_clip it joins a region too, for equalize() to rewrite
// it as Relu/Max and Min with constants before scaling (Min(Relu(x), 6 s_c) for a
// ReLU6). Without the option it bounds the region like any other op.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nnrewrite/detail/per_vertex.hpp"
#include "nnrewrite/ir/axes.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/ir/weights.hpp"
#include "nnrewrite/target/target.hpp"

namespace nnrewrite::equalize {

enum class set_kind : std::uint8_t { chain, concat, residual };

inline constexpr std::string_view to_string(set_kind k) {
  constexpr std::string_view names[] = {"chain", "concat set", "residual family"};
  return names[static_cast<int>(k)];
}

// One equalization set. Class ids run 0..classes-1; -1 marks a channel no class
// reaches (zero padding), which no scale touches.
template <class V>
struct region {
  set_kind kind = set_kind::chain;
  std::vector<V> parents;                       // weighted ops whose output channels are scaled
  std::vector<weight_layout> parent_layouts;
  std::vector<std::vector<int>> parent_classes;  // per parent, per output channel
  std::vector<V> children;                      // weighted ops whose input channels are divided
  std::vector<weight_layout> child_layouts;
  std::vector<std::vector<int>> child_classes;   // per child, per input channel
  std::vector<V> joins;                         // residual joins inside the region
  std::vector<V> concats;                       // channel concats inside the region
  std::vector<V> bounds;                        // Min/Max by a constant, which scales with the channels
  std::vector<int> bound_ports;                 // per bound, the operand that is the constant
  std::vector<std::vector<int>> bound_classes;  // per bound, per channel
  std::vector<V> clips;                         // Clips to make per-channel (find_options::per_channel_clip)
  std::vector<value_ref<V>> values;             // every value the scales pass through
  std::vector<std::vector<int>> value_classes;  // per value, per channel
  int classes = 0;
  bool channels_last = false;                   // NHWC activations, or MatMul/Gemm parents

  // The channel axis of a value of this rank in the region.
  std::int64_t channel_axis(std::int64_t rank) const { return channels_last ? rank - 1 : std::min<std::int64_t>(1, rank - 1); }
};

struct rejection {
  std::string node;    // the weighted op the region was grown from
  set_kind kind = set_kind::chain;
  std::string reason;  // what bounds it that is not weighted, naming that node
};

template <class V>
struct pairing {
  std::vector<region<V>> sets;        // valid regions, in topological order of their first parent
  std::vector<rejection> rejected;
  std::size_t weighted_ops = 0;       // weighted ops of the graph (coverage's denominator)
};

struct find_options {
  // A Clip with constant bounds (ReLU6) joins a region, to be made per-channel.
  bool per_channel_clip = false;
};

// What an op is to the pairing engine.
enum class region_role : std::uint8_t { weighted, pass_through, bound, clip, join, concat, zero_padding, boundary };

namespace detail {

inline bool all_zero(const tensor& t) {
  for (std::int64_t i = 0; i < t.size(); ++i)
    if (t.get(i) != 0.0) return false;
  return true;
}

// The engine's view of the graph: roles (from the target, refined by what the
// graph says), weight layouts, and the channel axis of activations.
template <target::backend_target Target, ir_graph G>
class region_finder {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;
  using TT = target::target_traits<Target>;

  explicit region_finder(const G& g, find_options opt = {})
      : g_(g), opt_(opt), order_(topological_order(g)), position_(g), roles_(g) {
    position_.reserve(order_.size());
    for (std::size_t i = 0; i < order_.size(); ++i) position_[order_[i]] = i;
  }

  pairing<V> run() {
    pairing<V> r;
    nnrewrite::detail::vertex_map<V, bool> grown;  // parents of a region already grown
    for (V v : order_) {
      if (role(v).first != region_role::weighted) continue;
      ++r.weighted_ops;
      if (grown.contains(v)) continue;
      region<V> reg;
      std::string why;
      const bool ok = grow(v, reg, why);
      for (V p : reg.parents) grown[p] = true;
      grown[v] = true;
      if (ok && reg.children.empty()) {
        ok_or_reject(false, reg, v, "no weighted op reads its result", r);
        continue;
      }
      ok_or_reject(ok && classify_channels(reg, why), reg, v, why, r);
    }
    return r;
  }

  // The role of v, and why it bounds a region when it does (computed once per node).
  std::pair<region_role, std::string> role(V v) {
    if (const auto* r = roles_.find(v)) return *r;
    return roles_[v] = compute_role(v);
  }

 private:
  std::pair<region_role, std::string> compute_role(V v) const {
    switch (T::kind(g_, v)) {
      case node_kind::constant: {
        const auto c = T::constant_value(g_, v);
        if (c && all_zero(*c)) return {region_role::zero_padding, {}};
        return {region_role::boundary, "constant '" + describe(g_, v) + "' is not zero padding"};
      }
      case node_kind::input: return {region_role::boundary, "graph input '" + describe(g_, v) + "'"};
      case node_kind::output: return {region_role::boundary, "graph output '" + describe(g_, v) + "'"};
      case node_kind::op: break;
    }
    const std::string_view dom = T::domain(g_, v), op = T::op_type(g_, v);
    const auto bound = [&](std::string why) {
      return std::pair{region_role::boundary, "'" + describe(g_, v) + "' (" + std::string(op) + ") " + why};
    };
    if (T::num_outputs(g_, v) != 1) return bound("has " + std::to_string(T::num_outputs(g_, v)) + " results");
    switch (TT::role(dom, op)) {
      case target::op_role::weighted: {
        const auto l = TT::template weight_layout_of<G>(g_, v);
        if (!l) return bound("has no weight layout the target knows");
        if (!constant_operand(v, l->weight_operand)) return bound("has weights that are not a constant");
        if (l->bias_operand >= 0 && operand(g_, v, l->bias_operand) && !constant_operand(v, l->bias_operand))
          return bound("has a bias that is not a constant");
        // A weighted op whose result cannot be scaled (a fused ReLU6) can still be
        // a child: the reason is kept for when it would be a parent.
        return {region_role::weighted, TT::template scaling_blocker<G>(g_, v).value_or("")};
      }
      case target::op_role::channel_passthrough: {
        // Parameters (a PRelu slope, Pad's pads) must be constants; the data is operand 0.
        const auto ops = operands(g_, v);
        for (std::size_t i = 1; i < ops.size(); ++i)
          if (ops[i] && !constant_operand(v, int(i))) return bound("has a parameter (operand " + std::to_string(i) + ") that is not a constant");
        if (op == "Pad") {
          if (attribute_or<std::string>(T::attributes(g_, v), "mode", "constant") != "constant") return bound("pads by reflection or edge values");
          if (attribute_or<double>(T::attributes(g_, v), "value", 0.0) != 0.0) return bound("pads with a non-zero value");
          if (ops.size() > 2 && ops[2]) {
            const auto c = T::constant_value(g_, ops[2]->node);
            if (!c || !all_zero(*c)) return bound("pads with a non-zero value");
          }
        }
        if (op == "Resize" && attribute_or<std::string>(T::attributes(g_, v), "coordinate_transformation_mode", "") == "tf_crop_and_resize" &&
            attribute_or<double>(T::attributes(g_, v), "extrapolation_value", 0.0) != 0.0)
          return bound("extrapolates a non-zero value");
        if (auto why = TT::template scaling_blocker<G>(g_, v)) return bound(*why);
        return {region_role::pass_through, {}};
      }
      case target::op_role::residual_join: {
        const auto ops = operands(g_, v);
        for (const auto& o : ops)
          if (!o || T::kind(g_, o->node) == node_kind::constant) return bound("adds a constant, which a scale would change");
        if (auto why = TT::template scaling_blocker<G>(g_, v)) return bound(*why);
        return {region_role::join, {}};
      }
      case target::op_role::channel_concat: {
        if (auto why = TT::template scaling_blocker<G>(g_, v)) return bound(*why);
        return {region_role::concat, {}};
      }
      case target::op_role::elementwise: {
        if (bound_port(v)) return {region_role::bound, {}};
        if (op == "Clip" && is_onnx_domain(dom) && clamp_bounds(g_, v)) {
          if (opt_.per_channel_clip) return {region_role::clip, {}};
          return bound("clamps to fixed bounds (opt in to per-channel bounds: options::per_channel_clip, --relu6 per-channel-clip)");
        }
        return bound("does not commute with a per-channel scale");
      }
      default: return bound("does not commute with a per-channel scale");
    }
  }

  // For a Min or Max of data and a constant, the constant's operand.
  std::optional<int> bound_port(V v) const {
    if (!is_onnx_domain(T::domain(g_, v)) || (T::op_type(g_, v) != "Min" && T::op_type(g_, v) != "Max")) return std::nullopt;
    const auto ops = operands(g_, v);
    if (ops.size() != 2 || !ops[0] || !ops[1]) return std::nullopt;
    const bool c0 = constant_operand(v, 0), c1 = constant_operand(v, 1);
    if (c0 == c1) return std::nullopt;
    return c0 ? 0 : 1;
  }

  bool constant_operand(V v, int port) const {
    const auto o = operand(g_, v, port);
    return o && T::kind(g_, o->node) == node_kind::constant && bool(T::constant_value(g_, o->node));
  }

  void ok_or_reject(bool ok, region<V>& reg, V from, const std::string& why, pairing<V>& r) const {
    reg.kind = !reg.joins.empty() ? set_kind::residual : !reg.concats.empty() ? set_kind::concat : set_kind::chain;
    if (ok) r.sets.push_back(std::move(reg));
    else r.rejected.push_back({describe(g_, from), reg.kind, why});
  }


  // The operands of an interior node that carry activations (the scaled data).
  std::vector<int> activation_operands(V v, region_role r) const {
    if (r == region_role::pass_through || r == region_role::clip) return {0};
    if (r == region_role::bound) return {1 - *bound_port(v)};
    std::vector<int> ports;
    const auto ops = operands(g_, v);
    for (std::size_t i = 0; i < ops.size(); ++i)
      if (ops[i]) ports.push_back(int(i));
    return ports;
  }

  static bool one_input(region_role r) {
    return r == region_role::pass_through || r == region_role::bound || r == region_role::clip;
  }
  static bool interior_role(region_role r) { return one_input(r) || r == region_role::join || r == region_role::concat; }
  void add_interior(region<V>& reg, V v, region_role r) {
    if (r == region_role::join) reg.joins.push_back(v);
    else if (r == region_role::concat) reg.concats.push_back(v);
    else interior_passes_.push_back(v);  // classified like a pass-through; bounds and clips listed after
  }

  // Flood fill from weighted op `start`: false (and why) when something that is
  // not weighted bounds the region.
  bool grow(V start, region<V>& reg, std::string& why) {
    interior_passes_.clear();
    if (const auto r = role(start); !r.second.empty()) {
      why = "'" + describe(g_, start) + "' " + r.second;
      return false;
    }
    std::vector<V> down{start}, up;
    nnrewrite::detail::vertex_map<V, bool> interior, parent, child;  // membership in O(1): families can be large
    reg.parents.push_back(start);
    parent[start] = true;
    while (!down.empty() || !up.empty()) {
      if (!down.empty()) {
        const V x = down.back();
        down.pop_back();
        for (const auto& u : uses(g_, value_ref<V>{x, 0})) {
          const auto [r, reason] = role(u.node);
          if (r == region_role::weighted) {
            if (u.in_port != 0) {
              why = "'" + describe(g_, x) + "' feeds operand " + std::to_string(u.in_port) + " of '" + describe(g_, u.node) + "', not its data";
              return false;
            }
            if (!child.contains(u.node)) {
              child[u.node] = true;
              reg.children.push_back(u.node);
            }
          } else if (interior_role(r)) {
            if (one_input(r) && activation_operands(u.node, r)[0] != u.in_port) {
              why = "'" + describe(g_, x) + "' is a parameter of '" + describe(g_, u.node) + "'";
              return false;
            }
            if (!interior.contains(u.node)) {
              interior[u.node] = true;
              add_interior(reg, u.node, r);
              down.push_back(u.node);
              if (!one_input(r)) up.push_back(u.node);
            }
          } else {
            why = reason;
            return false;
          }
        }
      } else {
        const V x = up.back();
        up.pop_back();
        const region_role xr = role(x).first;
        for (int port : activation_operands(x, xr)) {
          const V p = operand(g_, x, port)->node;
          const auto [r, reason] = role(p);
          if (r == region_role::weighted) {
            if (!reason.empty()) {
              reg.parents.push_back(p);  // reported once, with this region, not again on its own
              why = "'" + describe(g_, p) + "' " + reason;
              return false;
            }
            if (!parent.contains(p)) {
              parent[p] = true;
              reg.parents.push_back(p);
              down.push_back(p);
            }
          } else if (r == region_role::zero_padding && xr == region_role::concat) {
            continue;
          } else if (interior_role(r)) {
            if (!interior.contains(p)) {
              interior[p] = true;
              add_interior(reg, p, r);
              down.push_back(p);
              up.push_back(p);
            }
          } else {
            why = reason;
            return false;
          }
        }
        // A pass-through reached upward reads its own data from further up.
      }
    }
    return true;
  }

  // The channel count of value (v, 0) along the channel axis, when its shape says.
  std::optional<std::int64_t> channels_of(V v) const {
    const auto& s = T::value(g_, v, 0).shape;
    if (!s || s->empty()) return std::nullopt;
    const std::int64_t a = channel_axis(std::int64_t(s->size()));
    const dim d = (*s)[std::size_t(a)];
    if (!d.known()) return std::nullopt;
    return d.size;
  }
  // MatMul and Gemm keep channels last; convolutions where the target says.
  std::int64_t channel_axis(std::int64_t rank) const {
    if (matmul_region_) return rank - 1;
    return TT::activation_layout() == "NHWC" ? rank - 1 : std::min<std::int64_t>(1, rank - 1);
  }

  // Class ids for every channel of the region, in topological order.
  bool classify_channels(region<V>& reg, std::string& why) {
    std::vector<V> nodes = reg.parents;
    nodes.insert(nodes.end(), interior_passes_.begin(), interior_passes_.end());
    nodes.insert(nodes.end(), reg.joins.begin(), reg.joins.end());
    nodes.insert(nodes.end(), reg.concats.begin(), reg.concats.end());
    std::sort(nodes.begin(), nodes.end(), [&](V a, V b) { return *position_.find(a) < *position_.find(b); });
    std::sort(reg.children.begin(), reg.children.end(), [&](V a, V b) { return *position_.find(a) < *position_.find(b); });
    std::sort(reg.parents.begin(), reg.parents.end(), [&](V a, V b) { return *position_.find(a) < *position_.find(b); });
    matmul_region_ = true;
    for (V p : reg.parents) matmul_region_ = matmul_region_ && (T::op_type(g_, p) == "MatMul" || T::op_type(g_, p) == "Gemm");
    reg.channels_last = channel_axis(4) == 3;

    std::vector<int> uf;  // union-find over class ids
    auto find = [&](int c) {
      while (uf[std::size_t(c)] != c) c = uf[std::size_t(c)] = uf[std::size_t(uf[std::size_t(c)])];
      return c;
    };
    nnrewrite::detail::vertex_map<V, std::vector<int>> cls;
    const auto fail = [&](V v, std::string what) {
      why = "'" + describe(g_, v) + "' " + what;
      return false;
    };
    for (V v : nodes) {
      const region_role r = role(v).first;
      std::vector<int> out;
      if (r == region_role::weighted) {
        const weight_layout l = *TT::template weight_layout_of<G>(g_, v);
        const std::int64_t n = l.output_channels(weight_shape(v, l));
        for (std::int64_t c = 0; c < n; ++c) {
          out.push_back(int(uf.size()));
          uf.push_back(int(uf.size()));
        }
        reg.parent_layouts.push_back(l);
      } else if (one_input(r)) {
        out = cls[operand(g_, v, activation_operands(v, r)[0])->node];
        if (T::op_type(g_, v) == "Pad" && !pads_spare_channels(v))
          return fail(v, "pads the channel axis");
        if (r == region_role::clip) reg.clips.push_back(v);
        if (r == region_role::bound) {
          const int port = *bound_port(v);
          if (auto bad = bound_mismatch(v, port, std::int64_t(out.size()))) return fail(v, *bad);
          reg.bounds.push_back(v);
          reg.bound_ports.push_back(port);
        }
      } else if (r == region_role::join) {
        for (int port : activation_operands(v, r)) {
          const V p = operand(g_, v, port)->node;
          const std::vector<int>& in = cls[p];
          if (out.empty()) {
            out = in;
            continue;
          }
          if (in.size() != out.size())
            return fail(v, "joins " + std::to_string(out.size()) + " and " + std::to_string(in.size()) + " channels");
          for (std::size_t c = 0; c < in.size(); ++c) {
            if (in[c] < 0) continue;
            if (out[c] < 0) out[c] = in[c];
            else uf[std::size_t(find(in[c]))] = find(out[c]);
          }
        }
      } else {  // concat
        const auto& s = T::value(g_, v, 0).shape;
        if (!s) return fail(v, "has a result of unknown rank");
        const std::int64_t rank = std::int64_t(s->size());
        const std::int64_t axis = normalize_axis(attribute_or<std::int64_t>(T::attributes(g_, v), "axis", 0), rank);
        if (axis != channel_axis(rank))
          return fail(v, "concatenates on axis " + std::to_string(axis) + ", not the channel axis " + std::to_string(channel_axis(rank)));
        for (int port : activation_operands(v, r)) {
          const V p = operand(g_, v, port)->node;
          if (T::kind(g_, p) == node_kind::constant) {
            const auto held = T::constant_value(g_, p);
            const tensor& z = *held;
            if (std::int64_t(z.shape().size()) != rank) return fail(v, "has zero padding of another rank");
            out.insert(out.end(), std::size_t(z.shape()[std::size_t(axis)]), -1);
          } else {
            const std::vector<int>& in = cls[p];
            out.insert(out.end(), in.begin(), in.end());
          }
        }
      }
      if (r != region_role::weighted) {
        // Where the IR knows the channel count, it must agree with the classes.
        if (const auto n = channels_of(v); n && *n != std::int64_t(out.size()))
          return fail(v, "has " + std::to_string(*n) + " channels, its operands give " + std::to_string(out.size()));
      }
      cls[v] = out;
      reg.values.push_back({v, 0});
    }
    for (V c : reg.children) {
      const weight_layout l = *TT::template weight_layout_of<G>(g_, c);
      const std::vector<int>& in = cls[operand(g_, c, 0)->node];
      const std::int64_t n = l.input_channels(weight_shape(c, l));
      if (n != std::int64_t(in.size()))
        return fail(c, "reads " + std::to_string(n) + " input channels from a value of " + std::to_string(in.size()));
      reg.child_layouts.push_back(l);
    }
    // Number the classes 0..k-1.
    std::vector<int> id(uf.size(), -1);
    auto renumber = [&](std::vector<int> xs) {
      for (int& x : xs)
        if (x >= 0) {
          int& i = id[std::size_t(find(x))];
          if (i < 0) i = reg.classes++;
          x = i;
        }
      return xs;
    };
    for (V p : reg.parents) reg.parent_classes.push_back(renumber(cls[p]));
    for (V c : reg.children) reg.child_classes.push_back(renumber(cls[operand(g_, c, 0)->node]));
    for (const auto& val : reg.values) reg.value_classes.push_back(renumber(cls[val.node]));
    for (V b : reg.bounds) reg.bound_classes.push_back(renumber(cls[b]));
    return true;
  }

  // Why the constant of bound v cannot scale with its `channels` channels: it must
  // be a scalar or hold one value per channel along the channel axis.
  std::optional<std::string> bound_mismatch(V v, int port, std::int64_t channels) const {
    const auto& s = T::value(g_, v, 0).shape;
    if (!s) return "has a result of unknown rank";
    const auto held = T::constant_value(g_, operand(g_, v, port)->node);
    const shape_t& cs = held->shape();
    if (held->size() == 1 && cs.size() <= s->size()) return std::nullopt;
    const std::int64_t rank = std::int64_t(s->size()), axis = channel_axis(rank);
    // Right-aligned, the constant may only vary along the channel axis.
    bool ok = std::int64_t(cs.size()) <= rank && std::int64_t(cs.size()) >= rank - axis;
    for (std::size_t i = 0; ok && i < cs.size(); ++i) {
      const std::int64_t at = rank - std::int64_t(cs.size()) + std::int64_t(i);
      ok = cs[i] == (at == axis ? channels : 1);
    }
    if (ok) return std::nullopt;
    return "has a bound of shape " + nnrewrite::to_string(cs) + ", not a scalar or one value per channel";
  }

  shape_t weight_shape(V v, const weight_layout& l) const {
    return T::constant_value(g_, operand(g_, v, l.weight_operand)->node)->shape();
  }

  // A Pad keeps channels when it pads no channel: pads (operand 1 or attribute) zero on that axis.
  bool pads_spare_channels(V v) const {
    std::vector<std::int64_t> pads;
    if (const auto o = operand(g_, v, 1)) {
      if (const auto c = T::constant_value(g_, o->node)) pads = c->to_ints();
    } else {
      pads = attribute_or<std::vector<std::int64_t>>(T::attributes(g_, v), "pads", {});
    }
    const auto& s = T::value(g_, v, 0).shape;
    if (!s || pads.size() != 2 * s->size()) return false;
    const std::size_t a = std::size_t(channel_axis(std::int64_t(s->size())));
    return pads[a] == 0 && pads[a + s->size()] == 0;
  }

  const G& g_;
  find_options opt_;
  std::vector<V> order_;
  // Over every node: arrays when G has a dense vertex index.
  nnrewrite::detail::per_vertex<G, std::size_t> position_;
  nnrewrite::detail::per_vertex<G, std::pair<region_role, std::string>> roles_;
  std::vector<V> interior_passes_;  // pass-through ops of the region being grown
  bool matmul_region_ = false;
};

}  // namespace detail

// Every equalization set of g under Target, and every candidate rejected with why.
template <target::backend_target Target, ir_graph G>
pairing<vertex_t<G>> find_sets(const G& g, const Target& = {}, const find_options& opt = {}) {
  return detail::region_finder<Target, G>(g, opt).run();
}

}  // namespace nnrewrite::equalize
