// A fake-quantization simulator for judging equalization: weights rounded to
// symmetric INTn (per tensor, or per output channel as the ceiling), activations
// (the data each weighted op reads) to per-tensor INTn by QONNX Quant nodes with
// ranges calibrated on given inputs, run by the reference executor, compared with
// the float model by output SQNR.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <map>
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

// Per-tensor range of a value, over calibration runs.
struct tensor_range {
  double min = 0, max = 0;
};

// Where each weighted op of g reads its data (operand 0): those values, by name,
// with the weighted ops that read them.
template <target::backend_target Target, ir_graph G>
std::map<std::string, std::vector<vertex_t<G>>, std::less<>> weighted_inputs(const G& g, const Target&) {
  using T = ir_traits<G>;
  using TT = target::target_traits<Target>;
  std::map<std::string, std::vector<vertex_t<G>>, std::less<>> r;
  for (auto v : topological_order(g)) {
    if (T::kind(g, v) != node_kind::op || TT::role(T::domain(g, v), T::op_type(g, v)) != target::op_role::weighted) continue;
    if (const auto x = operand(g, v, 0)) r[std::string(T::value(g, x->node, x->port).name)].push_back(v);
  }
  return r;
}

// Per-tensor ranges of the data every weighted op reads, observed by running the
// reference executor on each of `inputs` (graph inputs read from the runs).
template <target::backend_target Target, ir_graph G>
std::map<std::string, tensor_range, std::less<>> calibrate_activations(const G& g, const Target& target,
                                                                        std::span<const exec::tensor_map> inputs) {
  const auto wanted = weighted_inputs(g, target);
  std::map<std::string, tensor_range, std::less<>> r;
  const auto see = [&](const std::string& name, const tensor& t) {
    if (!wanted.contains(name) || t.size() == 0) return;
    auto [it, fresh] = r.try_emplace(name, tensor_range{INFINITY, -INFINITY});
    for (std::int64_t i = 0; i < t.size(); ++i) {
      it->second.min = std::min(it->second.min, t.get(i));
      it->second.max = std::max(it->second.max, t.get(i));
    }
  };
  exec::execute_options opt;
  opt.observe = see;
  for (const auto& in : inputs) {
    for (const auto& [name, t] : in) see(name, t);
    (void)exec::execute(g, in, opt);
  }
  return r;
}

// Rounds the data every weighted op reads to per-tensor INTn: a QONNX Quant
// (round to nearest) in front of each such value, signed when its calibrated
// range goes below zero, else unsigned, scaled so the range's largest magnitude
// is the top level. Values without a range (or a zero one) stay float. Returns
// how many Quant nodes were inserted.
template <target::backend_target Target, ir_graph G>
std::size_t fake_quantize_activations(G& g, const Target& target, const std::map<std::string, tensor_range, std::less<>>& ranges,
                                      int bits) {
  using T = ir_traits<G>;
  if (bits < 2 || bits > 24) throw error("activation quantization to " + std::to_string(bits) + " bits: use 2..24");
  const auto readers = weighted_inputs(g, target);
  rewriter<G> rw(g);
  std::size_t n = 0;
  for (const auto& [name, ops] : readers) {
    const auto it = ranges.find(name);
    if (it == ranges.end()) continue;
    const bool is_signed = it->second.min < 0;
    const double top = std::max(std::abs(it->second.min), std::abs(it->second.max));
    const double levels = is_signed ? double((std::int64_t(1) << (bits - 1)) - 1) : double((std::int64_t(1) << bits) - 1);
    if (!(top > 0) || !std::isfinite(top)) continue;
    const auto x = *operand(rw.graph(), ops.front(), 0);
    value_info out = T::value(rw.graph(), x.node, x.port);
    out.name = name + "_quant";
    out.dtype.reset();
    const auto q = rw.op("Quant",
                         {x, rw.constant(tensor::scalar(top / levels), name + "_scale"), rw.constant(tensor::scalar(0.0), name + "_zeropt"),
                          rw.constant(tensor::scalar(double(bits)), name + "_bits")},
                         out, {{"signed", std::int64_t(is_signed)}, {"narrow", std::int64_t(0)}, {"rounding_mode", std::string("ROUND")}},
                         "qonnx.custom_op.general");
    for (const auto v : ops) rw.set_operand(v, 0, q);
    ++n;
  }
  rw.commit();
  return n;
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
