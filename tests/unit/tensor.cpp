#include <catch2/catch.hpp>

#include <cmath>

#include "nnrewrite/ir/tensor.hpp"

using nnrewrite::element_type;
using nnrewrite::shape_t;
using nnrewrite::tensor;

namespace {
tensor iota(shape_t shape, element_type t = element_type::float32, double start = 0) {
  tensor r(t, shape);
  for (std::int64_t i = 0; i < r.size(); ++i) r.set(i, start + double(i));
  return r;
}
}  // namespace

TEST_CASE("tensor construction and element access", "[tensor]") {
  tensor t(element_type::float32, {2, 3}, {1.f, 2.f, 3.f, 4.f, 5.f, 6.f});
  CHECK(t.rank() == 2);
  CHECK(t.size() == 6);
  CHECK(t.get(4) == 5.0);
  CHECK(t.values<float>()[5] == 6.f);
  CHECK_THROWS_AS(t.values<double>(), nnrewrite::type_error);
  CHECK_THROWS_AS(tensor(element_type::float32, {2, 2}, {1.f, 2.f, 3.f}), nnrewrite::shape_error);
  CHECK_THROWS_WITH(tensor(element_type::float32, {2, -1}), Catch::Contains("negative"));

  tensor i8(element_type::int8, {3}, {std::int64_t{-1}, std::int64_t{2}, std::int64_t{3}});
  CHECK(i8.values<std::int64_t>()[0] == -1);  // every integer type is stored as int64
  CHECK(tensor::scalar(2.5).rank() == 0);
  CHECK(tensor::scalar(2.5).is_scalar());
  CHECK(tensor::scalar(7, element_type::int64).get_int(0) == 7);
}

TEST_CASE("tensor::is_scalar and is_channelwise", "[tensor]") {
  CHECK(tensor(element_type::float32, {1, 1, 1, 1}).is_scalar());
  CHECK_FALSE(tensor(element_type::float32, {1, 2}).is_scalar());
  tensor cw(element_type::float32, {1, 8, 1, 1});
  CHECK(cw.is_channelwise(1));
  CHECK(cw.is_channelwise(-3));
  CHECK_FALSE(cw.is_channelwise(2));
  CHECK_FALSE(cw.is_channelwise(7));
  CHECK(tensor(element_type::float32, {8}).is_channelwise(0));
  CHECK(tensor(element_type::float32, {8}).is_channelwise(-1));
  CHECK(tensor::scalar(3).is_channelwise(1));  // one element broadcasts along any axis
  CHECK_FALSE(tensor(element_type::float32, {2, 8, 1, 1}).is_channelwise(1));
}

TEST_CASE("tensor broadcasting matches an independent loop", "[tensor]") {
  tensor a = iota({2, 1, 3});
  tensor b = iota({4, 1}, element_type::float32, 100);
  tensor c = a + b;
  REQUIRE(c.shape() == shape_t{2, 4, 3});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k) CHECK(c.get((i * 4 + j) * 3 + k) == a.get(i * 3 + k) + b.get(j));

  tensor d = a * tensor::scalar(2.0);
  CHECK(d.shape() == a.shape());
  CHECK(d.get(5) == 10.0);
  tensor e = iota({3}) - iota({2, 3});
  CHECK(e.shape() == shape_t{2, 3});
  CHECK(e.get(4) == 1.0 - 4.0);
  CHECK_THROWS_AS(iota({2, 3}) + iota({4}), nnrewrite::shape_error);
  CHECK_THROWS_WITH(iota({2, 3}) + iota({4}), Catch::Contains("[2,3]") && Catch::Contains("[4]"));
}

TEST_CASE("tensor arithmetic promotes types and integer division truncates", "[tensor]") {
  tensor i(element_type::int64, {2}, {std::int64_t{7}, std::int64_t{-7}});
  tensor two(element_type::int64, {1}, {std::int64_t{2}});
  tensor q = i / two;
  CHECK(q.type() == element_type::int64);
  CHECK(q.get_int(0) == 3);
  CHECK(q.get_int(1) == -3);
  CHECK_THROWS_AS(i / tensor(element_type::int64, {1}), nnrewrite::error);
  tensor f = i * tensor::scalar(0.5);
  CHECK(f.type() == element_type::float32);
  CHECK(f.get(1) == -3.5);
  CHECK((tensor::scalar(1, element_type::float64) + tensor::scalar(1)).type() == element_type::float64);
}

