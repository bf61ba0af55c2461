// The QONNX ops against values worked out by hand from their definitions
// (qonnx.custom_op.general and ../shared/spec/streamlining.md).
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/passes.hpp"

using namespace nnrewrite;

namespace {
std::vector<double> run1(const std::string& text, const exec::tensor_map& inputs) {
  auto out = exec::execute(parse_text(text), inputs);
  REQUIRE(out.size() == 1);
  return out.begin()->second.to_doubles();
}
tensor f32(shape_t s, std::vector<float> v) { return tensor(element_type::float32, std::move(s), v); }
}  // namespace

TEST_CASE("MultiThreshold counts thresholds met with >=, per channel, NCHW", "[exec][qonnx]") {
  // channel 0 thresholds {0, 1}, channel 1 thresholds {-1, 2}
  auto y = run1(R"(graph {
    input %x: float32[1,2,1,3]
    const %t: float32[2,2] = [0, 1, -1, 2]
    node qonnx.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "UINT2"} -> %y: float32[1,2,1,3]
    output %y })", {{"x", f32({1, 2, 1, 3}, {-0.5f, 0.f, 1.f, -1.f, 1.5f, 2.f})}});
  CHECK(y == std::vector<double>{0, 1, 2, 1, 1, 2});
}

TEST_CASE("MultiThreshold with data_layout NHWC reads channels from the last axis", "[exec][qonnx]") {
  // The same data as above, as [1,1,3,2] (H=1, W=3, C=2).
  auto y = run1(R"(graph {
    input %x: float32[1,1,3,2]
    const %t: float32[2,2] = [0, 1, -1, 2]
    node finn.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "UINT2", data_layout = "NHWC"} -> %y: float32[1,1,3,2]
    output %y })", {{"x", f32({1, 1, 3, 2}, {-0.5f, -1.f, 0.f, 1.5f, 1.f, 2.f})}});
  CHECK(y == std::vector<double>{0, 1, 1, 1, 2, 2});
}

TEST_CASE("MultiThreshold applies out_scale and out_bias, with shared thresholds on 2-D input", "[exec][qonnx]") {
  // Sign as a MultiThreshold: T=[[0]], scale 2, bias -1: x >= 0 -> 1, else -1.
  auto y = run1(R"(graph {
    input %x: float32[2,3]
    const %t: float32[1,1] = [0]
    node qonnx.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "BIPOLAR", out_scale = 2.0, out_bias = -1.0} -> %y: float32[2,3]
    output %y })", {{"x", f32({2, 3}, {-1.f, 0.f, 3.f, -0.001f, 5.f, -7.f})}});
  CHECK(y == std::vector<double>{-1, 1, 1, -1, 1, -1});
}

TEST_CASE("MultiThreshold refuses thresholds that do not fit the channels", "[exec][qonnx]") {
  model g = parse_text(R"(graph {
    input %x: float32[1,4]
    const %t: float32[3,1] = [0, 0, 0]
    node mt: qonnx.custom_op.general.MultiThreshold(%x, %t) {out_dtype = "BINARY"} -> %y: float32[1,4]
    output %y })");
  CHECK_THROWS_WITH(exec::execute(g, {{"x", f32({1, 4}, {0, 0, 0, 0})}}),
                    Catch::Contains("node 'mt'") && Catch::Contains("3 threshold rows for 4 channels"));
}

TEST_CASE("Quant: every rounding mode at halves and off halves", "[exec][qonnx]") {
  struct row {
    const char* mode;
    std::vector<double> expected;  // for x/s = 2.5, -2.5, 1.3, -1.3
  };
  auto r = GENERATE(values<row>({
      {"ROUND", {2, -2, 1, -1}},
      {"HALF_UP", {3, -3, 1, -1}},
      {"HALF_DOWN", {2, -2, 1, -1}},
      {"UP", {3, -3, 2, -2}},
      {"DOWN", {2, -2, 1, -1}},
      {"CEIL", {3, -2, 2, -1}},
      {"FLOOR", {2, -3, 1, -2}},
  }));
  INFO(r.mode);
  auto y = run1(std::string(R"(graph {
    input %x: float32[4]
    const %s: float32[] = [0.5]
    const %z: float32[] = [0]
    const %b: float32[] = [8]
    node qonnx.custom_op.general.Quant(%x, %s, %z, %b) {signed = 1, narrow = 0, rounding_mode = ")") + r.mode + R"("} -> %y: float32[4]
    output %y })", {{"x", f32({4}, {1.25f, -1.25f, 0.65f, -0.65f})}});
  for (std::size_t i = 0; i < 4; ++i) CHECK(y[i] == Approx(r.expected[i] * 0.5));
}

