// The QONNX front end: FoldQuantWeights and ConvertQuantActToMultiThreshold on
// QONNX graphs built here (fully connected and conv, every rounding mode, signed,
// unsigned, narrow, bipolar), each compared with the executor before and after —
// on random inputs and on the exact points where the rounding changes level.
#include "check.hpp"
#include "nnrewrite/ir/quant.hpp"

#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>

using namespace nnrewrite;
using namespace nnrewrite::streamline;

namespace {

const char* const modes[] = {"ROUND", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN"};

// Runs both graphs on `x` (input "x") and requires identical outputs.
template <ir_graph G>
void require_same_on(const G& before, const G& after, const tensor& x) {
  const auto a = exec::execute(before, {{"x", x}});
  const auto b = exec::execute(after, {{"x", x}});
  REQUIRE(a.size() == b.size());
  for (const auto& [name, t] : a) {
    const auto u = b.at(name).to_doubles(), v = t.to_doubles();
    REQUIRE(u.size() == v.size());
    for (std::size_t i = 0; i < u.size(); ++i) {
      INFO(name << "[" << i << "] input " << x.get(std::int64_t(i)) << ": before " << v[i] << ", after " << u[i]);
      REQUIRE(u[i] == v[i]);
    }
  }
}

// Rows of [n, channels] data around every level change of a quantizer with
// per-channel scales s and zero point z: the real point (k + d - z) s for d in
// {-1, -0.5, 0} and the floats next to it, plus values far outside the range.
tensor boundary_inputs(const std::vector<double>& s, double z, double lo, double hi) {
  std::vector<std::vector<float>> per_channel(s.size());
  for (std::size_t c = 0; c < s.size(); ++c) {
    auto& v = per_channel[c];
    for (double k = lo - 1; k <= hi + 1; ++k)
      for (double d : {-1.0, -0.5, 0.0}) {
        const double t = (k + d - z) * s[c];
        const float f = float(t);
        for (float e : {f, std::nextafter(f, -INFINITY), std::nextafter(f, INFINITY)}) v.push_back(e);
      }
    for (float e : {-1e6f, 1e6f, 0.0f, -0.0f}) v.push_back(e);
  }
  std::size_t n = 0;
  for (const auto& v : per_channel) n = std::max(n, v.size());
  std::vector<float> data(n * s.size(), 0.0f);
  for (std::size_t c = 0; c < s.size(); ++c)
    for (std::size_t i = 0; i < n; ++i) data[i * s.size() + c] = per_channel[c][i % per_channel[c].size()];
  return tensor(element_type::float32, shape_t{std::int64_t(n), std::int64_t(s.size())}, data);
}

std::string quant_act_graph(std::int64_t rows, const char* mode, int is_signed, int narrow, int bits, double z,
                            const char* scale_shape, const char* scale) {
  return fmt::format(R"(graph {{
    input %x: float32[{0},3]
    const %s: float32[{6}] = [{5}]
    const %z: float32[] = [{4}]
    const %b: float32[] = [{3}]
    node q: qonnx.custom_op.general.Quant(%x, %s, %z, %b) {{signed = {1}, narrow = {2}, rounding_mode = "{7}"}} -> %y: float32[{0},3]
    output %y
  }})",
                     rows, is_signed, narrow, bits, z, scale, scale_shape, mode);
}

}  // namespace

TEST_CASE("threshold_for_level: where each rounding mode reaches a level", "[streamline][qonnx]") {
  for (const char* name : modes) {
    const rounding_mode mode = *parse_rounding_mode(name);
    for (double k = -6; k <= 6; ++k) {
      const level_threshold lt = threshold_for_level(mode, k);
      for (double u = -8; u <= 8; u += 0.125) {
        INFO(name << ": level " << k << " at u = " << u);
        REQUIRE((round_with(mode, u) >= k) == (lt.strict ? u > lt.at : u >= lt.at));
      }
    }
  }
  CHECK_FALSE(parse_rounding_mode("NEAREST"));
  CHECK(parse_rounding_mode("half_even") == std::nullopt);
  CHECK(parse_rounding_mode("half_up") == rounding_mode::half_up);
}

