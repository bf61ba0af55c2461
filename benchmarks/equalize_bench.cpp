// Channel equalization on synthetic conv nets of 100 to 100,000 weighted ops:
// pairing alone (find_sets) and pairing + one weight-policy sweep (equalize with
// max_sweeps = 1), per weighted op, to show both are linear. Three shapes:
//   chain     Conv -> Relu -> Conv -> Relu -> ...            (one chain per conv)
//   residual  blocks x -> Conv -> Relu -> Conv -> Add(x) -> Relu: one family per
//             16 blocks (a Sigmoid between groups bounds each family)
//   concat    pairs of convs -> Concat -> Conv -> Relu        (one concat set per pair)
// Convs are 1x1 with 8 channels on a 1x1 image: the work is the graph's, not the weights'.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "nnrewrite/equalize.hpp"

namespace {

using namespace nnrewrite;
using T = ir_traits<model>;
using V = vertex_t<model>;

constexpr std::int64_t channels = 8;

class conv_net {
 public:
  V input() {
    value_info in("x", element_type::float32, dims{1, channels, 1, 1});
    return T::add_input(g_, in);
  }
  V conv(V x, std::int64_t in = channels, std::int64_t out = channels) {
    tensor w(element_type::float32, {out, in, 1, 1});
    std::uniform_real_distribution<double> d(-1, 1);
    for (std::int64_t i = 0; i < w.size(); ++i) w.set(i, d(rng_));
    const V c = T::add_constant(g_, value({out, in, 1, 1}), std::move(w));
    ++weighted_;
    return op("Conv", {x, c}, out);
  }
  V op(const char* type, std::initializer_list<V> operands, std::int64_t out = channels, attribute_map attrs = {}) {
    const V v = T::add_op(g_, type, "", name(), std::move(attrs), {value({1, out, 1, 1})});
    int port = 0;
    for (V o : operands) T::connect(g_, o, 0, v, port++);
    return v;
  }
  model finish(V last) {
    T::connect(g_, last, 0, T::add_output(g_, "y"), 0);
    return std::move(g_);
  }
  std::size_t weighted() const { return weighted_; }

 private:
  value_info value(shape_t s) { return value_info(name(), element_type::float32, to_dims(s)); }
  std::string name() { return "v" + std::to_string(next_++); }
  model g_;
  std::mt19937_64 rng_{7};
  std::size_t next_ = 0, weighted_ = 0;
};

model chain(std::int64_t n) {
  conv_net b;
  V x = b.input();
  for (std::int64_t i = 0; i < n; ++i) x = b.op("Relu", {b.conv(x)});
  return b.finish(x);
}

model residual(std::int64_t n) {
  conv_net b;
  V x = b.input();
  for (std::int64_t i = 0; i < n / 2; ++i) {
    const V y = b.conv(b.op("Relu", {b.conv(x)}));
    x = b.op("Relu", {b.op("Add", {y, x})});
    if (i % 16 == 15) x = b.op("Sigmoid", {x});
  }
  return b.finish(x);
}

model concat(std::int64_t n) {
  conv_net b;
  V x = b.input();
  for (std::int64_t i = 0; i < n / 3; ++i) {
    const V cat = b.op("Concat", {b.conv(x), b.conv(x)}, 2 * channels, {{"axis", std::int64_t(1)}});
    x = b.op("Relu", {b.conv(cat, 2 * channels)});
  }
  return b.finish(x);
}

template <model (*Make)(std::int64_t)>
void BM_find_sets(benchmark::State& state) {
  const model g = Make(state.range(0));
  std::size_t sets = 0, weighted = 0;
  for (auto _ : state) {
    const auto p = equalize::find_sets(g, target::onnx_float{});
    sets = p.sets.size();
    weighted = p.weighted_ops;
    benchmark::DoNotOptimize(sets);
  }
  state.counters["sets"] = double(sets);
  state.counters["weighted_ops"] = double(weighted);
  state.counters["ns_per_weighted_op"] =
      benchmark::Counter(double(weighted), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

template <model (*Make)(std::int64_t)>
void BM_equalize_one_sweep(benchmark::State& state) {
  const model original = Make(state.range(0));
  equalize::options opt;
  opt.max_sweeps = 1;
  std::size_t weighted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    model g = original;
    state.ResumeTiming();
    const auto r = equalize::equalize(g, target::onnx_float{}, opt);
    weighted = r.sets.weighted_ops;
    benchmark::DoNotOptimize(r.applied.size());
  }
  state.counters["weighted_ops"] = double(weighted);
  state.counters["ns_per_weighted_op"] =
      benchmark::Counter(double(weighted), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(BM_find_sets<chain>)->RangeMultiplier(10)->Range(100, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_find_sets<residual>)->RangeMultiplier(10)->Range(100, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_find_sets<concat>)->RangeMultiplier(10)->Range(100, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_equalize_one_sweep<chain>)->RangeMultiplier(10)->Range(100, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_equalize_one_sweep<residual>)->RangeMultiplier(10)->Range(100, 100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_equalize_one_sweep<concat>)->RangeMultiplier(10)->Range(100, 100000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
