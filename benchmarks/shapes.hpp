// The synthetic graphs of the scale benchmarks (rewrite_bench, cleanup_count)
// and the flat-array reference they are measured against:
//
//   chain     x -> Relu -> Identity -> Mul(., Add(c1, c2)) -> Relu -> ...
//   fanout    hub = Relu(prev); 16 branches Add(hub, 0); joined back by an Add chain
//   residual  s = Add(Identity(Relu(Mul(prev, Mul(c1, c2)))), prev) -> ...
//
// flat_kahn is Kahn's algorithm over the same edges as CSR arrays with uint32
// indices (to_csr builds them from the graph).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "nnrewrite/ir/traits.hpp"

namespace shapes {

using nnrewrite::model;
using T = nnrewrite::ir_traits<model>;
using V = nnrewrite::vertex_t<model>;
using nnrewrite::tensor;
using nnrewrite::value_info;

enum class shape { chain, fanout, residual };

class builder {
 public:
  builder() { prev_ = T::add_input(g_, value("x")); }

  V op(const char* type, std::initializer_list<V> operands) {
    const std::string n = fresh_name('v');
    V v = T::add_op(g_, type, "", n, {}, {value(n)});
    int port = 0;
    for (V o : operands) T::connect(g_, o, 0, v, port++);
    return v;
  }
  V constant(double x) {
    tensor t(nnrewrite::element_type::float32, {1, 8});
    for (int i = 0; i < 8; ++i) t.set(i, x);
    return T::add_constant(g_, value(fresh_name('c')), std::move(t));
  }
  model finish(V last) {
    T::connect(g_, last, 0, T::add_output(g_, "y"), 0);
    return std::move(g_);
  }
  V& prev() { return prev_; }
  std::size_t size() const { return num_vertices(g_); }

 private:
  // Not `"c" + std::to_string(i)`: GCC 12 warns falsely on it at -O3 (PR 105329).
  std::string fresh_name(char prefix) {
    std::string n(1, prefix);
    n += std::to_string(next_++);
    return n;
  }
  static value_info value(std::string n) {
    return value_info(std::move(n), nnrewrite::element_type::float32, nnrewrite::dims{1, 8});
  }
  model g_;
  V prev_;
  std::size_t next_ = 0;
};

inline model make_graph(shape s, std::size_t nodes) {
  builder b;
  while (b.size() + 2 < nodes) {
    V& prev = b.prev();
    switch (s) {
      case shape::chain: {
        V r = b.op("Relu", {prev});
        V i = b.op("Identity", {r});
        V k = b.op("Add", {b.constant(0.5), b.constant(0.25)});
        prev = b.op("Mul", {i, k});
        break;
      }
      case shape::fanout: {
        V hub = b.op("Relu", {prev});
        V acc = b.op("Add", {hub, b.constant(0)});
        for (int j = 1; j < 16; ++j) acc = b.op("Add", {acc, b.op("Add", {hub, b.constant(0)})});
        prev = acc;
        break;
      }
      case shape::residual: {
        V k = b.op("Mul", {b.constant(0.5), b.constant(1.5)});
        V m = b.op("Mul", {prev, k});
        V i = b.op("Identity", {b.op("Relu", {m})});
        prev = b.op("Add", {i, prev});
        break;
      }
    }
  }
  return b.finish(b.prev());
}


struct csr {
  std::vector<std::uint32_t> offsets, targets, in_degree;
};

inline csr to_csr(const model& g) {
  csr c;
  const std::size_t n = g.index_bound();
  c.offsets.assign(n + 1, 0);
  c.in_degree.assign(n, 0);
  for (auto [it, end] = vertices(g); it != end; ++it) {
    c.offsets[g.index(*it) + 1] = std::uint32_t(out_degree(*it, g));
    c.in_degree[g.index(*it)] = std::uint32_t(in_degree(*it, g));
  }
  for (std::size_t i = 0; i < n; ++i) c.offsets[i + 1] += c.offsets[i];
  c.targets.resize(c.offsets[n]);
  std::vector<std::uint32_t> fill(c.offsets.begin(), c.offsets.end() - 1);
  for (auto [it, end] = vertices(g); it != end; ++it)
    for (auto [e, eend] = out_edges(*it, g); e != eend; ++e)
      c.targets[fill[g.index(*it)]++] = std::uint32_t(g.index(target(*e, g)));
  return c;
}

inline std::vector<std::uint32_t> flat_kahn(const csr& c) {
  const std::size_t n = c.in_degree.size();
  std::vector<std::uint32_t> pending(c.in_degree), order;
  order.reserve(n);
  for (std::uint32_t v = 0; v < n; ++v)
    if (pending[v] == 0) order.push_back(v);
  for (std::size_t head = 0; head < order.size(); ++head) {
    const std::uint32_t v = order[head];
    for (std::uint32_t e = c.offsets[v]; e < c.offsets[v + 1]; ++e)
      if (--pending[c.targets[e]] == 0) order.push_back(c.targets[e]);
  }
  return order;
}

}  // namespace shapes
