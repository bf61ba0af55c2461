// RoundAndClipThresholds: exactly equivalent for integer and fixed-point inputs
// (FINN's case: 255 float thresholds, inputs INT/UINT of 23 to 26 bits, and
// FIXED<13..16,3>), computed in double.
#include "check.hpp"

#include <algorithm>
#include <random>

using namespace nnrewrite;
using namespace nnrewrite::streamline;

namespace {

// One MultiThreshold over input type `in`, with `steps` sorted random thresholds
// reaching a little beyond the input's range on both sides (so clipping matters).
std::string one_multithreshold(const data_type& in, int steps, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double lo = in.min(), hi = in.max(), span = hi - lo;
  std::uniform_real_distribution<double> u(lo - 0.1 * span, hi + 0.1 * span);
  std::vector<double> t(std::size_t(2 * steps));
  for (auto& v : t) v = u(rng);
  std::sort(t.begin(), t.begin() + steps);
  std::sort(t.begin() + steps, t.end());
  std::string values;
  for (double v : t) values += (values.empty() ? "" : ", ") + fmt::format("{:.17g}", v);
  return fmt::format(R"(graph {{
    input %x: float32[1,2,5] !{0}
    const %t: float32[2,{1}] = [{2}]
    node mt: qonnx.custom_op.general.MultiThreshold(%x, %t) {{out_dtype = "UINT8", data_layout = "NCW"}} -> %mt: float32[1,2,5] !UINT8
    output %mt
  }})",
                     in.name(), steps, values);
}

}  // namespace

TEST_CASE("RoundAndClipThresholds is exact for integer and fixed-point inputs", "[streamline][thresholds]") {
  const std::string type = GENERATE("INT23", "INT24", "INT25", "INT26", "UINT23", "UINT24", "UINT25", "UINT26",
                                    "FIXED<13,3>", "FIXED<14,3>", "FIXED<15,3>", "FIXED<16,3>", "BIPOLAR", "UINT4");
  const data_type in = data_type::parse(type);
  const std::string text = one_multithreshold(in, 255, std::hash<std::string>{}(type));
  check::on_every_ir(text.c_str(), [&](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<RoundAndClipThresholds>(g).rewrites == 1);
    CHECK(check::apply<RoundAndClipThresholds>(g).rewrites == 0);  // idempotent
    const auto t = find_value(g, "t");
    REQUIRE(t);
    const auto values = ir_traits<G>::constant_value(g, t->node)->to_doubles();
    const double step = in.is_fixed_point() ? in.step() : 1.0;
    for (double v : values) {
      CHECK(std::ceil(v / step) * step == v);
      CHECK(v >= in.min());
      CHECK(v <= in.max() + step);
    }
    CHECK(ir_traits<G>::value(g, t->node, 0).dtype.has_value());
    check::require_equivalent(original, g, 50);
  });
}

TEST_CASE("RoundAndClipThresholds stays exact above 2^24 (FINN rounds in float32)", "[streamline][thresholds][finn-wrong]") {
  // ceil(2^24 + 0.5) = 2^24 + 1 has no float32: FINN rounds it to 2^24 and lets
  // x = 2^24 pass. nnrewrite rounds in double and keeps the float64 threshold.
  const auto [input_type, stored] = GENERATE(table<const char*, double>({{"float32", 16777217.0}, {"float64", 16777217.0}}));
  const std::string text = std::string(R"(graph {
    input %x: )") + input_type + R"([1,3] !INT26
    const %t: float64[1,1] = [16777216.5]
    node mt: qonnx.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "BINARY"} -> %mt: float32[1,3] !BINARY
    output %mt
  })";
  model g = parse_text(text);
  CHECK(check::apply<RoundAndClipThresholds>(g).rewrites == 1);
  const auto th = find_value(g, "t");
  REQUIRE(th);
  CHECK(ir_traits<model>::constant_value(g, th->node)->get(0) == stored);
  const std::vector<double> x{16777216.0, 16777217.0, 16777218.0};
  exec::tensor_map in{{"x", tensor(std::string_view(input_type) == "float32" ? element_type::float32 : element_type::float64,
                                   shape_t{1, 3}, x)}};
  const auto before = exec::execute(parse_text(text), in).at("mt"), after = exec::execute(g, in).at("mt");
  CHECK(exec::exactly_equal(before, after));
  CHECK(after.get(0) == 0);
}

TEST_CASE("RoundAndClipThresholds leaves float inputs alone", "[streamline][thresholds]") {
  model g = parse_text(R"(graph {
    input %x: float32[1,2]
    const %t: float32[1,1] = [0.5]
    node mt: qonnx.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "BINARY"} -> %mt: float32[1,2]
    output %mt
  })");
  const auto r = check::apply<RoundAndClipThresholds>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "RoundAndClipThresholds") == "its input is not of an integer or fixed-point data type");
}

TEST_CASE("RoundAndClipThresholds rounds up exactly at halves, tiny values and wide types", "[streamline][thresholds]") {
  // Below 2^52 steps the rule truncates through int64 and corrects, above it
  // calls std::ceil: both must give ceil-then-clip on every value, including
  // halves, negative values (truncation goes toward zero), values near zero and
  // near the clip bounds.
  const std::string type = GENERATE("INT8", "UINT8", "FIXED<8,3>", "INT50", "INT53", "INT60", "UINT62");
  const data_type in = data_type::parse(type);
  const double step = in.is_fixed_point() ? in.step() : 1.0, lo = in.min(), hi = in.max() + step;
  std::vector<double> t{-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1e-20, -1e-20, -0.0, 3.0, -3.0, 0.3, -0.3, 7.75, -7.75};
  for (double m : {0.25, 0.5, 1.0}) {
    for (double d : {-1.5, -0.5, -1e-9, 0.0, 1e-9, 0.5, 1.5}) {
      t.push_back(m * lo + d);
      t.push_back(m * hi + d);
    }
  }
  std::string values;
  for (double v : t) values += (values.empty() ? "" : ", ") + fmt::format("{:.17g}", v);
  model g = parse_text(fmt::format(R"(graph {{
    input %x: float32[1,{0}] !{1}
    const %t: float64[1,{0}] = [{2}]
    node mt: qonnx.custom_op.general.MultiThreshold(%x, %t) {{out_dtype = "UINT8"}} -> %mt: float32[1,{0}] !UINT8
    output %mt
  }})",
                                   t.size(), type, values));
  REQUIRE(check::apply<RoundAndClipThresholds>(g).rewrites == 1);
  const auto th = find_value(g, "t");
  REQUIRE(th);
  const auto rounded = ir_traits<model>::constant_value(g, th->node)->to_doubles();
  REQUIRE(rounded.size() == t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    INFO(type << ": threshold " << fmt::format("{:.17g}", t[i]));
    CHECK(rounded[i] == std::clamp(std::ceil(t[i] / step) * step, lo, hi));
  }
}
