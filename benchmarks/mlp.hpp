// The synthetic FINN-style MLP of the streamlining benchmarks: N blocks of width
// 64 (or as given), each MatMul with INT2 weights -> Mul(scalar) -> Add(per channel) ->
// BatchNorm (every other block) -> MultiThreshold(UINT4, 15 steps); head Mul ->
// Add. Each block streamlines to MatMul -> MultiThreshold. A residual variant pairs
// the blocks with skip connections (see the constructor).
#pragma once

#include <algorithm>
#include <optional>
#include <random>
#include <string>

#include "nnrewrite/ir/traits.hpp"

namespace bench {

using namespace nnrewrite;

class mlp_builder {
  using T = ir_traits<model>;
  using V = vertex_t<model>;

 public:
  // residual: pairs of blocks without BatchNorm; the pair's input forks into a
  // skip Mul(m*s) that joins the second block before its MultiThreshold, the
  // first block's levels carrying an activation scale m (a Mul after it), so both
  // branches of the join carry m*s. Streamlines (streamline_plus) to MatMul ->
  // MultiThreshold blocks with an integer Add per join.
  explicit mlp_builder(int blocks, bool residual = false, std::int64_t width = 64) : width_(width), rng_(42) {
    value_info in("x", element_type::float32, dims{1, width_});
    in.dtype = data_type::uint(4);
    prev_ = T::add_input(g_, in);
    if (residual) {
      for (int b = 0; b + 1 < blocks; b += 2) {
        const V u = prev_;
        const double s = scale_(rng_), m = 0.5;
        block(false, s);
        prev_ = op("Mul", {prev_, T::add_constant(g_, value(name(), {}), tensor::scalar(m, element_type::float32))});
        // The product the rules compute: float32 scales multiplied in double, stored as float32.
        const double ms = double(float(m)) * double(float(s));
        const V skip = op("Mul", {u, T::add_constant(g_, value(name(), {}), tensor::scalar(ms, element_type::float32))});
        block(false, s, skip);
      }
    } else {
      for (int b = 0; b < blocks; ++b) block(b % 2 == 1);
    }
    prev_ = op("Mul", {prev_, constant({}, 0.01, 0.02)});
    prev_ = op("Add", {prev_, constant({}, -1, 1)});
    T::connect(g_, prev_, 0, T::add_output(g_, "y"), 0);
  }
  model take() { return std::move(g_); }

 private:
  static constexpr std::int64_t steps = 15;
  value_info value(const std::string& n, shape_t s) const { return value_info(n, element_type::float32, to_dims(s)); }
  // Appended, not "v" + to_string(...): GCC 12 warns (-Wrestrict, a false positive,
  // GCC bug 105329) on that form once inlined here.
  std::string name() {
    std::string n = "v";
    n += std::to_string(next_++);
    return n;
  }
  V op(const char* type, std::initializer_list<V> operands, attribute_map attrs = {}, const char* domain = "") {
    const std::string n = name();
    V v = T::add_op(g_, type, domain, n, std::move(attrs), {value(n, {1, width_})});
    int port = 0;
    for (V o : operands) T::connect(g_, o, 0, v, port++);
    return v;
  }
  // Each layer its own INT2 matrix, as in a FINN network. (One matrix shared by
  // every block gave a constant with as many uses as blocks, and the benchmark then
  // measured the O(uses) removal of an edge from its use list, not streamlining.)
  V weights() {
    tensor w(element_type::float32, {width_, width_});
    std::uniform_int_distribution<int> wd(-2, 1);
    for (std::int64_t i = 0; i < w.size(); ++i) w.set(i, wd(rng_));
    value_info wi = value(name(), {width_, width_});
    wi.dtype = data_type::int_(2);
    return T::add_constant(g_, wi, std::move(w));
  }
  V constant(shape_t s, double lo, double hi) {
    tensor t(element_type::float32, s);
    std::uniform_real_distribution<double> d(lo, hi);
    for (std::int64_t i = 0; i < t.size(); ++i) t.set(i, d(rng_));
    return T::add_constant(g_, value(name(), s), std::move(t));
  }
  // One block; with `scale`, its Mul by that scale; with `join`, the Add of
  // `join` before the MultiThreshold.
  void block(bool batchnorm, double scale = 0, std::optional<V> join = std::nullopt) {
    prev_ = op("MatMul", {prev_, weights()});
    prev_ = op("Mul", {prev_, scale ? T::add_constant(g_, value(name(), {}), tensor::scalar(scale, element_type::float32))
                                    : constant({}, 0.01, 0.1)});
    prev_ = op("Add", {prev_, constant({width_}, -1, 1)});
    if (join) prev_ = op("Add", {prev_, *join});
    if (batchnorm)
      prev_ = op("BatchNormalization", {prev_, constant({width_}, 0.5, 2), constant({width_}, -1, 1), constant({width_}, -1, 1),
                                        constant({width_}, 0.5, 2)});
    // Sorted thresholds per channel.
    tensor t(element_type::float32, {width_, steps});
    std::uniform_real_distribution<double> d(-4, 4);
    for (std::int64_t c = 0; c < width_; ++c) {
      std::vector<double> row(steps);
      for (auto& v : row) v = d(rng_);
      std::sort(row.begin(), row.end());
      for (std::int64_t s = 0; s < steps; ++s) t.set(c * steps + s, row[std::size_t(s)]);
    }
    const V th = T::add_constant(g_, value(name(), {width_, steps}), std::move(t));
    prev_ = op("MultiThreshold", {prev_, th}, {{"out_dtype", std::string("UINT4")}}, "qonnx.custom_op.general");
    value_info out = T::value(g_, prev_, 0);
    out.dtype = data_type::uint(4);
    T::set_value(g_, prev_, 0, out);
  }

  std::int64_t width_;
  model g_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> scale_{0.01, 0.1};
  V prev_{};
  std::size_t next_ = 0;
};

}  // namespace bench
