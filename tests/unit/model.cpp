#include <catch2/catch.hpp>

#include <algorithm>

#include "helpers.hpp"
#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/ir/verify.hpp"

using namespace nnrewrite;
using test::producer_of;
using test::T;
using test::V;

namespace {
// x -> MatMul(x, W) -> Add(mm, x) -> Relu -> out ; x is used three times.
const char* residual = R"(graph {
  input %x: float32[1,4]
  const %W: float32[4,4] = splat 0.5
  node mm: MatMul(%x, %W) -> %mm: float32[1,4]
  node add: Add(%mm, %x) -> %sum: float32[1,4]
  node relu: Relu(%sum) -> %y: float32[1,4]
  node sq: Mul(%y, %y) -> %sq: float32[1,4]
  const %b: float32[4] = [1, 2, 3, 4]
  node bias: Add(%sq, %b) -> %z: float32[1,4]
  output %z
  output %y
})";
}  // namespace

TEST_CASE("operands, producers and uses", "[model][queries]") {
  model g = parse_text(residual);
  V add = producer_of(g, "sum"), mm = producer_of(g, "mm"), x = producer_of(g, "x");
  auto ops = operands(g, add);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0]->node == mm);
  CHECK(ops[1]->node == x);
  CHECK(producer(g, add, 1) == x);
  CHECK_FALSE(operand(g, add, 2));
  auto u = uses(g, value_ref<V>{x, 0});
  CHECK(u.size() == 2);
  CHECK(std::count(u.begin(), u.end(), use_ref<V>{add, 1}) == 1);
  CHECK(std::count(u.begin(), u.end(), use_ref<V>{mm, 0}) == 1);
  CHECK(consumers(g, x).size() == 2);
  // Mul(y, y): two uses of y by the same node, plus the graph output.
  V relu = producer_of(g, "y");
  CHECK(num_uses(g, value_ref<V>{relu, 0}) == 3);
  CHECK(consumers(g, relu).size() == 2);
}

TEST_CASE("is_fork counts every use, graph outputs included", "[model][queries]") {
  model g = parse_text(residual);
  CHECK(is_fork(g, producer_of(g, "x")));      // MatMul and Add
  CHECK(is_fork(g, producer_of(g, "y")));      // Mul twice and a graph output
  CHECK_FALSE(is_fork(g, producer_of(g, "mm")));
  CHECK_FALSE(is_fork(g, producer_of(g, "z")));  // only the graph output
}

TEST_CASE("is_join looks at every operand position", "[model][queries]") {
  model g = parse_text(residual);
  CHECK(is_join(g, producer_of(g, "sum")));    // Add(MatMul_out, graph input): FINN misses this one
  CHECK(is_join(g, producer_of(g, "sq")));     // Mul(y, y)
  CHECK_FALSE(is_join(g, producer_of(g, "mm")));  // MatMul(x, constant)
  CHECK_FALSE(is_join(g, producer_of(g, "z")));   // Add(sq, constant)

  // The non-constant operand may sit in position 1 only.
  model h = parse_text(R"(graph {
    input %x: float32[4]
    const %c: float32[4] = splat 1
    node a: Add(%c, %x) -> %a: float32[4]
    node b: Add(%c, %a) -> %b: float32[4]
    node j: Add(%b, %a) -> %j: float32[4]
    output %j
  })");
  CHECK_FALSE(is_join(h, producer_of(h, "a")));
  CHECK(is_join(h, producer_of(h, "j")));
}

TEST_CASE("topological_order puts producers first and names a node on a cycle", "[model][topo]") {
  model g = parse_text(residual);
  auto order = topological_order(g);
  REQUIRE(order.size() == num_vertices(g));
  auto pos = [&](V v) { return std::find(order.begin(), order.end(), v) - order.begin(); };
  for (auto [ei, eend] = edges(g); ei != eend; ++ei) CHECK(pos(source(*ei, g)) < pos(target(*ei, g)));

  model c = parse_text(R"(graph {
    input %x: float32[4]
    node a: Add(%x, %b) -> %a: float32[4]
    node b: Relu(%a) -> %b: float32[4]
    node tail: Relu(%b) -> %t: float32[4]
    output %t
  })");
  CHECK_THROWS_AS(topological_order(c), graph_error);
  try {
    (void)topological_order(c);
  } catch (const graph_error& e) {
    CHECK((e.node() == "a" || e.node() == "b"));
    CHECK_THAT(e.what(), Catch::Contains("cycle"));
  }
}

TEST_CASE("descriptors stay valid when other vertices are erased, and copies are deep", "[model]") {
  model g = parse_text(residual);
  V relu = producer_of(g, "y");
  V bias = producer_of(g, "z");
  model copy = g;
  T::replace_uses(g, producer_of(g, "sq"), 0, relu, 0);  // bias now reads y directly
  T::erase_node(g, producer_of(g, "sq"));
  CHECK(T::op_type(g, relu) == "Relu");  // listS: still the same vertex
  CHECK(operand(g, bias, 0)->node == relu);
  CHECK(verify(g).empty());
  CHECK(num_vertices(copy) == num_vertices(g) + 1);
  CHECK(find_value(copy, "sq"));
  CHECK_FALSE(find_value(g, "sq"));
}

