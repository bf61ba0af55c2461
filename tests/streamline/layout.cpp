// Layout rules: Transposes, Squeezes and Flattens moved out of the way or folded.
#include "check.hpp"
#include "nnrewrite/target/fpga_dataflow.hpp"

using namespace nnrewrite;
using namespace nnrewrite::streamline;

namespace {
template <ir_graph G>
std::string producer_type(const G& g, std::string_view value) {
  const auto v = find_value(g, value);
  return v ? std::string(ir_traits<G>::op_type(g, v->node)) : std::string("(no such value)");
}
}  // namespace

TEST_CASE("AbsorbTransposeIntoMultiThreshold: NHWC data, and the 3-D attention layouts", "[streamline][layout]") {
  const char* nhwc = R"(graph {
    input %x: float32[1,2,2,3]
    node t: Transpose(%x) {perm = [0, 3, 1, 2]} -> %t: float32[1,3,2,2]
    const %th: float32[3,2] = [-1, 0.5, 0, 1, -0.5, 2]
    node mt: qonnx.custom_op.general.MultiThreshold(%t, %th) {out_dtype = "UINT2"} -> %mt: float32[1,3,2,2] !UINT2
    output %mt
  })";
  check::on_every_ir(nhwc, [](auto& g, const auto& original) {
    CHECK(check::apply<AbsorbTransposeIntoMultiThreshold>(g).rewrites == 1);
    CHECK(producer_type(g, "mt") == "Transpose");
    check::require_equivalent(original, g);
  });
  // [B, C, L] -> [B, L, C]: the thresholds' channels (the last axis of the
  // transposed data) are axis 1 of x.
  const char* three = R"(graph {
    input %x: float32[2,4,3]
    node t: Transpose(%x) {perm = [0, 2, 1]} -> %t: float32[2,3,4]
    const %th: float32[4,1] = [-1, 0, 0.5, 1]
    node mt: qonnx.custom_op.general.MultiThreshold(%t, %th) {out_dtype = "UINT1"} -> %mt: float32[2,3,4] !UINT1
    output %mt
  })";
  check::on_every_ir(three, [](auto& g, const auto& original) {
    CHECK(check::apply<AbsorbTransposeIntoMultiThreshold>(g).rewrites == 1);
    CHECK(check::count(g, "Transpose") == 1);
    check::require_equivalent(original, g);
  });
  // With the inverse Transpose after it, the plus preset leaves the MultiThreshold alone.
  model pair = parse_text(R"(graph {
    input %x: float32[1,2,2,3]
    node t: Transpose(%x) {perm = [0, 3, 1, 2]} -> %t: float32[1,3,2,2]
    const %th: float32[3,2] = [-1, 0.5, 0, 1, -0.5, 2]
    node mt: qonnx.custom_op.general.MultiThreshold(%t, %th) {out_dtype = "UINT2"} -> %mt: float32[1,3,2,2] !UINT2
    node back: Transpose(%mt) {perm = [0, 2, 3, 1]} -> %y: float32[1,2,2,3]
    output %y
  })");
  const model before = pair;
  CHECK(streamline_plus(pair).converged);
  CHECK(check::count(pair) == 1);
  check::require_equivalent(before, pair);
}

TEST_CASE("AbsorbTransposeIntoFlatten: only when the Transpose moves extent-1 axes", "[streamline][layout]") {
  const char* ok = R"(graph {
    input %x: float32[2,1,1,8]
    node t: Transpose(%x) {perm = [0, 3, 1, 2]} -> %t: float32[2,8,1,1]
    node f: Flatten(%t) {axis = 1} -> %f: float32[2,8]
    output %f
  })";
  check::on_every_ir(ok, [](auto& g, const auto& original) {
    CHECK(check::apply<AbsorbTransposeIntoFlatten>(g).rewrites == 1);
    CHECK(check::count(g) == 1);
    check::require_equivalent(original, g);
  });
  model reorders = parse_text(R"(graph {
    input %x: float32[1,2,1,4]
    node t: Transpose(%x) {perm = [0, 3, 1, 2]} -> %t: float32[1,4,2,1]
    node f: Flatten(%t) {axis = 1} -> %f: float32[1,8]
    output %f
  })");
  const auto r = check::apply<AbsorbTransposeIntoFlatten>(reorders, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "AbsorbTransposeIntoFlatten") == "the Transpose reorders axes of extent > 1");
}

