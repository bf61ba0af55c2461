#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "helpers.hpp"
#include "nnrewrite/io/dot.hpp"

using namespace nnrewrite;

namespace {
const char* graph_text = R"(graph {
  input %x: float32[1,4] !UINT8
  const %w: float32[4,2] = splat 1
  node mm: MatMul(%x, %w) -> %"y \"q\"": float32[1,2] !INT8
  node r: Relu(%"y \"q\"") -> %r: float32[1,2]
  output %r
})";
}

TEST_CASE("DOT export has one vertex per node and one edge per use", "[dot]") {
  model g = parse_text(graph_text);
  std::string dot = to_dot(g);
  CHECK_THAT(dot, Catch::StartsWith("digraph nnrewrite {"));
  std::size_t vertices_seen = 0, edges_seen = 0;
  for (std::size_t p = 0; (p = dot.find("[label=", p)) != std::string::npos; ++p) ++vertices_seen;
  for (std::size_t p = 0; (p = dot.find(" -> n", p)) != std::string::npos; ++p) ++edges_seen;
  CHECK(edges_seen == num_edges(g));
  CHECK(vertices_seen == num_vertices(g) + num_edges(g));  // edges carry labels too
  CHECK_THAT(dot, Catch::Contains("MatMul\\nmm"));
  CHECK_THAT(dot, Catch::Contains("y \\\"q\\\"\\nfloat32[1,2] INT8"));  // quotes escaped
  CHECK_THAT(dot, Catch::Contains("shape=note"));
}

TEST_CASE("DOT export is accepted by Graphviz", "[dot]") {
  if (std::system("dot -V > /dev/null 2>&1") != 0) {
    WARN("Graphviz 'dot' is not installed: the syntax check by Graphviz is skipped (apt-get install graphviz)");
    return;
  }
  model g = parse_text(graph_text);
  const std::string path = "nnrewrite_dot_test.dot";
  std::ofstream(path) << to_dot(g);
  CHECK(std::system(("dot -Tsvg " + path + " -o nnrewrite_dot_test.svg").c_str()) == 0);
  std::remove(path.c_str());
  std::remove("nnrewrite_dot_test.svg");
}
