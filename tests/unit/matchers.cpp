#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "nnrewrite/pattern/matchers.hpp"

using namespace nnrewrite;
using namespace nnrewrite::pattern;
using test::producer_of;
using V = test::V;

namespace {
const char* graph_text = R"(graph {
  input %x: float32[1,4]
  const %a: float32[] = [0.5]
  node scale: Mul(%a, %x) -> %s: float32[1,4]
  const %w: float32[4,3] = splat 1
  node mm: MatMul(%s, %w) -> %y: float32[1,3]
  const %b: float32[1,3,1,1] = [1, 2, 3]
  node fork: Relu(%y) -> %r: float32[1,3]
  node use1: Neg(%r) -> %n1: float32[1,3]
  node use2: Abs(%r) -> %n2: float32[1,3]
  node join: Add(%n1, %n2) {tag = 1} -> %j: float32[1,3]
  output %j
})";
}  // namespace

TEST_CASE("op matchers match operands in order, captures fill in", "[pattern]") {
  model g = parse_text(graph_text);
  value_ref<V> x{}, a{}, w{};
  V mul{};
  auto m = op("MatMul")(op("Mul").bind(&mul)(any(&x), scalar_const(&a)), any(&w));
  REQUIRE(matches(m, g, producer_of(g, "y")));
  CHECK(x.node == producer_of(g, "x"));  // Mul(a, x): matched commutatively
  CHECK(a.node == producer_of(g, "a"));
  CHECK(w.node == producer_of(g, "w"));
  CHECK(mul == producer_of(g, "s"));
  CHECK_FALSE(matches(op("MatMul")(any(), scalar_const()), g, producer_of(g, "y")));  // W is no scalar
  CHECK_FALSE(matches(op("Conv"), g, producer_of(g, "y")));
  CHECK_FALSE(matches(op("MatMul")(any()), g, producer_of(g, "y")));  // arity differs
  CHECK(matches(op()(op(), constant()), g, producer_of(g, "y")));  // any op
}

TEST_CASE("only Add, Mul and marked ops match commutatively", "[pattern]") {
  model g = parse_text(R"(graph {
    input %x: float32[2]
    const %c: float32[2] = [1, 2]
    node s: Sub(%c, %x) -> %s: float32[2]
    node a: Add(%c, %x) -> %a: float32[2]
    output %s
    output %a })");
  CHECK(matches(op("Add")(any(), constant()), g, producer_of(g, "a")));
  CHECK_FALSE(matches(op("Sub")(any(), constant()), g, producer_of(g, "s")));
  CHECK(matches(op("Sub").with_commutative()(any(), constant()), g, producer_of(g, "s")));
}

TEST_CASE("predicates: single_use, not_fork, not_join, has_attr, custom", "[pattern]") {
  model g = parse_text(graph_text);
  CHECK(matches(op("Relu").where(not_join), g, producer_of(g, "r")));
  CHECK_FALSE(matches(op("Relu").where(not_fork), g, producer_of(g, "r")));
  CHECK_FALSE(matches(op("Relu").where(single_use), g, producer_of(g, "r")));
  CHECK(matches(op("Neg").where(single_use).where(not_fork), g, producer_of(g, "n1")));
  CHECK_FALSE(matches(op("Add").where(not_join), g, producer_of(g, "j")));
  CHECK(matches(op("Add").where(has_attr("tag")), g, producer_of(g, "j")));
  CHECK(matches(op("Add").where(has_attr("tag", std::int64_t{1})), g, producer_of(g, "j")));
  CHECK_FALSE(matches(op("Add").where(has_attr("tag", std::int64_t{2})), g, producer_of(g, "j")));
  auto three_wide = [](const model& gr, value_ref<V> v) {
    const auto& s = ir_traits<model>::value(gr, v.node, v.port).shape;
    return s && s->back().size == 3;
  };
  CHECK(matches(op("Add").where(three_wide), g, producer_of(g, "j")));
  CHECK_FALSE(matches(op("Mul").where(three_wide), g, producer_of(g, "s")));
}

TEST_CASE("constant matchers test the tensor", "[pattern]") {
  model g = parse_text(graph_text);
  value_ref<V> b{};
  auto holds = [&](auto m, const char* name) { return m.match(g, value_ref<V>{producer_of(g, name), 0}); };
  CHECK(holds(channelwise_const(1, &b), "b"));
  CHECK(b.node == producer_of(g, "b"));
  CHECK_FALSE(holds(channelwise_const(2), "b"));
  CHECK(holds(scalar_const(), "a"));
  CHECK(holds(channelwise_const(1), "a"));  // one element: channelwise on any axis
  CHECK_FALSE(holds(scalar_const(), "w"));
  CHECK_FALSE(holds(constant(), "x"));      // an input is no constant
  auto all_positive = [](const tensor& t) { return t.all_of([](auto v) { return v > 0; }); };
  CHECK(holds(constant_where<V>(all_positive), "b"));
}

