// The API tour from README.md, kept compiling and passing here. If you change one,
// change the other.
#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>

#include <nnrewrite/nnrewrite.hpp>

TEST_CASE("README API tour", "[readme]") {
  std::ostringstream cout;
  // --- begin tour
  using namespace nnrewrite;

  // Read a graph from the text format (or build one through ir_traits<model>).
  model g = parse_text(R"(graph {
    input %x: float32[1,4] !INT4
    const %a: float32[] = [0.5]
    node scale: Mul(%x, %a) -> %y: float32[1,4]
    node act: Relu(%y) -> %z: float32[1,4]
    output %z
  })");

  // Ask structural questions; every one of them works on your own IR too.
  using T = ir_traits<model>;
  auto mul = *find_node(g, "scale");
  auto a = operand(g, mul, 1)->node;
  bool scalar_scale = T::kind(g, a) == node_kind::constant && T::constant_value(g, a)->is_scalar();
  cout << "scalar scale: " << scalar_scale << ", fork: " << is_fork(g, mul) << ", join: " << is_join(g, mul) << "\n";

  // Mutate through ir_traits: fold the scale into a new constant, bypass the Mul.
  auto half = T::add_constant(g, value_info("a2"), tensor::scalar(0.25));
  T::connect(g, half, 0, mul, 1);
  remove_edge(edge(a, mul, g).first, g);
  T::erase_node(g, a);

  verify_or_throw(g);          // cycles, dangling operands, arity, shapes, names
  cout << to_text(g);          // canonical text; parse_text(to_text(g)) gives g back
  // --- end tour
  std::string out = cout.str();
  CHECK_THAT(out, Catch::StartsWith("scalar scale: 1, fork: 0, join: 0"));
  CHECK_THAT(out, Catch::Contains("const %a2: float32[] = [0.25]"));
  CHECK_THAT(out, Catch::Contains("node scale: Mul(%x, %a2)"));
  CHECK(to_text(parse_text(to_text(g))) == to_text(g));
}
