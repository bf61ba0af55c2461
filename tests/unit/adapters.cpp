// The two example IRs (a user's own Boost graph; a foreign map-of-nodes IR) run
// through the generic algorithms exactly like nnrewrite::model. Both IRs give a
// node the name of the value it produces, so the test graph does too.
#include <catch2/catch.hpp>

#include "foreign_ir.hpp"
#include "user_boost_graph.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/ir/verify.hpp"

using namespace nnrewrite;

namespace {
const char* residual = R"(graph {
  input %x: float32[1,4]
  const %w: float32[4,4] = splat 0.5
  node mm: MatMul(%x, %w) -> %mm: float32[1,4]
  node sum: Add(%mm, %x) -> %sum: float32[1,4]
  node y: LeakyRelu(%sum) {alpha = 0.25} -> %y: float32[1,4]
  output %y
})";

template <class G>
void exercise(const char* text) {
  using T = ir_traits<G>;
  G g = parse_text<G>(text);
  CHECK(verify(g).empty());
  CHECK(to_text(parse_text<G>(to_text(g))) == to_text(g));
  CHECK(to_text(g) == to_text(parse_text<model>(text)));  // same canonical text as the default graph

  auto x = find_value(g, "x")->node;
  auto sum = find_value(g, "sum")->node;
  auto mm = find_value(g, "mm")->node;
  CHECK(is_fork(g, x));
  CHECK(is_join(g, sum));
  CHECK_FALSE(is_join(g, mm));
  CHECK(topological_order(g).size() == num_vertices(g));
  CHECK(attribute_or<double>(T::attributes(g, find_value(g, "y")->node), "alpha", 0) == 0.25);

  // Bypass the MatMul: Add(x, x). Then erase it; the graph stays valid.
  T::replace_uses(g, mm, 0, x, 0);
  T::erase_node(g, find_value(g, "mm")->node);
  CHECK(verify(g).empty());
  CHECK_FALSE(find_value(g, "mm"));
  CHECK(operands(g, find_value(g, "sum")->node).size() == 2);
  CHECK(operand(g, find_value(g, "sum")->node, 0)->node == find_value(g, "x")->node);
}
}  // namespace

TEST_CASE("a user's own Boost graph works through ir_traits alone", "[adapters]") {
  exercise<user::graph>(residual);
}

TEST_CASE("a foreign map-of-nodes IR works through graph_traits + ir_traits", "[adapters]") {
  exercise<awesome::net>(residual);
}

TEST_CASE("an adapter refuses what its IR cannot hold, with a clear error", "[adapters]") {
  CHECK_THROWS_WITH(parse_text<user::graph>("graph { input %x: float32\n node Relu(%x) {scales = [0.5, 1.5]} -> %y: float32\n output %y }"),
                    Catch::Contains("numbers, strings and integer lists only"));
  CHECK_THROWS_WITH(parse_text<user::graph>("graph { input %x: float32\n const %c: int8[1] = [1]\n node Add(%x, %c) -> %y: float32\n output %y }"),
                    Catch::Contains("float32 and int64 constants only"));
  CHECK_THROWS_WITH(parse_text<awesome::net>("graph { input %x: float32\n node Split(%x) -> %a: float32, %b: float32\n output %a }"),
                    Catch::Contains("one value"));
}
