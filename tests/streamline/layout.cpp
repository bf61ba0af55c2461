// Layout rules: Transposes, Squeezes and Flattens moved out of the way or folded.
#include "check.hpp"

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
