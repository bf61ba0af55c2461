// The reference executor: runs a graph (any ir_graph) on named input tensors, one
// kernel per node in topological order, freeing each value after its last use.
// It exists to check rewrites numerically and to collect calibration statistics,
// so it favours plain, checkable kernels over speed.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "nnrewrite/exec/kernels.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/topological_order.hpp"

namespace nnrewrite::exec {

using tensor_map = std::map<std::string, tensor>;

struct execute_options {
  // Also return every intermediate value (by name), not only the graph outputs.
  bool keep_intermediates = false;
  // Check each result against the node's declared shape where that is known.
  bool check_shapes = true;
  // Called with every value an op produces (for calibration statistics).
  std::function<void(const std::string& value, const tensor&)> observe;
  const kernel_registry* kernels = nullptr;  // default_kernels() when null
};

namespace detail {
inline bool shape_agrees(const std::optional<dims>& declared, const shape_t& actual) {
  if (!declared) return true;
  if (declared->size() != actual.size()) return false;
  for (std::size_t i = 0; i < actual.size(); ++i)
    if ((*declared)[i].known() && (*declared)[i].size != actual[i]) return false;
  return true;
}
}  // namespace detail

// The default-domain opset version a graph declares (0 when it does not say).
template <ir_graph G>
std::int64_t default_opset(const G& g) {
  if constexpr (requires { g.info.opsets; }) {
    for (const auto& [d, v] : g.info.opsets)
      if (is_onnx_domain(d)) return v;
  }
  return 0;
}

// Runs one op on the given operand values (nullptr for an absent optional
// operand) and returns its results, at least as many as the node declares.
// Errors name the node. Used by execute() and by constant folding.
template <ir_graph G>
std::vector<tensor> evaluate_op(const G& g, vertex_t<G> v, const std::vector<const tensor*>& args,
                                const kernel_registry& reg, std::int64_t opset) {
  using T = ir_traits<G>;
  const std::string_view op = T::op_type(g, v), dom = T::domain(g, v);
  const kernel_fn fn = reg.find(dom, op);
  if (!fn)
    throw unsupported_error("node '" + describe(g, v) + "': the reference executor has no kernel for " +
                            (dom.empty() ? "" : std::string(dom) + ".") + std::string(op));
  // The op's arity is checked before its kernel runs: a Relu with two operands is
  // a malformed graph, not a Relu of the first.
  if (const auto arity = known_arity(dom, op)) {
    const auto problems = arity_problems(op, *arity, int(args.size()), T::num_outputs(g, v));
    if (!problems.empty()) throw graph_error(describe(g, v), problems.front());
    for (int i = 0; i < arity->min_inputs; ++i)
      if (!args[std::size_t(i)]) throw graph_error(describe(g, v), std::string(op) + ": required operand " + std::to_string(i) + " is missing");
  }
  kernel_context ctx{op, dom, T::attributes(g, v), args, T::num_outputs(g, v), opset};
  std::vector<tensor> out;
  try {
    out = fn(ctx);
  } catch (const unsupported_error& e) {
    throw unsupported_error("node '" + describe(g, v) + "' (" + std::string(op) + "): " + e.what());
  } catch (const error& e) {
    throw graph_error(describe(g, v), std::string(op) + ": " + e.what());
  }
  if (int(out.size()) < ctx.num_outputs)
    throw graph_error(describe(g, v), std::string(op) + " produced " + std::to_string(out.size()) +
                                          " values, the node declares " + std::to_string(ctx.num_outputs));
  return out;
}

// Runs g. Every graph input must be given, with its declared element type and a
// shape matching its known dimensions. Errors name the node (or input) at fault.
template <ir_graph G>
tensor_map execute(const G& g, const tensor_map& inputs, const execute_options& opt = {}) {
  using T = ir_traits<G>;
  using V = vertex_t<G>;
  const kernel_registry& reg = opt.kernels ? *opt.kernels : default_kernels();
  const auto order = topological_order(g);
  const std::int64_t opset = default_opset(g);

  nnrewrite::detail::per_vertex<G, std::size_t> slot(g);
  slot.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) slot[order[i]] = i;
  std::vector<std::vector<tensor>> values(order.size());
  std::vector<std::size_t> remaining(order.size(), 0);
  for (std::size_t i = 0; i < order.size(); ++i) remaining[i] = out_degree(order[i], g);

