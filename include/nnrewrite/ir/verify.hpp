// The graph verifier: finds what would make a rewrite or an export go wrong —
// cycles, dangling or doubled operands, wrong arity for known ops, shapes that
// cannot work together (where known), duplicate names.
#pragma once

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/axes.hpp"
#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite {

struct diagnostic {
  std::string node;     // describe() of the offending node
  std::string problem;  // what is wrong, in words
  std::string message() const { return node.empty() ? problem : "node '" + node + "': " + problem; }
};

namespace detail {

inline bool is_elementwise_binary(std::string_view op) {
  for (std::string_view o : {"Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "And", "Or"})
    if (o == op) return true;
  return false;
}

inline bool is_shape_preserving_unary(std::string_view op) {
  for (std::string_view o : {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Sign",
                             "Identity", "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil",
                             "Round", "Erf", "Clip", "Softmax", "Cast", "MultiThreshold", "Quant",
                             "BipolarQuant", "Trunc", "IntQuant"})
    if (o == op) return true;
  return false;
}

// Dimension-wise broadcast check where both sides are known; nullopt when fine.
inline std::optional<std::string> broadcast_problem(const dims& a, const dims& b) {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const dim& x = a[a.size() - 1 - i];
    const dim& y = b[b.size() - 1 - i];
    if (x.known() && y.known() && x.size != y.size && x.size != 1 && y.size != 1)
      return "operand shapes " + to_string(a) + " and " + to_string(b) + " do not broadcast";
  }
  return std::nullopt;
}

inline bool same_where_known(const dims& a, const dims& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].known() && b[i].known() && a[i].size != b[i].size) return false;
  return true;
}

}  // namespace detail

