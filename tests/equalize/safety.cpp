// Safety: what must block a set (a ReLU6 unless made per-channel, a squeeze-
// excitation product), bounds that scale with their channels, and scales that
// stay bounded when weights vanish — each checked with the reference executor.
#include <cmath>

#include "eq_check.hpp"

using namespace nnrewrite;
using namespace nnrewrite::equalize;

namespace {

// Conv → ReLU6 (Clip 0..6) → Conv. The first conv's channels differ by 100×, so
// equalization has something to do, and its outputs reach far past 6.
const char* const relu6_chain = R"(graph {
  input %x: float32[1,2,4,4]
  const %w1: float32[3,2,1,1] = [10, -8, 0.1, 0.2, 4, 7]
  const %b1: float32[3] = [1, 0.05, -1]
  node y1: Conv(%x, %w1, %b1) -> %y1: float32[1,3,4,4]
  const %lo: float32[] = [0]
  const %hi: float32[] = [6]
  node z: Clip(%y1, %lo, %hi) -> %z: float32[1,3,4,4]
  const %w2: float32[2,3,1,1] = [1, 0.1, 10, 2, 0.2, 5]
  node y2: Conv(%z, %w2) -> %y2: float32[1,2,4,4]
  node y: Sigmoid(%y2) -> %y: float32[1,2,4,4]
  output %y
})";

std::vector<exec::tensor_map> inputs(int n) {
  std::vector<exec::tensor_map> r;
  for (int i = 0; i < n; ++i) {
    std::vector<float> x(32);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = float(std::sin(double(k * 7 + std::size_t(i) * 13)));
    r.push_back({{"x", tensor(element_type::float32, shape_t{1, 2, 4, 4}, x)}});
  }
  return r;
}

template <ir_graph G>
std::size_t ops_of(const G& g, std::string_view type) {
  std::size_t n = 0;
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (ir_traits<G>::kind(g, *it) == node_kind::op && ir_traits<G>::op_type(g, *it) == type) ++n;
  return n;
}

}  // namespace

TEST_CASE("a ReLU6 blocks its set unless made per-channel, which is exact", "[equalize][safety]") {
  eq_check::on_every_ir(relu6_chain, [](auto& g, const auto& original) {
    using G = std::remove_cvref_t<decltype(g)>;
    SECTION("blocked by default") {
      const std::string before = to_text(g);
      const auto r = equalize::equalize(g, target::onnx_float{});
      CHECK(r.applied.empty());
      REQUIRE(!r.sets.rejected.empty());
      CHECK_THAT(r.sets.rejected[0].reason, Catch::Contains("'z' (Clip) clamps to fixed bounds"));
      CHECK(to_text(g) == before);
    }
    SECTION("weight policy, per-channel clip") {
      equalize::options opt;
      opt.per_channel_clip = true;
      const auto r = equalize::equalize(g, target::onnx_float{}, opt);
      REQUIRE(r.applied.size() == 1);
      CHECK(r.applied[0].max_scale / r.applied[0].min_scale > 2.0);  // something moved
      CHECK(ops_of(g, "Clip") == 0);
      CHECK(ops_of(g, "Relu") == 1);
      REQUIRE(ops_of(g, "Min") == 1);
      // Min(Relu(x), 6 s_c): one bound per channel, and the result kept its name.
      const auto m = find_value(g, "z").value().node;
      CHECK(ir_traits<G>::op_type(g, m) == "Min");
      const auto held = ir_traits<G>::constant_value(g, operand(g, m, 1)->node);
      const tensor& hi = *held;
      CHECK(hi.shape() == shape_t{3, 1, 1});
      CHECK(hi.get(0) != Approx(hi.get(1)));
      // The sets handed back describe the graph as it is now (with the bound).
      REQUIRE(r.sets.sets.size() == 1);
      CHECK(r.sets.sets[0].clips.empty());
      CHECK(r.sets.sets[0].bounds == std::vector{m});
      eq_check::require_equivalent(original, g);
      const auto in = inputs(3);
      for (const auto& x : in) {
        const auto a = exec::execute(original, x).at("y"), b = exec::execute(g, x).at("y");
        for (std::int64_t i = 0; i < a.size(); ++i) CHECK(b.get(i) == Approx(a.get(i)).margin(1e-5));
      }
    }
    SECTION("activation policy, per-channel clip: statistics follow") {
      const auto calib = inputs(4);
      equalize::options opt;
      opt.per_channel_clip = true;
      opt.policy = scale_policy::activation;
      statistics stats = calibrate(g, find_sets(g, target::onnx_float{}, {true}), calib);
      REQUIRE(stats.contains("z"));
      const auto r = equalize::equalize(g, target::onnx_float{}, opt, &stats);
      REQUIRE(r.applied.size() == 1);
      CHECK(r.applied[0].max_scale > 1.0);
      eq_check::require_equivalent(original, g);
      const statistics fresh = calibrate(g, r.sets, calib);
      for (const auto& [name, range] : fresh)
        if (stats.contains(name))
          for (std::size_t c = 0; c < range.max.size(); ++c) CHECK(stats.at(name).max[c] == Approx(range.max[c]).margin(1e-4));
    }
  });
}

