// Moving scales and biases past linear ops.
#include "check.hpp"

using namespace nnrewrite;
using namespace nnrewrite::streamline;

TEST_CASE("MoveAddPastMul and MoveMulPastAdd", "[streamline][reorder]") {
  const char* add_mul = R"(graph {
    input %x: float32[2,3]
    const %b: float32[3] = [1, -2, 0.5]
    node add: Add(%x, %b) -> %add: float32[2,3]
    const %a: float32[] = [-1.5]
    node mul: Mul(%add, %a) -> %mul: float32[2,3]
    output %mul
  })";
  check::on_every_ir(add_mul, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveAddPastMul>(g).rewrites == 1);
    const auto out = find_value(g, "mul");
    REQUIRE(out);
    CHECK(ir_traits<std::decay_t<decltype(g)>>::op_type(g, out->node) == "Add");  // Mul, then Add
    check::require_equivalent(original, g);
  });

  const char* mul_add = R"(graph {
    input %x: float32[2,3]
    const %a: float32[3] = [2, -4, 0.5]
    node mul: Mul(%x, %a) -> %mul: float32[2,3]
    const %b: float32[] = [3]
    node add: Add(%mul, %b) -> %add: float32[2,3]
    output %add
  })";
  check::on_every_ir(mul_add, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveMulPastAdd>(g).rewrites == 1);
    const auto out = find_value(g, "add");
    REQUIRE(out);
    CHECK(ir_traits<std::decay_t<decltype(g)>>::op_type(g, out->node) == "Mul");
    check::require_equivalent(original, g);
  });
}

TEST_CASE("MoveAddPastMul: chains move in one run, forks block", "[streamline][reorder]") {
  // FINN test_move_add_past_mul: single chain and multiple chains.
  const char* chains = R"(graph {
    input %x: float32[4]
    const %b1: float32[] = [1]
    node a1: Add(%x, %b1) -> %a1: float32[4]
    const %m1: float32[] = [2]
    node p1: Mul(%a1, %m1) -> %p1: float32[4]
    const %b2: float32[4] = [1, 2, 3, 4]
    node a2: Add(%p1, %b2) -> %a2: float32[4]
    const %m2: float32[4] = [-1, 0.5, 3, 2]
    node p2: Mul(%a2, %m2) -> %p2: float32[4]
    output %p2
  })";
  check::on_every_ir(chains, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveAddPastMul>(g).rewrites == 3);  // the first Add passes both Muls
    CHECK(check::apply<CollapseRepeatedAdd>(g).rewrites == 1);
    CHECK(check::apply<CollapseRepeatedMul>(g).rewrites == 1);
    CHECK(check::count(g) == 2);
    check::require_equivalent(original, g);
  });

  model fork = parse_text(R"(graph {
    input %x: float32[4]
    const %b: float32[] = [1]
    node add: Add(%x, %b) -> %add: float32[4]
    const %a: float32[] = [2]
    node mul: Mul(%add, %a) -> %mul: float32[4]
    node neg: Neg(%add) -> %neg: float32[4]
    output %mul
    output %neg
  })");
  const auto r = check::apply<MoveAddPastMul>(fork, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveAddPastMul") == "the op before it feeds more than one consumer (a fork)");
}