TEST_CASE("Quant clips to the signed, narrow and unsigned ranges", "[exec][qonnx]") {
  auto quant = [](int is_signed, int narrow, std::vector<float> x, double zp = 0) {
    return run1("graph {\n input %x: float32[" + std::to_string(x.size()) + "]\n const %s: float32[] = [1]\n const %z: float32[] = [" +
                    std::to_string(zp) + "]\n const %b: float32[] = [4]\n node qonnx.custom_op.general.Quant(%x, %s, %z, %b) {signed = " +
                    std::to_string(is_signed) + ", narrow = " + std::to_string(narrow) + "} -> %y: float32[" + std::to_string(x.size()) +
                    "]\n output %y }",
                {{"x", f32({std::int64_t(x.size())}, x)}});
  };
  CHECK(quant(1, 0, {-20, -8, 7, 20}) == std::vector<double>{-8, -8, 7, 7});
  CHECK(quant(1, 1, {-20, -8, 7, 20}) == std::vector<double>{-7, -7, 7, 7});
  CHECK(quant(0, 0, {-3, 0, 15, 20}) == std::vector<double>{0, 0, 15, 15});
  CHECK(quant(0, 1, {-3, 0, 15, 20}) == std::vector<double>{0, 0, 14, 14});
  // Zero point 2, unsigned: x + 2 clipped to [0, 15], minus 2: range [-2, 13].
  CHECK(quant(0, 0, {-5, 0, 13, 20}, 2) == std::vector<double>{-2, 0, 13, 13});
}

TEST_CASE("Quant: signed 1-bit is bipolar, and per-channel scales broadcast", "[exec][qonnx]") {
  auto y = run1(R"(graph {
    input %x: float32[3]
    const %s: float32[] = [2]
    const %z: float32[] = [0]
    const %b: float32[] = [1]
    node qonnx.custom_op.general.Quant(%x, %s, %z, %b) {signed = 1, narrow = 0} -> %y: float32[3]
    output %y })", {{"x", f32({3}, {-0.1f, 0.f, 0.3f})}});
  CHECK(y == std::vector<double>{-2, 2, 2});
  auto z = run1(R"(graph {
    input %x: float32[2,2]
    const %s: float32[2,1] = [1, 0.25]
    const %z: float32[] = [0]
    const %b: float32[] = [8]
    node qonnx.custom_op.general.Quant(%x, %s, %z, %b) {signed = 1, narrow = 0} -> %y: float32[2,2]
    output %y })", {{"x", f32({2, 2}, {1.4f, -1.6f, 1.4f, -1.6f})}});
  CHECK(z == std::vector<double>{1, -2, 1.5, -1.5});
}

TEST_CASE("Quant refuses a zero scale and a fractional bit width", "[exec][qonnx]") {
  model g = parse_text(R"(graph {
    input %x: float32[1]
    const %s: float32[] = [0]
    const %z: float32[] = [0]
    const %b: float32[] = [8]
    node q: qonnx.custom_op.general.Quant(%x, %s, %z, %b) {signed = 1} -> %y: float32[1]
    output %y })");
  CHECK_THROWS_WITH(exec::execute(g, {{"x", f32({1}, {1})}}), Catch::Contains("node 'q'") && Catch::Contains("scale"));
}

