// streamline() — FINN's Streamline() sequence — and streamline_plus() on:
//
//   tfc    FINN's TFC-w1a1 (30 nodes -> 12). FINN's Python Streamline() takes
//          0.94 s on it on this class of machine.
//   mlp/N  synthetic FINN-style MLPs of N blocks, width 64: MatMul with INT2
//          weights -> Mul(scalar) -> Add(per channel) -> BatchNorm (every other
//          block) -> MultiThreshold(UINT4, 15 steps); head Mul -> Add. Each block
//          streamlines to MatMul -> MultiThreshold. FINN on the same shapes,
//          measured here: 4 blocks 0.44 s, 16 blocks 2.69 s, 64 blocks 34.6 s,
//          128 blocks 158 s.
//   plus_mlp/N, plus_residual/N  streamline_plus() on the same MLPs and on their
//          residual version (pairs of blocks joined by skip connections).
//
// Each iteration copies or builds a fresh graph (not timed) and streamlines it.
// Counters: nodes (all vertices before), ns_per_node, peak_B_per_node (live heap
// while building and streamlining, per node, the graph included; measured in the
// warm-up run, below), faults_per_node (minor page faults during the timed call,
// per node).
//
// Every size runs on a warm heap. Small sizes repeat hundreds of times, so their
// memory comes back from malloc's free lists; the largest run once, and used to
// take every page fresh from the kernel (a first-touch fault costs ~7 us on this
// VM: a quarter of the time at 1M vertices). The MLP benchmarks therefore do one
// untimed run first, and glibc keeps what is freed (mallopt below), so that the
// fitted exponent compares like with like. The cold cost, every page new, is what
// a command-line run pays: benchmarks/cold_scale.sh measures it, one process per size.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "heap.hpp"
#include "mlp.hpp"
#include "nnrewrite/onnx.hpp"
#include "nnrewrite/streamline/streamline.hpp"

namespace {

using namespace nnrewrite;
using T = ir_traits<model>;
using V = vertex_t<model>;

// glibc: freed memory stays with the process (no trimming of the heap's top, no
// separate mappings for large blocks), so a second run reuses its pages.
[[maybe_unused]] const bool heap_kept = [] {
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_MAX)
  return mallopt(M_TRIM_THRESHOLD, 0x7fffffff) == 1 && mallopt(M_MMAP_MAX, 0) == 1;
#else
  return false;
#endif
}();

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

void BM_streamline_tfc(benchmark::State& state) {
  const heap::uncounted time_only;  // no heap counters here: they would be timed too
  const model tfc = onnx_io::load_onnx(std::filesystem::path(NNREWRITE_MODELS_DIR) / "finn_tfc_w1a1_prestreamline.onnx");
  std::size_t after = 0;
  for (auto _ : state) {
    // Timed: the call alone (manual time). Not the copy, nor destroying the
    // result, nor PauseTiming/ResumeTiming, which read the process CPU clock (a
    // system call of a few microseconds on this VM) and were timed in part.
    model g = tfc;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = streamline::streamline(g);
    const auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(r);
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    after = 0;
    for (auto [it, end] = vertices(g); it != end; ++it) after += T::kind(g, *it) == node_kind::op;
    if (!r.converged || after != 12) state.SkipWithError("TFC did not streamline to 12 nodes");
  }
  state.counters["ops_after"] = double(after);
}

// Runs `streamline` on MLPs of state.range(0) blocks and checks the result has
// `expected(blocks)` ops.
template <class Run, class Expected>
void streamline_mlp(benchmark::State& state, bool residual, Run run, Expected expected) {
  const int blocks = int(state.range(0));
  std::size_t nodes = 0, peak = 0;
  double seconds = 0;
  long faults = 0;
  {  // The warm-up run (see the top of the file) measures the heap's peak.
    const std::size_t base = heap::live;
    heap::peak = base;
    model g = bench::mlp_builder(blocks, residual).take();
    benchmark::DoNotOptimize(run(g));
    peak = heap::peak - base;
  }
  // The timed runs count nothing: the counter reads each block's size when it is
  // freed, a cache miss per free on a large heap, and would be timed with the rules.
  const heap::uncounted time_only;
  for (auto _ : state) {
    state.PauseTiming();
    model g = bench::mlp_builder(blocks, residual).take();
    nodes = num_vertices(g);
    state.ResumeTiming();
    const long faults_before = minor_faults();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run(g);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    faults += minor_faults() - faults_before;
    benchmark::DoNotOptimize(r);
    state.PauseTiming();
    std::size_t ops = 0;
    for (auto [it, end] = vertices(g); it != end; ++it) ops += T::kind(g, *it) == node_kind::op;
    if (!r.converged || ops != expected(blocks)) state.SkipWithError("the MLP did not streamline to MatMul -> MultiThreshold blocks");
    state.ResumeTiming();
  }
  state.counters["nodes"] = double(nodes);
  state.counters["ns_per_node"] = seconds * 1e9 / (double(nodes) * double(state.iterations()));
  state.counters["peak_B_per_node"] = double(peak) / double(nodes);
  state.counters["faults_per_node"] = double(faults) / (double(nodes) * double(state.iterations()));
}

std::size_t plain_ops(int blocks) { return std::size_t(2 * blocks + 2); }
std::size_t residual_ops(int blocks) { return std::size_t(2 * blocks + blocks / 2 + 2); }  // + an integer Add per join

void BM_streamline_mlp(benchmark::State& state) {
  streamline_mlp(state, false, [](model& g) { return streamline::streamline(g); }, plain_ops);
}
// streamline_plus() on the same plain MLPs (FINN+'s StreamlinePlus, here: 4 blocks
// 1.56 s, 16 blocks 8.67 s, 64 blocks 112 s, 128 blocks 461 s) and on the residual
// ones (FINN+: 4 blocks 2.19 s, 16 blocks 19.3 s, 64 blocks 273 s).
void BM_streamline_plus_mlp(benchmark::State& state) {
  streamline_mlp(state, false, [](model& g) { return streamline::streamline_plus(g); }, plain_ops);
}
void BM_streamline_plus_residual(benchmark::State& state) {
  streamline_mlp(state, true, [](model& g) { return streamline::streamline_plus(g); }, residual_ops);
}

}  // namespace

// On this VM one run in three is ~1.5x slower throughout (another guest): with
// --benchmark_repetitions, "min" is the figure that repeats.
BENCHMARK(BM_streamline_tfc)->Unit(benchmark::kMicrosecond)->UseManualTime()->ComputeStatistics("min", [](const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
});
BENCHMARK(BM_streamline_mlp)->RangeMultiplier(4)->Range(4, 16384)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_streamline_plus_mlp)->RangeMultiplier(4)->Range(4, 16384)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_streamline_plus_residual)->RangeMultiplier(4)->Range(4, 16384)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