TEST_CASE("MoveScalarMulPastMatMul: FINN's W = [[2,4],[-1,1]], either operand, both (attention)", "[streamline][reorder]") {
  const char* weights = R"(graph {
    input %x: float32[1,2]
    const %a: float32[] = [3]
    node mul: Mul(%x, %a) -> %mul: float32[1,2]
    const %w: float32[2,2] = [2, 4, -1, 1]
    node mm: MatMul(%mul, %w) -> %mm: float32[1,2]
    output %mm
  })";
  check::on_every_ir(weights, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveScalarMulPastMatMul>(g).rewrites == 1);
    const auto out = find_value(g, "mm");
    REQUIRE(out);
    CHECK(ir_traits<std::decay_t<decltype(g)>>::op_type(g, out->node) == "Mul");
    check::require_equivalent(original, g);
  });

  const char* attention = R"(graph {
    input %q: float32[2,4,3]
    input %k: float32[2,3,5]
    const %a: float32[] = [0.5]
    node qs: Mul(%q, %a) -> %qs: float32[2,4,3]
    const %b: float32[] = [-4]
    node ks: Mul(%b, %k) -> %ks: float32[2,3,5]
    node mm: MatMul(%qs, %ks) -> %mm: float32[2,4,5]
    output %mm
  })";
  check::on_every_ir(attention, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveScalarMulPastMatMul>(g).rewrites == 1);
    CHECK(check::count(g, "Mul") == 1);  // one Mul by ab = -2 after the MatMul
    check::require_equivalent(original, g);
  });

  model fork = parse_text(R"(graph {
    input %x: float32[1,2]
    const %a: float32[] = [3]
    node mul: Mul(%x, %a) -> %mul: float32[1,2]
    const %w: float32[2,2] = [2, 4, -1, 1]
    node mm: MatMul(%mul, %w) -> %mm: float32[1,2]
    output %mm
    output %mul
  })");
  const auto r = check::apply<MoveScalarMulPastMatMul>(fork, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveScalarMulPastMatMul") == "the op before it feeds more than one consumer (a fork)");
}

TEST_CASE("MoveScalarAddPastMatMul and MoveAddPastMatMul", "[streamline][reorder]") {
  const char* scalar = R"(graph {
    input %x: float32[3,2]
    const %a: float32[] = [1.5]
    node add: Add(%x, %a) -> %add: float32[3,2]
    const %w: float32[2,3] = [2, 4, -1, 1, 0.5, -3]
    node mm: MatMul(%add, %w) -> %mm: float32[3,3]
    output %mm
  })";
  check::on_every_ir(scalar, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveScalarAddPastMatMul>(g).rewrites == 1);
    check::require_equivalent(original, g);
  });

  const char* row = R"(graph {
    input %x: float32[3,2]
    const %c: float32[1,2] = [1.5, -2]
    node add: Add(%x, %c) -> %add: float32[3,2]
    const %w: float32[2,3] = [2, 4, -1, 1, 0.5, -3]
    node mm: MatMul(%add, %w) -> %mm: float32[3,3]
    output %mm
  })";
  model g = parse_text(row);
  const model original = parse_text(row);
  const auto not_scalar = check::apply<MoveScalarAddPastMatMul>(g, true);
  CHECK(check::why_not(not_scalar, "MoveScalarAddPastMatMul") == "the added constant is not a scalar");
  CHECK(check::apply<MoveAddPastMatMul>(g).rewrites == 1);
  check::require_equivalent(original, g);
}

TEST_CASE("MoveScalarMulPastConv divides the Conv bias (FINN ignores it)", "[streamline][reorder][finn-wrong]") {
  const std::string params = R"(
    const %w: float32[3,2,3,3] = [1, -1, 2, 0, 1, 1, -2, 1, 0,  1, 1, 1, 0, -1, 2, 1, 0, 1,
                                  -1, 2, 0, 1, 1, -1, 0, 2, 1,  2, 0, 1, -1, 1, 0, 1, 2, -2,
                                  0, 1, 1, 2, -1, 0, 1, 1, 1,  1, -2, 0, 1, 0, 2, -1, 1, 1]
    const %b: float32[3] = [1, -2, 0.5]
    const %a: float32[] = [0.5])";
  const std::string text = "graph {\n input %x: float32[1,2,4,4]" + params + R"(
    node mul: Mul(%x, %a) -> %mul: float32[1,2,4,4]
    node conv: Conv(%mul, %w, %b) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]} -> %conv: float32[1,3,4,4]
    output %conv
  })";
  check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    CHECK(check::apply<MoveScalarMulPastConv>(g).rewrites == 1);
    check::require_equivalent(original, g);
  });

  // FINN's result — the same Conv with its bias unchanged, then Mul(a) — computes
  // a(x*W + b) instead of a(x*W) + b.
  const std::string finn = "graph {\n input %x: float32[1,2,4,4]" + params + R"(
    node c: Conv(%x, %w, %b) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]} -> %c: float32[1,3,4,4]
    node conv: Mul(%c, %a) -> %conv: float32[1,3,4,4]
    output %conv
  })";
  CHECK_FALSE(exec::check_equivalence(parse_text(text), parse_text(finn)).ok());
}

