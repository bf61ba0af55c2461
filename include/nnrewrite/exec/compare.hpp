// Comparing a graph's outputs before and after a rewrite: max abs/rel
// difference, SQNR, numpy-style allclose, and exact equality for integer data.
#pragma once

#include <cmath>
#include <limits>

#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/tensor.hpp"

namespace nnrewrite::exec {

struct difference {
  double max_abs = 0;  // max |a - b|
  double max_rel = 0;  // max |a - b| / max(|b|, tiny)
  std::int64_t mismatches = 0;  // elements that are not bit-for-bit equal (NaN == NaN)
  std::int64_t at = -1;         // flat index of the largest absolute difference
};

inline void require_same_shape(const tensor& a, const tensor& b) {
  if (a.shape() != b.shape()) throw shape_error("cannot compare shapes " + to_string(a.shape()) + " and " + to_string(b.shape()));
}

// a is the value under test, b the reference.
inline difference compare(const tensor& a, const tensor& b) {
  require_same_shape(a, b);
  difference d;
  for (std::int64_t i = 0; i < a.size(); ++i) {
    const double x = a.get(i), y = b.get(i);
    const bool both_nan = std::isnan(x) && std::isnan(y);
    if (x == y || both_nan) continue;
    ++d.mismatches;
    const double diff = std::isnan(x) || std::isnan(y) ? INFINITY : std::fabs(x - y);
    if (diff > d.max_abs || d.at < 0) d.max_abs = diff, d.at = i;
    d.max_rel = std::max(d.max_rel, diff / std::max(std::fabs(y), std::numeric_limits<double>::min()));
  }
  return d;
}

// numpy.allclose(a, b, rtol, atol): |a - b| <= atol + rtol * |b| everywhere.
inline bool all_close(const tensor& a, const tensor& b, double rtol = 1e-5, double atol = 1e-8) {
  require_same_shape(a, b);
  for (std::int64_t i = 0; i < a.size(); ++i) {
    const double x = a.get(i), y = b.get(i);
    if (std::isnan(x) && std::isnan(y)) continue;
    if (x == y) continue;  // equal infinities
    if (!(std::fabs(x - y) <= atol + rtol * std::fabs(y))) return false;
  }
  return true;
}

// Every element equal (as numbers; element types may differ).
inline bool exactly_equal(const tensor& a, const tensor& b) {
  return a.shape() == b.shape() && compare(a, b).mismatches == 0;
}

// Signal-to-quantization-noise ratio of `test` against `reference`, in dB:
// 10 log10(sum ref^2 / sum (ref - test)^2). +inf when they are equal.
inline double sqnr_db(const tensor& reference, const tensor& test) {
  require_same_shape(reference, test);
  double signal = 0, noise = 0;
  for (std::int64_t i = 0; i < reference.size(); ++i) {
    const double r = reference.get(i), e = r - test.get(i);
    signal += r * r;
    noise += e * e;
  }
  if (noise == 0) return INFINITY;
  return 10.0 * std::log10(signal / noise);
}

}  // namespace nnrewrite::exec