TEST_CASE("quantize_level: the level of the exact x/s + z", "[streamline][qonnx]") {
  // 1e-45 / 0.1 + 1 is 1 in double; the exact value is above 1, so CEIL gives 2.
  CHECK(quantize_level(rounding_mode::ceil, 1e-45, 0.1, 1, 0, 3) == 2);
  CHECK(quantize_level(rounding_mode::floor, -1e-45, 0.1, 1, 0, 3) == 0);
  CHECK(quantize_level(rounding_mode::round, 0.5, 1, 0, -8, 7) == 0);  // half to even
  CHECK(quantize_level(rounding_mode::round, 1.5, 1, 0, -8, 7) == 2);
  CHECK(quantize_level(rounding_mode::half_down, 1e-300, 1, 0.5, -8, 7) == 1);  // just above the tie
  CHECK(quantize_level(rounding_mode::floor, 100, 1, 0, -8, 7) == 7);
  CHECK(quantize_level(rounding_mode::floor, -INFINITY, 1, 0, -8, 7) == -8);
  CHECK(std::isnan(quantize_level(rounding_mode::floor, NAN, 1, 0, -8, 7)));
  CHECK(bipolar_level(-1e-45, 0.1, 0) == -1);
  CHECK(bipolar_level(1e-45, 0.1, -1) == -1);
  CHECK(bipolar_level(0, 0.1, 0) == 1);
}

TEST_CASE("float32_threshold: comparing floats with it is comparing with the real threshold", "[streamline][qonnx]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> d(-100, 100);
  for (int i = 0; i < 2000; ++i) {
    const double at = i % 3 == 0 ? double(float(d(rng))) : d(rng) * 0.1;  // some exactly a float
    for (bool strict : {false, true}) {
      const double t = float32_threshold(at, strict);
      float x = std::nextafter(std::nextafter(float(at), -INFINITY), -INFINITY);
      for (int j = 0; j < 5; ++j, x = std::nextafter(x, INFINITY)) {
        INFO("at = " << at << ", x = " << x << (strict ? " (strict)" : ""));
        REQUIRE((double(x) >= t) == (strict ? double(x) > at : double(x) >= at));
      }
    }
  }
  // The margin of a strict threshold on a float is half a float32 step.
  CHECK(float32_threshold(0.125, true) == 0.125 + std::ldexp(1.0, -27));
  CHECK(float32_threshold(0.125, false) == 0.125);
}

TEST_CASE("ConvertQuantActToMultiThreshold: every rounding mode, signed, unsigned, narrow, exact at every level change",
          "[streamline][qonnx]") {
  const char* mode = GENERATE(from_range(std::begin(modes), std::end(modes)));
  const int is_signed = GENERATE(0, 1);
  const int narrow = GENERATE(0, 1);
  const int bits = GENERATE(1, 2, 4);
  const double z = GENERATE(0.0, 1.0);
  if (narrow && bits == 1) return;  // a narrow 1-bit range is empty (or bipolar): covered below
  // Per-channel scales (0.1 is no float: the thresholds are not either).
  const std::vector<double> s{double(0.1f), 0.375, 2.5};
  const double lo = is_signed && bits == 1 ? -1 : quant_min(is_signed, narrow, bits);
  const double hi = is_signed && bits == 1 ? 1 : quant_max(is_signed, narrow, bits);
  const tensor x = boundary_inputs(s, z, lo, hi);
  const std::string text = quant_act_graph(x.shape()[0], mode, is_signed, narrow, bits, z, "3", "0.1, 0.375, 2.5");
  INFO(text);
  model g = parse_text<model>(text);
  const model original = parse_text<model>(text);
  REQUIRE(check::apply<ConvertQuantActToMultiThreshold>(g).rewrites == 1);
  CHECK(check::count(g, "Quant") == 0);
  CHECK(check::count(g, "MultiThreshold") == 1);
  CHECK(check::count(g, "Mul") == 1);
  require_same_on(original, g, x);
  check::require_equivalent(original, g, 10);
}

TEST_CASE("ConvertQuantActToMultiThreshold: a scalar scale, one shared threshold row", "[streamline][qonnx]") {
  const char* mode = GENERATE(from_range(std::begin(modes), std::end(modes)));
  const std::vector<double> s(3, double(0.3f));
  const tensor x = boundary_inputs(s, 0, -8, 7);
  const std::string text = quant_act_graph(x.shape()[0], mode, 1, 0, 4, 0, "", "0.3");
  model g = parse_text<model>(text);
  const model original = parse_text<model>(text);
  REQUIRE(check::apply<ConvertQuantActToMultiThreshold>(g).rewrites == 1);
  const auto th = find_value(g, "y_thresholds");
  REQUIRE(th);
  CHECK(ir_traits<model>::constant_value(g, th->node)->shape() == shape_t{1, 15});
  require_same_on(original, g, x);
}

