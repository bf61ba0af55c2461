// A fake-quantization simulator for judging equalization: weights rounded to
// symmetric INTn (per tensor, or per output channel as the ceiling), run by the
// reference executor, compared with the float model by output SQNR.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nnrewrite/equalize/pairing.hpp"
#include "nnrewrite/exec/executor.hpp"
#include "nnrewrite/rewrite/rewriter.hpp"

namespace nnrewrite::equalize {

struct weight_quantization {
  int bits = 8;
  bool per_channel = false;  // one step per output channel instead of per tensor
};

// W rounded to the symmetric grid {-q..q} * step, q = 2^(bits-1) - 1, step =
// max|W| / q over the tensor or over each output channel. A zero range stays zero.
inline tensor fake_quantize(const tensor& w, const weight_layout& l, const weight_quantization& q) {
  if (q.bits < 2 || q.bits > 31) throw error("weight quantization to " + std::to_string(q.bits) + " bits: use 2..31");
  const double levels = double((std::int64_t(1) << (q.bits - 1)) - 1);
  const std::int64_t channels = q.per_channel ? l.output_channels(w.shape()) : 1;
  std::vector<double> range(std::size_t(channels), 0.0);
  for_each_weight(w, l, [&](double x, std::int64_t out, std::int64_t) {
    double& r = range[std::size_t(q.per_channel ? out : 0)];
    r = std::max(r, std::abs(x));
  });
  tensor r = w;
  std::int64_t e = 0;  // for_each_weight visits W in its own order
  for_each_weight(w, l, [&](double x, std::int64_t out, std::int64_t) {
    const double step = range[std::size_t(q.per_channel ? out : 0)] / levels;
    if (step > 0) r.set(e, std::clamp(std::round(x / step), -levels, levels) * step);
    ++e;
  });
  return r;
}

// Rounds the weights of every op Target calls weighted; returns how many.
template <target::backend_target Target, ir_graph G>
std::size_t fake_quantize_weights(G& g, const Target&, const weight_quantization& q) {
  using T = ir_traits<G>;
  using TT = target::target_traits<Target>;
  std::vector<std::pair<vertex_t<G>, weight_layout>> ops;
  for (auto v : topological_order(g)) {
    if (T::kind(g, v) != node_kind::op || TT::role(T::domain(g, v), T::op_type(g, v)) != target::op_role::weighted) continue;
    const auto l = TT::template weight_layout_of<G>(g, v);
    const auto w = l ? operand(g, v, l->weight_operand) : std::nullopt;
    if (w && T::kind(g, w->node) == node_kind::constant) ops.emplace_back(v, *l);
  }
  rewriter<G> rw(g);
  for (const auto& [v, l] : ops) {
    const auto held = T::constant_value(rw.graph(), operand(rw.graph(), v, l.weight_operand)->node);
    rw.replace_constant_operand(v, l.weight_operand, fake_quantize(*held, l, q));
  }
  rw.commit();
  return ops.size();
}

// Signal-to-quantization-noise ratio in dB of `test` against `reference`, over
// every output of every run: 10 log10(sum ref^2 / sum (ref - test)^2).
inline double sqnr_db(std::span<const exec::tensor_map> reference, std::span<const exec::tensor_map> test) {
  if (reference.size() != test.size()) throw error("sqnr_db: " + std::to_string(reference.size()) + " reference runs, " + std::to_string(test.size()) + " test runs");
  double signal = 0, noise = 0;
  for (std::size_t r = 0; r < reference.size(); ++r)
    for (const auto& [name, ref] : reference[r]) {
      const auto it = test[r].find(name);
      if (it == test[r].end()) throw error("sqnr_db: output '" + name + "' is missing from a test run");
      if (it->second.size() != ref.size()) throw error("sqnr_db: output '" + name + "' differs in size");
      for (std::int64_t i = 0; i < ref.size(); ++i) {
        const double a = ref.get(i), d = a - it->second.get(i);
        signal += a * a;
        noise += d * d;
      }
    }
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

}  // namespace nnrewrite::equalize