TEST_CASE("MoveMulPastDWConv: per-channel scales past a depthwise Conv, bias divided", "[streamline][reorder][finn-wrong]") {
  const char* text = R"(graph {
    input %x: float32[1,2,3,3]
    const %a: float32[1,2,1,1] = [0.5, -2]
    node mul: Mul(%x, %a) -> %mul: float32[1,2,3,3]
    const %w: float32[4,1,2,2] = [1, -1, 2, 0,  1, 1, 1, 0,  -1, 2, 0, 1,  2, 0, 1, -1]
    const %b: float32[4] = [1, -2, 0.5, 3]
    node conv: Conv(%mul, %w, %b) {kernel_shape = [2, 2], group = 2} -> %conv: float32[1,4,2,2]
    output %conv
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveMulPastDWConv>(g).rewrites == 1);
    check::require_equivalent(original, g);
  });

  // Not depthwise (group 1): refused.
  model g = parse_text(R"(graph {
    input %x: float32[1,2,3,3]
    const %a: float32[1,2,1,1] = [0.5, -2]
    node mul: Mul(%x, %a) -> %mul: float32[1,2,3,3]
    const %w: float32[1,2,2,2] = [1, -1, 2, 0, 1, 1, 1, 0]
    node conv: Conv(%mul, %w) {kernel_shape = [2, 2]} -> %conv: float32[1,1,2,2]
    output %conv
  })");
  const auto r = check::apply<MoveMulPastDWConv>(g, true);
  CHECK(check::why_not(r, "MoveMulPastDWConv") == "not a depthwise Conv");
}

TEST_CASE("MoveMulPastMaxPool: only non-negative scales", "[streamline][reorder]") {
  const char* text = R"(graph {
    input %x: float32[1,2,4,4]
    const %a: float32[1,2,1,1] = [0.5, 3]
    node mul: Mul(%x, %a) -> %mul: float32[1,2,4,4]
    node pool: MaxPool(%mul) {kernel_shape = [2, 2], strides = [2, 2]} -> %pool: float32[1,2,2,2]
    output %pool
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveMulPastMaxPool>(g).rewrites == 1);
    check::require_equivalent(original, g);
  });
  model neg = parse_text(R"(graph {
    input %x: float32[1,2,4,4]
    const %a: float32[] = [-0.5]
    node mul: Mul(%x, %a) -> %mul: float32[1,2,4,4]
    node pool: MaxPool(%mul) {kernel_shape = [2, 2]} -> %pool: float32[1,2,3,3]
    output %pool
  })");
  const auto r = check::apply<MoveMulPastMaxPool>(neg, true);
  CHECK(check::why_not(r, "MoveMulPastMaxPool") == "the scale has a negative entry");
}