TEST_CASE("ConvertQuantActToMultiThreshold: BipolarQuant, any scale sign", "[streamline][qonnx]") {
  const char* text = R"(graph {
    input %x: float32[6,3]
    const %s: float32[3] = [0.5, -2, 3]
    node q: qonnx.custom_op.general.BipolarQuant(%x, %s) -> %y: float32[6,3]
    output %y
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    REQUIRE(check::apply<ConvertQuantActToMultiThreshold>(g).rewrites == 0);  // root is Quant
    REQUIRE(check::run(g, [](auto& s) { populate_qonnx_patterns(s); }).rewrites == 1);
    CHECK(check::count(g, "BipolarQuant") == 0);
    CHECK(check::count(g, "MultiThreshold") == 1);
    check::require_equivalent(original, g, 20);
    const tensor x(element_type::float32, shape_t{6, 3},
                   std::vector<float>{-1, 0, 1, -0.0f, 1e-30f, -1e-30f, 5, -5, 0, 0, 0, 0, 2, 2, 2, -2, -2, -2});
    require_same_on(original, g, x);
  });
}

TEST_CASE("ConvertQuantActToMultiThreshold absorbs a Relu or Clip only when no threshold sees the clamp",
          "[streamline][qonnx]") {
  const auto [text, relus_left] = GENERATE(table<const char*, std::size_t>({
      // Unsigned after Relu: every threshold > 0, the Relu goes.
      {R"(graph { input %x: float32[16,3]
                  node r: Relu(%x) -> %r: float32[16,3]
                  const %s: float32[] = [0.25]
                  const %z: float32[] = [0]
                  const %b: float32[] = [4]
                  node q: qonnx.custom_op.general.Quant(%r, %s, %z, %b) {signed = 0, narrow = 0, rounding_mode = "ROUND"} -> %y: float32[16,3]
                  output %y })",
       0},
      // CEIL puts the first threshold at 0 (x > 0, stored as the next float): still > 0.
      {R"(graph { input %x: float32[16,3]
                  node r: Relu(%x) -> %r: float32[16,3]
                  const %s: float32[] = [0.25]
                  const %z: float32[] = [0]
                  const %b: float32[] = [4]
                  node q: qonnx.custom_op.general.Quant(%r, %s, %z, %b) {signed = 0, narrow = 0, rounding_mode = "CEIL"} -> %y: float32[16,3]
                  output %y })",
       0},
      // Signed after Relu: negative thresholds would see x < 0, the Relu stays.
      {R"(graph { input %x: float32[16,3]
                  node r: Relu(%x) -> %r: float32[16,3]
                  const %s: float32[] = [0.25]
                  const %z: float32[] = [0]
                  const %b: float32[] = [4]
                  node q: qonnx.custom_op.general.Quant(%r, %s, %z, %b) {signed = 1, narrow = 0, rounding_mode = "ROUND"} -> %y: float32[16,3]
                  output %y })",
       1},
      // The Relu also feeds an output: it stays.
      {R"(graph { input %x: float32[16,3]
                  node r: Relu(%x) -> %r: float32[16,3]
                  const %s: float32[] = [0.25]
                  const %z: float32[] = [0]
                  const %b: float32[] = [4]
                  node q: qonnx.custom_op.general.Quant(%r, %s, %z, %b) {signed = 0, narrow = 0, rounding_mode = "ROUND"} -> %y: float32[16,3]
                  output %y
                  output %r })",
       1},
      // ReLU6 as Clip(0, 6) before a 4-bit quantizer of step 0.4: thresholds 0.2 .. 5.8.
      {R"(graph { input %x: float32[16,3]
                  const %lo: float32[] = [0]
                  const %hi: float32[] = [6]
                  node r: Clip(%x, %lo, %hi) -> %r: float32[16,3]
                  const %s: float32[] = [0.4]
                  const %z: float32[] = [0]
                  const %b: float32[] = [4]
                  node q: qonnx.custom_op.general.Quant(%r, %s, %z, %b) {signed = 0, narrow = 0, rounding_mode = "ROUND"} -> %y: float32[16,3]
                  output %y })",
       0},
      // Clip(0, 3): the levels above 3 are cut by the Clip, it stays.
      {R"(graph { input %x: float32[16,3]
                  const %lo: float32[] = [0]
                  const %hi: float32[] = [3]
                  node r: Clip(%x, %lo, %hi) -> %r: float32[16,3]
                  const %s: float32[] = [0.4]
                  const %z: float32[] = [0]
                  const %b: float32[] = [4]
                  node q: qonnx.custom_op.general.Quant(%r, %s, %z, %b) {signed = 0, narrow = 0, rounding_mode = "ROUND"} -> %y: float32[16,3]
                  output %y })",
       1},
  }));
  INFO(text);
  model g = parse_text<model>(text);
  const model original = parse_text<model>(text);
  REQUIRE(check::apply<ConvertQuantActToMultiThreshold>(g).rewrites == 1);
  CHECK(check::count(g, "Relu") + check::count(g, "Clip") == relus_left);
  check::require_equivalent(original, g, 50);
  std::vector<float> xs;
  for (int i = -12; i < 36; ++i) xs.push_back(0.2f * float(i) - 0.1f * float(i % 2));
  require_same_on(original, g, tensor(element_type::float32, shape_t{16, 3}, xs));
}

