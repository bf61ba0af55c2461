// Must NOT compile. ctest builds it and checks that the compiler names the
// unsatisfied nnrewrite concept (see tests/CMakeLists.txt).
#include "nnrewrite/ir/topological_order.hpp"

struct not_a_graph {};

int main() {
  not_a_graph g;
  (void)nnrewrite::topological_order(g);
}
