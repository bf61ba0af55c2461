// Writes the synthetic FINN-style MLP of the streamlining benchmarks (mlp.hpp) as
// an ONNX file, for timing the command line end to end (cli_scale.sh):
//
//   make_mlp_onnx BLOCKS OUT.onnx [residual] [WIDTH]
//
// Then it reads the file back and prints how the ONNX steps the command line
// does divide: protobuf parse (with the file read), import into a model, export
// to a ModelProto, protobuf serialize.
//
// WIDTH defaults to 64. ONNX files without external data stop at 2 GB, and a
// width-64 block holds ~21 KB of weights and thresholds: the 100,000-block
// (1M-node) net is written at width 32 (~6.5 KB per block).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mlp.hpp"
#include "nnrewrite/onnx.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_mlp_onnx BLOCKS OUT.onnx [residual] [WIDTH]\n");
    return 2;
  }
  const int blocks = std::atoi(argv[1]);
  const bool residual = argc > 3 && std::string(argv[3]) == "residual";
  const long width = argc > 4 ? std::atol(argv[4]) : 64;
  if (blocks < 1 || width < 1) {
    std::fprintf(stderr, "make_mlp_onnx: BLOCKS and WIDTH must be at least 1\n");
    return 2;
  }
  try {
    const nnrewrite::model g = bench::mlp_builder(blocks, residual, width).take();
    nnrewrite::onnx_io::save_onnx(g, argv[2]);
    std::printf("%s: %d blocks, width %ld, %zu vertices\n", argv[2], blocks, width, num_vertices(g));
    using clock = std::chrono::steady_clock;
    auto ms = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    const auto t0 = clock::now();
    const onnx::ModelProto m = nnrewrite::onnx_io::read_model_proto(argv[2]);
    const auto t1 = clock::now();
    const nnrewrite::model back = nnrewrite::onnx_io::import_model<nnrewrite::model>(m);
    const auto t2 = clock::now();
    const onnx::ModelProto out = nnrewrite::onnx_io::export_model(back);
    const auto t3 = clock::now();
    std::string bytes;
    if (!out.SerializeToString(&bytes)) throw nnrewrite::error("cannot serialize");
    const auto t4 = clock::now();
    std::printf("onnx: parse %.0f ms, import %.0f ms, export %.0f ms, serialize %.0f ms\n", ms(t0, t1), ms(t1, t2), ms(t2, t3),
                ms(t3, t4));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_mlp_onnx: %s\n", e.what());
    return 1;
  }
  return 0;
}
