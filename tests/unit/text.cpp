#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "helpers.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/verify.hpp"

using namespace nnrewrite;
using test::producer_of;
using test::T;
using test::V;

namespace {
// Everything the model can hold, in one graph.
const char* everything = R"(graph "all things" {
  ir_version 8
  opset "" 13
  opset "qonnx.custom_op.general" 1
  producer "pytorch" "2.1"
  domain "org.example"
  model_version 3
  doc "a \"quoted\"\tdoc\nwith lines"
  meta "author" "nnrewrite tests"
  meta "empty" ""
  graph_doc "the graph's own doc"
  input_initializer "f64"
  input %"in/0:x": float32[batch,3,?,4] !UINT8 @NCHW
  input %unranked: float32
  input %flags: bool[2]
  const %f64: float64[2] = [0.1, -1e-300]
  const %i8: int8[3] = [-128, 0, 127]
  const %u64: uint64[1] = [9223372036854775807]
  const %i64: int64[2] = [-9223372036854775808, 9223372036854775807]
  const %half: float16[2] = [0.5, -2]
  const %special: float32[4] = [nan, inf, -inf, -0]
  const %scalar: float32[] = [0.1]
  const %zeros: float32[2,2] = splat 0
  const %fixed: float32[2] !FIXED<16,3> @C = [0.125, -4]
  node mix: org.example.Fancy(%"in/0:x", _, %f64, %i8) {i = -3, f = 2.0, tiny = 1e-45, s = "x\\y", is = [1, -2], fs = [0.5, 1.0], ss = ["a", "b\"c"], e1 = ints[], e2 = floats[], e3 = strings[], t = tensor float32[2,2] [1, 2, 3, 4.5]} doc "node doc" -> %m0: float32[batch,3,?,4] !SCALEDINT<8>, %m1: int64 !INT4 @NC, %"": float32
  node Relu(%m0) -> %r: float32[batch,3,?,4]
  node join: Sum(%r, %special, %u64, %i64, %half, %scalar, %zeros, %fixed, %unranked, %flags, %m1) -> %s: float32
  node dead: Neg(%i8) -> %dead: int8[3]
  output %s
  output %r as "second output"
})";
}  // namespace