TEST_CASE("BipolarQuant and Trunc (both QONNX forms)", "[exec][qonnx]") {
  CHECK(run1(R"(graph {
    input %x: float32[3]
    const %s: float32[] = [0.5]
    node qonnx.custom_op.general.BipolarQuant(%x, %s) -> %y: float32[3]
    output %y })", {{"x", f32({3}, {-1, 0, 2})}}) == std::vector<double>{-0.5, 0.5, 0.5});
  // 8 -> 6 bits: divide by 4, floor.
  CHECK(run1(R"(graph {
    input %x: float32[3]
    const %s: float32[] = [1]
    const %z: float32[] = [0]
    const %ib: float32[] = [8]
    const %ob: float32[] = [6]
    node qonnx.custom_op.general.Trunc(%x, %s, %z, %ib, %ob) {rounding_mode = "FLOOR"} -> %y: float32[3]
    output %y })", {{"x", f32({3}, {7, 13, -6})}}) == std::vector<double>{1, 3, -2});
  // Output scale 4 = 2^2: divide by 4, clip to 4-bit signed, floor, rescale by 4.
  CHECK(run1(R"(graph {
    input %x: float32[4]
    const %s: float32[] = [1]
    const %z: float32[] = [0]
    const %ib: float32[] = [8]
    const %os: float32[] = [4]
    const %oz: float32[] = [0]
    const %ob: float32[] = [4]
    node qonnx.custom_op.general.Trunc(%x, %s, %z, %ib, %os, %oz, %ob) {rounding_mode = "FLOOR"} -> %y: float32[4]
    output %y })", {{"x", f32({4}, {7, 13, -6, 100})}}) == std::vector<double>{4, 12, -8, 28});
}

