// Scale policies and the update: the float function is kept (reference executor,
// every IR), the weight policy meets its defining property, the activation
// policy's statistics follow the graph, and dead channels stay finite.
#include <cmath>
#include <random>

#include "eq_check.hpp"

using namespace nnrewrite;
using namespace nnrewrite::equalize;

namespace {

// Chains, a concat set, a residual family with zero padding, grouped and
// depthwise convs, MatMul: one graph with every kind of set.
const char* const every_kind = R"(graph {
  input %x: float32[1,2,4,4]
  const %w0: float32[4,2,1,1] = [0.1, 0.2, 3, 4, -0.05, 0.06, 7, -8]
  const %b0: float32[4] = [0.5, -1, 2, 0.1]
  node c0: Conv(%x, %w0, %b0) -> %y0: float32[1,4,4,4]
  node r0: Relu(%y0) -> %z0: float32[1,4,4,4]
  const %wd: float32[4,1,3,3] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 10, 20, 30, 40, 50, 60, 70, 80, 90, -1, 2, -3, 4, -5, 6, -7, 8, -9]
  node dw: Conv(%z0, %wd) {group = 4, pads = [1, 1, 1, 1]} -> %yd: float32[1,4,4,4]
  const %wp: float32[4,4,1,1] = [1, 0.5, 0.25, 2, -1, 3, 0.1, 0.2, 5, -0.5, 1, 1, 0.01, 2, -2, 4]
  const %bp: float32[4] = [0.1, 0.2, -0.3, 0.4]
  node pw: Conv(%yd, %wp, %bp) -> %yp: float32[1,4,4,4]
  node add: Add(%yp, %z0) -> %s: float32[1,4,4,4]
  node r1: Relu(%s) -> %z1: float32[1,4,4,4]
  node mp: MaxPool(%z1) {kernel_shape = [2, 2], strides = [2, 2]} -> %p: float32[1,4,2,2]
  const %wa: float32[2,4,1,1] = [1, 2, 3, 4, 0.1, 0.2, 0.3, 0.4]
  node a: Conv(%p, %wa) -> %ya: float32[1,2,2,2]
  const %wb: float32[3,4,1,1] = [0.01, 0.02, 0.03, 0.04, 5, 6, 7, 8, 1, -1, 1, -1]
  node b: Conv(%p, %wb) -> %yb: float32[1,3,2,2]
  const %zero: float32[1,1,2,2] = splat 0
  node cat: Concat(%ya, %yb, %zero) {axis = 1} -> %cat: float32[1,6,2,2]
  const %wc: float32[2,6,1,1] = [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6]
  node c: Conv(%cat, %wc) -> %y: float32[1,2,2,2]
  output %y
})";

template <ir_graph G>
double weight_range(const G& g, const char* result, bool output, std::int64_t channel) {
  const auto v = find_value(g, result).value().node;  // by result: not every IR names its nodes
  const auto l = *target::onnx_weight_layout_of(g, v);
  const auto held = ir_traits<G>::constant_value(g, operand(g, v, 1)->node);
  const tensor& w = *held;
  double r = 0;
  for_each_weight(w, l, [&](double x, std::int64_t out, std::int64_t in) {
    if ((output ? out : in) == channel) r = std::max(r, std::abs(x));
  });
  return r;
}

std::vector<exec::tensor_map> random_inputs(int n, unsigned seed) {
  std::vector<exec::tensor_map> r;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (int i = 0; i < n; ++i) {
    std::vector<float> x(32);
    for (auto& v : x) v = d(rng);
    r.push_back({{"x", tensor(element_type::float32, shape_t{1, 2, 4, 4}, x)}});
  }
  return r;
}

}  // namespace