// Every problem found, in a deterministic order. Never throws for a malformed graph.
// Nodes for which skip(v) holds are ignored (the rewrite driver passes the nodes it
// has erased but not yet removed).
template <ir_graph G, class Skip>
std::vector<diagnostic> verify(const G& g, Skip skip) {
  using T = ir_traits<G>;
  using V = vertex_t<G>;
  std::vector<diagnostic> out;
  auto report = [&](V v, std::string problem) { out.push_back({describe(g, v), std::move(problem)}); };

  std::unordered_map<std::string, V> value_names, node_names;
  auto [vi, vend] = vertices(g);
  for (; vi != vend; ++vi) {
    const V v = *vi;
    if (skip(v)) continue;
    const node_kind k = T::kind(g, v);
    const int n_out = T::num_outputs(g, v);

    // Operands: each in_port once, each from a real value.
    std::set<int> ports;
    int max_port = -1;
    for (auto [ei, eend] = in_edges(v, g); ei != eend; ++ei) {
      const port_pair p = T::ports(g, *ei);
      const V src = source(*ei, g);
      if (p.in_port < 0) report(v, "has a negative operand index " + std::to_string(p.in_port));
      if (!ports.insert(p.in_port).second) report(v, "operand " + std::to_string(p.in_port) + " is connected twice");
      max_port = std::max(max_port, p.in_port);
      if (T::kind(g, src) == node_kind::output)
        report(v, "operand " + std::to_string(p.in_port) + " comes from graph output '" + describe(g, src) + "', which produces nothing");
      else if (p.out_port < 0 || p.out_port >= T::num_outputs(g, src))
        report(v, "operand " + std::to_string(p.in_port) + " is dangling: '" + describe(g, src) + "' has no output " + std::to_string(p.out_port));
    }

    switch (k) {
      case node_kind::input:
      case node_kind::constant:
        if (!ports.empty()) report(v, std::string("a graph ") + (k == node_kind::input ? "input" : "constant") + " cannot have operands");
        if (n_out != 1) report(v, "must produce exactly one value, produces " + std::to_string(n_out));
        if (k == node_kind::constant && n_out == 1) {
          const auto t = T::constant_value(g, v);
          const value_info& info = T::value(g, v, 0);
          if (!t) report(v, "is a constant without a value");
          else {
            if (t->type() != info.elem)
              report(v, "constant holds " + std::string(to_string(t->type())) + " but is declared " + std::string(to_string(info.elem)));
            if (info.shape && !detail::same_where_known(*info.shape, to_dims(t->shape())))
              report(v, "constant has shape " + to_string(t->shape()) + " but is declared " + to_string(*info.shape));
          }
        }
        break;
      case node_kind::output:
        if (ports != std::set<int>{0}) report(v, "a graph output needs exactly one operand (operand 0)");
        if (n_out != 0) report(v, "a graph output cannot produce values");
        break;
      case node_kind::op: {
        if (std::string_view(T::op_type(g, v)).empty()) report(v, "has no op type");
        const auto arity = known_arity(T::domain(g, v), T::op_type(g, v));
        if (arity) {
          const int n_in = max_port + 1;
          for (auto& p : arity_problems(T::op_type(g, v), *arity, n_in, n_out)) report(v, std::move(p));
          for (int i = 0; i < arity->min_inputs; ++i)
            if (!ports.count(i) && i < n_in) report(v, "required operand " + std::to_string(i) + " is missing");
        }
        std::string node_name(T::name(g, v));
        if (!node_name.empty()) {
          auto [it, fresh] = node_names.emplace(node_name, v);
          if (!fresh) report(v, "duplicate node name '" + node_name + "'");
        }
        break;
      }
    }

    // Value names: unique, and present on every used value.
    for (int p = 0; p < n_out; ++p) {
      const std::string& nm = T::value(g, v, p).name;
      if (nm.empty()) {
        if (num_uses(g, value_ref<V>{v, p}) > 0) report(v, "output " + std::to_string(p) + " is used but has no name");
        continue;
      }
      auto [it, fresh] = value_names.emplace(nm, v);
      if (!fresh) report(v, "value name '" + nm + "' is also produced by '" + describe(g, it->second) + "'");
    }
  }
  if (!out.empty()) return out;  // shapes and cycles only make sense on a well-wired graph

  try {
    (void)topological_order(g);
  } catch (const graph_error& e) {
    out.push_back({e.node(), "lies on a cycle"});
    return out;
  }

  // Shapes, where known.
  for (auto [vi2, vend2] = vertices(g); vi2 != vend2; ++vi2) {
    const V v = *vi2;
    if (skip(v) || T::kind(g, v) != node_kind::op) continue;
    const std::string_view op = T::op_type(g, v);
    auto in_shape = [&](int port) -> std::optional<dims> {
      auto o = operand(g, v, port);
      if (!o) return std::nullopt;
      return T::value(g, o->node, o->port).shape;
    };
    auto out_shape = [&](int port) -> std::optional<dims> {
      if (port >= T::num_outputs(g, v)) return std::nullopt;
      return T::value(g, v, port).shape;
    };
    if (detail::is_elementwise_binary(op) && is_onnx_domain(T::domain(g, v))) {
      auto a = in_shape(0), b = in_shape(1);
      if (a && b) {
        if (auto p = detail::broadcast_problem(*a, *b)) report(v, *p);
        else if (auto o = out_shape(0); o && a->size() == b->size() && a->size() == o->size()) {
          for (std::size_t i = 0; i < o->size(); ++i) {
            const dim &x = (*a)[i], &y = (*b)[i], &z = (*o)[i];
            // numpy: a 1 takes the other's size, so 1 and 0 give 0.
            if (x.known() && y.known() && z.known() && z.size != (x.size == 1 ? y.size : x.size))
              { report(v, "result shape " + to_string(*o) + " is not the broadcast of " + to_string(*a) + " and " + to_string(*b)); break; }
          }
        }
      }
    } else if (detail::is_shape_preserving_unary(op)) {
      auto a = in_shape(0), o = out_shape(0);
      if (a && o && !detail::same_where_known(*a, *o))
        report(v, "result shape " + to_string(*o) + " differs from operand shape " + to_string(*a));
      if (op == "MultiThreshold" && a && a->size() >= 2) {
        auto t = in_shape(1);
        const dim& c = (*a)[std::size_t(multithreshold_channel_axis(T::attributes(g, v), a->size()))];
        if (t && !t->empty() && (*t)[0].known() && c.known() && (*t)[0].size != 1 && (*t)[0].size != c.size)
          report(v, "thresholds have " + std::to_string((*t)[0].size) + " rows for " + std::to_string(c.size) + " channels");
      }
    } else if (op == "MatMul") {
      auto a = in_shape(0), b = in_shape(1);
      if (a && b && !a->empty() && !b->empty()) {
        const dim& k1 = a->back();
        const dim& k2 = b->size() >= 2 ? (*b)[b->size() - 2] : b->back();
        if (k1.known() && k2.known() && k1.size != k2.size)
          report(v, "MatMul inner dimensions differ: " + to_string(*a) + " x " + to_string(*b));
      }
    } else if (op == "Conv") {
      auto x = in_shape(0), w = in_shape(1);
      std::int64_t group = attribute_or<std::int64_t>(T::attributes(g, v), "group", 1);
      if (x && w && x->size() >= 2 && w->size() >= 2 && (*x)[1].known() && (*w)[1].known() &&
          (*x)[1].size != (*w)[1].size * group)
        report(v, "Conv input has " + std::to_string((*x)[1].size) + " channels but weights expect " +
                      std::to_string((*w)[1].size * group) + " (" + std::to_string((*w)[1].size) + " x group " + std::to_string(group) + ")");
    }
  }
  return out;
}

template <ir_graph G>
std::vector<diagnostic> verify(const G& g) {
  return verify(g, [](vertex_t<G>) { return false; });
}

// Throws graph_error for the first problem (the message counts the others).
template <ir_graph G>
void verify_or_throw(const G& g) {
  auto problems = verify(g);
  if (problems.empty()) return;
  std::string more = problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more problems)" : "";
  throw graph_error(problems.front().node, problems.front().problem + more);
}

}  // namespace nnrewrite
