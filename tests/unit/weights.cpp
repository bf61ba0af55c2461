// Weight layouts are checked against the executor: scaling output channel c of W
// (and of the bias) must scale output channel c of the op, and scaling input
// channel c of W while dividing channel c of the data must leave the op's result
// unchanged — for Conv (plain, grouped, depthwise), ConvTranspose (grouped), Gemm
// (transB both ways) and MatMul.
#include <catch2/catch.hpp>

#include <random>

#include "nnrewrite/exec.hpp"
#include "nnrewrite/ir/weights.hpp"
#include "nnrewrite/io/text.hpp"

using namespace nnrewrite;

namespace {

tensor random_tensor(shape_t shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  tensor t(element_type::float32, std::move(shape));
  for (auto& v : t.values<float>()) v = u(rng);
  return t;
}

std::vector<double> scales(std::int64_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.25, 4.0);
  std::vector<double> s(static_cast<std::size_t>(n));
  for (auto& v : s) v = u(rng);
  return s;
}

struct weighted_case {
  const char* name;
  const char* op;
  attribute_map attrs;
  shape_t x, w;
  std::int64_t data_channel_axis;    // of x
  std::int64_t result_channel_axis;  // of the result
  bool bias;
};

std::vector<tensor> run(const weighted_case& c, const tensor& x, const tensor& w, const tensor* b) {
  std::vector<const tensor*> args{&x, &w};
  if (b) args.push_back(b);
  exec::kernel_context ctx{c.op, "", c.attrs, args, 1, 0};
  return exec::default_kernels().find("", c.op)(ctx);
}

}  // namespace

TEST_CASE("weight layouts: scaling W's channels matches scaling the op's channels", "[weights]") {
  const std::vector<weighted_case> cases{
      {"Conv", "Conv", {}, {1, 4, 5, 5}, {6, 4, 3, 3}, 1, 1, true},
      {"Conv grouped", "Conv", {{"group", std::int64_t{2}}}, {1, 4, 5, 5}, {6, 2, 3, 3}, 1, 1, true},
      {"Conv depthwise", "Conv", {{"group", std::int64_t{4}}}, {1, 4, 5, 5}, {4, 1, 3, 3}, 1, 1, true},
      {"ConvTranspose grouped", "ConvTranspose", {{"group", std::int64_t{2}}}, {1, 4, 3, 3}, {4, 3, 2, 2}, 1, 1, true},
      {"Gemm", "Gemm", {}, {2, 4}, {4, 3}, 1, 1, true},
      {"Gemm transB", "Gemm", {{"transB", std::int64_t{1}}}, {2, 4}, {3, 4}, 1, 1, true},
      {"MatMul", "MatMul", {}, {2, 4}, {4, 3}, 1, 1, false},
      {"MatMul batched", "MatMul", {}, {2, 3, 4}, {4, 5}, 2, 2, false},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto layout = onnx_weight_layout(c.op, c.attrs, c.w.size());
      REQUIRE(layout);
      const tensor x = random_tensor(c.x, 1), w = random_tensor(c.w, 2);
      const std::int64_t out_ch = layout->output_channels(w.shape()), in_ch = layout->input_channels(w.shape());
      CHECK(in_ch == c.x[std::size_t(c.data_channel_axis)]);
      const tensor b = random_tensor({out_ch}, 3);
      const tensor y = run(c, x, w, c.bias ? &b : nullptr)[0];
      CHECK(out_ch == y.shape()[std::size_t(c.result_channel_axis)]);

      // Output channels: W and bias scaled by s -> result channel c scaled by s[c].
      const auto s = scales(out_ch, 4);
      const tensor ws = scale_output_channels(w, *layout, s);
      const tensor bs = scale_along(b, 0, s);
      const tensor ys = run(c, x, ws, c.bias ? &bs : nullptr)[0];
      CHECK(exec::all_close(ys, scale_along(y, c.result_channel_axis, s), 1e-5, 1e-5));

      // Input channels: W scaled by s, data divided by s -> the same result.
      const auto t = scales(in_ch, 5);
      std::vector<double> inv;
      for (double v : t) inv.push_back(1.0 / v);
      const tensor yt = run(c, scale_along(x, c.data_channel_axis, inv), scale_input_channels(w, *layout, t), c.bias ? &b : nullptr)[0];
      CHECK(exec::all_close(yt, y, 1e-5, 1e-5));

      // Ranges: one per channel, the largest magnitude.
      const auto r = output_channel_ranges(w, *layout);
      REQUIRE(std::int64_t(r.size()) == out_ch);
      const auto r2 = output_channel_ranges(ws, *layout);
      for (std::size_t k = 0; k < r.size(); ++k) CHECK(r2[k] == Approx(r[k] * s[k]).epsilon(1e-6));
    }
  }
}

