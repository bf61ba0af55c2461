// Small helpers shared by the unit tests.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <vector>
#include <string>

#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/model.hpp"
#include "nnrewrite/ir/queries.hpp"

namespace test {

using nnrewrite::model;
using V = nnrewrite::vertex_t<model>;
using T = nnrewrite::ir_traits<model>;

// The vertex producing value `name` (inputs, constants, ops) — REQUIREs that it exists.
inline V producer_of(const model& g, const std::string& name) {
  auto v = nnrewrite::find_value(g, name);
  if (!v) throw std::runtime_error("test graph has no value " + name);
  return v->node;
}

inline V output_named(const model& g, const std::string& name) {
  for (V v : T::graph_outputs(g))
    if (T::name(g, v) == name) return v;
  throw std::runtime_error("test graph has no output " + name);
}

// A random DAG mixing constant subexpressions, identities and real work: the
// cleanup set must give one graph whatever the worklist order.
inline std::string random_cleanup_graph(std::uint32_t seed, int n) {
  std::mt19937 rng(seed);
  std::ostringstream s;
  s << "graph {\n input %x: float32[2,4]\n const %zero: float32[] = [0]\n const %one: float32[4] = splat 1\n";
  std::vector<std::string> live{"x"}, consts{"zero", "one"};
  for (int i = 0; i < n; ++i) {
    const std::string out = "v" + std::to_string(i);
    const std::string a = live[rng() % live.size()], b = live[rng() % live.size()];
    const std::string c = consts[rng() % consts.size()];
    switch (rng() % 7) {
      case 0: s << " node n" << i << ": Identity(%" << a << ") -> %" << out << ": float32[2,4]\n"; break;
      case 1: s << " node n" << i << ": Add(%" << a << ", %zero) -> %" << out << ": float32[2,4]\n"; break;
      case 2: s << " node n" << i << ": Mul(%one, %" << a << ") -> %" << out << ": float32[2,4]\n"; break;
      case 3: s << " node n" << i << ": Add(%" << a << ", %" << b << ") -> %" << out << ": float32[2,4]\n"; break;
      case 4: s << " node n" << i << ": Relu(%" << a << ") -> %" << out << ": float32[2,4]\n"; break;
      case 5: {  // a constant subexpression, used by a Mul
        const std::string k = "k" + std::to_string(i);
        s << " const %" << k << ": float32[4] = [1, 2, 0.5, 1]\n";
        s << " node f" << i << ": Mul(%" << k << ", %" << c << ") -> %" << k << "c: float32[4]\n";
        s << " node n" << i << ": Mul(%" << a << ", %" << k << "c) -> %" << out << ": float32[2,4]\n";
        break;
      }
      default: s << " node n" << i << ": Sub(%" << a << ", %zero) -> %" << out << ": float32[2,4]\n"; break;
    }
    live.push_back(out);
  }
  s << " output %" << live.back() << "\n output %" << live[live.size() / 2] << " as mid\n}\n";
  return s.str();
}

}  // namespace test
