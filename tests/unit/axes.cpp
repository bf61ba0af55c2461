#include <catch2/catch.hpp>

#include "nnrewrite/ir/axes.hpp"

using namespace nnrewrite;

namespace {
tensor iota(shape_t shape) {
  tensor t(element_type::float32, std::move(shape));
  for (std::int64_t i = 0; i < t.size(); ++i) t.set(i, double(i));
  return t;
}
}  // namespace

TEST_CASE("channelwise counts the axes of the data the constant meets", "[axes]") {
  const tensor c(element_type::float32, {4, 1, 1}, std::vector<float>{1, 2, 3, 4});
  CHECK(is_channelwise_along(c, 4, 1));    // [4,1,1] against NCHW data: channels
  CHECK_FALSE(is_channelwise_along(c, 4, 2));
  CHECK(is_channelwise_along(c, 3, 0));    // against rank-3 data it is axis 0
  CHECK(is_channelwise_along(c, 4, -3));
  CHECK_FALSE(is_channelwise_along(c, 2, 1));  // higher rank than the data
  const tensor row(element_type::float32, {1, 4}, std::vector<float>{1, 2, 3, 4});
  CHECK(is_channelwise_along(row, 2, 1));
  CHECK(is_channelwise_along(row, 4, 3));  // NHWC channels
  CHECK(is_channelwise_along(tensor::scalar(2.0), 4, 1));
  CHECK_FALSE(is_channelwise_along(row, 2, 5));  // out of range: no, not an exception
}

TEST_CASE("per_channel broadcasts scalars and refuses the rest", "[axes]") {
  CHECK(per_channel(tensor::scalar(2.0), 4, 1, 3) == std::vector<double>{2, 2, 2});
  const tensor c(element_type::float32, {3, 1, 1}, std::vector<float>{1, 2, 3});
  CHECK(per_channel(c, 4, 1, 3) == std::vector<double>{1, 2, 3});
  CHECK_THROWS_WITH(per_channel(c, 4, 2, 3), Catch::Contains("not channelwise"));
  CHECK_THROWS_WITH(per_channel(c, 4, 1, 5), Catch::Contains("3 values for 5 channels"));
}

TEST_CASE("broadcasting keeps the data's shape only when the constant adds nothing", "[axes]") {
  const dims x{2, 4};
  CHECK(broadcast_keeps_shape(x, {4}));
  CHECK(broadcast_keeps_shape(x, {1, 4}));
  CHECK_FALSE(broadcast_keeps_shape(x, {1, 2, 4}));  // adds an axis
  CHECK_FALSE(broadcast_keeps_shape(x, {3}));
  CHECK_FALSE(broadcast_keeps_shape(dims{2, dim()}, {4}));  // unknown: cannot tell
  CHECK_FALSE(broadcast_keeps_shape(std::nullopt, {}));
}

TEST_CASE("the channel axis of a value comes from its layout", "[axes]") {
  CHECK(channel_axis(value_info("x", element_type::float32, dims{1, 3, 8, 8}, std::nullopt, "NCHW")) == 1);
  CHECK(channel_axis(value_info("x", element_type::float32, dims{1, 8, 8, 3}, std::nullopt, "NHWC")) == 3);
  CHECK(channel_axis(value_info("x", element_type::float32, dims{1, 3}, std::nullopt, "NC")) == 1);
  CHECK_FALSE(channel_axis(value_info("x", element_type::float32, dims{1, 3, 8, 8})));  // no layout: no guess
  CHECK_FALSE(channel_axis(value_info("x", element_type::float32, dims{1, 3}, std::nullopt, "NCHW")));  // rank differs
  CHECK(multithreshold_channel_axis({}, 4) == 1);
  CHECK(multithreshold_channel_axis({{"data_layout", std::string("NHWC")}}, 4) == 3);
  CHECK(multithreshold_channel_axis({}, 3) == 2);  // QONNX's execution: the last axis
  CHECK(multithreshold_channel_axis({{"data_layout", std::string("NWC")}}, 3) == 2);
}

TEST_CASE("scale, slice and reduce along one axis", "[axes]") {
  const tensor t = iota({2, 3, 2});
  const std::vector<double> s{1, 10, 100};
  const tensor scaled = scale_along(t, 1, s);
  CHECK(scaled.get(0) == 0);
  CHECK(scaled.get(3) == 30);     // [0,1,1]
  CHECK(scaled.get(11) == 1100);  // [1,2,1]
  CHECK_THROWS_AS(scale_along(t, 1, std::vector<double>{1, 2}), shape_error);
  const tensor sl = slice_along(t, 1, 1, 3);
  CHECK(sl.shape() == shape_t{2, 2, 2});
  CHECK(sl.to_doubles() == std::vector<double>{2, 3, 4, 5, 8, 9, 10, 11});
  CHECK_THROWS_AS(slice_along(t, 1, 2, 4), shape_error);
  const tensor n(element_type::float32, {2, 2}, std::vector<float>{-3, 1, 2, -0.5f});
  CHECK(reduce_along(n, 1, axis_reduction::abs_max) == std::vector<double>{3, 1});
  CHECK(reduce_along(n, 0, axis_reduction::min) == std::vector<double>{-3, -0.5});
  CHECK(reduce_along(n, -1, axis_reduction::max) == std::vector<double>{2, 1});
  CHECK(reduce_along(n, 0, axis_reduction::sum) == std::vector<double>{-2, 1.5});
}
