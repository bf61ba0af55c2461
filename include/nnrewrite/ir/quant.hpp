// QONNX quantization arithmetic, as the executor and the front-end rules see it.
//
// Quant(x, s, z, b): y = (round(clip(x/s + z, qmin, qmax)) - z) * s, with the
// integer range [qmin, qmax] of a b-bit signed/unsigned (narrow) type and one of
// seven rounding modes. A rule turning Quant into a MultiThreshold needs, for each
// level k, where round(u) first reaches k: `level_threshold` gives that point and
// whether the comparison there is >= or >. The executor's kernel and the rules use
// the same functions, so they cannot disagree about a mode.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "nnrewrite/error.hpp"

namespace nnrewrite {

enum class rounding_mode : unsigned char { round, ceil, floor, up, down, half_up, half_down };

// QONNX's names, case-insensitive: ROUND (half to even), CEIL, FLOOR, UP (away
// from zero), DOWN (toward zero), HALF_UP (half away from zero), HALF_DOWN (half
// toward zero).
inline std::optional<rounding_mode> parse_rounding_mode(std::string_view s) {
  std::string u(s);
  for (auto& ch : u) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  if (u == "ROUND") return rounding_mode::round;
  if (u == "CEIL") return rounding_mode::ceil;
  if (u == "FLOOR") return rounding_mode::floor;
  if (u == "UP") return rounding_mode::up;
  if (u == "DOWN") return rounding_mode::down;
  if (u == "HALF_UP") return rounding_mode::half_up;
  if (u == "HALF_DOWN") return rounding_mode::half_down;
  return std::nullopt;
}

inline rounding_mode rounding_mode_or_throw(std::string_view s) {
  if (auto m = parse_rounding_mode(s)) return *m;
  throw unsupported_error("rounding_mode '" + std::string(s) + "' is not one of ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN");
}

inline double round_with(rounding_mode mode, double v) {
  switch (mode) {
    case rounding_mode::round: return std::nearbyint(v);  // half to even, as numpy.round
    case rounding_mode::ceil: return std::ceil(v);
    case rounding_mode::floor: return std::floor(v);
    case rounding_mode::up: return v < 0 ? std::floor(v) : std::ceil(v);
    case rounding_mode::down: return std::trunc(v);
    case rounding_mode::half_up: return std::round(v);
    case rounding_mode::half_down: {
      const double f = std::floor(v);
      if (v - f == 0.5) return v < 0 ? f + 1 : f;
      return std::round(v);
    }
  }
  return v;
}

// The integer range of a b-bit quantizer: signed [-2^(b-1), 2^(b-1)-1] (narrow:
// the minimum raised by one), unsigned [0, 2^b-1] (narrow: the maximum lowered).
inline double quant_min(bool is_signed, bool narrow, double bits) {
  return is_signed ? -std::ldexp(1.0, int(bits) - 1) + (narrow ? 1 : 0) : 0.0;
}
inline double quant_max(bool is_signed, bool narrow, double bits) {
  return is_signed ? std::ldexp(1.0, int(bits) - 1) - 1 : std::ldexp(1.0, int(bits)) - 1 - (narrow ? 1 : 0);
}

namespace detail {
// u = x/s + z as sum + err exactly (Knuth's two-sum on the rounded x/s and z).
struct exact_sum {
  double sum, err;
};
inline exact_sum level_argument(double x, double s, double z) {
  const double a = x / s, sum = a + z, b = sum - a;
  return {sum, (a - (sum - b)) + (z - b)};
}
}  // namespace detail

// The level of the real number u = x/s + z: round(clip(u, lo, hi)), or for a
// bipolar quantizer u >= 0 ? 1 : -1. x/s is rounded once (to double) and z is
// added without loss (two-sum), so a zero point cannot swallow a small x/s: with
// float32 x and s the level is that of the exact u, as MultiThreshold's
// thresholds (threshold_for_level) see it.
inline double quantize_level(rounding_mode mode, double x, double s, double z, double lo, double hi) {
  const auto [sum, err] = detail::level_argument(x, s, z);
  if (std::isnan(sum)) return sum;
  if (!std::isfinite(sum)) return sum > 0 ? hi : lo;
  if (sum > hi) return hi;
  if (sum < lo) return lo;
  double r = round_with(mode, sum);
  // On a decision point (an integer or half-integer), err says which side u is on;
  // a point a quarter away on that side rounds as u does.
  if (err != 0 && std::nearbyint(2 * sum) == 2 * sum) r = round_with(mode, sum + (err > 0 ? 0.25 : -0.25));
  return std::clamp(r, lo, hi);
}
inline double bipolar_level(double x, double s, double z) {
  const auto [sum, err] = detail::level_argument(x, s, z);
  if (std::isnan(sum)) return sum;
  if (sum != 0 || !std::isfinite(sum)) return sum > 0 ? 1.0 : -1.0;
  return err >= 0 ? 1.0 : -1.0;
}

// Where rounding reaches integer k: round(u) >= k exactly when u >= at (strict
// false) or u > at (strict true). Every mode is monotone, so the set is a ray.
struct level_threshold {
  double at;
  bool strict;
};

inline level_threshold threshold_for_level(rounding_mode mode, double k) {
  const double half = k - 0.5;
  switch (mode) {
    case rounding_mode::floor: return {k, false};
    case rounding_mode::ceil: return {k - 1, true};
    // Half to even: k - 0.5 rounds to k when k is even.
    case rounding_mode::round: return {half, std::fmod(k, 2.0) != 0};
    // Half away from zero: k - 0.5 rounds up to k when it is positive.
    case rounding_mode::half_up: return {half, !(half > 0)};
    // Half toward zero: k - 0.5 rounds up to k when it is negative.
    case rounding_mode::half_down: return {half, !(half < 0)};
    // Away from zero: ceil for u > 0, floor below.
    case rounding_mode::up: return k >= 1 ? level_threshold{k - 1, true} : level_threshold{k, false};
    // Toward zero: floor for u > 0, ceil below.
    case rounding_mode::down: return k >= 1 ? level_threshold{k, false} : level_threshold{k - 1, true};
  }
  return {k, false};
}

// A threshold as a float32 (for an IR whose constants cannot be float64): the
// smallest float >= at (strict: > at). Exact for float32 data compared with it
// directly; a scale absorbed later may round a strict one's margin away.
inline float float32_threshold_as_float(double at, bool strict) {
  float f = static_cast<float>(at);  // the nearest float
  if (double(f) < at || (strict && double(f) == at)) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

// A MultiThreshold compares with >=; this is the threshold (a double) that makes
// `x >= result` mean `x >= at` (strict: `x > at`) for every float32 x. A strict
// threshold sits halfway between `at` and the next float32 above it: wide enough
// a margin that the double arithmetic of later rules (absorbing scales and
// biases, which map `at` onto an integer of the accumulator) keeps it on the
// right side, where RoundAndClipThresholds then makes it exact.
inline double float32_threshold(double at, bool strict) {
  if (!strict || !std::isfinite(at)) return at;
  const float next = float32_threshold_as_float(at, true);  // the smallest float above at
  if (std::isinf(next)) return std::nextafter(at, std::numeric_limits<double>::infinity());
  return at + (double(next) - at) / 2;
}

}  // namespace nnrewrite