TEST_CASE("ConvertQuantActToMultiThreshold refuses what it cannot express", "[streamline][qonnx]") {
  auto graph = [](const std::string& s, const std::string& z, const std::string& b, const std::string& attrs,
                  const std::string& layout = "") {
    return "graph { input %x: float32[2,3,2]" + layout + "\n const %s: float32" + s + "\n const %z: float32" + z +
           "\n const %b: float32" + b + "\n node q: qonnx.custom_op.general.Quant(%x, %s, %z, %b) {" + attrs +
           "} -> %y: float32[2,3,2]\n output %y }";
  };
  const auto [text, reason] = GENERATE_COPY(table<std::string, std::string>({
      {graph("[] = [-0.5]", "[] = [0]", "[] = [4]", "signed = 1"), "a scale is negative (the levels would fall as x rises)"},
      {graph("[] = [0.5]", "[] = [0.5]", "[] = [4]", "signed = 1"), "the zero point is not one integer"},
      {graph("[] = [0.5]", "[] = [0]", "[] = [17]", "signed = 1"), "more than 16 bits (too many thresholds)"},
      {graph("[] = [0.5]", "[] = [0]", "[] = [2.5]", "signed = 1"), "the bit width is not one integer in [1, 32]"},
      {graph("[] = [0.5]", "[] = [0]", "[] = [4]", "rounding_mode = \"STOCHASTIC\""), "unknown rounding_mode"},
      {graph("[] = [0]", "[] = [0]", "[] = [4]", "signed = 1"), "the scale is zero, NaN or Inf"},
      // Rank 3 without a layout: MultiThreshold's channels are the last axis.
      {graph("[1,3,1] = [0.5, 1, 2]", "[] = [0]", "[] = [4]", "signed = 1"), "the scale is neither scalar nor per channel"},
      {graph("[1,1,2] = [0.5, 1]", "[] = [0]", "[] = [4]", "signed = 1", " @NCW"), "the scale is neither scalar nor per channel"},
      {graph("[1,1,2] = [0.5, 1]", "[] = [0]", "[] = [4]", "signed = 1", " @XYZ"), "the data's layout names no channel axis"},
  }));
  INFO(text);
  model g = parse_text<model>(text);
  const auto r = check::apply<ConvertQuantActToMultiThreshold>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "ConvertQuantActToMultiThreshold") == reason);
  CHECK(check::count(g, "Quant") == 1);
}

