// The greedy driver with the cleanup set (constant folding, identity removal,
// value-info inference) on synthetic graphs of 1k to 1M nodes, three shapes:
//
//   chain     x -> Relu -> Identity -> Mul(., Add(c1, c2)) -> Relu -> ...
//   fanout    hub = Relu(prev); 16 branches Add(hub, 0); joined back by an Add chain
//   residual  s = Add(Identity(Relu(Mul(prev, Mul(c1, c2)))), prev) -> ...
//
// In each, a constant fraction of the ops is rewritten (Identity and Add-of-zero
// removed, constant subexpressions folded) and every op is tried by every pattern
// of its bucket, inference included. Each iteration builds a fresh graph (not
// timed), then times topological_order on it (the baseline, reported as
// `x_topo`: driver time / topological-sort time) and the driver.
//
// The reference of the scale issue: Kahn's algorithm over the same edges as flat
// arrays (CSR, uint32 indices, built untimed). `x_flat` is a time divided by that
// sort's, measured in the same iteration, since absolute times on the VM vary 2x.
// BM_sort compares topological_order with the dense index (model's per_vertex
// arrays), without it (the hash-map path, the graph wrapped in without_index),
// and on a copy of the graph (same structure, vertices allocated together).
//
// `ns_per_node` counts all vertices (ops, constants, inputs, outputs) of the
// initial graph. `peak_B_per_node` is the peak of live heap bytes (counted by
// replacing operator new/delete in this program) while building and rewriting,
// per node; it includes the graph itself. `graph_B_per_node` is the graph alone.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <new>
#include <cstdint>
#include <string>
#include <vector>

#include "nnrewrite/passes.hpp"

#include "heap.hpp"
#include "shapes.hpp"
#include "without_index.hpp"

namespace {

using nnrewrite::model;
using T = nnrewrite::ir_traits<model>;
using V = nnrewrite::vertex_t<model>;
using nnrewrite::value_info;

using shapes::csr;
using shapes::flat_kahn;
using shapes::make_graph;
using shapes::shape;
using shapes::to_csr;

template <class F>
double seconds(F f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// topological_order with and without the dense index, against the flat sort.
void BM_sort(benchmark::State& state, shape s) {
  const model g = make_graph(s, std::size_t(state.range(0)));
  const csr c = to_csr(g);
  const auto& hidden = static_cast<const ir_check::without_index<model>&>(g);
  // The same graph copied: Boost's copy allocates all vertices first, then all
  // edges, so they lie close together; the built graph interleaves them with
  // names, value infos and tensors, as an importer does.
  const model copied = g;
  // Each figure is the fastest of the iterations: a single run is at the mercy
  // of the VM (page faults of fresh buffers, other guests), and the 1M rows
  // varied 8x in the reference itself when they were sums.
  constexpr double inf = std::numeric_limits<double>::infinity();
  double flat_s = inf, map_s = inf, index_s = inf, copied_s = inf;
  auto fastest = [](double& best, auto f) { best = std::min(best, seconds(f)); };
  for (auto _ : state) {
    fastest(flat_s, [&] { benchmark::DoNotOptimize(flat_kahn(c)); });
    fastest(map_s, [&] { benchmark::DoNotOptimize(nnrewrite::topological_order(hidden)); });
    fastest(index_s, [&] { benchmark::DoNotOptimize(nnrewrite::topological_order(g)); });
    fastest(copied_s, [&] { benchmark::DoNotOptimize(nnrewrite::topological_order(copied)); });
  }
  state.counters["nodes"] = double(num_vertices(g));
  state.counters["flat_ms"] = flat_s * 1e3;
  state.counters["index_x_flat"] = index_s / flat_s;
  state.counters["map_x_flat"] = map_s / flat_s;
  state.counters["copied_x_flat"] = copied_s / flat_s;
}

void BM_cleanup(benchmark::State& state, shape s) {
  const auto nodes = std::size_t(state.range(0));
  double driver_s = 0, topo_s = 0, flat_s = 0;
  std::size_t peak = 0, rewrites = 0, vertices = 0, graph_bytes = 0;
  nnrewrite::pattern_set<model> set;
  nnrewrite::populate_cleanup_patterns(set);
  for (auto _ : state) {
    state.PauseTiming();
    const std::size_t base = heap::live;
    heap::peak = base;
    model g = make_graph(s, nodes);
    graph_bytes = heap::live - base;
    vertices = num_vertices(g);
    auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(nnrewrite::topological_order(g));
    topo_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const csr c = to_csr(g);
    flat_s += seconds([&] { benchmark::DoNotOptimize(flat_kahn(c)); });
    state.ResumeTiming();

    t0 = std::chrono::steady_clock::now();
    auto r = nnrewrite::apply_patterns_greedily(g, set);
    driver_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    state.PauseTiming();
    if (!r.converged) state.SkipWithError(("did not converge: " + to_string(r)).c_str());
    rewrites = r.rewrites;
    peak = std::max(peak, heap::peak - base);
    state.ResumeTiming();
  }
  const double n = double(vertices) * double(state.iterations());
  state.counters["nodes"] = double(vertices);
  state.counters["rewrites"] = double(rewrites);
  state.counters["ns_per_node"] = driver_s * 1e9 / n;
  state.counters["x_topo"] = driver_s / topo_s;
  state.counters["x_flat"] = driver_s / flat_s;
  state.counters["peak_B_per_node"] = double(peak) / double(vertices);
  state.counters["graph_B_per_node"] = double(graph_bytes) / double(vertices);
}

// One value used by k ops, all its uses moved to another value and back
// (replace_all_uses, then rollback): linear in k since edges are removed in one
// pass over the use list, not one search per use.
void BM_rewire_wide_value(benchmark::State& state) {
  const int k = int(state.range(0));
  model g;
  const V x = T::add_input(g, value_info("x"));
  const V y = T::add_input(g, value_info("y"));
  for (int i = 0; i < k; ++i) {
    const std::string n = "r" + std::to_string(i);
    T::connect(g, x, 0, T::add_op(g, "Relu", "", n, {}, {value_info(n)}), 0);
  }
  nnrewrite::rewriter<model> rw(g);
  for (auto _ : state) {
    rw.replace_all_uses({x, 0}, {y, 0});
    rw.rollback(0);
  }
  if (out_degree(x, g) != std::size_t(k)) state.SkipWithError("the uses were not restored");
  state.counters["time_per_use"] =
      benchmark::Counter(double(k), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_rewire_wide_value)->Unit(benchmark::kMillisecond)->RangeMultiplier(4)->Range(1'000, 64'000);

void sizes(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->UseRealTime();
  for (std::int64_t n : {1'000, 10'000, 100'000, 1'000'000}) b->Arg(n);
}

void sort_sizes(benchmark::internal::Benchmark* b) {
  sizes(b);
  b->MinTime(3.0);  // several iterations even at 1M vertices: the figures are minima
}

BENCHMARK_CAPTURE(BM_sort, chain, shape::chain)->Apply(sort_sizes);
BENCHMARK_CAPTURE(BM_sort, residual, shape::residual)->Apply(sort_sizes);
BENCHMARK_CAPTURE(BM_cleanup, chain, shape::chain)->Apply(sizes);
BENCHMARK_CAPTURE(BM_cleanup, fanout, shape::fanout)->Apply(sizes);
BENCHMARK_CAPTURE(BM_cleanup, residual, shape::residual)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
