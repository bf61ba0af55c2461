// A MultiThreshold's thresholds, as rules edit them, and its output data type.
//
// QONNX: y = out_scale * count_i(x >= T[c, i]) + out_bias, T of shape (C, steps)
// (one row per channel) or (1, steps) (one row shared by all channels). Rules
// absorb an Add (T - A), a Mul (T / A) or rounding into T, per channel, in double;
// threshold_matrix holds T that way and writes it back as a tensor.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/data_type.hpp"
#include "nnrewrite/ir/tensor.hpp"

namespace nnrewrite {

class threshold_matrix {
 public:
  // From a MultiThreshold's threshold operand; throws shape_error unless it is 2-D.
  explicit threshold_matrix(const tensor& t) {
    if (t.rank() != 2) throw shape_error("MultiThreshold thresholds must be (channels, steps), got " + to_string(t.shape()));
    rows_ = t.shape()[0];
    steps_ = t.shape()[1];
    values_ = t.to_doubles();
  }
  threshold_matrix(std::int64_t rows, std::int64_t steps, double fill = 0.0)
      : rows_(rows), steps_(steps), values_(std::size_t(rows * steps), fill) {}

  std::int64_t rows() const { return rows_; }
  std::int64_t steps() const { return steps_; }
  bool shared() const { return rows_ == 1; }
  double& at(std::int64_t row, std::int64_t step) { return values_[index(row, step)]; }
  double at(std::int64_t row, std::int64_t step) const { return values_[index(row, step)]; }
  // The row that applies to channel c (the shared row for every c when shared).
  std::int64_t row_of(std::int64_t channel) const { return shared() ? 0 : channel; }

  // One row per channel: a shared row repeated `channels` times. Throws when the
  // matrix has neither 1 nor `channels` rows.
  threshold_matrix broadcast_to(std::int64_t channels) const {
    if (rows_ != 1 && rows_ != channels)
      throw shape_error("MultiThreshold has " + std::to_string(rows_) + " threshold rows for " + std::to_string(channels) + " channels");
    threshold_matrix r(channels, steps_);
    for (std::int64_t c = 0; c < channels; ++c)
      for (std::int64_t s = 0; s < steps_; ++s) r.at(c, s) = at(row_of(c), s);
    return r;
  }

  // T[c, s] = f(c, T[c, s]) for every entry.
  template <class F>  // double f(std::int64_t row, double threshold)
  void transform(F f) {
    for (std::int64_t r = 0; r < rows_; ++r) {
      double* row = values_.data() + r * steps_;
      for (std::int64_t s = 0; s < steps_; ++s) row[s] = f(r, row[s]);
    }
  }

  // Each row ascending (QONNX requires it; a rule that divides by a negative breaks it).
  bool sorted() const {
    for (std::int64_t r = 0; r < rows_; ++r)
      for (std::int64_t s = 1; s < steps_; ++s)
        if (!(at(r, s - 1) <= at(r, s))) return false;
    return true;
  }
  bool finite() const {
    return std::all_of(values_.begin(), values_.end(), [](double v) { return std::isfinite(v); });
  }
  double min() const { return values_.empty() ? 0.0 : *std::min_element(values_.begin(), values_.end()); }
  double max() const { return values_.empty() ? 0.0 : *std::max_element(values_.begin(), values_.end()); }

  friend bool operator==(const threshold_matrix&, const threshold_matrix&) = default;

  // Converted straight into e's storage: no float64 copy to cast from (two large
  // blocks per rewrite where one will do; malloc's time grows with the heap).
  tensor to_tensor(element_type e = element_type::float32) const {
    return tensor(e, shape_t{rows_, steps_}, std::span<const double>(values_));
  }

 private:
  std::size_t index(std::int64_t row, std::int64_t step) const {
    if (row < 0 || row >= rows_ || step < 0 || step >= steps_)
      throw shape_error("threshold (" + std::to_string(row) + ", " + std::to_string(step) + ") outside a " +
                        std::to_string(rows_) + "x" + std::to_string(steps_) + " matrix");
    return std::size_t(row * steps_ + step);
  }
  std::int64_t rows_ = 0, steps_ = 0;
  std::vector<double> values_;
};

// The QONNX data type of a MultiThreshold's output, whose values are
// out_bias + out_scale * k for k = 0..steps: the smallest integer type holding them
// all (BIPOLAR for exactly {-1, +1}), FLOAT32 when scale or bias is not integral,
// nullopt when no 64-bit integer type holds the range (the caller must refuse).
inline std::optional<data_type> multithreshold_out_dtype(double out_scale, double out_bias, std::int64_t steps) {
  if (!std::isfinite(out_scale) || !std::isfinite(out_bias) || steps < 0) return std::nullopt;
  if (std::nearbyint(out_scale) != out_scale || std::nearbyint(out_bias) != out_bias) return data_type::float32();
  const double a = out_bias, b = out_bias + out_scale * double(steps);
  if (steps == 1 && std::min(a, b) == -1.0 && std::max(a, b) == 1.0) return data_type::bipolar();
  return data_type::smallest_for_range(std::min(a, b), std::max(a, b));
}

}  // namespace nnrewrite
