// Absorption into MultiThreshold, into 1-bit weights and before TopK.
#include "check.hpp"

using namespace nnrewrite;
using namespace nnrewrite::streamline;

TEST_CASE("AbsorbAddIntoMultiThreshold: scalar, channelwise NCHW and NHWC", "[streamline][absorb]") {
  const char* nchw = R"(graph {
    input %x: float32[1,3,2,2]
    const %a: float32[1,3,1,1] = [0.5, -1.25, 2]
    node add: Add(%x, %a) -> %add: float32[1,3,2,2]
    const %t: float32[3,3] = [-1, 0, 1,  -0.5, 0.5, 1.5,  0, 0.25, 3]
    node mt: qonnx.custom_op.general.MultiThreshold(%add, %t) {out_dtype = "UINT2"} -> %mt: float32[1,3,2,2] !UINT2
    output %mt
  })";
  check::on_every_ir(nchw, [](auto& g, const auto& original) {
    CHECK(check::apply<AbsorbAddIntoMultiThreshold>(g).rewrites == 1);
    CHECK(check::count(g, "Add") == 0);
    check::require_equivalent(original, g, 20);
  });

  // Channels last, one shared threshold row that becomes one row per channel.
  const char* nhwc = R"(graph {
    input %x: float32[1,2,2,3]
    const %a: float32[3] = [0.5, -1.25, 2]
    node add: Add(%x, %a) -> %add: float32[1,2,2,3]
    const %t: float32[1,2] = [-0.5, 0.5]
    node mt: qonnx.custom_op.general.MultiThreshold(%add, %t) {out_dtype = "UINT2", data_layout = "NHWC"} -> %mt: float32[1,2,2,3] !UINT2
    output %mt
  })";
  check::on_every_ir(nhwc, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<AbsorbAddIntoMultiThreshold>(g).rewrites == 1);
    const auto t = find_value(g, "t");
    REQUIRE(t);
    CHECK(ir_traits<G>::constant_value(g, t->node)->shape() == shape_t{3, 2});
    check::require_equivalent(original, g, 20);
  });
}

TEST_CASE("AbsorbAddIntoMultiThreshold refuses what it cannot express", "[streamline][absorb]") {
  const auto [text, reason] = GENERATE(table<const char*, const char*>({
      {R"(graph { input %x: float32[1,3,2]
                  const %a: float32[1,1,2] = [1, 2]
                  node add: Add(%x, %a) -> %add: float32[1,3,2]
                  const %t: float32[1,1] = [0]
                  node mt: qonnx.custom_op.general.MultiThreshold(%add, %t) {out_dtype = "BINARY", data_layout = "NCW"} -> %mt: float32[1,3,2]
                  output %mt })",
       "the constant is neither scalar nor channelwise along the MultiThreshold's channel axis"},
      {R"(graph { input %x: float32[1,3]
                  const %a: float32[] = [1]
                  node add: Add(%x, %a) -> %add: float32[1,3]
                  const %t: float32[1,1] = [0]
                  node mt: qonnx.custom_op.general.MultiThreshold(%add, %t) {out_dtype = "BINARY"} -> %mt: float32[1,3]
                  output %mt
                  output %add })",
       "the op before it feeds more than one consumer (a fork)"},
      {R"(graph { input %x: float32[3]
                  const %a: float32[2,3] = [1, 2, 3, 4, 5, 6]
                  node add: Add(%x, %a) -> %add: float32[2,3]
                  const %t: float32[1,1] = [0]
                  node mt: qonnx.custom_op.general.MultiThreshold(%add, %t) {out_dtype = "BINARY"} -> %mt: float32[2,3]
                  output %mt })",
       "the constant broadcasts the data to another shape"},
  }));
  model g = parse_text(text);
  const auto r = check::apply<AbsorbAddIntoMultiThreshold>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "AbsorbAddIntoMultiThreshold") == reason);
}

TEST_CASE("AbsorbMulIntoMultiThreshold: positive scales only", "[streamline][absorb]") {
  const char* text = R"(graph {
    input %x: float32[2,3]
    const %a: float32[3] = [0.5, 4, 1.25]
    node mul: Mul(%a, %x) -> %mul: float32[2,3]
    const %t: float32[3,2] = [-1, 1,  0, 2,  0.5, 0.75]
    node mt: qonnx.custom_op.general.MultiThreshold(%mul, %t) {out_dtype = "UINT2", out_scale = 2.0, out_bias = -1.0} -> %mt: float32[2,3] !INT2
    output %mt
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<AbsorbMulIntoMultiThreshold>(g).rewrites == 1);
    CHECK(check::count(g, "Mul") == 0);
    check::require_equivalent(original, g, 20);
  });
}