TEST_CASE("the weight policy keeps the function and equalizes ranges", "[equalize][scales]") {
  eq_check::on_every_ir(every_kind, [](auto& g, const auto& original) {
    const auto r = equalize::equalize(g, target::onnx_float{});
    REQUIRE(r.sets.sets.size() == 3);  // dw -> pw chain, the residual family, the concat set
    CHECK(r.applied.size() == 3);
    CHECK(r.sweeps > 1);  // dw and pw are parents in one set and children in another
    CHECK(r.coverage() == Approx(6.0 / 6.0));
    eq_check::require_equivalent(original, g);
    // At the fixpoint, every chain channel's parent range equals its child range
    // (both sqrt(r1 r2)): dw's output channel k against pw's input channel k.
    for (std::int64_t k = 0; k < 4; ++k)
      CHECK(weight_range(g, "yd", true, k) == Approx(weight_range(g, "yp", false, k)).epsilon(1e-2));
    // The concat set: a's and b's output channels against c's matching input channels.
    for (std::int64_t k = 0; k < 2; ++k) CHECK(weight_range(g, "ya", true, k) == Approx(weight_range(g, "y", false, k)).epsilon(1e-2));
    for (std::int64_t k = 0; k < 3; ++k)
      CHECK(weight_range(g, "yb", true, k) == Approx(weight_range(g, "y", false, 2 + k)).epsilon(1e-2));
  });
}

TEST_CASE("the activation policy keeps the function and its statistics follow the graph", "[equalize][scales]") {
  eq_check::on_every_ir(every_kind, [](auto& g, const auto& original) {
    const auto calib = random_inputs(4, 7);
    const auto sets = find_sets(g, target::onnx_float{});
    statistics stats = calibrate(g, sets, calib);
    CHECK(!stats.empty());
    equalize::options opt;
    opt.policy = scale_policy::activation;
    const auto r = equalize::equalize(g, target::onnx_float{}, opt, &stats);
    CHECK(r.applied.size() == 3);
    CHECK(r.skipped.empty());
    eq_check::require_equivalent(original, g);
    // The updated statistics are what calibrating the equalized graph observes.
    const statistics fresh = calibrate(g, find_sets(g, target::onnx_float{}), calib);
    REQUIRE(fresh.size() == stats.size());
    for (const auto& [name, range] : fresh) {
      const auto& kept = stats.at(name);
      for (std::size_t c = 0; c < range.max.size(); ++c) {
        CHECK(kept.max[c] == Approx(range.max[c]).margin(1e-4));
        CHECK(kept.min[c] == Approx(range.min[c]).margin(1e-4));
      }
    }
    // Scales only grow, capped at the target's 20.
    for (const auto& a : r.applied) {
      CHECK(a.min_scale >= 1.0);
      CHECK(a.max_scale <= 20.0);
    }
  });
}

TEST_CASE("the smoothquant policy keeps the function of a MatMul chain", "[equalize][scales]") {
  const char* text = R"(graph {
    input %x: float32[1,2,4,4]
    const %w1: float32[4,3] = [1, 2, 30, 4, 0.5, 6, -1, 0.2, 3, 0.04, 5, -6]
    node m1: MatMul(%x, %w1) -> %y1: float32[1,2,4,3]
    node r: Relu(%y1) -> %z: float32[1,2,4,3]
    const %w2: float32[3,2] = [0.1, 2, 3, 0.4, 5, 60]
    node m2: MatMul(%z, %w2) -> %y2: float32[1,2,4,2]
    node s: Sigmoid(%y2) -> %y: float32[1,2,4,2]
    output %y
  })";
  eq_check::on_every_ir(text, [](auto& g, const auto& original) {
    statistics stats = calibrate(g, find_sets(g, target::onnx_float{}), random_inputs(2, 3));
    equalize::options opt;
    opt.policy = scale_policy::smoothquant;
    const auto r = equalize::equalize(g, target::onnx_float{}, opt, &stats);
    REQUIRE(r.applied.size() == 1);
    CHECK(r.applied[0].max_scale != r.applied[0].min_scale);
    eq_check::require_equivalent(original, g);
  });
}

