// Core graph operations on synthetic graphs of growing size: building, topological
// order, verification, printing and parsing the text format. Each should grow
// linearly (time per node flat across sizes).
#include <benchmark/benchmark.h>

#include "nnrewrite/nnrewrite.hpp"

namespace {

using nnrewrite::model;
using T = nnrewrite::ir_traits<model>;

// x -> (Mul by a scalar constant, Add a residual from two steps back)* -> y:
// every third op is a join, so the graph is not just a list.
model residual_ladder(std::int64_t ops) {
  model g;
  auto value = [](std::string name) {
    return nnrewrite::value_info(std::move(name), nnrewrite::element_type::float32, nnrewrite::dims{1, 16});
  };
  auto prev = T::add_input(g, value("x"));
  auto prev2 = prev;
  auto scale = T::add_constant(g, nnrewrite::value_info("s"), nnrewrite::tensor::scalar(0.5));
  for (std::int64_t i = 0; i < ops; ++i) {
    std::string n = "v" + std::to_string(i);
    bool join = i % 3 == 2;
    auto v = T::add_op(g, join ? "Add" : "Mul", "", n, {}, {value(n)});
    T::connect(g, prev, 0, v, 0);
    T::connect(g, join ? prev2 : scale, 0, v, 1);
    prev2 = prev;
    prev = v;
  }
  T::connect(g, prev, 0, T::add_output(g, "y"), 0);
  return g;
}

void per_node(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["ns_per_node"] = benchmark::Counter(
      double(state.range(0)) * double(state.iterations()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_build(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(residual_ladder(state.range(0)));
  per_node(state);
}

void BM_topological_order(benchmark::State& state) {
  model g = residual_ladder(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(nnrewrite::topological_order(g));
  per_node(state);
}

void BM_verify(benchmark::State& state) {
  model g = residual_ladder(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(nnrewrite::verify(g));
  per_node(state);
}

void BM_to_text(benchmark::State& state) {
  model g = residual_ladder(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(nnrewrite::to_text(g));
  per_node(state);
}

void BM_parse_text(benchmark::State& state) {
  std::string text = nnrewrite::to_text(residual_ladder(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(nnrewrite::parse_text(text));
  per_node(state);
}

}  // namespace

BENCHMARK(BM_build)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_topological_order)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_verify)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_to_text)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_parse_text)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