TEST_CASE("Im2Col by hand: patches in (kh, kw, c) order, pad_value at the border", "[exec][qonnx]") {
  // x is 2x2 with 2 channels (NHWC); a 2x2 kernel with one row of padding on top
  // (pad_value 7) gives two patches of 8 values.
  auto y = run1(R"txt(graph {
    input %x: float32[1,2,2,2]
    node qonnx.custom_op.general.Im2Col(%x) {kernel_size = [2, 2], stride = [1, 1], pad_amount = [1, 0, 0, 0],
                                             pad_value = 7, input_shape = "(1,2,2,2)"} -> %y: float32[1,2,1,8]
    output %y })txt", {{"x", f32({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})}});
  CHECK(y == std::vector<double>{7, 7, 7, 7, 1, 2, 3, 4, /**/ 1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("Im2Col followed by a MatMul is the Conv it lowers (stride, dilation, asymmetric pads)", "[exec][qonnx]") {
  const auto [stride, dilation, pad_list] = GENERATE(table<int, int, std::string>({
      {1, 1, "0, 0, 0, 0"}, {2, 1, "1, 0, 0, 1"}, {1, 2, "1, 2, 2, 1"}, {2, 2, "2, 1, 1, 0"}}));
  const std::string pads = pad_list;  // a lambda cannot capture a structured binding on clang 14
  // Conv weights W[o, c, ky, kx] (2 out, 3 in, 2x2) and the same as a MatMul
  // matrix Wm[(ky*2 + kx)*3 + c, o].
  std::vector<double> w(2 * 3 * 2 * 2);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = double(int(i * 5 % 7) - 3);
  std::vector<double> wm(12 * 2);
  for (int o = 0; o < 2; ++o)
    for (int c = 0; c < 3; ++c)
      for (int ky = 0; ky < 2; ++ky)
        for (int kx = 0; kx < 2; ++kx) wm[std::size_t(((ky * 2 + kx) * 3 + c) * 2 + o)] = w[std::size_t(((o * 3 + c) * 2 + ky) * 2 + kx)];
  auto list = [](const std::vector<double>& v) {
    std::string s;
    for (double x : v) s += (s.empty() ? "" : ", ") + std::to_string(int(x));
    return s;
  };
  const std::vector<int> p = [&] {
    std::vector<int> r;
    for (char ch : pads)
      if (ch >= '0' && ch <= '9') r.push_back(ch - '0');
    return r;
  }();
  const int oh = (7 + p[0] + p[2] - dilation - 1) / stride + 1, ow = (6 + p[1] + p[3] - dilation - 1) / stride + 1;
  const std::string conv = "graph {\n input %x: float32[1,7,6,3]\n const %w: float32[2,3,2,2] = [" + list(w) +
                           "]\n"
                           " node Transpose(%x) {perm = [0, 3, 1, 2]} -> %nchw: float32[1,3,7,6]\n"
                           " node Conv(%nchw, %w) {kernel_shape = [2, 2], strides = [" +
                           std::to_string(stride) + ", " + std::to_string(stride) + "], dilations = [" + std::to_string(dilation) + ", " +
                           std::to_string(dilation) + "], pads = [" + pads + "]} -> %c: float32[1,2," + std::to_string(oh) + "," +
                           std::to_string(ow) + "]\n node Transpose(%c) {perm = [0, 2, 3, 1]} -> %y: float32[1," + std::to_string(oh) +
                           "," + std::to_string(ow) + ",2]\n output %y\n}";
  const std::string lowered = "graph {\n input %x: float32[1,7,6,3]\n const %wm: float32[12,2] = [" + list(wm) +
                              "]\n node qonnx.custom_op.general.Im2Col(%x) {kernel_size = [2, 2], stride = [" + std::to_string(stride) +
                              ", " + std::to_string(stride) + "], dilations = [" + std::to_string(dilation) + ", " +
                              std::to_string(dilation) + "], pad_amount = [" + pads + "], input_shape = \"(1,7,6,3)\"} -> %cols: float32[1," +
                              std::to_string(oh) + "," + std::to_string(ow) + ",12]\n node MatMul(%cols, %wm) -> %y: float32[1," +
                              std::to_string(oh) + "," + std::to_string(ow) + ",2]\n output %y\n}";
  exec::equivalence_options opt;
  opt.rtol = opt.atol = 1e-5;
  const auto r = exec::check_equivalence(parse_text(conv), parse_text(lowered), opt);
  INFO(r.first_mismatch);
  CHECK(r.ok());
}

TEST_CASE("Im2Col refuses what it cannot compute", "[exec][qonnx]") {
  auto run = [](const std::string& attrs) {
    return exec::execute(parse_text(R"(graph {
      input %x: float32[1,2,2,1]
      node qonnx.custom_op.general.Im2Col(%x) {)" + attrs + R"(} -> %y: float32[1,1,1,4]
      output %y })"), {{"x", f32({1, 2, 2, 1}, {1, 2, 3, 4})}});
  };
  CHECK_THROWS_WITH(run("kernel_size = [3, 3], stride = [1, 1]"), Catch::Contains("larger than the padded input"));
  CHECK_THROWS_WITH(run("kernel_size = [2, 2], stride = [0, 1]"), Catch::Contains("must be in [1, 2^31]"));
  CHECK_THROWS_WITH(run("kernel_size = [2, 2], stride = [1, 1], pad_amount = [0, -1, 0, 0]"), Catch::Contains("pad_amount"));
  CHECK_THROWS_WITH(run("kernel_size = [2], stride = [1, 1]"), Catch::Contains("2 entries"));
}

TEST_CASE("MaxPoolNHWC by hand, and its inferred shape and layout", "[exec][qonnx][passes][infer]") {
  // x is 3x3 with 2 channels (NHWC): channel 0 holds 1..9, channel 1 holds -1..-9.
  // A 2x2 window, stride 2, one pad on every side: 2x2 outputs per channel.
  std::vector<float> x;
  for (int i = 1; i <= 9; ++i) x.insert(x.end(), {float(i), float(-i)});
  const char* text = R"(graph {
    input %x: float32[1,3,3,2] !INT5
    node p: qonnx.custom_op.general.MaxPoolNHWC(%x) {kernel_shape = [2, 2], strides = [2, 2], pads = [1, 1, 1, 1]} -> %y: float32
    output %y })";
  // Windows (rows, cols) {0} x {0}, {0} x {1,2}, {1,2} x {0}, {1,2} x {1,2} of the
  // unpadded input; channel 1 takes the largest, i.e. the least negative.
  CHECK(run1(text, {{"x", f32({1, 3, 3, 2}, x)}}) == std::vector<double>{1, -1, 3, -2, 7, -4, 9, -5});
  model g = parse_text(text);
  infer_value_infos(g);
  const auto at = find_value(g, "y");
  REQUIRE(at);
  const value_info& y = ir_traits<model>::value(g, at->node, at->port);
  CHECK(y.shape == dims{1, 2, 2, 2});
  CHECK(y.layout == "NHWC");
  CHECK(y.dtype == data_type::int_(5));
}
