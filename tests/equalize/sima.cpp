// The sima_mla target on the foreign IR (the AwesomeNet-shaped example): fused
// ConvAddActivation with the [KH, KW, I, G, O] weight layout, AddActivation,
// TupleConcatenate on NHWC channels, MaxPool2D. The executor runs these ops
// through kernels registered here (a user adds kernels for their own ops the same
// way), so every equalization is checked against the original.
#include <cmath>
#include <sstream>

#include "eq_check.hpp"
#include "nnrewrite/target/sima_mla.hpp"

using namespace nnrewrite;
using namespace nnrewrite::equalize;

namespace {

double activate(double v, const std::string& act) {
  if (act == "relu") return std::max(v, 0.0);
  if (act == "relu6") return std::min(std::max(v, 0.0), 6.0);
  return v;
}

// ConvAddActivation(x [N,H,W,G*I], W [KH,KW,I,G,O], bias [G*O]) {pads = [top, left, bottom, right], activation}
std::vector<tensor> conv_add_activation(const exec::kernel_context& c) {
  const tensor& x = c.in(0);
  const tensor& w = c.in(1);
  const auto& xs = x.shape();
  const auto& ws = w.shape();
  const auto pads = attribute_or<std::vector<std::int64_t>>(c.attrs, "pads", {0, 0, 0, 0});
  const std::string act = attribute_or<std::string>(c.attrs, "activation", "none");
  const std::int64_t N = xs[0], H = xs[1], W = xs[2], C = xs[3], KH = ws[0], KW = ws[1], I = ws[2], G = ws[3], O = ws[4];
  if (C != G * I) throw shape_error("ConvAddActivation: input has " + std::to_string(C) + " channels, weights read " + std::to_string(G * I));
  const std::int64_t OH = H + pads[0] + pads[2] - KH + 1, OW = W + pads[1] + pads[3] - KW + 1;
  tensor y(element_type::float32, shape_t{N, OH, OW, G * O});
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t h = 0; h < OH; ++h)
      for (std::int64_t q = 0; q < OW; ++q)
        for (std::int64_t g = 0; g < G; ++g)
          for (std::int64_t o = 0; o < O; ++o) {
            double acc = c.has(2) ? c.in(2).get(g * O + o) : 0.0;
            for (std::int64_t kh = 0; kh < KH; ++kh)
              for (std::int64_t kw = 0; kw < KW; ++kw) {
                const std::int64_t ih = h + kh - pads[0], iw = q + kw - pads[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                for (std::int64_t i = 0; i < I; ++i)
                  acc += x.get(((n * H + ih) * W + iw) * C + g * I + i) * w.get((((kh * KW + kw) * I + i) * G + g) * O + o);
              }
            y.set(((n * OH + h) * OW + q) * G * O + g * O + o, activate(acc, act));
          }
  return {y};
}

std::vector<tensor> add_activation(const exec::kernel_context& c) {
  const std::string act = attribute_or<std::string>(c.attrs, "activation", "none");
  tensor y = c.in(0);
  for (std::int64_t i = 0; i < y.size(); ++i) y.set(i, activate(c.in(0).get(i) + c.in(1).get(i), act));
  return {y};
}

// Concatenation along the last axis (NHWC channels).
std::vector<tensor> tuple_concatenate(const exec::kernel_context& c) {
  shape_t s = c.in(0).shape();
  std::int64_t total = 0;
  for (std::size_t k = 0; k < c.inputs.size(); ++k) total += c.in(k).shape().back();
  s.back() = total;
  tensor y(element_type::float32, s);
  const std::int64_t rows = y.size() / total;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t at = 0;
    for (std::size_t k = 0; k < c.inputs.size(); ++k) {
      const std::int64_t ck = c.in(k).shape().back();
      for (std::int64_t j = 0; j < ck; ++j) y.set(r * total + at + j, c.in(k).get(r * ck + j));
      at += ck;
    }
  }
  return {y};
}

// 2x2 max pooling, stride 2, NHWC.
std::vector<tensor> max_pool_2d(const exec::kernel_context& c) {
  const tensor& x = c.in(0);
  const auto& s = x.shape();
  const std::int64_t N = s[0], H = s[1], W = s[2], C = s[3];
  tensor y(element_type::float32, shape_t{N, H / 2, W / 2, C});
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t h = 0; h < H / 2; ++h)
      for (std::int64_t w = 0; w < W / 2; ++w)
        for (std::int64_t ch = 0; ch < C; ++ch) {
          double m = -INFINITY;
          for (std::int64_t a = 0; a < 2; ++a)
            for (std::int64_t b = 0; b < 2; ++b) m = std::max(m, x.get(((n * H + 2 * h + a) * W + 2 * w + b) * C + ch));
          y.set(((n * (H / 2) + h) * (W / 2) + w) * C + ch, m);
        }
  return {y};
}

const bool registered = [] {
  exec::default_kernels().add("sima", "ConvAddActivation", conv_add_activation);
  exec::default_kernels().add("sima", "AddActivation", add_activation);
  exec::default_kernels().add("sima", "TupleConcatenate", tuple_concatenate);
  exec::default_kernels().add("sima", "MaxPool2D", max_pool_2d);
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
