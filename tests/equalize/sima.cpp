// The sima_mla target on the foreign IR (the AwesomeNet-shaped example): fused
// ConvAddActivation with the [KH, KW, I, G, O] weight layout, AddActivation,
// TupleConcatenate on NHWC channels, MaxPool2D. The executor runs these ops
// through the target's reference kernels (target/sima_mla_kernels.hpp), so every
// equalization is checked against the original.
#include <cmath>
#include <sstream>

#include "eq_check.hpp"
#include "nnrewrite/target/sima_mla_kernels.hpp"

using namespace nnrewrite;
using namespace nnrewrite::equalize;

namespace {

// The library's reference kernels for the SiMa ops (a user registers kernels for
// their own ops the same way: exec::default_kernels().add(domain, op, fn)).
const bool registered = [] {
  target::add_sima_mla_kernels();
  return true;
}();

// "[v0, v1, ...]" with n uneven values: channel ranges that differ, so scales do too.
std::string values(int n, int seed) {
  std::ostringstream os;
  os << "[";
  for (int i = 0; i < n; ++i) os << (i ? ", " : "") << std::sin(1.7 * i + seed) * (1 + (i * 7 + seed) % 5) * 0.3;
  os << "]";
  return os.str();
}

std::string sima_net() {
  std::ostringstream t;
  t << "graph {\n"
    << "  input %x: float32[1,4,4,2]\n"
    << "  const %w1: float32[1,1,2,1,4] = " << values(8, 1) << "\n"
    << "  const %b1: float32[4] = " << values(4, 2) << "\n"
    << "  node c1: sima.ConvAddActivation(%x, %w1, %b1) {activation = \"relu\"} -> %y1: float32[1,4,4,4]\n"
    << "  const %wd: float32[3,3,1,4,1] = " << values(36, 3) << "\n"
    << "  const %bd: float32[4] = " << values(4, 4) << "\n"
    << "  node dw: sima.ConvAddActivation(%y1, %wd, %bd) {pads = [1, 1, 1, 1]} -> %yd: float32[1,4,4,4]\n"
    << "  const %wp: float32[1,1,4,1,4] = " << values(16, 5) << "\n"
    << "  const %bp: float32[4] = " << values(4, 6) << "\n"
    << "  node pw: sima.ConvAddActivation(%yd, %wp, %bp) -> %yp: float32[1,4,4,4]\n"
    << "  node add: sima.AddActivation(%yp, %y1) {activation = \"relu\"} -> %s: float32[1,4,4,4]\n"
    << "  node mp: sima.MaxPool2D(%s) -> %p: float32[1,2,2,4]\n"
    << "  const %wa: float32[1,1,4,1,2] = " << values(8, 7) << "\n"
    << "  node a: sima.ConvAddActivation(%p, %wa) {activation = \"relu\"} -> %ya: float32[1,2,2,2]\n"
    << "  const %wb: float32[1,1,4,1,3] = " << values(12, 8) << "\n"
    << "  node b: sima.ConvAddActivation(%p, %wb) {activation = \"relu6\"} -> %yb: float32[1,2,2,3]\n"
    << "  node cat: sima.TupleConcatenate(%ya, %yb) {axis = 3} -> %cat: float32[1,2,2,5]\n"
    << "  const %wc: float32[1,1,5,1,2] = " << values(10, 9) << "\n"
    << "  node c: sima.ConvAddActivation(%cat, %wc) -> %y: float32[1,2,2,2]\n"
    << "  output %y\n"
    << "}\n";
  return t.str();
}

}  // namespace

static_assert(target::backend_target<target::sima_mla>);