  // Constants are read through handles kept for the whole run: an IR may hand out
  // a tensor built on request (std::optional<tensor>), which must outlive its uses.
  std::vector<constant_handle_t<G>> constants(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    if (T::kind(g, order[i]) == node_kind::constant) {
      constants[i] = T::constant_value(g, order[i]);
      if (!constants[i]) throw graph_error(describe(g, order[i]), "is a constant without a value");
    }

  auto value_of = [&](const value_ref<V>& r) -> const tensor& {
    const std::size_t s = *slot.find(r.node);
    if (T::kind(g, r.node) == node_kind::constant) return *constants[s];
    const auto& vs = values[s];
    if (r.port >= int(vs.size())) throw graph_error(describe(g, r.node), "output " + std::to_string(r.port) + " was not computed");
    return vs[std::size_t(r.port)];
  };

  std::size_t used_inputs = 0;
  tensor_map result;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const V v = order[i];
    switch (T::kind(g, v)) {
      case node_kind::constant: break;
      case node_kind::input: {
        const value_info& info = T::value(g, v, 0);
        auto it = inputs.find(info.name);
        if (it == inputs.end()) throw graph_error(info.name, "graph input was not given a value");
        ++used_inputs;
        if (it->second.type() != info.elem)
          throw type_error("graph input '" + info.name + "' is " + std::string(to_string(info.elem)) + ", was given " +
                           std::string(to_string(it->second.type())));
        if (!detail::shape_agrees(info.shape, it->second.shape()))
          throw shape_error("graph input '" + info.name + "' has shape " + to_string(*info.shape) + ", was given " +
                            to_string(it->second.shape()));
        values[i].push_back(it->second);
        break;
      }
      case node_kind::output: {
        auto o = operand(g, v, 0);
        if (!o) throw graph_error(describe(g, v), "graph output has no producer");
        result.insert_or_assign(std::string(T::name(g, v)), value_of(*o));
        break;
      }
      case node_kind::op: {
        const auto ops = operands(g, v);
        std::vector<const tensor*> args;
        for (const auto& o : ops) args.push_back(o ? &value_of(*o) : nullptr);
        values[i] = evaluate_op(g, v, args, reg, opset);
        const std::string_view op = T::op_type(g, v);
        for (int p = 0; p < T::num_outputs(g, v); ++p) {
          const value_info& info = T::value(g, v, p);
          const tensor& t = values[i][std::size_t(p)];
          if (opt.check_shapes && !detail::shape_agrees(info.shape, t.shape()))
            throw shape_error("node '" + describe(g, v) + "' (" + std::string(op) + ") computed shape " + to_string(t.shape()) +
                              " for '" + info.name + "', which is declared " + to_string(*info.shape));
          if (opt.observe && !info.name.empty()) opt.observe(info.name, t);
          if (opt.keep_intermediates && !info.name.empty()) result.insert_or_assign(info.name, t);
        }
        // Free operands whose last use this was.
        for (const auto& o : ops)
          if (o && T::kind(g, o->node) != node_kind::constant) {
            const std::size_t s = *slot.find(o->node);
            if (--remaining[s] == 0) values[s].clear();
          }
        break;
      }
    }
  }
  if (used_inputs != inputs.size())
    for (const auto& [name, t] : inputs) {
      auto at = find_value(g, name);
      if (!at || T::kind(g, at->node) != node_kind::input)
        throw graph_error(name, "was given as an input, but the graph has no such input");
    }
  return result;
}

#ifdef NNREWRITE_SEPARATE_COMPILATION
extern template std::vector<tensor> evaluate_op<model>(const model&, vertex_t<model>, const std::vector<const tensor*>&,
                                                      const kernel_registry&, std::int64_t);
extern template tensor_map execute<model>(const model&, const tensor_map&, const execute_options&);
#endif

}  // namespace nnrewrite::exec