TEST_CASE("AbsorbMulIntoMultiThreshold refuses zero and negative scales", "[streamline][absorb]") {
  const auto [scale, reason] = GENERATE(table<const char*, const char*>({
      {"[0.5, 0, 1]", "a channel's scale is zero"},
      {"[0.5, -2, 1]", "a channel's scale is negative"},
  }));
  model g = parse_text(std::string(R"(graph {
    input %x: float32[2,3]
    const %a: float32[3] = )") + scale + R"(
    node mul: Mul(%x, %a) -> %mul: float32[2,3]
    const %t: float32[1,1] = [0.5]
    node mt: qonnx.custom_op.general.MultiThreshold(%mul, %t) {out_dtype = "BINARY"} -> %mt: float32[2,3]
    output %mt
  })");
  const auto r = check::apply<AbsorbMulIntoMultiThreshold>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "AbsorbMulIntoMultiThreshold") == reason);
}

TEST_CASE("FactorOutMulSignMagnitude (FINN's case: [1,2] input, Mul [[-1, 4]])", "[streamline][absorb]") {
  const char* text = R"(graph {
    input %x: float32[1,2]
    const %a: float32[1,2] = [-1, 4]
    node mul: Mul(%x, %a) -> %mul: float32[1,2]
    output %mul
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<FactorOutMulSignMagnitude>(g).rewrites == 1);  // and not again on the sign
    CHECK(check::count(g, "Mul") == 2);
    const auto sign = find_value(g, "mul_sign_param");
    REQUIRE(sign);
    CHECK(ir_traits<G>::value(g, sign->node, 0).dtype == data_type::bipolar());
    CHECK(ir_traits<G>::constant_value(g, sign->node)->to_doubles() == std::vector<double>{-1, 1});
    check::require_equivalent(original, g);
  });
}

TEST_CASE("Absorb1BitMulIntoMatMul and Absorb1BitMulIntoConv", "[streamline][absorb]") {
  const char* matmul = R"(graph {
    input %x: float32[2,3] !BIPOLAR
    const %w: float32[3,2] !BIPOLAR = [1, -1,  -1, -1,  1, 1]
    node mm: MatMul(%x, %w) -> %mm: float32[2,2]
    const %a: float32[2] !BIPOLAR = [-1, 1]
    node mul: Mul(%mm, %a) -> %mul: float32[2,2]
    output %mul
  })";
  check::on_every_ir(matmul, [](auto& g, const auto& original) {
    CHECK(check::apply<Absorb1BitMulIntoMatMul>(g).rewrites == 1);
    CHECK(check::count(g) == 1);
    check::require_equivalent(original, g);
  });

  // A Conv with a bias: the bias is scaled with its channel.
  const char* conv = R"(graph {
    input %x: float32[1,2,3,3]
    const %w: float32[2,2,1,1] !BIPOLAR = [1, -1,  -1, -1]
    const %b: float32[2] = [0.5, -2]
    node conv: Conv(%x, %w, %b) {kernel_shape = [1, 1]} -> %conv: float32[1,2,3,3]
    const %a: float32[1,2,1,1] !BIPOLAR = [-1, 1]
    node mul: Mul(%conv, %a) -> %mul: float32[1,2,3,3]
    output %mul
  })";
  check::on_every_ir(conv, [](auto& g, const auto& original) {
    CHECK(check::apply<Absorb1BitMulIntoConv>(g).rewrites == 1);
    CHECK(check::count(g) == 1);
    check::require_equivalent(original, g);
  });

  // Unsigned weights cannot take a sign.
  model g = parse_text(R"(graph {
    input %x: float32[2,3]
    const %w: float32[3,2] !UINT2 = [1, 2,  3, 0,  1, 1]
    node mm: MatMul(%x, %w) -> %mm: float32[2,2]
    const %a: float32[2] !BIPOLAR = [-1, 1]
    node mul: Mul(%mm, %a) -> %mul: float32[2,2]
    output %mul
  })");
  const auto r = check::apply<Absorb1BitMulIntoMatMul>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "Absorb1BitMulIntoMatMul") == "a product leaves the weights' data type");
}

