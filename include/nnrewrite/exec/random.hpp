// Random inputs that respect what a graph input promises: its QONNX data type
// (INT4 -> integers in [-8, 7], BIPOLAR -> +-1, UINT8 -> 0..255, FIXED<w,i> ->
// multiples of the step), its element type, and its shape.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

#include "nnrewrite/exec/executor.hpp"

namespace nnrewrite::exec {

// A tensor of `shape` whose values v satisfies: dtype.allowed(v), and fits `elem`.
// Unannotated floats are standard normal; unannotated integers lie in [-10, 10]
// ([0, 10] when unsigned), booleans are 0/1.
inline tensor random_tensor(element_type elem, const shape_t& shape, const std::optional<data_type>& dtype,
                            std::mt19937_64& rng) {
  tensor t(elem, shape);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto uniform_int = [&](double lo, double hi) {
    return double(std::uniform_int_distribution<std::int64_t>(std::int64_t(lo), std::int64_t(hi))(rng));
  };
  const bool unsigned_elem = elem == element_type::uint8 || elem == element_type::uint16 ||
                             elem == element_type::uint32 || elem == element_type::uint64;
  for (std::int64_t i = 0; i < t.size(); ++i) {
    double v;
    if (elem == element_type::boolean) {
      v = uniform_int(0, 1);
    } else if (dtype && dtype->type_kind() == data_type::kind::bipolar) {
      v = uniform_int(0, 1) ? 1.0 : -1.0;
    } else if (dtype && dtype->is_integer()) {
      v = uniform_int(std::max(dtype->min(), -9.0e15), std::min(dtype->max(), 9.0e15));
    } else if (dtype && dtype->is_fixed_point()) {
      // Steps counted in int64: FIXED<64,i> spans 2^64 steps, so clamp like the integers.
      v = uniform_int(std::max(dtype->min() / dtype->step(), -9.0e15), std::min(dtype->max() / dtype->step(), 9.0e15)) *
          dtype->step();
    } else if (!is_floating(elem)) {
      v = uniform_int(unsigned_elem ? 0 : -10, 10);
    } else {
      v = normal(rng);
    }
    t.set(i, v);
  }
  return t;
}

// One random tensor per graph input; unknown or symbolic dimensions become
// `unknown_dim` (1 by default, the usual batch size).
template <ir_graph G>
tensor_map random_inputs(const G& g, std::uint64_t seed, std::int64_t unknown_dim = 1) {
  using T = ir_traits<G>;
  std::mt19937_64 rng(seed);
  tensor_map r;
  for (auto in : T::graph_inputs(g)) {
    const value_info& info = T::value(g, in, 0);
    if (!info.shape) throw shape_error("graph input '" + info.name + "' has no known rank: give its shape to make random data");
    shape_t shape;
    for (const dim& d : *info.shape) shape.push_back(d.known() ? d.size : unknown_dim);
    r.emplace(info.name, random_tensor(info.elem, shape, info.dtype, rng));
  }
  return r;
}

}  // namespace nnrewrite::exec
