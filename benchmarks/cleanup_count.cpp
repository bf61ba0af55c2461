// Instructions of one step on the scale benchmarks' graphs (shapes.hpp), for
// valgrind --tool=callgrind (benchmarks/callgrind.sh): collection is switched
// on around that step only, so building the graph is not counted. Instruction
// counts repeat exactly on a VM whose times vary 2x, and their ratios are the
// exact counterparts of rewrite_bench's x_flat figures.
//
//   cleanup_count flat SHAPE N     Kahn over CSR arrays (the reference)
//   cleanup_count sort SHAPE N     topological_order on the graph as built
//   cleanup_count cleanup SHAPE N  the greedy driver with the cleanup set
//
// SHAPE is chain, fanout or residual; N the number of vertices.
#include <cstdio>
#include <cstdlib>
#include <string>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#endif

#include "nnrewrite/passes.hpp"

#include "shapes.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: cleanup_count flat|sort|cleanup chain|fanout|residual VERTICES\n");
    return 2;
  }
  const std::string step = argv[1], name = argv[2];
  const shapes::shape s = name == "chain" ? shapes::shape::chain
                          : name == "fanout" ? shapes::shape::fanout
                          : shapes::shape::residual;
  nnrewrite::model g = shapes::make_graph(s, std::size_t(std::atol(argv[3])));
  const std::size_t vertices = num_vertices(g);
  std::size_t result = 0;
  if (step == "flat") {
    const shapes::csr c = shapes::to_csr(g);
    CALLGRIND_TOGGLE_COLLECT;
    result = shapes::flat_kahn(c).size();
    CALLGRIND_TOGGLE_COLLECT;
  } else if (step == "sort") {
    CALLGRIND_TOGGLE_COLLECT;
    result = nnrewrite::topological_order(g).size();
    CALLGRIND_TOGGLE_COLLECT;
  } else if (step == "cleanup") {
    nnrewrite::pattern_set<nnrewrite::model> set;
    nnrewrite::populate_cleanup_patterns(set);
    CALLGRIND_TOGGLE_COLLECT;
    const auto r = nnrewrite::apply_patterns_greedily(g, set);
    CALLGRIND_TOGGLE_COLLECT;
    if (!r.converged) {
      std::fprintf(stderr, "cleanup did not converge\n");
      return 1;
    }
    result = r.rewrites;
  } else {
    std::fprintf(stderr, "cleanup_count: unknown step %s\n", step.c_str());
    return 2;
  }
  std::printf("%s %s: %zu vertices, result %zu\n", step.c_str(), name.c_str(), vertices, result);
  return 0;
}