TEST_CASE("a failing update after a clip split leaves the graph as it was", "[equalize][safety]") {
  // y1's bias has the wrong length: the update throws after the Clip was split;
  // the rollback brings the Clip back.
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,2,2,2]
    const %w1: float32[3,2,1,1] = [1, 2, 3, 4, 5, 6]
    const %b1: float32[2] = [1, 2]
    node y1: Conv(%x, %w1, %b1) -> %y1: float32[1,3,2,2]
    node z: Clip(%y1) {min = 0.0, max = 6.0} -> %z: float32[1,3,2,2]
    const %w2: float32[1,3,1,1] = [10, 1, 0.1]
    node y2: Conv(%z, %w2) -> %y2: float32[1,1,2,2]
    node y: Sigmoid(%y2) -> %y: float32[1,1,2,2]
    output %y
  })", [](auto& g, const auto&) {
    const std::string before = to_text(g);
    equalize::options opt;
    opt.per_channel_clip = true;
    CHECK_THROWS_WITH(equalize::equalize(g, target::onnx_float{}, opt), Catch::Contains("has 2 values for 3 output channels"));
    CHECK(to_text(g) == before);
  });
}

TEST_CASE("a Max by a per-channel constant scales with its channels", "[equalize][safety]") {
  eq_check::on_every_ir(R"(graph {
    input %x: float32[2,3]
    const %w1: float32[3,4] = [1, 20, 0.3, 4, 0.5, 6, 7, 0.08, 9, 1, 0.1, 12]
    node y1: MatMul(%x, %w1) -> %y1: float32[2,4]
    const %floor: float32[4] = [-1, 0.5, 2, -3]
    node z: Max(%floor, %y1) -> %z: float32[2,4]
    const %w2: float32[4,2] = [1, 2, 30, 4, 0.5, 6, 7, 0.8]
    node y2: MatMul(%z, %w2) -> %y2: float32[2,2]
    node y: Sigmoid(%y2) -> %y: float32[2,2]
    output %y
  })", [](auto& g, const auto& original) {
    const auto r = equalize::equalize(g, target::onnx_float{});
    REQUIRE(r.applied.size() == 1);
    REQUIRE(r.sets.sets[0].bounds.size() == 1);
    CHECK(r.sets.sets[0].bound_ports[0] == 0);
    CHECK(r.applied[0].max_scale / r.applied[0].min_scale > 1.5);
    eq_check::require_equivalent(original, g);
  });
}

TEST_CASE("a bound that is neither scalar nor per-channel rejects the set", "[equalize][safety]") {
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,2,2,2]
    const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
    node y1: Conv(%x, %w1) -> %y1: float32[1,2,2,2]
    const %c: float32[2] = [1, 2]
    node z: Min(%y1, %c) -> %z: float32[1,2,2,2]
    const %w2: float32[2,2,1,1] = [1, 2, 3, 4]
    node y2: Conv(%z, %w2) -> %y2: float32[1,2,2,2]
    node y: Sigmoid(%y2) -> %y: float32[1,2,2,2]
    output %y
  })", [](auto& g, const auto&) {
    const auto p = find_sets(g, target::onnx_float{});
    CHECK(p.sets.empty());
    REQUIRE(!p.rejected.empty());
    CHECK_THAT(p.rejected[0].reason, Catch::Contains("'z' has a bound of shape [2], not a scalar or one value per channel"));
  });
}

