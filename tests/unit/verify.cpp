#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "nnrewrite/ir/verify.hpp"

using namespace nnrewrite;
using test::producer_of;
using test::T;
using test::V;

namespace {
const char* good = R"(graph {
  input %x: float32[1,3,8,8]
  const %w: float32[4,3,3,3] = splat 0.5
  node conv: Conv(%x, %w) -> %c: float32[1,4,6,6]
  node relu: Relu(%c) -> %r: float32[1,4,6,6]
  const %t: float32[4,2] = [0, 1, 0, 1, 0, 1, 0, 1]
  node mt: qonnx.custom_op.general.MultiThreshold(%r, %t) {out_dtype = "UINT2"} -> %q: float32[1,4,6,6] !UINT2
  output %q
})";

// The one problem verify() reports, checked to name `node` and say `words`.
void expect_problem(const model& g, const std::string& node, const std::string& words) {
  auto problems = verify(g);
  INFO(to_text(g));
  REQUIRE(problems.size() >= 1);
  bool found = false;
  for (const auto& p : problems) found |= p.node == node && p.problem.find(words) != std::string::npos;
  if (!found)
    for (const auto& p : problems) UNSCOPED_INFO(p.message());
  CHECK(found);
  std::string before = to_text(g);
  CHECK_THROWS_AS(verify_or_throw(g), graph_error);
  CHECK(to_text(g) == before);  // verification never changes the graph
}
}  // namespace

TEST_CASE("a well-formed graph verifies clean", "[verify]") {
  model g = parse_text(good);
  CHECK(verify(g).empty());
  CHECK_NOTHROW(verify_or_throw(g));
}

TEST_CASE("verify finds cycles", "[verify]") {
  model g = parse_text(R"(graph {
    input %x: float32[4]
    node a: Add(%x, %b) -> %a: float32[4]
    node b: Relu(%a) -> %b: float32[4]
    output %b
  })");
  auto p = verify(g);
  REQUIRE(p.size() == 1);
  CHECK(p[0].problem == "lies on a cycle");
  CHECK((p[0].node == "a" || p[0].node == "b"));
}

TEST_CASE("verify finds dangling and doubled operands", "[verify]") {
  SECTION("an operand reading an output that does not exist") {
    model g = parse_text(good);
    T::connect(g, producer_of(g, "c"), 3, producer_of(g, "q"), 2);
    expect_problem(g, "mt", "dangling");
  }
  SECTION("an operand connected twice") {
    model g = parse_text(good);
    T::connect(g, producer_of(g, "x"), 0, producer_of(g, "r"), 0);
    expect_problem(g, "relu", "operand 0 is connected twice");
  }
  SECTION("an operand read from a graph output") {
    model g = parse_text(good);
    T::connect(g, test::output_named(g, "q"), 0, producer_of(g, "r"), 1);
    expect_problem(g, "relu", "graph output");
  }
  SECTION("a graph output with no operand") {
    model g = parse_text(good);
    T::add_output(g, "orphan");
    expect_problem(g, "orphan", "exactly one operand");
  }
  SECTION("a graph input with an operand") {
    model g = parse_text(good);
    T::connect(g, producer_of(g, "w"), 0, producer_of(g, "x"), 0);
    expect_problem(g, "x", "cannot have operands");
  }
}

TEST_CASE("verify checks the arity of known ops", "[verify]") {
  SECTION("too few operands") {
    model g = parse_text("graph { input %x: float32[2]\n node a: Add(%x) -> %y: float32[2]\n output %y }");
    expect_problem(g, "a", "Add takes 2 operands, has 1");
  }
  SECTION("a required operand missing in the middle") {
    model g = parse_text("graph { input %x: float32[2]\n node m: MatMul(_, %x) -> %y: float32[2]\n output %y }");
    expect_problem(g, "m", "required operand 0 is missing");
  }
  SECTION("too many results") {
    model g = parse_text("graph { input %x: float32[2]\n node r: Relu(%x) -> %y: float32[2], %z: float32[2]\n output %y }");
    expect_problem(g, "r", "Relu produces 1 values, declares 2");
  }
  SECTION("unknown ops are not arity-checked") {
    model g = parse_text("graph { input %x: float32[2]\n node c: my.domain.Fancy(%x, %x, %x) -> %y: float32[2]\n output %y }");
    CHECK(verify(g).empty());
  }
}