TEST_CASE("MoveTransposePastScalarMul / MoveTransposePastEltwise", "[streamline][layout]") {
  const char* scalar = R"(graph {
    input %x: float32[1,3,2,2]
    node t: Transpose(%x) {perm = [0, 2, 3, 1]} -> %t: float32[1,2,2,3]
    const %a: float32[] = [0.5]
    node m: Mul(%t, %a) -> %m: float32[1,2,2,3]
    output %m
  })";
  check::on_every_ir(scalar, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveTransposePastScalarMul>(g).rewrites == 1);
    CHECK(producer_type(g, "m") == "Transpose");
    check::require_equivalent(original, g);
  });
  // A constant along the transposed data's last axis: transposed back with it.
  const char* channels = R"(graph {
    input %x: float32[1,3,2,2]
    node t: Transpose(%x) {perm = [0, 2, 3, 1]} -> %t: float32[1,2,2,3]
    const %c: float32[3] = [1, -2, 0.5]
    node a: Add(%t, %c) -> %a: float32[1,2,2,3]
    output %a
  })";
  check::on_every_ir(channels, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    const auto r = check::run(g, [](pattern_set<G>& s) { s.template add<MoveTransposePastEltwise<G>>("Add"); });
    CHECK(r.rewrites == 1);
    CHECK(producer_type(g, "a") == "Transpose");
    check::require_equivalent(original, g);
  });
  model not_scalar = parse_text(R"(graph {
    input %x: float32[1,3,2,2]
    node t: Transpose(%x) {perm = [0, 2, 3, 1]} -> %t: float32[1,2,2,3]
    const %c: float32[3] = [1, -2, 0.5]
    node m: Mul(%t, %c) -> %m: float32[1,2,2,3]
    output %m
  })");
  const auto r = check::apply<MoveTransposePastScalarMul>(not_scalar, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveTransposePastScalarMul") == "the constant is not a scalar");
}

TEST_CASE("MoveSqueezePastMultiThreshold and MoveSqueezePastMatMul", "[streamline][layout]") {
  const char* mt = R"(graph {
    input %x: float32[1,3,1,1]
    node s: Squeeze(%x) {axes = [2, 3]} -> %s: float32[1,3]
    const %th: float32[3,1] = [0, 0.5, -1]
    node mt: qonnx.custom_op.general.MultiThreshold(%s, %th) {out_dtype = "UINT1"} -> %mt: float32[1,3] !UINT1
    output %mt
  })";
  check::on_every_ir(mt, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveSqueezePastMultiThreshold>(g).rewrites == 1);
    CHECK(producer_type(g, "mt") == "Squeeze");
    check::require_equivalent(original, g);
  });
  const char* mm = R"(graph {
    input %x: float32[1,1,4]
    node s: Squeeze(%x) {axes = [0]} -> %s: float32[1,4]
    const %w: float32[4,3] = [1, 0, -1, 2, 1, 0, 0, -1, 1, 1, 1, 1]
    node mm: MatMul(%s, %w) -> %mm: float32[1,3]
    output %mm
  })";
  check::on_every_ir(mm, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveSqueezePastMatMul>(g).rewrites == 1);
    CHECK(producer_type(g, "mm") == "Squeeze");
    check::require_equivalent(original, g);
  });
  model k_axis = parse_text(R"(graph {
    input %x: float32[1,4,1]
    node s: Squeeze(%x) {axes = [2]} -> %s: float32[1,4]
    const %w: float32[4,3] = [1, 0, -1, 2, 1, 0, 0, -1, 1, 1, 1, 1]
    node mm: MatMul(%s, %w) -> %mm: float32[1,3]
    output %mm
  })");
  const auto r = check::apply<MoveSqueezePastMatMul>(k_axis, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveSqueezePastMatMul") == "the Squeeze removes the K axis");
}

