// QONNX data types: the value sets a tensor's elements are promised to lie in.
//
// Names, ranges and the search order of smallest_for_value follow QONNX
// (qonnx.core.datatype): INTn/UINTn for any n >= 1 (UINT1 prints as BINARY),
// BIPOLAR {-1,+1}, TERNARY {-1,0,+1}, FIXED<w,i> (signed, w bits, i integer bits,
// step 2^-(w-i)), SCALEDINT<n> (an integer times an unknown scale: range unknown),
// FLOAT32 and FLOAT16. Ranges are doubles: exact up to 53 bits.
#pragma once

#include <charconv>
#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "nnrewrite/error.hpp"

namespace nnrewrite {

class data_type {
 public:
  enum class kind : std::uint8_t { integer, bipolar, ternary, fixed, scaled_int, float32, float16 };
  static constexpr int max_bits = 1023;  // keeps 2^bits finite as a double

  // FLOAT32: what an unannotated tensor holds.
  constexpr data_type() = default;

  static data_type int_(int bits) { return integer(bits, true); }
  static data_type uint(int bits) { return integer(bits, false); }
  static constexpr data_type binary() { return {kind::integer, 1, 0, false}; }
  static constexpr data_type bipolar() { return {kind::bipolar, 1, 0, true}; }
  static constexpr data_type ternary() { return {kind::ternary, 2, 0, true}; }
  static constexpr data_type float32() { return {kind::float32, 32, 0, true}; }
  static constexpr data_type float16() { return {kind::float16, 16, 0, true}; }
  static data_type fixed(int bits, int int_bits) {
    if (bits < 1 || bits > 64 || int_bits < 0 || int_bits >= bits)
      throw type_error("FIXED<" + std::to_string(bits) + "," + std::to_string(int_bits) +
                       ">: needs 0 <= integer bits < total bits <= 64");
    return {kind::fixed, bits, int_bits, true};
  }
  static data_type scaled_int(int bits) {
    check_bits(bits, "SCALEDINT");
    return {kind::scaled_int, bits, 0, true};
  }

  // Parses a QONNX name ("INT4", "UINT8", "BIPOLAR", "FIXED<16,3>", ...).
  static data_type parse(std::string_view name) {
    if (auto t = try_parse(name)) return *t;
    throw type_error("unknown QONNX data type '" + std::string(name) + "'");
  }

  static std::optional<data_type> try_parse(std::string_view s) {
    auto number = [](std::string_view t) -> std::optional<int> {
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
      int v = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc{} || p != t.data() + t.size() || t.empty()) return std::nullopt;
      return v;
    };
    auto bracketed = [&](std::string_view prefix) -> std::optional<std::string_view> {
      if (!s.starts_with(prefix) || !s.ends_with('>')) return std::nullopt;
      return s.substr(prefix.size(), s.size() - prefix.size() - 1);
    };
    if (s == "BINARY") return binary();
    if (s == "BIPOLAR") return bipolar();
    if (s == "TERNARY") return ternary();
    if (s == "FLOAT32") return float32();
    if (s == "FLOAT16") return float16();
    if (s.starts_with("UINT") || s.starts_with("INT")) {
      bool is_signed = s.starts_with("INT");
      auto n = number(s.substr(is_signed ? 3 : 4));
      if (!n || *n < 1 || *n > max_bits) return std::nullopt;
      return data_type{kind::integer, *n, 0, is_signed};
    }
    if (auto body = bracketed("FIXED<")) {
      auto comma = body->find(',');
      if (comma == std::string_view::npos) return std::nullopt;
      auto w = number(body->substr(0, comma)), i = number(body->substr(comma + 1));
      if (!w || !i || *w < 1 || *w > 64 || *i < 0 || *i >= *w) return std::nullopt;
      return data_type{kind::fixed, *w, *i, true};
    }
    if (auto body = bracketed("SCALEDINT<")) {
      auto n = number(*body);
      if (!n || *n < 1 || *n > max_bits) return std::nullopt;
      return data_type{kind::scaled_int, *n, 0, true};
    }
    return std::nullopt;
  }

  std::string name() const {
    switch (kind_) {
      case kind::integer:
        if (bits_ == 1 && !signed_) return "BINARY";
        return (signed_ ? "INT" : "UINT") + std::to_string(bits_);
      case kind::bipolar: return "BIPOLAR";
      case kind::ternary: return "TERNARY";
      case kind::fixed: return "FIXED<" + std::to_string(bits_) + "," + std::to_string(int_bits_) + ">";
      case kind::scaled_int: return "SCALEDINT<" + std::to_string(bits_) + ">";
      case kind::float32: return "FLOAT32";
      case kind::float16: return "FLOAT16";
    }
    return "?";
  }

  constexpr kind type_kind() const { return kind_; }
  constexpr int bitwidth() const { return bits_; }
  // FIXED<w,i> only: the number of integer bits (including the sign bit).
  constexpr int int_bits() const { return int_bits_; }
  constexpr bool is_signed() const { return signed_; }
  // INTn, UINTn, BINARY, BIPOLAR, TERNARY: every value is an integer.
  constexpr bool is_integer() const {
    return kind_ == kind::integer || kind_ == kind::bipolar || kind_ == kind::ternary;
  }
  constexpr bool is_fixed_point() const { return kind_ == kind::fixed; }
  constexpr bool is_float() const { return kind_ == kind::float32 || kind_ == kind::float16; }

