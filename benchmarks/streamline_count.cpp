// Instructions spent in streamline() alone, for valgrind --tool=callgrind
// (benchmarks/callgrind.sh): collection is switched on around the call only, so
// loading and building the graph are not counted. Instruction counts repeat
// exactly from run to run, unlike times on a shared VM. The preset's rule sets
// are built before (streamline() builds them once per process); "build" counts
// that construction alone.
//
//   streamline_count tfc         FINN's TFC-w1a1 (../shared/models)
//   streamline_count mlp N       the synthetic MLP of N blocks (mlp.hpp)
//   streamline_count residual N  its residual version (pairs of blocks with skips)
//   streamline_count build       building the preset's rule sets
//   streamline_count plus ...    the same with streamline_plus()'s pipeline
//
// It also prints the call's wall time and minor page faults (meaningless under
// valgrind): benchmarks/cold_scale.sh runs it once per size, in a fresh process.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#endif

#include "mlp.hpp"
#include "nnrewrite/onnx.hpp"
#include "nnrewrite/streamline/streamline.hpp"

static long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

int main(int argc, char** argv) {
  using namespace nnrewrite;
  const bool plus = argc > 1 && std::string(argv[1]) == "plus";
  if (plus) {
    --argc;
    ++argv;
  }
  const auto preset = plus ? streamline::preset::plus : streamline::preset::classic;
  const std::string what = argc > 1 ? argv[1] : "";
  model g;
  if (what == "build") {
    CALLGRIND_TOGGLE_COLLECT;
    const streamline::streamline_pipeline<model> p({}, preset);
    CALLGRIND_TOGGLE_COLLECT;
    std::printf("build: 0 vertices\n");
    return 0;
  }
  if (what == "tfc") {
    g = onnx_io::load_onnx(std::filesystem::path(NNREWRITE_MODELS_DIR) / "finn_tfc_w1a1_prestreamline.onnx");
  } else if ((what == "mlp" || what == "residual") && argc > 2) {
    g = bench::mlp_builder(std::atoi(argv[2]), what == "residual").take();
  } else {
    std::fprintf(stderr, "usage: streamline_count [plus] tfc | mlp BLOCKS | residual BLOCKS | build\n");
    return 2;
  }
  const std::size_t before = num_vertices(g);
  const streamline::streamline_pipeline<model> pipeline({}, preset);
  const long faults_before = minor_faults();
  const auto t0 = std::chrono::steady_clock::now();
  CALLGRIND_TOGGLE_COLLECT;
  const auto r = pipeline.run(g);
  CALLGRIND_TOGGLE_COLLECT;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long faults = minor_faults() - faults_before;
  std::printf("%s: %zu vertices -> %zu, %zu rewrites, %s; %.6f s, %ld minor faults\n", what.c_str(), before,
              num_vertices(g), r.rewrites, r.converged ? "converged" : "not converged", seconds, faults);
  return r.converged ? 0 : 1;
}