TEST_CASE("MoveScalarLinearPastInvariants: past shape and copy ops", "[streamline][reorder]") {
  const auto [op, tail] = GENERATE(table<const char*, const char*>({
      {"Mul", R"(const %shape: int64[2] = [1, -1]
                 node f: Reshape(%lin, %shape) -> %f: float32[1,16])"},
      {"Div", R"(node f: Transpose(%lin) {perm = [0, 2, 3, 1]} -> %f: float32[1,2,2,4])"},
      {"Add", R"(node f: Flatten(%lin) -> %f: float32[1,16])"},
      {"Sub", R"(node f: GlobalAveragePool(%lin) -> %f: float32[1,4,1,1])"},
      {"Mul", R"(const %roi: float32[0] = []
                 const %scales: float32[4] = [1, 1, 2, 2]
                 node f: Resize(%lin, %roi, %scales) {mode = "nearest"} -> %f: float32[1,4,4,4])"},
  }));
  const std::string text = std::string(R"(graph {
    input %x: float32[1,4,2,2]
    const %c: float32[1,1,1,1] = [1.5]
    node lin: )") + op + R"((%x, %c) -> %lin: float32[1,4,2,2]
    )" + tail + R"(
    output %f
  })";
  check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    CHECK(check::apply<MoveScalarLinearPastInvariants>(g).rewrites == 1);
    const auto out = find_value(g, "f");
    REQUIRE(out);
    using G = std::decay_t<decltype(g)>;
    CHECK(is_onnx_domain(ir_traits<G>::domain(g, out->node)));
    CHECK(std::string_view(ir_traits<G>::op_type(g, out->node)).size() == 3);  // Mul, Div, Add or Sub last
    check::require_equivalent(original, g);
  });
}

TEST_CASE("MoveAddPastConv counts the Conv bias once (FINN counts it twice)", "[streamline][reorder][finn-wrong]") {
  const auto group = GENERATE(1, 2);
  const std::string params = fmt::format(R"(
    const %a: float32[1,4,1,1] = [0.5, -1, 2, 0.25]
    const %w: float32[4,{0},2,2] = [{1}]
    const %b: float32[4] = [1, -2, 0.5, 3])",
                                         4 / group, [&] {
                                           std::string v;
                                           for (int i = 0; i < 4 * (4 / group) * 4; ++i) v += (i ? ", " : "") + std::to_string((i * 7) % 5 - 2);
                                           return v;
                                         }());
  const std::string text = "graph {\n input %x: float32[1,4,5,5]" + params + fmt::format(R"(
    node add: Add(%x, %a) -> %add: float32[1,4,5,5]
    node conv: Conv(%add, %w, %b) {{kernel_shape = [2, 2], group = {0}}} -> %conv: float32[1,4,4,4]
    output %conv
  }})", group);
  check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    CHECK(check::apply<MoveAddPastConv>(g).rewrites == 1);
    const auto out = find_value(g, "conv");
    REQUIRE(out);
    CHECK(ir_traits<std::decay_t<decltype(g)>>::op_type(g, out->node) == "Add");
    check::require_equivalent(original, g);
  });

  // FINN's result: the constant field convolved *with* the bias, added after a
  // Conv that still adds the bias.
  model ours = parse_text(text);
  (void)check::apply<MoveAddPastConv>(ours);
  const auto shifted = find_value(ours, "conv");  // Add(Conv(x), A')
  REQUIRE(shifted);
  const auto a_prime = *operand(ours, shifted->node, 1);
  const auto a = ir_traits<model>::constant_value(ours, a_prime.node)->to_doubles();
  std::string finn_values;
  const std::vector<double> bias{1, -2, 0.5, 3};
  for (std::size_t o = 0; o < a.size(); ++o) finn_values += (o ? ", " : "") + fmt::format("{:.17g}", a[o] + bias[o]);
  const std::string finn_text = "graph {\n input %x: float32[1,4,5,5]" + params + fmt::format(R"(
    node c: Conv(%x, %w, %b) {{kernel_shape = [2, 2], group = {0}}} -> %c: float32[1,4,4,4]
    const %finn_shift: float32[4,1,1] = [{1}]
    node conv: Add(%c, %finn_shift) -> %conv: float32[1,4,4,4]
    output %conv
  }})", group, finn_values);
  CHECK_FALSE(exec::check_equivalence(parse_text(text), parse_text(finn_text)).ok());
}