TEST_CASE("verify finds duplicate and missing names", "[verify]") {
  SECTION("two values with one name") {
    model g = parse_text(good);
    value_info info = T::value(g, producer_of(g, "r"), 0);
    info.name = "c";
    T::set_value(g, producer_of(g, "r"), 0, info);
    auto p = verify(g);
    REQUIRE_FALSE(p.empty());
    CHECK_THAT(p[0].problem, Catch::Contains("value name 'c' is also produced by"));
  }
  SECTION("two nodes with one name") {
    model g = parse_text(good);
    T::set_name(g, producer_of(g, "r"), "conv");
    CHECK_THAT(verify(g)[0].problem, Catch::Contains("duplicate node name 'conv'"));
  }
  SECTION("a used value without a name") {
    model g = parse_text(good);
    value_info info = T::value(g, producer_of(g, "r"), 0);
    V relu = producer_of(g, "r");
    info.name = "";
    T::set_value(g, relu, 0, info);
    expect_problem(g, "relu", "used but has no name");
  }
}

TEST_CASE("verify finds shapes that cannot work together", "[verify]") {
  SECTION("elementwise operands that do not broadcast") {
    model g = parse_text(R"(graph { input %a: float32[2,3]
      input %b: float32[4]
      node add: Add(%a, %b) -> %y: float32[2,3]
      output %y })");
    expect_problem(g, "add", "do not broadcast");
  }
  SECTION("an elementwise result of the wrong shape") {
    model g = parse_text(R"(graph { input %a: float32[2,3]
      input %b: float32[1,3]
      node add: Add(%a, %b) -> %y: float32[1,3]
      output %y })");
    expect_problem(g, "add", "not the broadcast");
  }
  SECTION("MatMul inner dimensions") {
    model g = parse_text(R"(graph { input %a: float32[1,4]
      const %w: float32[5,2] = splat 1
      node mm: MatMul(%a, %w) -> %y: float32[1,2]
      output %y })");
    expect_problem(g, "mm", "inner dimensions differ");
  }
  SECTION("Conv channels against weights and groups") {
    model g = parse_text(R"(graph { input %x: float32[1,6,8,8]
      const %w: float32[6,2,3,3] = splat 1
      node conv: Conv(%x, %w) {group = 2} -> %y: float32[1,6,6,6]
      output %y })");
    expect_problem(g, "conv", "6 channels but weights expect 4");
  }
  SECTION("MultiThreshold rows against channels") {
    model g = parse_text(R"(graph { input %x: float32[1,4,2,2]
      const %t: float32[3,1] = splat 0
      node mt: qonnx.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "BINARY"} -> %y: float32[1,4,2,2]
      output %y })");
    expect_problem(g, "mt", "thresholds have 3 rows for 4 channels");
  }
  SECTION("a shape-preserving op that changes the shape") {
    model g = parse_text("graph { input %x: float32[1,4]\n node r: Relu(%x) -> %y: float32[1,5]\n output %y }");
    expect_problem(g, "r", "differs from operand shape");
  }
  SECTION("a constant whose data disagrees with its declared shape") {
    model g = parse_text(good);
    V w = producer_of(g, "w");
    value_info info = T::value(g, w, 0);
    info.shape = dims{4, 3, 3, 1};
    T::set_value(g, w, 0, info);
    expect_problem(g, "w", "constant has shape [4,3,3,3] but is declared [4,3,3,1]");
  }
  SECTION("unknown and symbolic dimensions are not held against a graph") {
    model g = parse_text(R"(graph { input %a: float32[N,3]
      input %b: float32[?,1]
      node add: Add(%a, %b) -> %y: float32[N,3]
      output %y })");
    CHECK(verify(g).empty());
  }
}

TEST_CASE("verify broadcasts a 1 against a 0 to 0, as numpy does", "[verify]") {
  // Found by fuzz_exec: cleanup inferred [0,2] for Add([0,2], [1,2]) and verify
  // called the (correct) result wrong.
  const model ok = parse_text(R"(graph {
    input %x: float32[0,2]
    const %c: float32[1,2] = [1, 2]
    node add: Add(%x, %c) -> %a: float32[0,2]
    output %a
  })");
  CHECK(verify(ok).empty());
  const model bad = parse_text(R"(graph {
    input %x: float32[0,2]
    const %c: float32[1,2] = [1, 2]
    node add: Add(%x, %c) -> %a: float32[1,2]
    output %a
  })");
  expect_problem(bad, "add", "is not the broadcast");
}