TEST_CASE("moving a model takes its vertices (descriptors stay valid) and leaves the source empty", "[model]") {
  model g = parse_text(residual);
  g.info.producer_name = "test";
  const std::string text = to_text(g);
  const V relu = producer_of(g, "y");
  const std::size_t index = g.index(relu), bound = g.index_bound();
  model moved = std::move(g);
  CHECK(to_text(moved) == text);
  CHECK(moved.info.producer_name == "test");
  CHECK(T::op_type(moved, relu) == "Relu");  // the same vertex, not a copy
  CHECK(moved.index(relu) == index);
  CHECK(moved.index_bound() == bound);
  CHECK(num_vertices(g) == 0);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK(g.index_bound() == 0);
  CHECK(g.info.producer_name.empty());
  // Both stay usable: the source takes new vertices, the target is rewritten.
  T::add_output(g, "o");
  CHECK(num_vertices(g) == 1);
  model assigned;
  assigned = std::move(moved);
  CHECK(to_text(assigned) == text);
  CHECK(verify(assigned).empty());
  T::replace_uses(assigned, producer_of(assigned, "sq"), 0, relu, 0);
  T::erase_node(assigned, producer_of(assigned, "sq"));
  CHECK(verify(assigned).empty());
}

TEST_CASE("add_vertex moves the node in: a constant's buffer is not copied", "[model]") {
  model g;
  tensor t(element_type::float32, {1000});
  const float* buffer = t.values<float>().data();
  value_info info("w", element_type::float32, dims{1000});
  const V v = T::add_constant(g, info, std::move(t));  // through add_vertex(node, model&)
  REQUIRE(T::constant_value(g, v));
  CHECK(T::constant_value(g, v)->values<float>().data() == buffer);
  CHECK(T::value(g, v, 0).name == "w");
  CHECK(g.index(v) == 0);
  node n;
  n.kind = node_kind::constant;
  n.name = "k";
  n.outputs.push_back(value_info("k", element_type::float32, dims{1000}));
  n.value = tensor(element_type::float32, {1000});
  const float* second = n.value->values<float>().data();
  const V k = add_vertex(std::move(n), g);
  CHECK(g[k].value->values<float>().data() == second);
  CHECK(g.index(k) == 1);
  CHECK(verify(g).empty());
}

TEST_CASE("replace_uses moves only the uses of the given port", "[model][traits]") {
  model g = parse_text(R"(graph {
    input %x: float32[6]
    const %s: int64[2] = [3, 3]
    node sp: Split(%x, %s) {axis = 0} -> %a: float32[3], %b: float32[3]
    node ra: Relu(%a) -> %ra: float32[3]
    node rb: Relu(%b) -> %rb: float32[3]
    node n: Neg(%a) -> %na: float32[3]
    output %ra
    output %rb
    output %na
  })");
  V sp = producer_of(g, "a"), ra = producer_of(g, "ra"), rb = producer_of(g, "rb"), n = producer_of(g, "na");
  V x = producer_of(g, "x");
  T::replace_uses(g, sp, 0, x, 0);
  CHECK(operand(g, ra, 0)->node == x);
  CHECK(operand(g, n, 0)->node == x);
  CHECK(operand(g, rb, 0)->node == sp);
  CHECK(operand(g, rb, 0)->port == 1);
  CHECK(num_uses(g, value_ref<V>{sp, 0}) == 0);
}

TEST_CASE("ir_traits updates on the default graph", "[model][traits]") {
  model g = parse_text(residual);
  V relu = producer_of(g, "y");
  T::set_attribute(g, relu, "alpha", 0.5);
  CHECK(attribute_or<double>(T::attributes(g, relu), "alpha", 0.0) == 0.5);
  CHECK(T::erase_attribute(g, relu, "alpha"));
  CHECK_FALSE(T::erase_attribute(g, relu, "alpha"));
  value_info info = T::value(g, relu, 0);
  info.dtype = data_type::uint(4);
  info.layout = "NC";
  T::set_value(g, relu, 0, info);
  CHECK(T::value(g, relu, 0).qonnx_type() == data_type::uint(4));
  CHECK_THROWS_AS(T::value(g, relu, 1), graph_error);
  CHECK_THROWS_WITH(T::value(g, relu, 1), Catch::Contains("relu") && Catch::Contains("no output 1"));
  V b = producer_of(g, "b");
  T::set_constant_value(g, b, tensor(element_type::float32, {4}, {4.f, 3.f, 2.f, 1.f}));
  CHECK(T::constant_value(g, b)->get(0) == 4.0);
  CHECK_THROWS_AS(T::set_constant_value(g, relu, tensor::scalar(1)), graph_error);
  CHECK(T::constant_value(g, relu) == nullptr);
}

TEST_CASE("typed attribute lookup reports the wrong type", "[attribute]") {
  attribute_map m{{"axis", std::int64_t{1}}, {"mode", std::string("nearest")}, {"scale", 2.0}};
  CHECK(attribute_or<std::int64_t>(m, "axis", 0) == 1);
  CHECK(attribute_or<double>(m, "axis", 0.0) == 1.0);  // an int read as float is fine
  CHECK(attribute_or<std::int64_t>(m, "missing", 7) == 7);
  CHECK(find_attribute<std::string>(m, "missing") == nullptr);
  CHECK_THROWS_AS(find_attribute<std::int64_t>(m, "mode"), type_error);
  CHECK_THROWS_WITH(find_attribute<std::int64_t>(m, "mode"), Catch::Contains("'mode' is string, not int"));
  // attribute_or: one lookup, the same conversions and the same error.
  CHECK(attribute_or<std::int64_t>(m, "scale", 0) == 2);  // an integral float read as int
  CHECK(attribute_or<double>(m, "scale", 0.0) == 2.0);
  CHECK(attribute_or<std::string>(m, "mode", "") == "nearest");
  CHECK_THROWS_WITH(attribute_or<std::int64_t>(m, "mode", 0), Catch::Contains("'mode' is string, not int"));
  CHECK_THROWS_WITH(attribute_or<std::string>(m, "axis", ""), Catch::Contains("'axis' is int, not string"));
}