TEST_CASE("AbsorbSignBiasIntoMultiThreshold recomputes the output data type", "[streamline][absorb]") {
  const char* text = R"(graph {
    input %x: float32[2,3]
    const %t: float32[1,3] = [-1, 0, 1]
    node mt: qonnx.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "UINT2"} -> %mt: float32[2,3] !UINT2
    const %c: float32[] = [-2]
    node add: Add(%mt, %c) -> %add: float32[2,3]
    output %add
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<AbsorbSignBiasIntoMultiThreshold>(g).rewrites == 1);
    CHECK(check::count(g) == 1);
    const auto mt = find_value(g, "mt");
    REQUIRE(mt);
    const auto& attrs = ir_traits<G>::attributes(g, mt->node);
    CHECK(attribute_or<double>(attrs, "out_bias", 0) == -2);
    CHECK(attribute_or<std::string>(attrs, "out_dtype", "") == "INT2");  // {-2, ..., 1}
    check::require_equivalent(original, g);
  });

  model g = parse_text(R"(graph {
    input %x: float32[2,3]
    const %t: float32[1,3] = [-1, 0, 1]
    node mt: qonnx.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "UINT2"} -> %mt: float32[2,3] !UINT2
    const %c: float32[] = [0.5]
    node add: Add(%mt, %c) -> %add: float32[2,3]
    output %add
  })");
  const auto r = check::apply<AbsorbSignBiasIntoMultiThreshold>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "AbsorbSignBiasIntoMultiThreshold") == "the bias would make an integer output non-integer");
}

TEST_CASE("AbsorbScalarMulAddIntoTopK: the indices do not change", "[streamline][absorb]") {
  const char* text = R"(graph {
    input %x: float32[1,10]
    const %s: float32[] = [0.75]
    node mul: Mul(%x, %s) -> %mul: float32[1,10]
    const %b: float32[] = [-3]
    node add: Add(%mul, %b) -> %add: float32[1,10]
    const %k: int64[1] = [3]
    node top: TopK(%add, %k) {axis = -1} -> %values: float32[1,3], %indices: int64[1,3]
    output %indices
  })";
  model g = parse_text(text);
  const model original = parse_text(text);
  CHECK(check::apply<AbsorbScalarMulAddIntoTopK>(g).rewrites == 2);
  CHECK(check::count(g) == 1);
  check::require_equivalent(original, g, 20);

  // A negative scale reverses the order.
  model neg = parse_text(R"(graph {
    input %x: float32[1,10]
    const %s: float32[] = [-0.75]
    node mul: Mul(%x, %s) -> %mul: float32[1,10]
    const %k: int64[1] = [3]
    node top: TopK(%mul, %k) {axis = -1} -> %values: float32[1,3], %indices: int64[1,3]
    output %indices
  })");
  const auto r = check::apply<AbsorbScalarMulAddIntoTopK>(neg, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "AbsorbScalarMulAddIntoTopK") == "the scale is not positive");
}

TEST_CASE("AbsorbConsecutiveTransposes removes a Transpose undone by every consumer", "[streamline][absorb]") {
  const char* text = R"(graph {
    input %x: float32[1,3,4,5]
    node t: Transpose(%x) {perm = [0, 2, 3, 1]} -> %t: float32[1,4,5,3]
    node back1: Transpose(%t) {perm = [0, 3, 1, 2]} -> %b1: float32[1,3,4,5]
    node back2: Transpose(%t) {perm = [0, 3, 1, 2]} -> %b2: float32[1,3,4,5]
    node r: Relu(%b1) -> %r: float32[1,3,4,5]
    node n: Neg(%b2) -> %n: float32[1,3,4,5]
    output %r
    output %n
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<AbsorbConsecutiveTransposes>(g).rewrites == 1);
    CHECK(check::count(g, "Transpose") == 0);
    check::require_equivalent(original, g);
  });
}

TEST_CASE("AbsorbConsecutiveTransposes needs every consumer to undo the permutation", "[streamline][absorb]") {
  const auto [consumer, reason] = GENERATE(table<const char*, const char*>({
      {"Transpose(%t) {perm = [0, 1, 3, 2]} -> %b2: float32[1,4,3,5]", "a consuming Transpose does not undo its permutation"},
      {"Relu(%t) -> %b2: float32[1,4,5,3]", "a consumer is not a Transpose (or it is a graph output)"},
  }));
  model g = parse_text(std::string(R"(graph {
    input %x: float32[1,3,4,5]
    node t: Transpose(%x) {perm = [0, 2, 3, 1]} -> %t: float32[1,4,5,3]
    node back1: Transpose(%t) {perm = [0, 3, 1, 2]} -> %b1: float32[1,3,4,5]
    node c: )") + consumer + R"(
    output %b1
    output %b2
  })");
  const auto r = check::apply<AbsorbConsecutiveTransposes>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "AbsorbConsecutiveTransposes", "t") == reason);
}