TEST_CASE("FoldQuantWeights: integer weights and the scale after the MatMul or Conv", "[streamline][qonnx]") {
  const auto [text, muls] = GENERATE(table<const char*, std::size_t>({
      // MatMul, per output channel scale [1, 3], signed narrow 4-bit.
      {R"(graph { input %x: float32[2,4]
                  const %w: float32[4,3] = [0.3, -1.2, 0.05, 2, -0.7, 0.9, 1.1, 0.01, -3, 0.4, 0.6, -0.2]
                  const %s: float32[1,3] = [0.25, 0.5, 0.125]
                  const %z: float32[] = [0]
                  const %b: float32[] = [4]
                  node qw: qonnx.custom_op.general.Quant(%w, %s, %z, %b) {signed = 1, narrow = 1, rounding_mode = "ROUND"} -> %wq: float32[4,3]
                  node mm: MatMul(%x, %wq) -> %y: float32[2,3]
                  output %y })",
       1},
      // Conv with a bias, per output channel scale [2,1,1,1].
      {R"(graph { input %x: float32[1,2,3,3]
                  const %w: float32[2,2,2,2] = [0.3, -1.2, 0.05, 2, -0.7, 0.9, 1.1, 0.01, -3, 0.4, 0.6, -0.2, 1, 1.5, -1.5, 0]
                  const %s: float32[2,1,1,1] = [0.5, 0.25]
                  const %z: float32[] = [0]
                  const %b: float32[] = [3]
                  node qw: qonnx.custom_op.general.Quant(%w, %s, %z, %b) {signed = 1, narrow = 0, rounding_mode = "HALF_UP"} -> %wq: float32[2,2,2,2]
                  const %bias: float32[2] = [0.75, -1.5]
                  node conv: Conv(%x, %wq, %bias) {kernel_shape = [2, 2], pads = [1, 1, 0, 0]} -> %y: float32[1,2,3,3]
                  output %y })",
       1},
      // Depthwise Conv, scalar scale, BipolarQuant weights.
      {R"(graph { input %x: float32[1,2,3,3]
                  const %w: float32[2,1,2,2] = [0.3, -1.2, 0.05, 2, -0.7, 0.9, 1.1, -0.01]
                  const %s: float32[] = [0.75]
                  node qw: qonnx.custom_op.general.BipolarQuant(%w, %s) -> %wq: float32[2,1,2,2]
                  node conv: Conv(%x, %wq) {kernel_shape = [2, 2], group = 2} -> %y: float32[1,2,2,2]
                  output %y })",
       1},
      // Unit scale: the integers replace the weights, nothing after the MatMul.
      {R"(graph { input %x: float32[2,4]
                  const %w: float32[4,2] = [0.3, -1.2, 0.05, 2, -0.7, 0.9, 1.1, 9]
                  const %s: float32[] = [1]
                  const %z: float32[] = [0]
                  const %b: float32[] = [2]
                  node qw: onnx.brevitas.Quant(%w, %s, %z, %b) {signed = 0, narrow = 0, rounding_mode = "FLOOR"} -> %wq: float32[4,2]
                  node mm: MatMul(%x, %wq) -> %y: float32[2,2]
                  output %y })",
       0},
      // Quantized bias (an Add): folded to its float values.
      {R"(graph { input %x: float32[2,3]
                  const %w: float32[3] = [0.3, -1.2, 0.05]
                  const %s: float32[] = [0.1]
                  const %z: float32[] = [0]
                  const %b: float32[] = [8]
                  node qw: qonnx.custom_op.general.Quant(%w, %s, %z, %b) {signed = 1, narrow = 0, rounding_mode = "ROUND"} -> %wq: float32[3]
                  node add: Add(%x, %wq) -> %y: float32[2,3]
                  output %y })",
       0},
  }));
  INFO(text);
  check::on_every_ir(text, [muls = muls](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    using T = ir_traits<G>;
    const auto r = check::run(g, [](auto& s) { populate_qonnx_patterns(s); });
    CHECK(r.rewrites == 1);
    CHECK(check::count(g, "Quant") + check::count(g, "BipolarQuant") == 0);
    CHECK(check::count(g, "Mul") == muls);
    // Weights of a MatMul/Conv are integers, annotated with the quantizer's type.
    for (auto [it, end] = vertices(g); it != end; ++it) {
      if (T::kind(g, *it) != node_kind::op || (T::op_type(g, *it) != "MatMul" && T::op_type(g, *it) != "Conv")) continue;
      const auto w = operand(g, *it, 1);
      REQUIRE(w);
      const auto wt = T::constant_value(g, w->node);
      REQUIRE(wt);
      CHECK(wt->all_of([](auto e) { return std::nearbyint(double(e)) == double(e); }));
      CHECK(T::value(g, w->node, w->port).dtype.has_value());
    }
    check::require_equivalent(original, g, 20);
  });
}

