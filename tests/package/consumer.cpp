// A downstream project's view of nnrewrite: include the umbrella header, build a
// graph, verify it, print it.
#include <iostream>

#include <nnrewrite/nnrewrite.hpp>

int main() {
  auto g = nnrewrite::parse_text(R"(graph {
    input %x: float32[1,2] !INT4
    const %s: float32[] = [0.5]
    node Mul(%x, %s) -> %y: float32[1,2]
    output %y
  })");
  nnrewrite::verify_or_throw(g);
  std::cout << nnrewrite::to_text(g);
  return num_vertices(g) == 4 ? 0 : 1;
}
