// Arithmetic normalisation: ConvertSubToAdd, ConvertDivToMul, BatchNormToAffine,
// ConvertSignToThres, CollapseRepeatedAdd/Mul — each checked with the executor on
// all three IRs, and each refusing (with a reason) where it must.
#include "check.hpp"

using namespace nnrewrite;
using namespace nnrewrite::streamline;

TEST_CASE("ConvertSubToAdd and ConvertDivToMul", "[streamline][normalize]") {
  const char* text = R"(graph {
    input %x: float32[2,3]
    const %c: float32[3] = [1.5, -2, 0.25]
    node s: Sub(%x, %c) -> %s: float32[2,3]
    const %d: float32[] = [4]
    node q: Div(%s, %d) -> %q: float32[2,3]
    output %q
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<ConvertSubToAdd>(g).per_pattern["ConvertSubToAdd"] == 1);
    CHECK(check::apply<ConvertDivToMul>(g).per_pattern["ConvertDivToMul"] == 1);
    CHECK(check::count(g, "Sub") == 0);
    CHECK(check::count(g, "Div") == 0);
    CHECK(check::count(g, "Add") == 1);
    CHECK(check::count(g, "Mul") == 1);
    const auto neg = find_value(g, "s_param");
    REQUIRE(neg);
    CHECK(ir_traits<G>::constant_value(g, neg->node)->to_doubles() == std::vector<double>{-1.5, 2, -0.25});
    check::require_equivalent(original, g);
  });
}

TEST_CASE("Sub and Div that are not a scale or bias stay", "[streamline][normalize]") {
  const auto [text, rule, reason] = GENERATE(table<const char*, const char*, const char*>({
      {R"(graph { input %x: float32[3]
                  const %c: float32[3] = [1, 0, 2]
                  node q: Div(%x, %c) -> %q: float32[3]
                  output %q })", "ConvertDivToMul", "the divisor has a zero"},
      {R"(graph { input %x: int32[3]
                  const %c: int32[] = [2]
                  node q: Div(%x, %c) -> %q: int32[3]
                  output %q })", "ConvertDivToMul", "an integer Div truncates: it is not a Mul"},
      {R"(graph { input %x: float32[3]
                  const %c: float32[] = [2]
                  node q: Div(%c, %x) -> %q: float32[3]
                  output %q })", "ConvertDivToMul", "the constant is the first operand of a non-commutative op"},
      {R"(graph { input %x: float32[3]
                  input %y: float32[3]
                  node s: Sub(%x, %y) -> %s: float32[3]
                  output %s })", "ConvertSubToAdd", "no operand is a constant"},
      {R"(graph { input %x: float32[3]
                  const %c: float32[] = [nan]
                  node s: Sub(%x, %c) -> %s: float32[3]
                  output %s })", "ConvertSubToAdd", "the constant holds NaN or Inf"},
  }));
  model g = parse_text(text);
  const std::string before = to_text(g);
  const auto r = std::string_view(rule) == "ConvertDivToMul" ? check::apply<ConvertDivToMul>(g, true)
                                                              : check::apply<ConvertSubToAdd>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, rule) == reason);
  CHECK(to_text(g) == before);
}