  // Distance between neighbouring representable values: 1 for integers,
  // 2^-(w-i) for FIXED<w,i>, 0 where there is no grid (floats, SCALEDINT).
  double step() const {
    if (is_integer()) return 1.0;
    if (kind_ == kind::fixed) return std::ldexp(1.0, -(bits_ - int_bits_));
    return 0.0;
  }

  double min() const {
    switch (kind_) {
      case kind::integer: return signed_ ? -std::ldexp(1.0, bits_ - 1) : 0.0;
      case kind::bipolar:
      case kind::ternary: return -1.0;
      case kind::fixed: return -std::ldexp(1.0, bits_ - 1) * step();
      case kind::scaled_int: return -std::numeric_limits<double>::infinity();
      case kind::float32: return std::numeric_limits<float>::lowest();
      case kind::float16: return -65504.0;
    }
    return 0.0;
  }

  double max() const {
    switch (kind_) {
      case kind::integer: return signed_ ? std::ldexp(1.0, bits_ - 1) - 1.0 : std::ldexp(1.0, bits_) - 1.0;
      case kind::bipolar:
      case kind::ternary: return 1.0;
      case kind::fixed: return (std::ldexp(1.0, bits_ - 1) - 1.0) * step();
      case kind::scaled_int: return std::numeric_limits<double>::infinity();
      case kind::float32: return std::numeric_limits<float>::max();
      case kind::float16: return 65504.0;
    }
    return 0.0;
  }

  // Whether `v` is one of this type's values. Floats (and SCALEDINT, whose scale is
  // unknown) allow everything, as in QONNX.
  // allowed() as a function object with the range computed once, for checking
  // many values (a weight tensor): `t.all_of(type.allowed_predicate())`.
  auto allowed_predicate() const {
    return [k = kind_, lo = min(), hi = max(), st = step()](auto x) {
      const double v = double(x);
      switch (k) {
        case kind::bipolar: return v == -1.0 || v == 1.0;
        case kind::ternary: return v == -1.0 || v == 0.0 || v == 1.0;
        case kind::integer: return v >= lo && v <= hi && std::nearbyint(v) == v;
        case kind::fixed: {
          const double q = v / st;
          return v >= lo && v <= hi && std::nearbyint(q) == q;
        }
        default: return true;
      }
    };
  }

  bool allowed(double v) const { return allowed_predicate()(v); }

  // QONNX DataType.get_smallest_possible: the first type in the order BINARY,
  // UINT1..64, BIPOLAR, TERNARY, INT1..64 whose [min, max] holds `v`; FLOAT32 for a
  // non-integer; nullopt when no 64-bit integer type holds it.
  static std::optional<data_type> smallest_for_value(double v) {
    return smallest(v, v, /*every_integer_between=*/false);
  }

  // The first type in the same order that can hold every integer in [lo, hi]
  // (so BIPOLAR is never chosen for a range containing 0); FLOAT32 when lo or hi is
  // not an integer; nullopt when no 64-bit integer type is wide enough.
  static std::optional<data_type> smallest_for_range(double lo, double hi) {
    return smallest(lo, hi, /*every_integer_between=*/true);
  }

  friend constexpr bool operator==(const data_type&, const data_type&) = default;

 private:
  constexpr data_type(kind k, int bits, int int_bits, bool is_signed)
      : kind_(k), bits_(bits), int_bits_(int_bits), signed_(is_signed) {}

  static void check_bits(int bits, const char* what) {
    if (bits < 1 || bits > max_bits)
      throw type_error(std::string(what) + std::to_string(bits) + ": bit width must be in [1, " +
                       std::to_string(max_bits) + "]");
  }
  static data_type integer(int bits, bool is_signed) {
    check_bits(bits, is_signed ? "INT" : "UINT");
    return {kind::integer, bits, 0, is_signed};
  }

  static std::optional<data_type> smallest(double lo, double hi, bool every_integer_between) {
    if (std::isnan(lo) || std::isnan(hi) || lo > hi) return std::nullopt;
    if (std::nearbyint(lo) != lo || std::nearbyint(hi) != hi) return float32();
    auto fits = [&](const data_type& t) {
      if (every_integer_between && t.kind_ == kind::bipolar) return lo == hi && t.allowed(lo);
      return t.min() <= lo && hi <= t.max();
    };
    if (fits(binary())) return binary();
    for (int b = 1; b <= 64; ++b)
      if (fits(uint(b))) return uint(b);
    if (fits(bipolar())) return bipolar();
    if (fits(ternary())) return ternary();
    for (int b = 1; b <= 64; ++b)
      if (fits(int_(b))) return int_(b);
    return std::nullopt;
  }

  kind kind_ = kind::float32;
  int bits_ = 32;
  int int_bits_ = 0;
  bool signed_ = true;
};

}  // namespace nnrewrite
