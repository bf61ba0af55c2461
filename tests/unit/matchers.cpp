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
