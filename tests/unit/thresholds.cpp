// Threshold matrices edited the way absorption rules edit them, checked against the
// MultiThreshold kernel.
#include <catch2/catch.hpp>

#include "nnrewrite/exec.hpp"
#include "nnrewrite/ir/thresholds.hpp"

using namespace nnrewrite;

namespace {
tensor multithreshold(const tensor& x, const tensor& t, attribute_map attrs = {}) {
  exec::kernel_context ctx{"MultiThreshold", "qonnx.custom_op.general", attrs, {&x, &t}, 1, 0};
  return exec::default_kernels().find("qonnx.custom_op.general", "MultiThreshold")(ctx)[0];
}
}  // namespace

TEST_CASE("a threshold matrix reads, broadcasts and writes back", "[thresholds]") {
  const tensor t(element_type::float32, {1, 3}, std::vector<float>{-1, 0, 2});
  threshold_matrix m(t);
  CHECK(m.shared());
  CHECK(m.steps() == 3);
  CHECK(m.sorted());
  const threshold_matrix b = m.broadcast_to(4);
  CHECK(b.rows() == 4);
  CHECK(b.at(3, 2) == 2);
  CHECK_THROWS_WITH(threshold_matrix(tensor(element_type::float32, {2, 3})).broadcast_to(4), Catch::Contains("2 threshold rows for 4 channels"));
  CHECK_THROWS_AS(threshold_matrix(tensor(element_type::float32, {3})), shape_error);
  CHECK(b.to_tensor().shape() == shape_t{4, 3});
  CHECK(b.to_tensor(element_type::float64).type() == element_type::float64);
}

TEST_CASE("absorbing an Add and a positive Mul into thresholds keeps the function", "[thresholds]") {
  // x: [1, 2 channels, 3]; MT(Mul(Add(x, A), M), T) == MT(x, (T / M) - A), per channel.
  const tensor x(element_type::float32, {1, 2, 3}, std::vector<float>{-2, 0.5f, 3, 1, -1, 4});
  const tensor t(element_type::float32, {2, 2}, std::vector<float>{0, 1, -1, 2});
  const std::vector<double> add{0.5, -1}, mul{2, 0.25};
  tensor moved = x;
  for (std::int64_t i = 0; i < x.size(); ++i) moved.set(i, (x.get(i) + add[std::size_t(i / 3)]) * mul[std::size_t(i / 3)]);
  threshold_matrix m(t);
  m.transform([&](std::int64_t c, double v) { return v / mul[std::size_t(c)] - add[std::size_t(c)]; });
  CHECK(m.sorted());
  const attribute_map ncw{{"data_layout", std::string("NCW")}};  // channels on axis 1
  CHECK(exec::exactly_equal(multithreshold(moved, t, ncw), multithreshold(x, m.to_tensor(), ncw)));
  CHECK_FALSE(exec::exactly_equal(multithreshold(moved, t, ncw), multithreshold(x, t, ncw)));  // the edit mattered
  // A negative multiplier would reverse the order: the matrix tells.
  m.transform([](std::int64_t, double v) { return -v; });
  CHECK_FALSE(m.sorted());
}

TEST_CASE("the output data type follows scale, bias and steps", "[thresholds]") {
  CHECK(multithreshold_out_dtype(1, 0, 15) == data_type::uint(4));
  CHECK(multithreshold_out_dtype(1, -8, 15) == data_type::int_(4));
  CHECK(multithreshold_out_dtype(2, -1, 1) == data_type::bipolar());  // ConvertSignToThres
  CHECK(multithreshold_out_dtype(1, 0, 1) == data_type::binary());
  CHECK(multithreshold_out_dtype(0.5, 0, 3) == data_type::float32());
  CHECK(multithreshold_out_dtype(-1, 0, 3) == data_type::int_(3));  // [-3, 0]
  CHECK_FALSE(multithreshold_out_dtype(1, 1e300, 3));                 // no integer type holds it
  CHECK_FALSE(multithreshold_out_dtype(std::nan(""), 0, 3));
}