TEST_CASE("FoldQuantWeights leaves a scale it cannot move as float weights", "[streamline][qonnx]") {
  // A per-input-channel scale [4, 1] on a MatMul's weights does not commute with it.
  const char* text = R"(graph { input %x: float32[2,4]
    const %w: float32[4,3] = [0.3, -1.2, 0.05, 2, -0.7, 0.9, 1.1, 0.01, -3, 0.4, 0.6, -0.2]
    const %s: float32[4,1] = [0.25, 0.5, 0.125, 1]
    const %z: float32[] = [0]
    const %b: float32[] = [4]
    node qw: qonnx.custom_op.general.Quant(%w, %s, %z, %b) {signed = 1, narrow = 0, rounding_mode = "ROUND"} -> %wq: float32[4,3]
    node mm: MatMul(%x, %wq) -> %y: float32[2,3]
    output %y })";
  model g = parse_text<model>(text);
  const model original = parse_text<model>(text);
  CHECK(check::apply<FoldQuantWeights>(g).rewrites == 1);
  CHECK(check::count(g, "Quant") == 0);
  CHECK(check::count(g, "Mul") == 0);
  check::require_equivalent(original, g, 20);
}

namespace {
// A Brevitas-style QONNX network: an 8-bit input quantizer, Conv with quantized
// weights and bias, Relu, a 4-bit activation quantizer, MaxPool, MatMul with
// per-channel weight scales, and a signed 4-bit output quantizer. Scales and
// biases are powers of two, so float32 computes both graphs exactly and the
// comparison is exact even where a sum lands on a level boundary (which with
// powers of two it often does). With other scales the streamlined graph rounds
// differently from the original — it folds scales away that float32 would
// round — and a sum within a rounding error of a boundary may change level.
std::string qonnx_net(const std::string& mode, const std::string& domain) {
  return fmt::format(R"(graph {{
    input %x: float32[1,2,4,4]
    const %s_in: float32[] = [0.0078125]
    const %z0: float32[] = [0]
    const %b8: float32[] = [8]
    node q_in: {1}.Quant(%x, %s_in, %z0, %b8) {{signed = 1, narrow = 0, rounding_mode = "{0}"}} -> %xq: float32[1,2,4,4]
    const %w1: float32[3,2,2,2] = [0.3, -1.2, 0.05, 2, -0.7, 0.9, 1.1, 0.01, -3, 0.4, 0.6, -0.2, 1, 1.5, -1.5, 0, 0.2, -0.4, 0.8, -0.6, 1.3, 0.7, -0.9, 0.1]
    const %s_w1: float32[3,1,1,1] = [0.5, 0.25, 0.125]
    const %b4: float32[] = [4]
    node q_w1: {1}.Quant(%w1, %s_w1, %z0, %b4) {{signed = 1, narrow = 1, rounding_mode = "ROUND"}} -> %w1q: float32[3,2,2,2]
    const %bias1: float32[3] = [0.125, -0.25, 0.0625]
    node conv: Conv(%xq, %w1q, %bias1) {{kernel_shape = [2, 2], pads = [1, 1, 1, 1]}} -> %c: float32[1,3,5,5]
    node relu: Relu(%c) -> %r: float32[1,3,5,5]
    const %s_a: float32[] = [0.125]
    node q_a: {1}.Quant(%r, %s_a, %z0, %b4) {{signed = 0, narrow = 0, rounding_mode = "{0}"}} -> %a: float32[1,3,5,5]
    node pool: MaxPool(%a) {{kernel_shape = [2, 2], strides = [2, 2]}} -> %p: float32[1,3,2,2]
    const %shape: int64[2] = [1, 12]
    node flat: Reshape(%p, %shape) -> %f: float32[1,12]
    const %w2: float32[12,2] = [0.5, -0.25, 1, 0.75, -1, 0.3, 0.2, -0.9, 0.6, 0.1, -0.4, 0.8, 0.7, -0.3, 0.9, 0.05, -0.6, 0.4, 0.35, -0.15, 0.45, -0.55, 0.65, -0.85]
    const %s_w2: float32[1,2] = [0.125, 0.25]
    node q_w2: {1}.Quant(%w2, %s_w2, %z0, %b4) {{signed = 1, narrow = 0, rounding_mode = "ROUND"}} -> %w2q: float32[12,2]
    node fc: MatMul(%f, %w2q) -> %m: float32[1,2]
    const %s_o: float32[] = [0.5]
    node q_o: {1}.Quant(%m, %s_o, %z0, %b4) {{signed = 1, narrow = 0, rounding_mode = "{0}"}} -> %y: float32[1,2]
    output %y
  }})",
                     mode, domain);
}
}  // namespace

