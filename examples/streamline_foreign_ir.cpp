// The streamlining rules on a foreign, non-Boost IR (foreign_ir.hpp): nothing in
// them is written against nnrewrite::model. A small Brevitas-style QONNX network
// (Quant on weights and activations, a BatchNorm, a Relu) goes in; integer
// MatMuls and MultiThresholds come out, with the same outputs.
#include <iostream>

#include "foreign_ir.hpp"
#include "nnrewrite/exec/equivalence.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/streamline/streamline.hpp"

int main() try {
  namespace nr = nnrewrite;
  // Built here from the text format for brevity; a compiler would fill its own IR.
  const char* text = R"(graph {
    input %x: float32[1,8]
    const %s_x: float32[] = [0.0625]
    const %zero: float32[] = [0]
    const %b4: float32[] = [4]
    node q_x: qonnx.custom_op.general.Quant(%x, %s_x, %zero, %b4) {signed = 1, rounding_mode = "ROUND"} -> %xq: float32[1,8]
    const %w: float32[8,4] = [0.5, -1, 0.25, 1.5, -0.5, 1, -1.5, 0.75, 1.25, -0.25, 0.5, -1, 0, 1, -0.75, 0.5,
                              -1, 0.5, 1, -0.5, 0.25, -1.25, 0.5, 1, 1.5, 0.75, -0.5, -1, 0.5, 0, 1, -0.25]
    const %s_w: float32[1,4] = [0.25, 0.5, 0.25, 0.125]
    node q_w: qonnx.custom_op.general.Quant(%w, %s_w, %zero, %b4) {signed = 1, narrow = 1, rounding_mode = "ROUND"} -> %wq: float32[8,4]
    node fc: MatMul(%xq, %wq) -> %h: float32[1,4]
    const %gamma: float32[4] = [1, 0.5, 2, 1]
    const %beta: float32[4] = [0.1, -0.2, 0, 0.3]
    const %mean: float32[4] = [0, 0.5, -0.5, 0.25]
    const %var: float32[4] = [1, 4, 0.25, 1]
    node bn: BatchNormalization(%h, %gamma, %beta, %mean, %var) {epsilon = 0.0} -> %n: float32[1,4]
    node relu: Relu(%n) -> %r: float32[1,4]
    const %s_a: float32[] = [0.25]
    node q_a: qonnx.custom_op.general.Quant(%r, %s_a, %zero, %b4) {signed = 0, rounding_mode = "ROUND"} -> %y: float32[1,4]
    output %y
  })";
  awesome::net net = nr::parse_text<awesome::net>(text);
  const awesome::net original = nr::parse_text<awesome::net>(text);

  const nr::rewrite_result r = nr::streamline::streamline(net);
  std::cout << nr::to_string(r) << "\n" << nr::to_text(net);

  nr::exec::equivalence_options eq;
  eq.runs = 200;
  const auto check = nr::exec::check_equivalence(original, net, eq);
  std::cout << "same outputs on " << check.runs << " random inputs: " << (check.ok() ? "yes" : "NO: " + check.first_mismatch) << "\n";
  return check.ok() ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "streamline_foreign_ir: " << e.what() << "\n";
  return 1;
}
