// Elementwise kernels: arithmetic with numpy broadcasting, comparisons, the
// variadic Max/Min/Sum/Mean, Where, activations and unary math, Cast.
#pragma once

#include <bit>
#include <charconv>
#include <cmath>

#include "nnrewrite/detail/half.hpp"
#include "nnrewrite/exec/kernel.hpp"

namespace nnrewrite::exec::kernels {

namespace detail {

// a OP b in a's element type (ONNX requires equal types), wrapping narrow integers.
template <class F>
tensor arith(const tensor& a, const tensor& b, F f) {
  return wrap_to_type(tensor::broadcast(a, b, a.type(), f));
}

template <class F>
tensor compare(const tensor& a, const tensor& b, F f) {
  // Compare in the wider storage, produce bool.
  const element_type common = tensor::promote(a.type(), b.type());
  tensor c = tensor::broadcast(a, b, is_floating(common) ? element_type::float64 : element_type::int64,
                               [&](auto x, auto y) { return f(x, y) ? 1 : 0; });
  return c.cast(element_type::boolean);
}

// The shortest text that reads back as v (for messages).
inline std::string number_text(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::string("?");
}

// Applies f(double) -> double to every element, keeping the element type.
template <class F>
tensor unary(const tensor& x, F f) {
  return wrap_to_type(x.map([&](auto v) { return f(double(v)); }));
}

}  // namespace detail

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> add(const kernel_context& c) { return single(detail::arith(c.in(0), c.in(1), tensor::wrapping_plus{})); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> sub(const kernel_context& c) { return single(detail::arith(c.in(0), c.in(1), tensor::wrapping_minus{})); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> mul(const kernel_context& c) { return single(detail::arith(c.in(0), c.in(1), tensor::wrapping_multiplies{})); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> div(const kernel_context& c) { return single(detail::arith(c.in(0), c.in(1), tensor::checked_divides{})); }
// Integer powers are exact and wrap like multiplication; a negative integer
// exponent (ONNX leaves it undefined) is an error.
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> pow(const kernel_context& c) {
  const tensor& x = c.in(0);
  tensor y = c.in(1).type() == x.type() ? c.in(1) : c.in(1).cast(is_floating(x.type()) ? element_type::float64 : element_type::int64);
  return single(wrap_to_type(tensor::broadcast(x, y.cast(x.type()), x.type(), [](auto a, auto b) {
    using A = decltype(a);
    if constexpr (std::is_integral_v<A>) {
      if (b < 0) throw shape_error("Pow of integers with a negative exponent (" + std::to_string(b) + ") is undefined");
      std::uint64_t r = 1, base = std::uint64_t(a);
      for (auto e = std::uint64_t(b); e; e >>= 1, base *= base)
        if (e & 1) r *= base;
      return A(r);
    } else {
      return static_cast<A>(std::pow(double(a), double(b)));
    }
  })));
}
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> equal(const kernel_context& c) { return single(detail::compare(c.in(0), c.in(1), [](auto a, auto b) { return a == b; })); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> less(const kernel_context& c) { return single(detail::compare(c.in(0), c.in(1), [](auto a, auto b) { return a < b; })); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> greater(const kernel_context& c) { return single(detail::compare(c.in(0), c.in(1), [](auto a, auto b) { return a > b; })); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> logical_and(const kernel_context& c) { return single(detail::compare(c.in(0), c.in(1), [](auto a, auto b) { return a && b; })); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> logical_or(const kernel_context& c) { return single(detail::compare(c.in(0), c.in(1), [](auto a, auto b) { return a || b; })); }

template <int Kind>  // 0 max, 1 min, 2 sum, 3 mean
std::vector<tensor> variadic(const kernel_context& c) {
  tensor acc = c.in(0);
  std::size_t n = 1;
  for (std::size_t i = 1; i < c.inputs.size(); ++i, ++n) {
    acc = detail::arith(acc, c.in(i), [](auto a, auto b) {
      if constexpr (Kind == 0) return a > b || a != a ? a : b;  // NaN propagates
      else if constexpr (Kind == 1) return a < b || a != a ? a : b;
      else return a + b;
    });
  }
  if constexpr (Kind == 3) acc = acc.map([&](auto v) { return double(v) / double(n); });
  return single(std::move(acc));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> where(const kernel_context& c) {
  const tensor &cond = c.in(0), &x = c.in(1), &y = c.in(2);
  const shape_t shape = broadcast_shapes(broadcast_shapes(cond.shape(), x.shape()), y.shape());
  const tensor k = expand_to(cond, shape);
  tensor out = expand_to(y, shape);
  const tensor xs = expand_to(x, shape);
  for (std::int64_t i = 0; i < out.size(); ++i)
    if (k.get_int(i) != 0) out.set(i, xs.get(i));
  return single(std::move(out));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> relu(const kernel_context& c) { return single(detail::unary(c.in(0), [](double v) { return v > 0 ? v : 0.0; })); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> leaky_relu(const kernel_context& c) {
  const double alpha = c.attr_float("alpha", 0.01);
  return single(detail::unary(c.in(0), [&](double v) { return v >= 0 ? v : alpha * v; }));
}
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> prelu(const kernel_context& c) {
  const tensor& x = c.in(0);
  tensor slope = c.in(1);
  // Before opset 7 a 1-D slope of C values applied along the channel axis.
  if (c.opset_below(7) && slope.rank() == 1 && x.rank() > 2 && slope.size() == x.shape()[1]) {
    shape_t s(x.rank() - 1, 1);
    s[0] = slope.size();
    slope = slope.reshape(s);
  }
  return single(tensor::broadcast(x, slope, x.type(), [](auto v, auto a) { return v < 0 ? a * v : v; }));
}
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> sigmoid(const kernel_context& c) {
  return single(detail::unary(c.in(0), [](double v) { return 1.0 / (1.0 + std::exp(-v)); }));
}
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> hard_sigmoid(const kernel_context& c) {
  const double alpha = c.attr_float("alpha", 0.2), beta = c.attr_float("beta", 0.5);
  return single(detail::unary(c.in(0), [&](double v) { return std::max(0.0, std::min(1.0, alpha * v + beta)); }));
}
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> hard_swish(const kernel_context& c) {
  return single(detail::unary(c.in(0), [](double v) { return v * std::max(0.0, std::min(1.0, v / 6.0 + 0.5)); }));
}
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> clip(const kernel_context& c) {
  const tensor& x = c.in(0);
  double lo = -INFINITY, hi = INFINITY;
  if (c.opset_below(11)) {
    lo = c.attr_float("min", lo);
    hi = c.attr_float("max", hi);
  } else {
    if (c.has(1)) lo = c.scalar(1, "min");
    if (c.has(2)) hi = c.scalar(2, "max");
  }
  return single(detail::unary(x, [&](double v) { return std::min(std::max(v, lo), hi); }));
}

template <double (*F)(double)>
std::vector<tensor> math(const kernel_context& c) {
  return single(detail::unary(c.in(0), F));
}
inline double sign_of(double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }
inline double neg_of(double v) { return -v; }
inline double reciprocal_of(double v) { return 1.0 / v; }
inline double round_half_even(double v) { return std::nearbyint(v); }
inline double abs_of(double v) { return std::fabs(v); }

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> identity(const kernel_context& c) {
  if (c.op_type == "Dropout" && ((c.has(2) && c.scalar(2, "training_mode") != 0) || c.attr_int("is_test", 1) == 0))
    throw unsupported_error("Dropout in training mode is random; the reference executor runs inference only");
  std::vector<tensor> r{c.in(0)};
  if (c.num_outputs > 1) {  // Dropout's mask: all true in inference
    tensor mask(element_type::boolean, c.in(0).shape());
    for (auto& v : mask.values<std::int64_t>()) v = 1;
    r.push_back(std::move(mask));
  }
  return r;
}

// The values an integer element type holds, as doubles (uint64 as far as int64 storage goes).
inline std::pair<double, double> integer_range(element_type t) {
  switch (t) {
    case element_type::int8: return {-128.0, 127.0};
    case element_type::uint8: return {0.0, 255.0};
    case element_type::int16: return {-32768.0, 32767.0};
    case element_type::uint16: return {0.0, 65535.0};
    case element_type::int32: return {-2147483648.0, 2147483647.0};
    case element_type::uint32: return {0.0, 4294967295.0};
    case element_type::uint64: return {0.0, 0x1p63};
    default: return {-0x1p63, 0x1p63};
  }
}

// Float to integer: truncation toward zero; a value outside the target's range
// (ONNX leaves it undefined) is an error, never a wrapped or undefined result.
template <class = void>
tensor cast_to(const tensor& x, element_type to) {
  if (to == element_type::boolean) return x.map([](auto v) { return v != 0 ? 1 : 0; }).cast(element_type::int64).cast(to);
  if (is_floating(x.type()) && !is_floating(to)) {
    const auto [lo, hi] = integer_range(to);
    for (std::int64_t i = 0; i < x.size(); ++i) {
      const double v = std::trunc(x.get(i));
      if (!(v >= lo && v < hi + 1))
        throw shape_error("Cast: value " + detail::number_text(x.get(i)) + " at index " + std::to_string(i) + " does not fit " +
                          std::string(to_string(to)));
    }
  }
  tensor r = is_floating(x.type()) && !is_floating(to) ? x.map([](auto v) { return std::trunc(double(v)); }).cast(to) : x.cast(to);
  if (to == element_type::float16)
    r = r.map([](float v) { return nnrewrite::detail::half_to_float(nnrewrite::detail::float_to_half(v)); });
  else if (to == element_type::bfloat16)  // truncates the low mantissa bits, as ONNX 1.12's reference Cast does
    r = r.map([](float v) {
      return nnrewrite::detail::bfloat16_to_float(std::uint16_t(std::bit_cast<std::uint32_t>(v) >> 16));
    });
  return wrap_to_type(std::move(r));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> cast(const kernel_context& c) {
  const auto to = c.attr_int("to", 1);
  if (auto t = element_type_from_onnx_code(to)) return single(cast_to(c.in(0), *t));
  throw unsupported_error("Cast to element type code " + std::to_string(to) + " is not supported");
}

}  // namespace nnrewrite::exec::kernels