TEST_CASE("sima_mla: SiMa's sets on the foreign IR, and a fused ReLU6 blocks only a parent", "[equalize][sima]") {
  REQUIRE(registered);
  const std::string text = sima_net();
  const auto g = parse_text<awesome::net>(text);
  const auto p = find_sets(g, target::sima_mla{});
  // This IR names a node after its value. The residual family from c1 (dw, a and
  // b read its channels), the dw -> pw chain.
  REQUIRE(p.sets.size() == 2);
  CHECK(p.sets[0].kind == set_kind::residual);
  CHECK(eq_check::names(g, p.sets[0].parents) == std::vector<std::string>{"y1", "yp"});
  CHECK(eq_check::names(g, p.sets[0].children) == std::vector<std::string>{"yd", "ya", "yb"});
  CHECK(p.sets[0].channels_last);
  CHECK(p.sets[1].kind == set_kind::chain);
  CHECK(eq_check::names(g, p.sets[1].parents) == std::vector<std::string>{"yd"});
  // Depthwise: G = 4 groups of one channel; the scale of group g is channel g.
  CHECK(p.sets[1].parent_classes[0] == std::vector<int>{0, 1, 2, 3});
  // b is a child above (its input side is free) but cannot be a concat parent.
  for (const auto& x : p.rejected) UNSCOPED_INFO(x.node << ": " << x.reason);
  REQUIRE(p.rejected.size() == 2);
  CHECK(p.rejected[0].kind == set_kind::concat);
  CHECK_THAT(p.rejected[0].reason, Catch::Contains("'yb' fuses activation 'relu6'"));
  CHECK_THAT(p.rejected[1].reason, Catch::Contains("graph output"));
}

TEST_CASE("sima_mla: activation and weight policies keep the function on every IR", "[equalize][sima]") {
  REQUIRE(registered);
  const std::string text = sima_net();
  eq_check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    SECTION("activation (SiMa's own policy)") {
      std::vector<exec::tensor_map> calib;
      for (std::uint64_t s = 0; s < 3; ++s) calib.push_back(exec::random_inputs(g, s));
      statistics stats = calibrate(g, find_sets(g, target::sima_mla{}), calib);
      options opt;
      opt.policy = scale_policy::activation;
      const auto r = equalize::equalize(g, target::sima_mla{}, opt, &stats);
      REQUIRE(r.applied.size() == 2);
      for (const auto& a : r.applied) {
        CHECK(a.min_scale >= 1.0);
        CHECK(a.max_scale <= 20.0);
      }
      CHECK(r.applied[0].max_scale > 1.0);
      eq_check::require_equivalent(original, g);
    }
    SECTION("weight") {
      const auto r = equalize::equalize(g, target::sima_mla{});
      REQUIRE(r.applied.size() == 2);
      eq_check::require_equivalent(original, g);
    }
  });
}

TEST_CASE("sima_mla's reference kernels compute and check what they are given", "[equalize][sima]") {
  const model g = parse_text(R"(graph {
    input %x: float32[1,2,2,2]
    node p: sima.AvgPool2D(%x) -> %p: float32[1,1,1,2]
    node m: sima.MaxPool2D(%x) -> %m: float32[1,1,1,2]
    node s: sima.AddActivation(%x, %x) {activation = "relu6"} -> %s: float32[1,2,2,2]
    node c: sima.TupleConcatenate(%x, %x) {axis = 3} -> %c: float32[1,2,2,4]
    output %p
    output %m
    output %s
    output %c
  })");
  // NHWC: channel 0 holds 1, 2, 3, 4 over the window, channel 1 holds -1, 5, 0, 7.
  const tensor x(element_type::float32, shape_t{1, 2, 2, 2}, std::vector<float>{1, -1, 2, 5, 3, 0, 4, 7});
  const auto out = exec::execute(g, {{"x", x}});
  CHECK(out.at("p").to_doubles() == std::vector<double>{2.5, 2.75});
  CHECK(out.at("m").to_doubles() == std::vector<double>{4, 7});
  CHECK(out.at("s").to_doubles() == std::vector<double>{2, 0, 4, 6, 6, 0, 6, 6});
  CHECK(out.at("c").shape() == shape_t{1, 2, 2, 4});
  CHECK(out.at("c").get(2) == 1.0);

  const model bad = parse_text(R"(graph {
    input %x: float32[1,2,2,3]
    const %w: float32[1,1,2,1,2] = [1, 2, 3, 4]
    node y: sima.ConvAddActivation(%x, %w) -> %y: float32[1,2,2,2]
    output %y
  })");
  CHECK_THROWS_WITH(exec::execute(bad, exec::random_inputs(bad, 1)), Catch::Contains("the input has 3 channels, the weights read 2"));
  const model odd = parse_text(R"(graph {
    input %x: float32[1,2,2,2]
    const %w: float32[1,1,2,1,2] = [1, 2, 3, 4]
    node y: sima.ConvAddActivation(%x, %w) {activation = "swish"} -> %y: float32[1,2,2,2]
    output %y
  })");
  CHECK_THROWS_WITH(exec::execute(odd, exec::random_inputs(odd, 1)), Catch::Contains("activation 'swish' is not supported"));
}