TEST_CASE("dead channels keep scale 1 and nothing becomes infinite", "[equalize][scales]") {
  // Output channel 1 of c1 has zero weights but a live bias; channel 2 of c2's input is unused.
  model g = parse_text(R"(graph {
    input %x: float32[1,2,2,2]
    const %w1: float32[3,2,1,1] = [1, 2, 0, 0, 3, 4]
    const %b1: float32[3] = [0, 5, 0]
    node c1: Conv(%x, %w1, %b1) -> %y1: float32[1,3,2,2]
    node r: Relu(%y1) -> %z: float32[1,3,2,2]
    const %w2: float32[1,3,1,1] = [1, 1, 0]
    node c2: Conv(%z, %w2) -> %y2: float32[1,1,2,2]
    node s: Sigmoid(%y2) -> %y: float32[1,1,2,2]
    output %y
  })");
  const model original = g;
  const auto r = equalize::equalize(g, target::onnx_float{});
  REQUIRE(r.applied.size() == 1);
  const auto& b = *ir_traits<model>::constant_value(g, operand(g, find_value(g, "y1")->node, 2)->node);
  CHECK(b.get(1) == 5.0f);  // the dead channel's bias is untouched
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (const auto* c = ir_traits<model>::constant_value(g, *it))
      for (std::int64_t i = 0; i < c->size(); ++i) CHECK(std::isfinite(c->get(i)));
  eq_check::require_equivalent(original, g);

  // The activation policy on all-zero activations: scale 1 for the dead channel... or capped, never inf.
  model h = original;
  statistics stats = calibrate(h, find_sets(h, target::onnx_float{}), random_inputs(0, 0));
  CHECK(stats.empty());
  equalize::options opt;
  opt.policy = scale_policy::activation;
  const auto ra = equalize::equalize(h, target::onnx_float{}, opt, &stats);
  CHECK(ra.applied.empty());
  REQUIRE(ra.skipped.size() == 1);
  CHECK_THAT(ra.skipped[0].reason, Catch::Contains("no calibration statistics"));
}

TEST_CASE("a failing update leaves the graph as it was", "[equalize][scales]") {
  // c1's bias has the wrong length: the update throws, and the rewriter rolls back
  // the weights it had already scaled.
  model g = parse_text(R"(graph {
    input %x: float32[1,2,2,2]
    const %w1: float32[3,2,1,1] = [1, 2, 3, 4, 5, 6]
    const %b1: float32[2] = [1, 2]
    node c1: Conv(%x, %w1, %b1) -> %y1: float32[1,3,2,2]
    const %w2: float32[1,3,1,1] = [10, 1, 0.1]
    node c2: Conv(%y1, %w2) -> %y2: float32[1,1,2,2]
    node s: Sigmoid(%y2) -> %y: float32[1,1,2,2]
    output %y
  })");
  const std::string before = to_text(g);
  CHECK_THROWS_WITH(equalize::equalize(g, target::onnx_float{}), Catch::Contains("bias of 'c1' has 2 values for 3 output channels"));
  CHECK(to_text(g) == before);
}

TEST_CASE("fake weight quantization rounds to the symmetric grid, per tensor or per channel", "[equalize][quantize]") {
  // Conv weights [2, 2, 1, 1]: output channel 0 holds {1, -0.5}, channel 1 {0.01, 0.02}.
  const tensor w(element_type::float32, shape_t{2, 2, 1, 1}, std::vector<float>{1.0f, -0.5f, 0.01f, 0.02f});
  const weight_layout l = *onnx_weight_layout("Conv", {}, 4);
  const tensor t = fake_quantize(w, l, {2, false});  // levels {-1, 0, 1} * 1.0
  CHECK(t.to_doubles() == std::vector<double>{1.0, -1.0, 0.0, 0.0});  // -0.5 rounds away from zero
  const tensor c = fake_quantize(w, l, {2, true});   // channel 1's step is 0.02
  CHECK(c.get(2) == Approx(0.02));  // 0.01 / 0.02 = 0.5 rounds away from zero
  CHECK(c.get(3) == Approx(0.02));
  const tensor e = fake_quantize(w, l, {8, false});
  for (std::int64_t i = 0; i < 4; ++i) CHECK(std::abs(e.get(i) - w.get(i)) <= 0.5 / 127 + 1e-7);
  CHECK_THROWS_WITH(fake_quantize(w, l, {1, false}), Catch::Contains("use 2..31"));
  // SQNR: signal 1^2 + 2^2 = 5 over noise 0.1^2 + 0 -> 10 log10(500).
  std::vector<exec::tensor_map> ref{{{"y", tensor(element_type::float32, shape_t{2}, std::vector<float>{1, 2})}}};
  std::vector<exec::tensor_map> got{{{"y", tensor(element_type::float32, shape_t{2}, std::vector<float>{1.1f, 2})}}};
  CHECK(sqnr_db(ref, got) == Approx(10 * std::log10(500.0)).epsilon(1e-4));
  CHECK(std::isinf(sqnr_db(ref, ref)));
  got[0].clear();
  CHECK_THROWS_WITH(sqnr_db(ref, got), Catch::Contains("output 'y' is missing"));
}

