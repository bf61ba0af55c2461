// Built with NNREWRITE_SEPARATE_COMPILATION: this file only declares the kernels
// and the model instantiations (extern template); src.cpp compiles them once.
// Runs cleanup and the executor on model and on the foreign IR (whose templates
// are still instantiated here) and checks the results against each other.
#include <iostream>

#include "foreign_ir.hpp"
#include "nnrewrite/nnrewrite.hpp"

int main() {
  const char* text = R"(graph {
    input %x: float32[1,4]
    const %a: float32[4] = [1, 2, 3, 4]
    const %b: float32[4] = [1, 1, 1, 1]
    node ab: Add(%a, %b) -> %ab: float32[4]
    node y: Mul(%x, %ab) -> %y: float32[1,4]
    output %y
  })";
  nnrewrite::model g = nnrewrite::parse_text(text);
  auto net = nnrewrite::parse_text<awesome::net>(text);
  const auto r1 = nnrewrite::cleanup(g);
  const auto r2 = nnrewrite::cleanup(net);
  const auto in = nnrewrite::exec::random_inputs(g, 1);
  const auto y1 = nnrewrite::exec::execute(g, in).at("y");
  const auto y2 = nnrewrite::exec::execute(net, in).at("y");
  const bool ok = r1.rewrites == 1 && r2.rewrites == 1 && nnrewrite::exec::exactly_equal(y1, y2) &&
                  y1.get(3) == double(float(in.at("x").get(3)) * 5.0f) && nnrewrite::to_text(g) == nnrewrite::to_text(net);
  std::cout << (ok ? "separate compilation: same results\n" : "separate compilation: results differ\n");
  return ok ? 0 : 1;
}
