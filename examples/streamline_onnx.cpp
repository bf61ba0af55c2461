// Streamlines a FINN or QONNX model through the ONNX module, the way a compiler
// would: load, run the preset for the FPGA dataflow target, check the result
// against the original on random inputs, list what the target still cannot map,
// and save.
//
//   streamline_onnx [IN.onnx [OUT.onnx]]   (default: the bundled TFC-w1a1)
#include <iostream>

#include "nnrewrite/exec/equivalence.hpp"
#include "nnrewrite/onnx.hpp"
#include "nnrewrite/streamline/streamline.hpp"
#include "nnrewrite/target/fpga_dataflow.hpp"

int main(int argc, char** argv) try {
  namespace nr = nnrewrite;
  const std::filesystem::path in = argc > 1 ? argv[1] : NNREWRITE_DEFAULT_MODEL;
  const std::filesystem::path out = argc > 2 ? argv[2] : "streamlined.onnx";

  const nr::model original = nr::onnx_io::load_onnx(in);
  nr::model g = original;
  const nr::rewrite_result r = nr::streamline::streamline(g, nr::target::fpga_dataflow{});
  std::cout << in.filename().string() << ": " << nr::to_string(r) << "\n";

  nr::exec::equivalence_options eq;
  eq.runs = 100;
  const auto check = nr::exec::check_equivalence(original, g, eq);
  std::cout << "same outputs on " << check.runs << " random inputs: " << (check.ok() ? "yes" : "NO: " + check.first_mismatch) << "\n";
  if (!check.ok()) return 1;

  for (const auto& n : nr::target::legality_report(g, nr::target::fpga_dataflow{}))
    std::cout << "not mappable: " << n.node << " (" << n.op << "): " << n.reason << "\n";
  nr::onnx_io::save_onnx(g, out);
  std::cout << "wrote " << out.string() << "\n";
} catch (const std::exception& e) {
  std::cerr << "streamline_onnx: " << e.what() << "\n";
  return 1;
}