TEST_CASE("fake_quantize_weights rounds every weighted op of any IR onto its grid", "[equalize][quantize]") {
  eq_check::on_every_ir(every_kind, [](auto& g, const auto& original) {
    using G = std::remove_cvref_t<decltype(g)>;
    CHECK(fake_quantize_weights(g, target::onnx_float{}, {4, false}) == 6);
    // On the grid: rounding again changes nothing.
    for (const char* v : {"y0", "yd", "yp", "ya", "yb", "y"}) {
      const auto node = find_value(g, v).value().node;
      const auto l = *target::onnx_weight_layout_of(g, node);
      const auto held = ir_traits<G>::constant_value(g, operand(g, node, 1)->node);
      const tensor& w = *held;
      INFO(v);
      CHECK(fake_quantize(w, l, {4, false}).to_doubles() == w.to_doubles());
    }
    // And the function moved, by a finite amount.
    const auto in = random_inputs(2, 5);
    std::vector<exec::tensor_map> ref, got;
    for (const auto& x : in) {
      ref.push_back(exec::execute(original, x));
      got.push_back(exec::execute(g, x));
    }
    const double db = sqnr_db(ref, got);
    CHECK(std::isfinite(db));
    CHECK(db > 0);
  });
}

TEST_CASE("fake_quantize_activations rounds what each weighted op reads, per tensor", "[equalize][quantize]") {
  eq_check::on_every_ir(every_kind, [](auto& g, const auto& original) {
    // Evaluated on the calibration inputs: no clipping, so the bits alone decide.
    const auto calib = random_inputs(3, 21), &eval = calib;
    const auto ranges = calibrate_activations(g, target::onnx_float{}, calib);
    // x (read by c0), z0, yd, p (read by a and b), cat.
    CHECK(ranges.size() == 5);
    CHECK(ranges.at("z0").min >= 0);  // after a Relu: unsigned
    CHECK(ranges.at("x").min < 0);
    auto sqnr_at = [&](int bits) {
      auto q = g;
      CHECK(fake_quantize_activations(q, target::onnx_float{}, ranges, bits) == 5);
      std::vector<exec::tensor_map> ref, got;
      for (const auto& x : eval) {
        ref.push_back(exec::execute(original, x));
        got.push_back(exec::execute(q, x));
      }
      return sqnr_db(ref, got);
    };
    const double db4 = sqnr_at(4), db12 = sqnr_at(12);
    CHECK(db4 > 0);
    CHECK(db12 > db4 + 30);  // each bit is worth about 6 dB
    CHECK_THROWS_WITH(fake_quantize_activations(g, target::onnx_float{}, ranges, 1), Catch::Contains("use 2..24"));
  });
}

TEST_CASE("the SiMa activation rule: concat parents reach one maximum, families combine by minimum", "[equalize][scales]") {
  eq_check::on_every_ir(every_kind, [](auto& g, const auto& original) {
    const auto calib = random_inputs(4, 11);
    statistics stats = calibrate(g, find_sets(g, target::onnx_float{}), calib);
    equalize::options opt;
    opt.policy = scale_policy::activation;
    opt.rule = equalize::options::activation_rule::sima;
    const auto r = equalize::equalize(g, target::onnx_float{}, opt, &stats);
    REQUIRE(r.applied.size() == 3);
    eq_check::require_equivalent(original, g);
    for (const auto& a : r.applied) CHECK(a.min_scale >= 1.0);
    // The concat set's parents a and b (results ya, yb) now share the largest maximum.
    auto top = [&](const char* v) {
      double m = -INFINITY;
      for (double x : stats.at(v).max) m = std::max(m, x);
      return m;
    };
    CHECK(top("ya") == Approx(top("yb")).epsilon(1e-6));
    // And the statistics still describe the graph.
    const statistics fresh = calibrate(g, find_sets(g, target::onnx_float{}), calib);
    for (const auto& [name, range] : fresh)
      for (std::size_t c = 0; c < range.max.size(); ++c) CHECK(stats.at(name).max[c] == Approx(range.max[c]).margin(1e-4));
  });
}
