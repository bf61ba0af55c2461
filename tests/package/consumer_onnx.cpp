// A downstream project using the ONNX component: build, export, re-import.
#include <iostream>

#include <nnrewrite/nnrewrite.hpp>
#include <nnrewrite/onnx.hpp>

int main() {
  auto g = nnrewrite::parse_text(R"(graph {
    opset "" 13
    input %x: float32[1,2] !INT4
    const %s: float32[] = [0.5]
    node Mul(%x, %s) -> %y: float32[1,2]
    output %y
  })");
  auto back = nnrewrite::onnx_io::import_model(nnrewrite::onnx_io::export_model(g));
  std::cout << nnrewrite::to_text(back);
  return num_vertices(back) == num_vertices(g) && nnrewrite::find_node(back, "") ? 0 : 1;
}