TEST_CASE("the text format round-trips everything the model holds", "[text]") {
  model g = parse_text(everything);
  std::string printed = to_text(g);
  INFO(printed);
  model h = parse_text(printed);
  CHECK(to_text(h) == printed);
  CHECK(h.info == g.info);
  CHECK(h.info.graph_name == "all things");
  CHECK(h.info.metadata.size() == 2);
  CHECK(h.info.doc_string == "a \"quoted\"\tdoc\nwith lines");

  // Exact constants, whatever their type.
  CHECK(T::constant_value(h, producer_of(h, "f64"))->values<double>()[0] == 0.1);
  CHECK(T::constant_value(h, producer_of(h, "f64"))->values<double>()[1] == -1e-300);
  CHECK(T::constant_value(h, producer_of(h, "scalar"))->values<float>()[0] == 0.1f);
  CHECK(T::constant_value(h, producer_of(h, "i64"))->get_int(0) == std::numeric_limits<std::int64_t>::min());
  CHECK(T::constant_value(h, producer_of(h, "i8"))->type() == element_type::int8);
  const tensor& sp = *T::constant_value(h, producer_of(h, "special"));
  CHECK(std::isnan(sp.get(0)));
  CHECK(sp.get(1) == INFINITY);
  CHECK(sp.get(2) == -INFINITY);
  CHECK(std::signbit(sp.get(3)));
  for (const char* name : {"f64", "i8", "u64", "i64", "half", "special", "scalar", "zeros", "fixed"})
    CHECK(*T::constant_value(h, producer_of(h, name)) == *T::constant_value(g, producer_of(g, name)));

  // Values: symbolic and unknown dims, unknown rank, data types, layouts.
  const value_info& x = T::value(h, producer_of(h, "in/0:x"), 0);
  REQUIRE(x.shape);
  CHECK((*x.shape)[0].param == "batch");
  CHECK_FALSE((*x.shape)[2].known());
  CHECK((*x.shape)[3].size == 4);
  CHECK(x.dtype == data_type::uint(8));
  CHECK(x.layout == "NCHW");
  CHECK_FALSE(T::value(h, producer_of(h, "unranked"), 0).shape);
  CHECK(T::value(h, producer_of(h, "fixed"), 0).dtype == data_type::fixed(16, 3));

  // Nodes: domain, absent operand, attributes of every kind, several results, doc.
  V mix = producer_of(h, "m0");
  CHECK(T::domain(h, mix) == "org.example");
  CHECK(T::op_type(h, mix) == "Fancy");
  CHECK(h[mix].doc_string == "node doc");
  CHECK_FALSE(operand(h, mix, 1));
  CHECK(operand(h, mix, 3)->node == producer_of(h, "i8"));
  const attribute_map& a = T::attributes(h, mix);
  CHECK(std::get<std::int64_t>(a.at("i")) == -3);
  CHECK(std::get<double>(a.at("f")) == 2.0);
  CHECK(std::get<double>(a.at("tiny")) == 1e-45);
  CHECK(std::get<std::string>(a.at("s")) == "x\\y");
  CHECK(std::get<std::vector<std::int64_t>>(a.at("is")) == std::vector<std::int64_t>{1, -2});
  CHECK(std::get<std::vector<double>>(a.at("fs")) == std::vector<double>{0.5, 1.0});
  CHECK(std::get<std::vector<std::string>>(a.at("ss")) == std::vector<std::string>{"a", "b\"c"});
  CHECK(std::get<std::vector<std::int64_t>>(a.at("e1")).empty());
  CHECK(std::holds_alternative<std::vector<double>>(a.at("e2")));
  CHECK(std::holds_alternative<std::vector<std::string>>(a.at("e3")));
  CHECK(std::get<tensor>(a.at("t")).get(3) == 4.5);
  CHECK(T::num_outputs(h, mix) == 3);
  CHECK(T::value(h, mix, 2).name.empty());
  CHECK(T::value(h, mix, 1).layout == "NC");

  CHECK(T::name(h, test::output_named(h, "second output")) == "second output");
  CHECK(operand(h, test::output_named(h, "second output"), 0)->node == producer_of(h, "r"));
  CHECK(find_node(h, "dead"));  // nodes reaching no output survive too
}

TEST_CASE("random constants survive printing bit for bit", "[text]") {
  std::mt19937 rng(42);
  std::normal_distribution<float> f(0.f, 1e3f);
  std::uniform_real_distribution<double> d(-1e300, 1e300);
  std::vector<float> fv(1000);
  std::vector<double> dv(257);
  for (auto& v : fv) v = f(rng) * std::pow(10.f, float(int(rng() % 20) - 10));
  for (auto& v : dv) v = d(rng);
  model g;
  T::add_constant(g, value_info{"f"}, tensor(element_type::float32, {10, 100}, fv));
  T::add_constant(g, value_info{"d"}, tensor(element_type::float64, {257}, dv));
  model h = parse_text(to_text(g));
  CHECK(*T::constant_value(h, producer_of(h, "f")) == *T::constant_value(g, producer_of(g, "f")));
  CHECK(*T::constant_value(h, producer_of(h, "d")) == *T::constant_value(g, producer_of(g, "d")));
}

TEST_CASE("printing is canonical: build order does not matter", "[text]") {
  // The same graph, written in two different orders.
  model a = parse_text(R"(graph {
    input %x: float32[2]
    const %c: float32[2] = [1, 2]
    node add: Add(%x, %c) -> %s: float32[2]
    node relu: Relu(%s) -> %r: float32[2]
    node neg: Neg(%x) -> %n: float32[2]
    node mul: Mul(%r, %n) -> %y: float32[2]
    output %y
  })");
  model b = parse_text(R"(graph {
    input %x: float32[2]
    node mul: Mul(%r, %n) -> %y: float32[2]
    node neg: Neg(%x) -> %n: float32[2]
    node relu: Relu(%s) -> %r: float32[2]
    node add: Add(%x, %c) -> %s: float32[2]
    const %c: float32[2] = [1, 2]
    output %y
  })");
  CHECK(to_text(a) == to_text(b));
  // Operands come before their users in the printed text.
  std::string t = to_text(b);
  CHECK(t.find("node add") < t.find("node relu"));
  CHECK(t.find("node relu") < t.find("node neg"));
  CHECK(t.find("node neg") < t.find("node mul"));
}