TEST_CASE("a layout with groups on an axis of their own (SiMa's [KH, KW, I, G, O])", "[weights]") {
  const weight_layout sima{4, 2, 3};
  const tensor w = random_tensor({3, 3, 2, 4, 5}, 9);  // 4 groups of 2 inputs and 5 outputs
  CHECK(sima.output_channels(w.shape()) == 20);
  CHECK(sima.input_channels(w.shape()) == 8);
  std::vector<double> s(20);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = double(i + 1);
  const tensor ws = scale_output_channels(w, sima, s);
  // Element [kh=1, kw=2, i=1, g=3, o=4] belongs to output channel 3*5+4 = 19 and input channel 3*2+1 = 7.
  const std::int64_t at = (((1 * 3 + 2) * 2 + 1) * 4 + 3) * 5 + 4;
  CHECK(ws.get(at) == Approx(w.get(at) * 20.0));
  std::vector<double> t(8, 1.0);
  t[7] = -2.0;
  CHECK(scale_input_channels(w, sima, t).get(at) == Approx(w.get(at) * -2.0));
  CHECK_THROWS_WITH(scale_output_channels(w, sima, std::vector<double>(19, 1.0)), Catch::Contains("19 scales for 20 channels"));
}

TEST_CASE("scaling along W's rows gives, element for element, the double product rounded to W's type", "[weights]") {
  // MatMul's output channels are W's last axis: that case runs row by row, in
  // float when every scale is a float (exact: the double product of two floats
  // rounded once to float is the float product), else in double. Both must give
  // what scaling each element in double and converting would, bit for bit.
  const weight_layout mm = *onnx_weight_layout("MatMul", {}, 2);
  const tensor w = random_tensor({9, 6}, 11);
  const std::vector<std::vector<double>> scale_sets{
      {1, -1, 0.5, -2, 0x1p-20, 3.25},           // floats: the float path
      {0.1, -1, 1.0 / 3.0, 2, -7.123456789, 1},  // not floats: the double path
  };
  for (const auto& s : scale_sets) {
    const tensor ws = scale_output_channels(w, mm, s);
    for (std::int64_t r = 0; r < 9; ++r)
      for (std::int64_t c = 0; c < 6; ++c) {
        const std::int64_t e = r * 6 + c;
        CHECK(ws.values<float>()[std::size_t(e)] == float(double(w.values<float>()[std::size_t(e)]) * s[std::size_t(c)]));
      }
  }
  // Integer storage truncates like every other path.
  tensor wi(element_type::int64, shape_t{2, 3}, std::vector<double>{1, 2, 3, -4, 5, -6});
  const tensor wis = scale_output_channels(wi, mm, std::vector<double>{0.5, 1.5, -1});
  CHECK(wis.get(0) == 0);
  CHECK(wis.get(1) == 3);
  CHECK(wis.get(2) == -3);
  CHECK(wis.get(3) == -2);
  CHECK(wis.get(5) == 6);
}

TEST_CASE("layouts are only given for the ops and ranks that have them", "[weights]") {
  CHECK_FALSE(onnx_weight_layout("Relu", {}, 2));
  CHECK_FALSE(onnx_weight_layout("MatMul", {}, 1));
  CHECK_FALSE(onnx_weight_layout("Gemm", {}, 3));
  CHECK(onnx_weight_layout("Conv", {}, 4)->bias_operand == 2);
  CHECK(onnx_weight_layout("MatMul", {}, 2)->bias_operand == -1);
  // A group count that does not divide the channels is an error, not a wrong answer.
  const auto l = onnx_weight_layout("Conv", {{"group", std::int64_t{4}}}, 4);
  CHECK_THROWS_AS(scale_input_channels(random_tensor({6, 1, 1, 1}, 1), *l, std::vector<double>(4, 1.0)), shape_error);
}