TEST_CASE("MoveAddPastConv refuses a padded Conv", "[streamline][reorder]") {
  model g = parse_text(R"(graph {
    input %x: float32[1,1,3,3]
    const %a: float32[] = [1]
    node add: Add(%x, %a) -> %add: float32[1,1,3,3]
    const %w: float32[1,1,2,2] = [1, 1, 1, 1]
    node conv: Conv(%add, %w) {kernel_shape = [2, 2], pads = [0, 0, 1, 1]} -> %conv: float32[1,1,3,3]
    output %conv
  })");
  const auto r = check::apply<MoveAddPastConv>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveAddPastConv") == "the Conv pads its input (the borders would see zeros, not the added constant)");
}

TEST_CASE("MoveScalarMulPastConvTranspose divides the bias", "[streamline][reorder]") {
  const char* text = R"(graph {
    input %x: float32[1,2,3,3]
    const %a: float32[] = [-0.5]
    node mul: Mul(%x, %a) -> %mul: float32[1,2,3,3]
    const %w: float32[2,3,2,2] = [1, -1, 2, 0, 1, 1, -2, 1, 0, 1, 1, 1,  0, -1, 2, 1, 0, 1, -1, 2, 0, 1, 1, -1]
    const %b: float32[3] = [1, -2, 0.5]
    node ct: ConvTranspose(%mul, %w, %b) {kernel_shape = [2, 2], strides = [2, 2]} -> %ct: float32[1,3,6,6]
    output %ct
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveScalarMulPastConvTranspose>(g).rewrites == 1);
    check::require_equivalent(original, g);
  });
}

namespace {
// `channels` rows of `steps` sorted thresholds, spread over [lo, hi].
std::string sorted_thresholds(int channels, int steps, double lo, double hi) {
  std::string v;
  for (int c = 0; c < channels; ++c)
    for (int s = 0; s < steps; ++s)
      v += (v.empty() ? "" : ", ") + fmt::format("{}", lo + (hi - lo) * (s + 0.5 * ((c * 37) % 11) / 11.0) / steps);
  return v;
}
}  // namespace

TEST_CASE("MoveMaxPoolPastMultiThreshold (FINN's case) checks every pad", "[streamline][reorder][finn-wrong]") {
  // [1,64,16,16] MaxPool k3 s2 p1 -> MT(BIPOLAR, bias -1) -> MaxPool -> MT(UINT4, 64x14).
  const std::string text = fmt::format(R"(graph {{
    input %x: float32[1,64,16,16]
    node p1: MaxPool(%x) {{kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]}} -> %p1: float32[1,64,8,8]
    const %t1: float32[1,1] = [0]
    node m1: qonnx.custom_op.general.MultiThreshold(%p1, %t1) {{out_dtype = "BIPOLAR", out_scale = 2.0, out_bias = -1.0}} -> %m1: float32[1,64,8,8] !BIPOLAR
    node p2: MaxPool(%m1) {{kernel_shape = [2, 2], strides = [2, 2]}} -> %p2: float32[1,64,4,4]
    const %t2: float32[64,14] = [{}]
    node m2: qonnx.custom_op.general.MultiThreshold(%p2, %t2) {{out_dtype = "UINT4"}} -> %m2: float32[1,64,4,4] !UINT4
    output %m2
  }})",
                                       sorted_thresholds(64, 14, -1.2, 1.2));
  model g = parse_text(text);
  const auto r = check::apply<MoveMaxPoolPastMultiThreshold>(g, true);
  CHECK(r.rewrites == 1);  // the unpadded pool before the UINT4 threshold
  CHECK(check::why_not(r, "MoveMaxPoolPastMultiThreshold", "m1") ==
        "a padded MaxPool before a MultiThreshold with negative outputs (zero padding would change them)");
  check::require_equivalent(parse_text(text), g, 4);

  // Asymmetric pads: FINN's product of the pads is 0, so it moves the pool; each
  // pad is looked at here.
  model asym = parse_text(R"(graph {
    input %x: float32[1,2,4,4]
    node p: MaxPool(%x) {kernel_shape = [2, 2], strides = [2, 2], pads = [0, 0, 1, 1]} -> %p: float32[1,2,3,3]
    const %t: float32[1,1] = [0]
    node m: qonnx.custom_op.general.MultiThreshold(%p, %t) {out_dtype = "BIPOLAR", out_scale = 2.0, out_bias = -1.0} -> %m: float32[1,2,3,3] !BIPOLAR
    output %m
  })");
  CHECK(check::apply<MoveMaxPoolPastMultiThreshold>(asym).rewrites == 0);
}