TEST_CASE("tensor::transpose matches index arithmetic", "[tensor]") {
  tensor a = iota({2, 3, 4});
  tensor t = a.transpose({2, 0, 1});
  REQUIRE(t.shape() == shape_t{4, 2, 3});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) CHECK(t.get((k * 2 + i) * 3 + j) == a.get((i * 3 + j) * 4 + k));
  CHECK(a.transpose().shape() == shape_t{4, 3, 2});
  CHECK(a.transpose({2, 0, 1}).transpose({1, 2, 0}) == a);
  CHECK_THROWS_AS(a.transpose({0, 0, 1}), nnrewrite::shape_error);
  CHECK_THROWS_AS(a.transpose({0, 1}), nnrewrite::shape_error);
}

TEST_CASE("tensor::reshape infers -1 and refuses wrong sizes", "[tensor]") {
  tensor a = iota({2, 3, 4});
  CHECK(a.reshape({6, -1}).shape() == shape_t{6, 4});
  CHECK(a.reshape({24}).get(13) == 13.0);
  CHECK_THROWS_AS(a.reshape({5, -1}), nnrewrite::shape_error);
  CHECK_THROWS_AS(a.reshape({-1, -1}), nnrewrite::shape_error);
  CHECK_THROWS_AS(a.reshape({25}), nnrewrite::shape_error);
  CHECK(a.shape() == shape_t{2, 3, 4});  // a failed reshape leaves the tensor alone
}

TEST_CASE("tensor reductions", "[tensor]") {
  tensor a = iota({2, 3});  // [[0,1,2],[3,4,5]]
  using r = tensor::reduction;
  CHECK(a.reduce(r::sum).get(0) == 15.0);
  tensor s0 = a.reduce(r::sum, {0});
  CHECK(s0.shape() == shape_t{3});
  CHECK(s0.get(2) == 7.0);
  tensor m1 = a.reduce(r::max, {-1}, true);
  CHECK(m1.shape() == shape_t{2, 1});
  CHECK(m1.get(1) == 5.0);
  CHECK(a.reduce(r::min, {1}).get(1) == 3.0);
  CHECK(a.reduce(r::mean, {1}).get(0) == 1.0);
  CHECK_THROWS_AS(a.reduce(r::sum, {2}), nnrewrite::shape_error);
}

TEST_CASE("tensor cast and equality", "[tensor]") {
  tensor f(element_type::float32, {3}, {1.9f, -1.9f, 3.0f});
  tensor i = f.cast(element_type::int32);
  CHECK(i.get_int(0) == 1);
  CHECK(i.get_int(1) == -1);
  CHECK(i.type() == element_type::int32);
  tensor n(element_type::float32, {2}, {NAN, 1.f});
  CHECK(n == n);  // NaN compares equal to itself for round-trip checks
  CHECK_FALSE(n == tensor(element_type::float32, {2}, {NAN, 2.f}));
  CHECK_FALSE(f == f.cast(element_type::float64));
  CHECK(n.has_non_finite());
  CHECK_FALSE(f.has_non_finite());
}

TEST_CASE("element_type names round-trip", "[tensor]") {
  for (int k = 0; k <= static_cast<int>(element_type::boolean); ++k) {
    auto t = static_cast<element_type>(k);
    CHECK(nnrewrite::parse_element_type(nnrewrite::to_string(t)) == t);
  }
  CHECK_FALSE(nnrewrite::parse_element_type("float"));
}

TEST_CASE("tensor::uninitialized has the storage of its type and checks its size", "[tensor]") {
  for (auto t : {element_type::float32, element_type::float16, element_type::float64, element_type::int8, element_type::uint64}) {
    tensor u = tensor::uninitialized(t, shape_t{2, 3});
    CHECK(u.type() == t);
    CHECK(u.shape() == shape_t{2, 3});
    CHECK(u.size() == 6);
    for (std::int64_t i = 0; i < 6; ++i) u.set(i, double(i));  // writable through its own storage
    CHECK(u.get(5) == 5.0);
  }
  CHECK_THROWS_AS(tensor::uninitialized(element_type::float32, shape_t{-1}), shape_error);
  CHECK_THROWS_AS(tensor::uninitialized(element_type::float32, shape_t{std::int64_t(1) << 40}), limit_error);
}