TEST_CASE("a squeeze-excitation product blocks its set", "[equalize][safety]") {
  // x * sigmoid(fc(pool(x))): scaling x's channels would change the gate's input.
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,2,2,2]
    const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
    node y1: Conv(%x, %w1) -> %y1: float32[1,2,2,2]
    node z: Relu(%y1) -> %z: float32[1,2,2,2]
    node p: GlobalAveragePool(%z) -> %p: float32[1,2,1,1]
    const %wf: float32[2,2,1,1] = [0.5, -1, 1, 0.25]
    node f: Conv(%p, %wf) -> %f: float32[1,2,1,1]
    node gate: Sigmoid(%f) -> %gate: float32[1,2,1,1]
    node e: Mul(%z, %gate) -> %e: float32[1,2,2,2]
    const %w2: float32[2,2,1,1] = [1, 2, 3, 4]
    node y2: Conv(%e, %w2) -> %y2: float32[1,2,2,2]
    node y: Sigmoid(%y2) -> %y: float32[1,2,2,2]
    output %y
  })", [](auto& g, const auto& original) {
    const auto r = equalize::equalize(g, target::onnx_float{});
    CHECK(r.applied.empty());
    bool named = false;
    for (const auto& j : r.sets.rejected) named = named || j.reason.find("'e' (Mul) does not commute") != std::string::npos;
    CHECK(named);
    eq_check::require_equivalent(original, g);
  });
}

TEST_CASE("a huge bias over vanishing weights gets a bounded scale", "[equalize][safety]") {
  // Channel 1 of y1: weights 1e-6 (above the dead threshold), bias 1e3. DFQ asks
  // for a scale of about 1e6; max_scale caps it, and nothing becomes infinite.
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,2,2,2]
    const %w1: float32[2,2,1,1] = [1, 2, 1e-6, -1e-6]
    const %b1: float32[2] = [0.5, 1000]
    node y1: Conv(%x, %w1, %b1) -> %y1: float32[1,2,2,2]
    node z: Relu(%y1) -> %z: float32[1,2,2,2]
    const %w2: float32[2,2,1,1] = [1, 2, 3, 4]
    node y2: Conv(%z, %w2) -> %y2: float32[1,2,2,2]
    node y: Sigmoid(%y2) -> %y: float32[1,2,2,2]
    output %y
  })", [](auto& g, const auto& original) {
    using G = std::remove_cvref_t<decltype(g)>;
    equalize::options opt;
    opt.max_scale = 100;
    const auto r = equalize::equalize(g, target::onnx_float{}, opt);
    REQUIRE(r.applied.size() == 1);
    CHECK(r.applied[0].max_scale <= 100.0 * (1 + 1e-9));
    const auto held = ir_traits<G>::constant_value(g, operand(g, find_value(g, "y1")->node, 2)->node);
    const tensor& b = *held;
    CHECK(std::isfinite(b.get(1)));
    CHECK(std::abs(b.get(1)) <= 1000.0 * 100 * (1 + 1e-6));
    ir_check::require_equivalent(original, g, 4, 1e-3);
  });
}

TEST_CASE("a chain through a linear Resize equalizes exactly, and a non-zero extrapolation blocks", "[equalize][safety]") {
  const std::string chain = R"(graph {
    input %x: float32[1,2,2,2]
    const %w1: float32[3,2,1,1] = [10, -8, 0.1, 0.2, 4, 7]
    node y1: Conv(%x, %w1) -> %y1: float32[1,3,2,2]
    const %sizes: int64[4] = [1, 3, 4, 4]
    node z: Resize(%y1, _, _, %sizes) {mode = "linear"MODE} -> %z: float32[1,3,4,4]
    const %w2: float32[2,3,1,1] = [1, 0.1, 10, 2, 0.2, 5]
    node y2: Conv(%z, %w2) -> %y2: float32[1,2,4,4]
    node y: Sigmoid(%y2) -> %y: float32[1,2,4,4]
    output %y
  })";
  auto with = [&](const std::string& mode) {
    std::string t = chain;
    t.replace(t.find("MODE"), 4, mode);
    return t;
  };
  const std::string linear = with(""), crop = with(R"(, coordinate_transformation_mode = "tf_crop_and_resize", extrapolation_value = 1.0)");
  eq_check::on_every_ir(linear.c_str(), [](auto& g, const auto& original) {
    const auto r = equalize::equalize(g, target::onnx_float{});
    REQUIRE(r.applied.size() == 1);
    CHECK(r.applied[0].max_scale / r.applied[0].min_scale > 2.0);
    eq_check::require_equivalent(original, g);
  });
  const model g = parse_text(crop);
  const auto p = find_sets(g, target::onnx_float{});
  CHECK(p.sets.empty());
  REQUIRE(!p.rejected.empty());
  CHECK_THAT(p.rejected[0].reason, Catch::Contains("'z' (Resize) extrapolates a non-zero value"));
}