TEST_CASE("Moves refuse a constant that broadcasts the data to another shape", "[streamline][reorder]") {
  // x [3] + B [2,3]: the Mul moved first would see [3], not [2,3].
  model g = parse_text(R"(graph {
    input %x: float32[3]
    const %b: float32[2,3] = [1, 2, 3, 4, 5, 6]
    node add: Add(%x, %b) -> %add: float32[2,3]
    const %a: float32[] = [2]
    node mul: Mul(%add, %a) -> %mul: float32[2,3]
    output %mul
  })");
  const auto r = check::apply<MoveAddPastMul>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveAddPastMul") == "the Add broadcasts the data to another shape");
  model h = parse_text(R"(graph {
    input %x: float32[3]
    const %s: float32[2,3] = [1, 2, 3, 4, 5, 6]
    node mul: Mul(%x, %s) -> %mul: float32[2,3]
    const %b: float32[] = [2]
    node add: Add(%mul, %b) -> %add: float32[2,3]
    output %add
  })");
  const auto q = check::apply<MoveMulPastAdd>(h, true);
  CHECK(q.rewrites == 0);
  CHECK(check::why_not(q, "MoveMulPastAdd") == "the Mul broadcasts the data to another shape");
}

TEST_CASE("MoveScalesPastIm2Col: past Im2Col and Pad when the pad value is 0", "[streamline][reorder]") {
  const auto [op, consumer] = GENERATE(table<const char*, const char*>({
      {"Mul", R"txt(qonnx.custom_op.general.Im2Col(%s) {kernel_size = [2, 2], stride = [1, 1], pad_amount = [1, 0, 1, 1],
                input_shape = "(1,4,4,3)"} -> %f: float32[1,5,4,12])txt"},
      {"Div", R"txt(qonnx.custom_op.general.Im2Col(%s) {kernel_size = [3, 3], stride = [2, 2], pad_amount = [1, 1, 1, 1],
                pad_value = 0, input_shape = "(1,4,4,3)"} -> %f: float32[1,2,2,27])txt"},
      {"Mul", R"txt(qonnx.custom_op.general.Im2Col(%s) {kernel_size = [2, 2], stride = [1, 1], pad_value = 5,
                input_shape = "(1,4,4,3)"} -> %f: float32[1,3,3,12])txt"},  // a pad value, but nothing padded
      {"Mul", R"(Pad(%s, %pads) -> %f: float32[1,5,6,3])"},
      {"Div", R"(Pad(%s, %pads) {mode = "edge"} -> %f: float32[1,5,6,3])"},
  }));
  const std::string text = std::string(R"(graph {
    input %x: float32[1,4,4,3]
    const %a: float32[] = [-0.75]
    const %pads: int64[8] = [0, 1, 1, 0, 0, 0, 1, 0]
    node s: )") + op + R"((%x, %a) -> %s: float32[1,4,4,3]
    node f: )" + consumer + R"(
    output %f
  })";
  check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    pattern_set<std::decay_t<decltype(g)>> both;
    both.template add<MoveScalesPastIm2Col<std::decay_t<decltype(g)>>>("Im2Col");
    both.template add<MoveScalesPastIm2Col<std::decay_t<decltype(g)>>>("Pad");
    driver_config cfg;
    cfg.expensive_checks = true;
    CHECK(apply_patterns_greedily(g, both, cfg).rewrites == 1);
    const auto out = find_value(g, "f");
    REQUIRE(out);
    const auto type = std::string(ir_traits<std::decay_t<decltype(g)>>::op_type(g, out->node));
    CHECK((type == "Mul" || type == "Div"));
    check::require_equivalent(original, g);
  });
}