TEST_CASE("a QONNX network goes in, a streamlined graph comes out (every rounding mode)", "[streamline][qonnx]") {
  const std::string mode = GENERATE(from_range(std::begin(modes), std::end(modes)));
  const std::string domain = GENERATE(as<std::string>{}, "qonnx.custom_op.general", "onnx.brevitas");
  const std::string text = qonnx_net(mode, domain);
  model g = parse_text<model>(text);
  const model original = parse_text<model>(text);
  const auto r = streamline::streamline(g);
  INFO("rounding mode " << mode << ", domain " << domain << "\n" << to_string(r) << "\n" << to_text(g));
  CHECK(r.converged);
  CHECK(r.per_pattern.at("FoldQuantWeights") == 2);
  CHECK(r.per_pattern.at("ConvertQuantActToMultiThreshold") == 3);
  CHECK(check::count(g, "Quant") == 0);
  CHECK(check::count(g, "Relu") == 0);
  CHECK(check::count(g, "MultiThreshold") == 3);
  check::require_equivalent(original, g, 100);
}

TEST_CASE("the QONNX front end on every IR", "[streamline][qonnx]") {
  const std::string text = qonnx_net("ROUND", "qonnx.custom_op.general");
  check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    const auto r = streamline::streamline(g);
    CHECK(r.converged);
    CHECK(check::count(g, "Quant") == 0);
    CHECK(check::count(g, "MultiThreshold") == 3);
    check::require_equivalent(original, g, 30);
  });
}


TEST_CASE("a strict threshold stays strict through the scales and biases absorbed into it", "[streamline][qonnx]") {
  // Integer accumulator h; u = 4 (h / 64 + 0.5) / 0.25 = h / 4 + 8 lands on the
  // half-integers where ROUND's ties are (u = 0.5: level 0, u = 1.5: level 2).
  // Thresholds kept in float32 lost the strict ones' margin on the way to h and
  // RoundAndClipThresholds then put them one integer too low.
  const char* text = R"(graph {
    input %x: float32[1,4] !INT4
    const %w: float32[4,2] !INT4 = [1, -2, 3, 1, -1, 2, 2, -3]
    node mm: MatMul(%x, %w) -> %h: float32[1,2]
    const %a: float32[] = [0.015625]
    node scale: Mul(%h, %a) -> %hs: float32[1,2]
    const %mean: float32[2] = [-0.5, -0.5]
    node shift: Sub(%hs, %mean) -> %n: float32[1,2]
    const %g: float32[2] = [4, 4]
    node bn: Mul(%n, %g) -> %r: float32[1,2]
    const %s: float32[] = [0.25]
    const %z: float32[] = [0]
    const %b: float32[] = [4]
    node q: qonnx.custom_op.general.Quant(%r, %s, %z, %b) {signed = 0, rounding_mode = "ROUND"} -> %y: float32[1,2]
    output %y
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    if (!holds_constants_of<G>(element_type::float64)) {
      // user::graph keeps float32 constants only: the thresholds are float32,
      // exact for the Quant's own float input but not through later absorption
      // (docs/streamlining.md). Only the front end is checked here.
      REQUIRE(check::run(g, [](auto& s) { populate_qonnx_patterns(s); }).rewrites == 1);
      const auto t = find_value(g, "y_thresholds");
      REQUIRE(t);
      CHECK(ir_traits<G>::constant_value(g, t->node)->type() == element_type::float32);
      check::require_equivalent(original, g, 100);
      return;
    }
    const auto r = streamline::streamline(g);
    CHECK(r.per_pattern.at("RoundAndClipThresholds") == 1);
    CHECK(check::count(g, "Quant") == 0);
    check::require_equivalent(original, g, 500);
  });
}
