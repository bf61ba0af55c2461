#include <catch2/catch.hpp>

#include <set>

#include "helpers.hpp"
#include "nnrewrite/exec.hpp"

using namespace nnrewrite;

namespace {
const char* residual = R"(graph {
  opset "" 13
  input %x: float32[1,2]
  const %w: float32[2,2] = [1, 2, 3, 4]
  node mm: MatMul(%x, %w) -> %h: float32[1,2]
  node add: Add(%h, %x) -> %s: float32[1,2]
  node relu: Relu(%s) -> %y: float32[1,2]
  output %y
  output %h
})";
tensor x12(float a, float b) { return tensor(element_type::float32, {1, 2}, {a, b}); }
}  // namespace

TEST_CASE("execute runs a residual graph and returns every output", "[exec]") {
  model g = parse_text(residual);
  auto out = exec::execute(g, {{"x", x12(1, -2)}});
  // h = [1*1 + -2*3, 1*2 + -2*4] = [-5, -6]; s = h + x = [-4, -8]; y = relu(s) = [0, 0]
  CHECK(out.at("h").to_doubles() == std::vector<double>{-5, -6});
  CHECK(out.at("y").to_doubles() == std::vector<double>{0, 0});
  auto out2 = exec::execute(g, {{"x", x12(3, 1)}});
  CHECK(out2.at("y").to_doubles() == std::vector<double>{9, 11});  // [6, 10] + [3, 1]
}

TEST_CASE("execute can keep intermediates and report every value", "[exec]") {
  model g = parse_text(residual);
  std::vector<std::string> seen;
  exec::execute_options opt;
  opt.keep_intermediates = true;
  opt.observe = [&](const std::string& name, const tensor&) { seen.push_back(name); };
  auto out = exec::execute(g, {{"x", x12(1, 1)}}, opt);
  CHECK(out.count("s") == 1);
  CHECK(seen == std::vector<std::string>{"h", "s", "y"});
}

TEST_CASE("execute checks the inputs it is given", "[exec]") {
  model g = parse_text(residual);
  CHECK_THROWS_WITH(exec::execute(g, {}), Catch::Contains("'x'") && Catch::Contains("not given"));
  CHECK_THROWS_AS(exec::execute(g, {{"x", tensor(element_type::float64, {1, 2})}}), type_error);
  CHECK_THROWS_WITH(exec::execute(g, {{"x", tensor(element_type::float32, {2, 2})}}),
                    Catch::Contains("'x' has shape [1,2], was given [2,2]"));
  CHECK_THROWS_WITH(exec::execute(g, {{"x", x12(1, 1)}, {"bogus", x12(1, 1)}}), Catch::Contains("bogus") && Catch::Contains("no such input"));
}

TEST_CASE("execute names the node when a kernel fails or is missing", "[exec]") {
  model bad_shape = parse_text(R"(graph {
    input %x: float32[1,3]
    const %w: float32[2,2] = [1, 2, 3, 4]
    node mm: MatMul(%x, %w) -> %h: float32
    output %h })");
  CHECK_THROWS_WITH(exec::execute(bad_shape, {{"x", tensor(element_type::float32, {1, 3})}}),
                    Catch::Contains("node 'mm'") && Catch::Contains("inner dimensions"));
  model unknown = parse_text(R"(graph {
    input %x: float32[2]
    node f: my.domain.Frobnicate(%x) -> %y: float32[2]
    output %y })");
  CHECK_THROWS_AS(exec::execute(unknown, {{"x", tensor(element_type::float32, {2})}}), unsupported_error);
  CHECK_THROWS_WITH(exec::execute(unknown, {{"x", tensor(element_type::float32, {2})}}),
                    Catch::Contains("node 'f'") && Catch::Contains("no kernel for my.domain.Frobnicate"));
  model lies = parse_text(R"(graph {
    input %x: float32[2]
    node r: Relu(%x) -> %y: float32[3]
    output %y })");
  CHECK_THROWS_WITH(exec::execute(lies, {{"x", tensor(element_type::float32, {2})}}),
                    Catch::Contains("node 'r'") && Catch::Contains("computed shape [2]") && Catch::Contains("declared [3]"));
}

TEST_CASE("users can register kernels for their own ops", "[exec]") {
  exec::kernel_registry reg = exec::default_kernels();
  reg.add("my.domain", "Double", [](const exec::kernel_context& c) {
    return std::vector<tensor>{c.in(0) * tensor::scalar(2.0)};
  });
  model g = parse_text("graph { input %x: float32[2]\n node my.domain.Double(%x) -> %y: float32[2]\n output %y }");
  exec::execute_options opt;
  opt.kernels = &reg;
  CHECK(exec::execute(g, {{"x", tensor(element_type::float32, {2}, {1.f, 2.f})}}, opt).at("y").to_doubles() ==
        std::vector<double>{2, 4});
  CHECK_FALSE(exec::default_kernels().supports("my.domain", "Double"));
}

