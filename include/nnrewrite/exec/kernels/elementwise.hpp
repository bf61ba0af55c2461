// Elementwise kernels: arithmetic with numpy broadcasting, comparisons, the
// variadic Max/Min/Sum/Mean, Where, activations and unary math, Cast.
#pragma once

#include <bit>
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

// Applies f(double) -> double to every element, keeping the element type.
template <class F>
tensor unary(const tensor& x, F f) {
  return wrap_to_type(x.map([&](auto v) { return f(double(v)); }));
}

}  // namespace detail

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> add(const kernel_context& c) { return single(detail::arith(c.in(0), c.in(1), std::plus<>{})); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> sub(const kernel_context& c) { return single(detail::arith(c.in(0), c.in(1), std::minus<>{})); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> mul(const kernel_context& c) { return single(detail::arith(c.in(0), c.in(1), std::multiplies<>{})); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> div(const kernel_context& c) { return single(c.in(0) / c.in(1)); }
template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> pow(const kernel_context& c) {
  const tensor& x = c.in(0);
  tensor y = c.in(1).type() == x.type() ? c.in(1) : c.in(1).cast(is_floating(x.type()) ? element_type::float64 : element_type::int64);
  return single(wrap_to_type(tensor::broadcast(x, y.cast(x.type()), x.type(), [](auto a, auto b) {
    return static_cast<decltype(a)>(std::pow(double(a), double(b)));
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
    if (c.has(1)) lo = c.in(1).get(0);
    if (c.has(2)) hi = c.in(2).get(0);
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
  if (c.op_type == "Dropout" && ((c.has(2) && c.in(2).get(0) != 0) || c.attr_int("is_test", 1) == 0))
    throw unsupported_error("Dropout in training mode is random; the reference executor runs inference only");
  std::vector<tensor> r{c.in(0)};
  if (c.num_outputs > 1) {  // Dropout's mask: all true in inference
    tensor mask(element_type::boolean, c.in(0).shape());
    for (auto& v : mask.values<std::int64_t>()) v = 1;
    r.push_back(std::move(mask));
  }
  return r;
}

template <class = void>
tensor cast_to(const tensor& x, element_type to) {
  if (to == element_type::boolean) return x.map([](auto v) { return v != 0 ? 1 : 0; }).cast(element_type::int64).cast(to);
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