TEST_CASE("ops match in their home domain unless told otherwise", "[pattern]") {
  model g = parse_text(R"(graph {
    input %x: float32[1,2]
    const %t: float32[1,1] = [0]
    node mt: finn.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "BINARY"} -> %mt: float32[1,2]
    node q: qonnx.custom_op.general.MultiThreshold(%mt, %t) {out_dtype = "BINARY"} -> %q: float32[1,2]
    node own: my.ops.Add(%q, %x) -> %own: float32[1,2]
    node onnx: ai.onnx.Add(%own, %x) -> %y: float32[1,2]
    output %y })");
  CHECK(matches(op("MultiThreshold"), g, producer_of(g, "mt")));  // FINN's older domain is QONNX's
  CHECK(matches(op("MultiThreshold"), g, producer_of(g, "q")));
  CHECK_FALSE(matches(op("Add"), g, producer_of(g, "own")));      // not ONNX's Add
  CHECK(matches(op("Add").in_domain("my.ops"), g, producer_of(g, "own")));
  CHECK(matches(op("Add").any_domain(), g, producer_of(g, "own")));
  CHECK(matches(op("Add"), g, producer_of(g, "y")));               // "ai.onnx" is ONNX
  CHECK_FALSE(matches(op("MultiThreshold").in_domain(""), g, producer_of(g, "q")));
}

TEST_CASE("alternatives, operand order and which order matched", "[pattern]") {
  model g = parse_text(R"(graph {
    input %x: float32[2,2]
    const %w: float32[2,2] = [1, 2, 3, 4]
    const %s: float32[] = [0.5]
    node d: Div(%x, %s) -> %d: float32[2,2]
    node left: MatMul(%w, %d) -> %left: float32[2,2]
    node right: MatMul(%d, %w) -> %right: float32[2,2]
    node mx: Max(%s, %right) -> %mx: float32[2,2]
    node sub: Sub(%s, %mx) -> %sub: float32[2,2]
    output %left
    output %sub })");
  CHECK(matches(op({"Mul", "Div"})(any(), scalar_const()), g, producer_of(g, "d")));
  CHECK_FALSE(matches(op({"Mul", "Add"}), g, producer_of(g, "d")));
  CHECK_THROWS_AS(op({"A", "B", "C", "D", "E"}), std::invalid_argument);
  bool swapped = true;
  auto scaled_matmul = [&] { return op("MatMul").either_order(&swapped)(op({"Mul", "Div"})(any(), scalar_const()), constant()); };
  CHECK(matches(scaled_matmul(), g, producer_of(g, "right")));
  CHECK_FALSE(swapped);
  CHECK(matches(scaled_matmul(), g, producer_of(g, "left")));  // the scaled operand is operand 1
  CHECK(swapped);
  CHECK_FALSE(matches(op("MatMul")(op("Div"), constant()), g, producer_of(g, "left")));  // in order only
  // Commutativity comes from the op schema: Max is, Sub is not; either can be overridden.
  CHECK(matches(op("Max")(any(), scalar_const()), g, producer_of(g, "mx")));
  CHECK_FALSE(matches(op("Max").with_commutative(false)(any(), scalar_const()), g, producer_of(g, "mx")));
  CHECK_FALSE(matches(op("Sub")(any(), scalar_const()), g, producer_of(g, "sub")));
}

TEST_CASE("constant predicates and captures with the tensor", "[pattern]") {
  model g = parse_text(R"(graph {
    input %x: float32[1,3,2,2]
    const %pos: float32[3,1,1] = [1, 2, 3]
    const %mixed: float32[3,1,1] = [1, 0, -3]
    node a: Mul(%x, %pos) -> %a: float32[1,3,2,2]
    node b: Mul(%a, %mixed) -> %b: float32[1,3,2,2]
    node f: Relu(%b) -> %f: float32[1,3,2,2]
    node j: Add(%f, %b) -> %y: float32[1,3,2,2]
    output %y })");
  captured_constant<model> c;
  CHECK(matches(op("Mul")(any(), positive_const(&c)), g, producer_of(g, "a")));
  CHECK(c.tensor().to_doubles() == std::vector<double>{1, 2, 3});
  CHECK(matches(op("Mul")(any(), channelwise_const(1, &c)), g, producer_of(g, "a")));  // [3,1,1] on NCHW data
  CHECK_FALSE(matches(op("Mul")(any(), nonnegative_const()), g, producer_of(g, "b")));
  CHECK(matches(op("Mul")(any(), constant_where(both{finite_test{}, is_scalar_test{}} )), g, producer_of(g, "b")) == false);
  CHECK(matches(op("Mul").where(not_fork_or_join), g, producer_of(g, "a")));
  CHECK_FALSE(matches(op("Mul").where(not_fork_or_join), g, producer_of(g, "b")));  // %b forks
  CHECK_FALSE(matches(op("Add").where(not_fork_or_join), g, producer_of(g, "y")));  // a join
}