TEST_CASE("MoveFlattenPastAffine and MoveFlattenPastTopK: FINN's NHWC [b,1,1,K] vs NCHW [b,K,1,1]", "[streamline][layout]") {
  // FINN's test uses K = 1024 and 1000 classes; the same shapes scaled down.
  const int b = GENERATE(1, 2);
  const bool nhwc = GENERATE(true, false);
  const std::string in = nhwc ? fmt::format("[{},1,1,16]", b) : fmt::format("[{},16,1,1]", b);
  std::string w;
  for (int i = 0; i < 16 * 10; ++i) w += fmt::format("{}{}", i ? ", " : "", (i * 7) % 3 - 1);
  const std::string affine = fmt::format(R"(graph {{
    input %x: float32{0} !INT2
    node f: Flatten(%x) {{axis = 1}} -> %f: float32[{1},16]
    const %w: float32[16,10] !TERNARY = [{2}]
    node mm: MatMul(%f, %w) -> %mm: float32[{1},10]
    const %s: float32[] = [0.5]
    node m: Mul(%mm, %s) -> %m: float32[{1},10]
    const %c: float32[10] = [1, -1, 0.5, 2, -2, 0, 1.5, -0.5, 3, -3]
    node a: Add(%m, %c) -> %y: float32[{1},10]
    output %y
  }})", in, b, w);
  INFO(in);
  check::on_every_ir(affine.c_str(), [nhwc](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    const auto r = check::run(g, [](pattern_set<G>& s) {
      for (const char* op : {"MatMul", "Mul", "Add"}) s.template add<MoveFlattenPastAffine<G>>(op);
    });
    CHECK(r.rewrites == (nhwc ? 3u : 0u));
    CHECK(producer_type(g, "y") == (nhwc ? "Flatten" : "Add"));
    check::require_equivalent(original, g);
  });
  // TopK: on nnrewrite::model (the example IRs keep one value per node).
  const std::string topk = fmt::format(R"(graph {{
    input %x: float32{0} !INT2
    node f: Flatten(%x) {{axis = 1}} -> %f: float32[{1},16]
    const %k: int64[1] = [3]
    node top: TopK(%f, %k) {{axis = -1}} -> %vals: float32[{1},3], %idx: int64[{1},3]
    output %idx
  }})", in, b);
  model g = parse_text(topk);
  const model original = parse_text(topk);
  const auto r = check::apply<MoveFlattenPastTopK>(g, true);
  CHECK(r.rewrites == (nhwc ? 1u : 0u));
  if (!nhwc) CHECK(check::why_not(r, "MoveFlattenPastTopK") == "the flattened axes other than the last are not all 1");
  check::require_equivalent(original, g);
}

namespace {
// `text` with every value's shape, type and layout inferred (the pool sizes of
// FINN's parametrized cases are the executor's arithmetic, not hand-computed).
std::string inferred(const std::string& text) {
  model g = parse_text(text);
  infer_value_infos(g);
  return to_text(g);
}
std::string replaced(std::string s, std::string_view key, const std::string& value) {
  for (auto at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size())) s.replace(at, key.size(), value);
  return s;
}
}  // namespace

TEST_CASE("MakeMaxPoolNHWC: FINN's cases (k2 s2, pads 0/1, ceil_mode 0/1, ifm 8/9, 3 channels, INT4 data)", "[streamline][layout]") {
  const int ifm = GENERATE(8, 9), pad = GENERATE(0, 1), ceil_mode = GENERATE(0, 1);
  CAPTURE(ifm, pad, ceil_mode);
  std::string text = R"(graph {
    input %x: float32[1,$IFM,$IFM,3] !INT4
    node t: Transpose(%x) {perm = [0, 3, 1, 2]} -> %t: float32
    node p: MaxPool(%t) {kernel_shape = [2, 2], strides = [2, 2], pads = [$P, $P, $P, $P], ceil_mode = $C} -> %p: float32
    node back: Transpose(%p) {perm = [0, 2, 3, 1]} -> %y: float32
    output %y
  })";
  text = inferred(replaced(replaced(replaced(text, "$IFM", std::to_string(ifm)), "$P", std::to_string(pad)), "$C", std::to_string(ceil_mode)));
  check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    CHECK(check::apply<MakeMaxPoolNHWC>(g).rewrites == 1);
    CHECK(check::count(g, "MaxPool") == 0);
    CHECK(check::count(g, "MaxPoolNHWC") == 1);
    CHECK(check::count(g, "Transpose") == 2);
    check::require_equivalent(original, g);
  });
  // In the plus preset the two Transposes meet and cancel: the pool alone is left.
  model g = parse_text(text);
  const model before = g;
  CHECK(streamline_plus(g).converged);
  CHECK(check::count(g) == 1);
  CHECK(check::count(g, "MaxPoolNHWC") == 1);
  check::require_equivalent(before, g);
  CHECK(target::legality_report(g, target::fpga_dataflow{}).empty());
}