TEST_CASE("BatchNormToAffine: NCHW data, and 2-D data between Unsqueeze and Squeeze", "[streamline][normalize]") {
  const char* nchw = R"(graph {
    input %x: float32[1,3,2,2]
    const %gamma: float32[3] = [1.5, -0.5, 2]
    const %beta: float32[3] = [0.1, 0.2, -0.3]
    const %mean: float32[3] = [1, -1, 0.5]
    const %var: float32[3] = [0.25, 4, 1]
    node bn: BatchNormalization(%x, %gamma, %beta, %mean, %var) {epsilon = 0.001} -> %bn: float32[1,3,2,2]
    output %bn
  })";
  check::on_every_ir(nchw, [](auto& g, const auto& original) {
    CHECK(check::apply<BatchNormToAffine>(g).per_pattern["BatchNormToAffine"] == 1);
    CHECK(check::count(g, "BatchNormalization") == 0);
    CHECK(check::count(g, "Mul") == 1);
    CHECK(check::count(g, "Add") == 1);
    check::require_equivalent(original, g);
  });

  // TFC's form: MatMul output [1, C] -> Unsqueeze -> BN -> Squeeze.
  const char* fc = R"(graph {
    input %x: float32[1,3]
    node u: Unsqueeze(%x) {axes = [2]} -> %u: float32[1,3,1]
    const %gamma: float32[3] = [1.5, -0.5, 2]
    const %beta: float32[3] = [0.1, 0.2, -0.3]
    const %mean: float32[3] = [1, -1, 0.5]
    const %var: float32[3] = [0.25, 4, 1]
    node bn: BatchNormalization(%u, %gamma, %beta, %mean, %var) -> %bn: float32[1,3,1]
    node s: Squeeze(%bn) {axes = [2]} -> %s: float32[1,3]
    node r: Relu(%s) -> %r: float32[1,3]
    output %r
  })";
  model g = parse_text(fc);
  const model original = parse_text(fc);
  CHECK(check::apply<BatchNormToAffine>(g).rewrites == 1);
  CHECK(check::count(g) == 3);  // Mul, Add, Relu: the Unsqueeze and Squeeze went with the BN
  CHECK(check::count(g, "Unsqueeze") == 0);
  CHECK(check::count(g, "Squeeze") == 0);
  check::require_equivalent(original, g);
}

TEST_CASE("BatchNormToAffine refuses training mode and non-constant statistics", "[streamline][normalize]") {
  const auto [text, reason] = GENERATE(table<const char*, const char*>({
      {R"(graph { input %x: float32[1,2]
                  const %p: float32[2] = [1, 1]
                  node bn: BatchNormalization(%x, %p, %p, %p, %p) {training_mode = 1} -> %bn: float32[1,2]
                  output %bn })", "in training mode"},
      {R"(graph { input %x: float32[1,2]
                  input %m: float32[2]
                  const %p: float32[2] = [1, 1]
                  node bn: BatchNormalization(%x, %p, %p, %m, %p) -> %bn: float32[1,2]
                  output %bn })", "scale, bias, mean and variance are not all constants"},
      {R"(graph { input %x: float32[1,2]
                  const %p: float32[2] = [1, 1]
                  const %v: float32[2] = [-1, 1]
                  node bn: BatchNormalization(%x, %p, %p, %p, %v) {epsilon = 0} -> %bn: float32[1,2]
                  output %bn })", "variance + epsilon is not positive"},
  }));
  model g = parse_text(text);
  const auto r = check::apply<BatchNormToAffine>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "BatchNormToAffine") == reason);
}

TEST_CASE("ConvertSignToThres: a bipolar MultiThreshold", "[streamline][normalize]") {
  const char* text = R"(graph {
    input %x: float32[2,5]
    node s: Sign(%x) -> %s: float32[2,5]
    output %s
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<ConvertSignToThres>(g).rewrites == 1);
    CHECK(check::count(g, "MultiThreshold") == 1);
    CHECK(check::count(g, "Sign") == 0);
    // Random float inputs are never exactly 0, where Sign gives 0 and the threshold +1.
    check::require_equivalent(original, g);
  });
  // At 0 the two differ, as documented (and as in FINN).
  model g = parse_text(text);
  const model original = parse_text(text);
  (void)check::apply<ConvertSignToThres>(g);
  exec::tensor_map in{{"x", tensor(element_type::float32, shape_t{2, 5}, std::vector<float>(10, 0.0f))}};
  CHECK(exec::execute(original, in).at("s").get(0) == 0);
  CHECK(exec::execute(g, in).at("s").get(0) == 1);
}

TEST_CASE("CollapseRepeatedAdd and CollapseRepeatedMul (FINN's case)", "[streamline][normalize]") {
  // FINN test_collapse_repeated_op: input [2]; Add[1,3] -> Add[-1,3] -> Mul[2,4] -> Mul[2,-4].
  const char* text = R"(graph {
    input %x: float32[2]
    const %a0: float32[2] = [1, 3]
    node a1: Add(%x, %a0) -> %a1: float32[2]
    const %b0: float32[2] = [-1, 3]
    node a2: Add(%a1, %b0) -> %a2: float32[2]
    const %c0: float32[2] = [2, 4]
    node m1: Mul(%a2, %c0) -> %m1: float32[2]
    const %d0: float32[2] = [2, -4]
    node m2: Mul(%m1, %d0) -> %m2: float32[2]
    output %m2
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<CollapseRepeatedAdd>(g).rewrites == 1);
    CHECK(check::apply<CollapseRepeatedMul>(g).rewrites == 1);
    CHECK(check::count(g) == 2);
    check::require_equivalent(original, g);
  });
}

