// What the driver's expensive_checks cost on a real model: the cleanup set on
// FINN's TFC (NNREWRITE_MODELS_DIR), with the checks off and on, each run on a
// fresh copy of the graph (the copy is timed in both, so compare the two rows).
// Target (issue "Rules on any IR"): checks on <= 20x checks off.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "nnrewrite/onnx.hpp"
#include "nnrewrite/passes.hpp"

namespace {

namespace fs = std::filesystem;

void BM_cleanup_tfc(benchmark::State& state) {
  const fs::path path = fs::path(NNREWRITE_MODELS_DIR) / "finn_tfc_w1a1_prestreamline.onnx";
  if (!fs::exists(path)) {
    state.SkipWithError(("model not found: " + path.string() + " (set NNREWRITE_MODELS_DIR)").c_str());
    return;
  }
  const nnrewrite::model original = nnrewrite::onnx_io::load_onnx(path);
  nnrewrite::driver_config cfg;
  cfg.expensive_checks = state.range(0) != 0;
  std::size_t rewrites = 0;
  for (auto _ : state) {
    nnrewrite::model g = original;
    rewrites = nnrewrite::cleanup(g, cfg).rewrites;
    benchmark::DoNotOptimize(g);
  }
  state.counters["rewrites"] = double(rewrites);
}

}  // namespace

BENCHMARK(BM_cleanup_tfc)->ArgName("expensive_checks")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