TEST_CASE("MakeMaxPoolNHWC: a MaxPool before the NCHW->NHWC Transpose, and what it refuses", "[streamline][layout]") {
  const char* after = R"(graph {
    input %x: float32[2,3,6,6] !UINT4
    node p: MaxPool(%x) {kernel_shape = [3, 3], strides = [2, 1], pads = [1, 1, 1, 1]} -> %p: float32[2,3,3,6]
    node t: Transpose(%p) {perm = [0, 2, 3, 1]} -> %y: float32[2,3,6,3]
    output %y
  })";
  check::on_every_ir(after, [](auto& g, const auto& original) {
    CHECK(check::apply<MakeMaxPoolNHWC>(g).rewrites == 1);
    CHECK(producer_type(g, "y") == "MaxPoolNHWC");
    check::require_equivalent(original, g);
  });
  const auto [pool, reason] = GENERATE(table<const char*, const char*>({
      {"{kernel_shape = [2, 2], strides = [2, 2], pads = [0, 0, 1, 1]}", "unequal pads (QONNX's MaxPoolNHWC pads every side by pads[0])"},
      {"{kernel_shape = [2, 2], strides = [2, 2], pads = [1, 0, 1, 0]}", "unequal pads (QONNX's MaxPoolNHWC pads every side by pads[0])"},
      {"{kernel_shape = [2, 2], dilations = [2, 2]}", "a dilated MaxPool (MaxPoolNHWC has no dilations)"},
      {"{kernel_shape = [2, 2], auto_pad = \"SAME_UPPER\"}", "auto_pad (MaxPoolNHWC takes explicit pads)"},
  }));
  CAPTURE(pool);
  model g = parse_text(inferred(std::string(R"(graph {
    input %x: float32[1,3,6,6]
    node p: MaxPool(%x) )") + pool + R"( -> %p: float32
    node t: Transpose(%p) {perm = [0, 2, 3, 1]} -> %y: float32
    output %y
  })"));
  const auto r = check::apply<MakeMaxPoolNHWC>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MakeMaxPoolNHWC") == reason);
}

// FINN takes the first consumer of a forking MaxPool for its only one and
// rewires it: the other branch then reads NHWC data as if it were NCHW.
TEST_CASE("MakeMaxPoolNHWC leaves a forking MaxPool and used indices alone (FINN does not)", "[streamline][layout][finn-bug]") {
  model fork = parse_text(R"(graph {
    input %x: float32[1,3,4,4]
    node p: MaxPool(%x) {kernel_shape = [2, 2], strides = [2, 2]} -> %p: float32[1,3,2,2]
    node t: Transpose(%p) {perm = [0, 2, 3, 1]} -> %y: float32[1,2,2,3]
    node r: Relu(%p) -> %z: float32[1,3,2,2]
    output %y
    output %z
  })");
  const model before = fork;
  const auto r = check::apply<MakeMaxPoolNHWC>(fork, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MakeMaxPoolNHWC") == "not between the NHWC and NCHW Transposes");
  CHECK(streamline_plus(fork).converged);
  CHECK(check::count(fork, "MaxPool") == 1);
  check::require_equivalent(before, fork);

  model indices = parse_text(R"(graph {
    input %x: float32[1,4,4,3]
    node t: Transpose(%x) {perm = [0, 3, 1, 2]} -> %t: float32[1,3,4,4]
    node p: MaxPool(%t) {kernel_shape = [2, 2], strides = [2, 2]} -> %p: float32[1,3,2,2], %i: int64[1,3,2,2]
    output %p
    output %i
  })");
  const auto ri = check::apply<MakeMaxPoolNHWC>(indices, true);
  CHECK(ri.rewrites == 0);
  CHECK(check::why_not(ri, "MakeMaxPoolNHWC") == "the MaxPool's indices are used");
}