TEST_CASE("printing is canonical for what reaches no output, cycles included", "[text]") {
  // Found by fuzz_text: a dead cycle printed rotated after each round trip, because
  // the walk over unreached nodes started from whichever was built first.
  const char* ab = R"(graph {
    input %x: float32[4]
    node d2: Sigmoid(%t1) -> %t2: float32[4]
    node d3: Add(%t2, %x) -> %t1: float32[4]
    node dead: Neg(%x) -> %n: float32[4]
    node live: Relu(%x) -> %y: float32[4]
    output %y
  })";
  const char* ba = R"(graph {
    input %x: float32[4]
    node dead: Neg(%x) -> %n: float32[4]
    node d3: Add(%t2, %x) -> %t1: float32[4]
    node live: Relu(%x) -> %y: float32[4]
    node d2: Sigmoid(%t1) -> %t2: float32[4]
    output %y
  })";
  const std::string once = to_text(parse_text(ab));
  CHECK(to_text(parse_text(once)) == once);
  CHECK(to_text(parse_text(ba)) == once);
}

TEST_CASE("symbolic dims that are not identifiers are quoted", "[text]") {
  // Found by fuzz_text: a dim_param "/" printed bare did not parse back.
  for (const char* d : {"/", ".", "a/b", "_x", "N", "1a", "-", "a b"}) {
    model g;
    ir_traits<model>::add_input(g, value_info("x", element_type::float32, dims{dim(std::string(d)), 4}));
    const std::string once = to_text(g);
    INFO(once);
    CHECK(to_text(parse_text(once)) == once);
  }
}

TEST_CASE("large constants can be elided for reading, and then refuse to parse", "[text]") {
  model g;
  T::connect(g, T::add_constant(g, value_info{"big"}, tensor(element_type::float32, {100})), 0, T::add_output(g, "big"), 0);
  text_options short_form;
  short_form.max_constant_elements = 10;
  std::string t = to_text(g, short_form);
  CHECK_THAT(t, Catch::Contains("= elided"));
  CHECK_THROWS_WITH(parse_text(t), Catch::Contains("elided") && Catch::Contains("max_constant_elements"));
  CHECK_NOTHROW(parse_text(to_text(g)));
}

TEST_CASE("parse errors give line:column and what was expected", "[text]") {
  struct bad {
    const char* text;
    std::size_t line, column;
    const char* words;
  };
  auto c = GENERATE(values<bad>({
      {"", 1, 1, "expected 'graph'"},
      {"graph", 1, 6, "expected '{'"},
      {"graph {\n  input %x: float33[1]\n}", 2, 13, "expected an element type"},
      {"graph {\n  input x: float32[1]\n}", 2, 9, "expected '%'"},
      {"graph {\n  input %x: float32[1,-2]\n}", 2, 23, "cannot be negative"},
      {"graph {\n  input %x: float32[1] !INT0\n}", 2, 25, "unknown QONNX data type 'INT0'"},
      {"graph {\n  const %c: float32[2] = [1]\n}", 2, 26, "has 1 values, shape [2] needs 2"},
      {"graph {\n  const %c: int8[1] = [300]\n}", 2, 24, "300 does not fit int8"},
      {"graph {\n  const %c: int64[1] = [1.5]\n}", 2, 25, "not an integer"},
      {"graph {\n  const %c: float32[?] = [1]\n}", 2, 9, "fully known"},
      {"graph {\n  node Relu(%x) -> %y: float32\n}", 2, 13, "unknown value %x"},
      {"graph {\n  input %x: float32\n  input %x: float32\n}", 3, 9, "defined twice"},
      {"graph {\n  input %x: float32\n  output %nope\n}", 3, 10, "unknown value %nope"},
      {"graph {\n  input %x: float32\n  node Relu(%x) {a = 1, a = 2} -> %y: float32\n}", 3, 25, "given twice"},
      {"graph {\n  input %x: float32\n  node Relu(%x {a = 1}) -> %y: float32\n}", 3, 16, "expected ')'"},
      {"graph {\n  frobnicate\n}", 2, 3, "expected input, const, node, output"},
      {"graph {\n  doc \"unterminated\n}", 2, 7, "unterminated string"},
      {"graph {\n  input %x: float32\n}\nextra", 4, 1, "unexpected text after the graph"},
      {"graph {\n  input %x: float32\n", 3, 1, "expected '}'"},
      {"graph {\n  node Relu(%x) {a = [1, \"s\"]} -> %y: float32\n}", 2, 26, "expected a number"},
  }));
  INFO(c.text);
  try {
    (void)parse_text(c.text);
    FAIL("parsed without error");
  } catch (const parse_error& e) {
    CHECK(e.line() == c.line);
    CHECK(e.column() == c.column);
    CHECK_THAT(e.what(), Catch::Contains(c.words));
  }
}

