// The reference executor on the real models in ../shared/models
// (NNREWRITE_MODELS_DIR): one inference per iteration.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "nnrewrite/exec.hpp"
#include "nnrewrite/onnx.hpp"

namespace {

namespace fs = std::filesystem;
const fs::path models = NNREWRITE_MODELS_DIR;

void run_model(benchmark::State& state, const char* file, const char* input_pb) {
  const fs::path path = models / file;
  if (!fs::exists(path)) {
    state.SkipWithError(("model not found: " + path.string() + " (set NNREWRITE_MODELS_DIR)").c_str());
    return;
  }
  nnrewrite::model g = nnrewrite::onnx_io::load_onnx(path);
  nnrewrite::exec::tensor_map in = nnrewrite::exec::random_inputs(g, 1);
  if (input_pb && fs::exists(models / input_pb)) in.begin()->second = nnrewrite::onnx_io::load_tensor(models / input_pb);
  for (auto _ : state) benchmark::DoNotOptimize(nnrewrite::exec::execute(g, in));
}

void BM_execute_tfc(benchmark::State& state) { run_model(state, "finn_tfc_w1a1_prestreamline.onnx", nullptr); }
void BM_execute_blazeface(benchmark::State& state) {
  run_model(state, "blazeface_front_128.onnx", "blazeface_inputs/input_0.pb");
}

}  // namespace

BENCHMARK(BM_execute_tfc)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_execute_blazeface)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