TEST_CASE("outputs straight from inputs and constants", "[exec]") {
  model g = parse_text(R"(graph {
    input %x: int64[2]
    const %c: int8[2] = [-1, 7]
    output %x
    output %c })");
  auto out = exec::execute(g, {{"x", tensor(element_type::int64, {2}, {std::int64_t{5}, std::int64_t{6}})}});
  CHECK(out.at("x").get_int(1) == 6);
  CHECK(out.at("c").type() == element_type::int8);
}

TEST_CASE("compare, all_close, exactly_equal and SQNR", "[exec][compare]") {
  tensor ref(element_type::float32, {4}, {1.f, 1.f, -2.f, 0.f});
  tensor got(element_type::float32, {4}, {1.1f, 0.9f, -2.f, 0.f});
  auto d = exec::compare(got, ref);
  CHECK(d.mismatches == 2);
  CHECK(d.max_abs == Approx(0.1).epsilon(1e-5));
  CHECK(d.max_rel == Approx(0.1).epsilon(1e-5));
  CHECK(exec::all_close(got, ref, 0.2, 0.0));
  CHECK_FALSE(exec::all_close(got, ref, 0.05, 0.0));
  CHECK_FALSE(exec::exactly_equal(got, ref));
  CHECK(exec::exactly_equal(ref, ref.cast(element_type::float64)));  // values, not types
  // signal 1 + 1 + 4 = 6, noise 0.01 + 0.01 = 0.02: 10 log10(300)
  CHECK(exec::sqnr_db(ref, got) == Approx(10 * std::log10(300.0)).epsilon(1e-4));
  CHECK(exec::sqnr_db(ref, ref) == INFINITY);
  CHECK_THROWS_AS(exec::compare(ref, tensor(element_type::float32, {5})), shape_error);
  tensor nan1(element_type::float32, {1}, {NAN});
  CHECK(exec::compare(nan1, nan1).mismatches == 0);
  CHECK(exec::compare(nan1, tensor(element_type::float32, {1}, {1.f})).max_abs == INFINITY);
}

TEST_CASE("random inputs respect data types, element types and shapes", "[exec][random]") {
  model g = parse_text(R"(graph {
    input %i4: float32[64] !INT4
    input %bp: float32[64] !BIPOLAR
    input %u8: float32[N,64] !UINT8
    input %fx: float32[64] !FIXED<8,4>
    input %fl: float32[256]
    input %ix: int64[64]
    input %b: bool[8]
    output %i4 })");
  auto in = exec::random_inputs(g, 7);
  auto all = [](const tensor& t, auto pred) {
    for (double v : t.to_doubles())
      if (!pred(v)) return false;
    return true;
  };
  CHECK(all(in.at("i4"), [](double v) { return v == std::nearbyint(v) && v >= -8 && v <= 7; }));
  CHECK(all(in.at("bp"), [](double v) { return v == 1 || v == -1; }));
  CHECK(in.at("u8").shape() == shape_t{1, 64});
  CHECK(all(in.at("u8"), [](double v) { return v == std::nearbyint(v) && v >= 0 && v <= 255; }));
  CHECK(all(in.at("fx"), [](double v) { return data_type::fixed(8, 4).allowed(v); }));
  CHECK_FALSE(all(in.at("fl"), [](double v) { return v == std::nearbyint(v); }));  // real floats
  CHECK(in.at("ix").type() == element_type::int64);
  CHECK(all(in.at("b"), [](double v) { return v == 0 || v == 1; }));
  // The same seed gives the same data; another seed does not.
  CHECK(exec::random_inputs(g, 7).at("fl") == in.at("fl"));
  CHECK_FALSE(exec::random_inputs(g, 8).at("fl") == in.at("fl"));
  // Over many draws every INT4 value shows up.
  std::set<double> seen;
  for (double v : in.at("i4").to_doubles()) seen.insert(v);
  CHECK(seen.size() >= 12);
}

TEST_CASE("an operand read as one number must hold one", "[exec][errors]") {
  // Found by fuzz_exec: Clip's min from ConstantOfShape with a 0 dim is empty, and
  // reading its first element read past the end.
  const char* empty_min = R"(graph {
    input %x: float32[2]
    const %s: int64[1] = [0]
    node c: ConstantOfShape(%s) -> %c: float32[0]
    node y: Clip(%x, %c) -> %y: float32[2]
    output %y
  })";
  const model g = parse_text(empty_min);
  exec::tensor_map in{{"x", tensor(element_type::float32, shape_t{2}, std::vector<float>{1, 2})}};
  CHECK_THROWS_WITH(exec::execute(g, in), Catch::Contains("Clip min must hold one value, got shape [0]"));
  const model k = parse_text(R"(graph {
    input %x: float32[1,4]
    const %k: int64[2] = [1, 2]
    node t: TopK(%x, %k) -> %v: float32[1,1], %i: int64[1,1]
    output %i
  })");
  exec::tensor_map in4{{"x", tensor(element_type::float32, shape_t{1, 4}, std::vector<float>{1, 2, 3, 4})}};
  CHECK_THROWS_WITH(exec::execute(k, in4), Catch::Contains("TopK k must hold one value"));
}

