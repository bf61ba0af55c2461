// Do two graphs compute the same function? Both run on the same random inputs
// (respecting each input's data type, exec/random.hpp); an output whose type is an
// integer one (by element type or QONNX annotation) must match exactly, a float
// one to a tolerance. How rewrites are checked, in tests and by the CLI's --verify.
#pragma once

#include <cstdint>
#include <string>

#include "nnrewrite/exec/compare.hpp"
#include "nnrewrite/exec/executor.hpp"
#include "nnrewrite/exec/random.hpp"

namespace nnrewrite::exec {

struct equivalence_report {
  int runs = 0;
  int exact_outputs = 0;    // outputs compared exactly (per run)
  int mismatches = 0;       // (run, output) pairs that differ
  double max_abs_diff = 0;  // over the float outputs
  std::string first_mismatch;
  bool ok() const { return mismatches == 0; }
};

struct equivalence_options {
  int runs = 10;
  std::uint64_t seed = 1;  // of the first run; run i uses seed + i
  double rtol = 1e-5, atol = 1e-5;
};

// Whether graph output `name` of g holds integers (compared exactly).
template <ir_graph G>
bool integer_output(const G& g, std::string_view name) {
  using T = ir_traits<G>;
  for (auto out : T::graph_outputs(g)) {
    if (T::name(g, out) != name) continue;
    const auto o = operand(g, out, 0);
    if (!o) return false;
    const value_info& v = T::value(g, o->node, o->port);
    return !is_floating(v.elem) || v.qonnx_type().is_integer() || v.qonnx_type().type_kind() == data_type::kind::bipolar ||
           v.qonnx_type().type_kind() == data_type::kind::ternary;
  }
  return false;
}

template <ir_graph A, ir_graph B>
equivalence_report check_equivalence(const A& before, const B& after, const equivalence_options& opt = {}) {
  equivalence_report r;
  for (int i = 0; i < opt.runs; ++i) {
    const auto in = random_inputs(before, opt.seed + std::uint64_t(i));
    const auto a = execute(before, in), b = execute(after, in);
    ++r.runs;
    for (const auto& output : a) {
      const std::string& name = output.first;  // not a structured binding: lambdas capture it
      const tensor& t = output.second;
      auto note = [&](const std::string& what) {
        if (r.mismatches++ == 0) r.first_mismatch = "output '" + name + "', run " + std::to_string(i) + ": " + what;
      };
      const auto it = b.find(name);
      if (it == b.end()) {
        note("missing after the rewrite");
        continue;
      }
      if (t.shape() != it->second.shape()) {
        note("shape " + to_string(it->second.shape()) + " instead of " + to_string(t.shape()));
        continue;
      }
      const difference d = compare(it->second, t);
      if (integer_output(before, name)) {
        if (i == 0) ++r.exact_outputs;
        if (d.mismatches) note(std::to_string(d.mismatches) + " elements differ (integer output, compared exactly)");
      } else {
        r.max_abs_diff = std::max(r.max_abs_diff, d.max_abs);
        if (!all_close(it->second, t, opt.rtol, opt.atol))
          note("differs by up to " + std::to_string(d.max_abs) + " (rtol " + std::to_string(opt.rtol) + ")");
      }
    }
  }
  return r;
}

}  // namespace nnrewrite::exec