TEST_CASE("CollapseRepeated leaves a forking first op alone", "[streamline][normalize]") {
  model g = parse_text(R"(graph {
    input %x: float32[2]
    const %a0: float32[2] = [1, 3]
    node a1: Add(%x, %a0) -> %a1: float32[2]
    const %b0: float32[2] = [-1, 3]
    node a2: Add(%a1, %b0) -> %a2: float32[2]
    output %a2
    output %a1
  })");
  const auto r = check::apply<CollapseRepeatedAdd>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "CollapseRepeatedAdd", "a2") == "the op before it feeds more than one consumer (a fork)");
}

TEST_CASE("RemoveIdentityReshape and RemoveIdentityTranspose", "[streamline][normalize]") {
  const char* text = R"(graph {
    input %x: float32[2,3]
    const %shape: int64[2] = [2, -1]
    node r: Reshape(%x, %shape) -> %r: float32[2,3]
    node t: Transpose(%r) {perm = [0, 1]} -> %t: float32[2,3]
    node s: Transpose(%t) {perm = [1, 0]} -> %s: float32[3,2]
    output %s
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<RemoveIdentityReshape>(g).rewrites == 1);
    const auto r = check::apply<RemoveIdentityTranspose>(g, true);
    INFO(check::why_not(r, "RemoveIdentityTranspose", "t"));
    CHECK(r.rewrites == 1);  // not the real one
    CHECK(check::count(g) == 1);
    check::require_equivalent(original, g);
  });
}

TEST_CASE("CollapseRepeatedTranspose composes the permutations", "[streamline][normalize]") {
  // The second is the inverse (an identity Transpose is left for
  // RemoveIdentityTranspose), another permutation, or the first has no perm
  // (ONNX's default reverses the axes).
  const auto [first, second, expected] = GENERATE(table<const char*, const char*, std::vector<std::int64_t>>({
      {"{perm = [0, 2, 3, 1]}", "[0, 3, 1, 2]", {0, 1, 2, 3}},
      {"{perm = [0, 2, 3, 1]}", "[2, 1, 0, 3]", {3, 2, 0, 1}},
      {"", "[1, 0, 3, 2]", {2, 3, 0, 1}},
  }));
  const std::string text = std::string(R"(graph {
    input %x: float32[2,3,4,5]
    node t1: Transpose(%x) )") + first + R"( -> %t1: float32
    node t2: Transpose(%t1) {perm = )" + second + R"(} -> %t2: float32
    output %t2
  })";
  const std::vector<std::int64_t> composed = expected;  // a lambda cannot capture a structured binding in C++20 on clang 14
  check::on_every_ir(text.c_str(), [&](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<CollapseRepeatedTranspose>(g).rewrites == 1);
    CHECK(check::count(g, "Transpose") == 1);
    const auto out = find_value(g, "t2");
    REQUIRE(out);
    const auto perm = transpose_perm(g, out->node);
    REQUIRE(perm);
    CHECK(*perm == composed);
    CHECK(ir_traits<G>::kind(g, operand(g, out->node, 0)->node) == node_kind::input);  // straight from x
    check::require_equivalent(original, g);
  });
}

TEST_CASE("CollapseRepeatedTranspose leaves a forking first Transpose alone", "[streamline][normalize]") {
  model g = parse_text(R"(graph {
    input %x: float32[2,3,4]
    node t1: Transpose(%x) {perm = [1, 0, 2]} -> %t1: float32[3,2,4]
    node t2: Transpose(%t1) {perm = [0, 2, 1]} -> %t2: float32[3,4,2]
    node r: Relu(%t1) -> %r: float32[3,2,4]
    output %t2
    output %r
  })");
  const auto r = check::apply<CollapseRepeatedTranspose>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "CollapseRepeatedTranspose", "t2") == "the first Transpose feeds more than one consumer (a fork)");
}