TEST_CASE("MoveScalesPastIm2Col refuses a non-zero pad value (FINN moves the scale anyway)", "[streamline][reorder][finn-wrong]") {
  const auto consumer = GENERATE(
      R"txt(qonnx.custom_op.general.Im2Col(%s) {kernel_size = [2, 2], stride = [1, 1], pad_amount = [1, 1, 0, 0],
         pad_value = 3, input_shape = "(1,3,3,2)"} -> %f: float32[1,3,3,8])txt",
      R"(Pad(%s, %pads, %pv) -> %f: float32[1,4,4,2])");
  const std::string text = std::string(R"(graph {
    input %x: float32[1,3,3,2]
    const %a: float32[] = [2]
    const %pads: int64[8] = [0, 1, 0, 0, 0, 0, 1, 0]
    const %pv: float32[] = [3]
    node s: Mul(%x, %a) -> %s: float32[1,3,3,2]
    node f: )") + consumer + R"(
    output %f
  })";
  model g = parse_text(text);
  pattern_set<model> set;
  populate_reorder_patterns(set);
  driver_config cfg;
  cfg.trace = true;
  const auto r = apply_patterns_greedily(g, set, cfg);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveScalesPastIm2Col") == "the pad value is not 0");

  // What FINN builds: the same op after an unscaled input, then the scale. The
  // padded border becomes 2*3 = 6 instead of 3.
  std::string finn = text;
  finn.replace(finn.find("node s: Mul(%x, %a) -> %s"), std::string("node s: Mul(%x, %a) -> %s").size(), "node s: Identity(%x) -> %s");
  finn.replace(finn.find("-> %f:"), 6, "-> %g:");
  finn.replace(finn.find("output %f"), 9, "node f: Mul(%g, %a) -> %f: float32[" + std::string(consumer[0] == 'q' ? "1,3,3,8" : "1,4,4,2") +
                                             "]\n output %f");
  CHECK_FALSE(exec::check_equivalence(parse_text(text), parse_text(finn)).ok());
}

TEST_CASE("MoveAddPastConv: FINN's channelwise Add before an unpadded Conv, 32 shapes", "[streamline][reorder]") {
  // Input size, kernel, stride, input and output channels: 2^5 cases, each with a bias.
  const int idim = GENERATE(4, 7), k = GENERATE(1, 3), stride = GENERATE(1, 2), ich = GENERATE(2, 4), och = GENERATE(2, 4);
  const int odim = (idim - k) / stride + 1;
  auto values = [](int n, int mul, int mod, int off) {
    std::string v;
    for (int i = 0; i < n; ++i) v += (i ? ", " : "") + std::to_string((i * mul) % mod - off);
    return v;
  };
  const std::string text = fmt::format(R"(graph {{
    input %x: float32[1,{0},{1},{1}]
    const %a: float32[1,{0},1,1] = [{2}]
    const %w: float32[{3},{0},{4},{4}] = [{5}]
    const %b: float32[{3}] = [{6}]
    node add: Add(%x, %a) -> %add: float32[1,{0},{1},{1}]
    node conv: Conv(%add, %w, %b) {{kernel_shape = [{4}, {4}], strides = [{7}, {7}]}} -> %conv: float32[1,{3},{8},{8}]
    output %conv
  }})", ich, idim, values(ich, 3, 7, 3), och, k, values(och * ich * k * k, 5, 9, 4), values(och, 2, 5, 2), stride, odim);
  check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    CHECK(check::apply<MoveAddPastConv>(g).rewrites == 1);
    const auto out = find_value(g, "conv");
    REQUIRE(out);
    CHECK(ir_traits<std::decay_t<decltype(g)>>::op_type(g, out->node) == "Add");
    check::require_equivalent(original, g);
  });
}