TEST_CASE("MakeScaleResizeNHWC: Resize and Upsample by scales or sizes, on either side", "[streamline][layout]") {
  // NHWC -> NCHW Transpose, then the Resize: the Resize moves before it.
  const char* before_scales = R"(graph {
    input %x: float32[1,3,4,2] @NHWC
    node t: Transpose(%x) {perm = [0, 3, 1, 2]} -> %t: float32[1,2,3,4] @NCHW
    const %scales: float32[4] = [1, 1, 2, 1.5]
    node r: Resize(%t, _, %scales) {mode = "linear"} -> %y: float32[1,2,6,6] @NCHW
    output %y
  })";
  check::on_every_ir(before_scales, [](auto& g, const auto& original) {
    CHECK(check::apply<MakeScaleResizeNHWC>(g).rewrites == 1);
    CHECK(producer_type(g, "y") == "Transpose");
    check::require_equivalent(original, g);
  });
  // Resize, then NCHW -> NHWC: the Transpose moves before it; sizes are permuted.
  const char* after_sizes = R"(graph {
    input %x: float32[1,2,3,4] @NCHW
    const %sizes: int64[4] = [1, 2, 5, 7]
    node r: Resize(%x, _, _, %sizes) {mode = "nearest", coordinate_transformation_mode = "asymmetric"} -> %r: float32[1,2,5,7] @NCHW
    node t: Transpose(%r) {perm = [0, 2, 3, 1]} -> %y: float32[1,5,7,2] @NHWC
    output %y
  })";
  check::on_every_ir(after_sizes, [](auto& g, const auto& original) {
    CHECK(check::apply<MakeScaleResizeNHWC>(g).rewrites == 1);
    CHECK(producer_type(g, "y") == "Resize");
    check::require_equivalent(original, g);
  });
  // A crop: the roi's starts and ends are permuted too.
  const char* crop = R"(graph {
    input %x: float32[1,2,5,6] @NCHW
    const %roi: float32[8] = [0, 0, 0.1, 0.25, 1, 1, 0.9, 0.5]
    const %sizes: int64[4] = [1, 2, 3, 4]
    node r: Resize(%x, %roi, _, %sizes) {mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize"} -> %r: float32[1,2,3,4] @NCHW
    node t: Transpose(%r) {perm = [0, 2, 3, 1]} -> %y: float32[1,3,4,2] @NHWC
    output %y
  })";
  check::on_every_ir(crop, [](auto& g, const auto& original) {
    CHECK(check::apply<MakeScaleResizeNHWC>(g).rewrites == 1);
    check::require_equivalent(original, g);
  });
  // Upsample (opset 9: the scales an operand).
  const char* upsample = R"(graph {
    input %x: float32[1,2,2,3] !INT4 @NHWC
    node t: Transpose(%x) {perm = [0, 3, 1, 2]} -> %t: float32[1,3,2,2] @NCHW
    const %scales: float32[4] = [1, 1, 2, 3]
    node u: Upsample(%t, %scales) {mode = "nearest"} -> %y: float32[1,3,4,6] @NCHW
    output %y
  })";
  check::on_every_ir(upsample, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::run(g, [](pattern_set<G>& s) { s.template add<MakeScaleResizeNHWC<G>>("Upsample"); }).rewrites == 1);
    CHECK(producer_type(g, "y") == "Transpose");
    check::require_equivalent(original, g);
  });
  // Without a layout annotation it is not known to be NCHW data (FINN's condition).
  model bare = parse_text(R"(graph {
    input %x: float32[1,2,3,4]
    const %scales: float32[4] = [1, 1, 2, 2]
    node r: Resize(%x, _, %scales) {mode = "nearest"} -> %r: float32[1,2,6,8]
    node t: Transpose(%r) {perm = [0, 2, 3, 1]} -> %y: float32[1,6,8,2]
    output %y
  })");
  const auto r = check::apply<MakeScaleResizeNHWC>(bare, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MakeScaleResizeNHWC") == "the input is not annotated NCHW");
}