TEST_CASE("an integer operand holding NaN or a fraction is refused", "[exec][errors]") {
  // Found by fuzz_exec (UBSan): an Unsqueeze whose axes were a float64 NaN constant
  // cast NaN to int64, which is undefined behaviour.
  exec::tensor_map in{{"x", tensor(element_type::float32, shape_t{2}, std::vector<float>{1, 2})}};
  const model nan_axes = parse_text(R"(graph {
    input %x: float32[2]
    const %a: float64[1] = [nan]
    node u: Unsqueeze(%x, %a) -> %y: float32
    output %y
  })");
  CHECK_THROWS_WITH(exec::execute(nan_axes, in), Catch::Contains("node 'u'") && Catch::Contains("an integer operand holds nan"));
  const model half_k = parse_text(R"(graph {
    input %x: float32[2]
    const %k: float32[1] = [0.5]
    node t: TopK(%x, %k) -> %v: float32, %i: int64
    output %i
  })");
  CHECK_THROWS_WITH(exec::execute(half_k, in), Catch::Contains("an integer operand holds 0.5"));
  // A whole number stored as a float is read as that integer.
  const model whole = parse_text(R"(graph {
    input %x: float32[2]
    const %a: float64[1] = [0]
    node u: Unsqueeze(%x, %a) -> %y: float32
    output %y
  })");
  CHECK(exec::execute(whole, in).at("y").shape() == shape_t{1, 2});
  // get_int itself is defined for every value: NaN gives 0, out of range saturates.
  const tensor f(element_type::float64, shape_t{3}, std::vector<double>{std::nan(""), 1e300, -1e300});
  CHECK(f.get_int(0) == 0);
  CHECK(f.get_int(1) == std::numeric_limits<std::int64_t>::max());
  CHECK(f.get_int(2) == std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("ConvTranspose output_shape must give every spatial size", "[exec][errors]") {
  // Found by fuzz_exec: output_shape = [5] for a 2-D ConvTranspose read a second
  // size past the end of the attribute.
  const model g = parse_text(R"(graph {
    input %x: float32[1,1,2,2]
    const %w: float32[1,1,2,5] = splat 1
    node a: ConvTranspose(%x, %w) {output_shape = [5]} -> %y: float32
    output %y
  })");
  exec::tensor_map in{{"x", tensor(element_type::float32, shape_t{1, 1, 2, 2}, std::vector<float>{1, 2, 3, 4})}};
  CHECK_THROWS_WITH(exec::execute(g, in), Catch::Contains("output_shape needs 2 spatial sizes, got 1"));
}

TEST_CASE("Upsample and Resize interpolate linearly, and the steps between axes respect the limits", "[exec][resize]") {
  model g = parse_text(R"(graph {
    opset "" 9
    input %x: float32[1,1,2,2]
    const %s: float32[4] = [1, 1, 2, 2]
    node up: Upsample(%x, %s) {mode = "linear"} -> %y: float32[1,1,4,4]
    output %y
  })");
  // Asymmetric coordinates i / 2, clamped at the edge.
  const auto y = exec::execute(g, {{"x", tensor(element_type::float32, {1, 1, 2, 2}, {1.0f, 2.0f, 3.0f, 4.0f})}}).at("y");
  CHECK(y.to_doubles() == std::vector<double>{1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4});

  // [1,1,1000,1] -> [1,1,1,1000]: in and out hold 1000 elements, the step between
  // the two axes 10^6; with a limit of 10^5 that is refused before allocating.
  model h = parse_text(R"(graph {
    input %x: float32[1,1,1000,1]
    const %sizes: int64[4] = [1, 1, 1, 1000]
    node r: Resize(%x, _, _, %sizes) {mode = "linear"} -> %y: float32[1,1,1,1000]
    output %y
  })");
  const auto saved = tensor_limits();
  tensor_limits().max_elements = 100000;
  CHECK_THROWS_WITH(exec::execute(h, exec::random_inputs(h, 1)), Catch::Contains("node 'r'") && Catch::Contains("[1,1,1000,1000]") && Catch::Contains("over the limit"));
  tensor_limits() = saved;
  CHECK(exec::execute(h, exec::random_inputs(h, 1)).at("y").shape() == shape_t{1, 1, 1, 1000});
}