TEST_CASE("a parse error builds nothing: the caller's graph is untouched", "[text]") {
  model g = parse_text("graph { input %x: float32[1]\n output %x }");
  std::string before = to_text(g);
  try {
    g = parse_text("graph { input %x: float32[1]\n node Relu(%y) -> %z: float32\n output %z }");
  } catch (const parse_error&) {
  }
  CHECK(to_text(g) == before);
}

TEST_CASE("text round trips that used to break: symbolic dims, uint64, dotted op types, float16", "[text]") {
  // D20: a symbolic dim that starts with a digit, or is all digits, stays symbolic.
  for (const char* text : {"graph {\n  input %x: float32[\"123\",4]\n  output %x\n}\n",
                           "graph {\n  input %x: float32[\"1a\",4]\n  output %x\n}\n"}) {
    const model g = parse_text(text);
    CHECK(to_text(g) == text);
    CHECK_FALSE(T::value(g, producer_of(g, "x"), 0).shape->front().known());
  }
  // D21: uint64 values of 2^63 and above print as what they are and read back.
  const char* u64 = "graph {\n  const %c: uint64[2] = [18446744073709551615, 9223372036854775808]\n  output %c\n}\n";
  CHECK(to_text(parse_text(u64)) == u64);
  // D22: an op type with a dot keeps its domain split.
  model dotted = parse_text("graph {\n input %x: float32[2]\n node r: \"Re.lu\"(%x) -> %y: float32[2]\n"
                            " node s: my.ops.\"Si.gn\"(%y) -> %z: float32[2]\n output %z\n}");
  CHECK(T::op_type(dotted, producer_of(dotted, "y")) == "Re.lu");
  CHECK(T::domain(dotted, producer_of(dotted, "y")) == "");
  CHECK(T::op_type(dotted, producer_of(dotted, "z")) == "Si.gn");
  CHECK(T::domain(dotted, producer_of(dotted, "z")) == "my.ops");
  CHECK(to_text(parse_text(to_text(dotted))) == to_text(dotted));
  // D27: float16 constants hold float16 values from the start (1e5 is inf, 1e-10 is 0).
  const model h = parse_text("graph {\n input %x: float16[2]\n const %c: float16[2] = [100000, 1e-10]\n"
                             " node a: Add(%x, %c) -> %y: float16[2]\n output %y\n}");
  const auto c = T::constant_value(h, producer_of(h, "c"));
  CHECK(std::isinf(c->get(0)));
  CHECK(c->get(1) == 0.0);
  CHECK(to_text(parse_text(to_text(h))) == to_text(h));
}

TEST_CASE("sizes are checked before the parser allocates", "[text][errors]") {
  CHECK_THROWS_WITH(parse_text("graph {\n const %c: float32[4294967296,4294967296,4] = []\n output %c\n}"),
                    Catch::Contains("2:") && Catch::Contains("more elements than int64 can count"));
  CHECK_THROWS_WITH(parse_text("graph {\n const %c: float32[1000000000] = [1]\n output %c\n}"),
                    Catch::Contains("over the limit"));
  const auto saved = tensor_limits().max_elements;
  tensor_limits().max_elements = 4;
  CHECK_THROWS_AS(parse_text("graph {\n const %c: float32[5] = splat 1\n output %c\n}"), parse_error);
  CHECK_NOTHROW(parse_text("graph {\n const %c: float32[4] = splat 1\n output %c\n}"));
  tensor_limits().max_elements = saved;
}
