// tensor: an N-d array in row-major (C) order, backed by an Eigen array.
//
// The element type says what the data *is* (ONNX's view: float32, int8, bool, ...);
// the storage is one of three Eigen arrays (float, double, int64) wide enough for it,
// so kernels are written three times at most and every ONNX type round-trips.
// Elementwise binary operations broadcast like numpy.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "nnrewrite/error.hpp"

namespace nnrewrite {

enum class element_type : std::uint8_t {
  float32, float64, float16, bfloat16,
  int8, int16, int32, int64, uint8, uint16, uint32, uint64, boolean
};

inline constexpr std::string_view to_string(element_type t) {
  constexpr std::string_view names[] = {"float32", "float64", "float16", "bfloat16", "int8",
                                        "int16",   "int32",   "int64",   "uint8",    "uint16",
                                        "uint32",  "uint64",  "bool"};
  return names[static_cast<int>(t)];
}

// ONNX TensorProto element codes (onnx.proto), as Cast's `to` uses them; the core
// does not depend on protobuf.
inline std::optional<element_type> element_type_from_onnx_code(std::int64_t code) {
  constexpr std::pair<int, element_type> codes[] = {
      {1, element_type::float32}, {2, element_type::uint8},    {3, element_type::int8},    {4, element_type::uint16},
      {5, element_type::int16},   {6, element_type::int32},    {7, element_type::int64},   {9, element_type::boolean},
      {10, element_type::float16}, {11, element_type::float64}, {12, element_type::uint32}, {13, element_type::uint64},
      {16, element_type::bfloat16}};
  for (const auto& [c, t] : codes)
    if (c == code) return t;
  return std::nullopt;
}

inline std::optional<element_type> parse_element_type(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(element_type::boolean); ++i)
    if (to_string(static_cast<element_type>(i)) == s) return static_cast<element_type>(i);
  return std::nullopt;
}

inline constexpr bool is_floating(element_type t) {
  return t == element_type::float32 || t == element_type::float64 || t == element_type::float16 ||
         t == element_type::bfloat16;
}

using shape_t = std::vector<std::int64_t>;

inline std::string to_string(const shape_t& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) r += ',';
    r += std::to_string(s[i]);
  }
  return r + "]";
}

// How large a tensor nnrewrite allocates. A file can declare any shape; sizes are
// checked against this before anything is allocated (as protobuf limits message
// sizes). Raise it for larger models: tensor_limits().max_elements = ...; the CLI's
// --max-elements.
struct limits {
  std::int64_t max_elements = std::int64_t(1) << 28;  // 268M elements: 1 GiB of float32
};
inline limits& tensor_limits() {
  static limits l;
  return l;
}

// The number of elements of a shape; shape_error for a negative dimension or a
// product that overflows int64.
inline std::int64_t num_elements(const shape_t& s) {
  std::int64_t n = 1;
  bool zero = false;
  for (auto d : s) {
    if (d < 0) throw shape_error("shape " + to_string(s) + " has a negative dimension");
    zero = zero || d == 0;
  }
  if (zero) return 0;
  for (auto d : s)
    if (__builtin_mul_overflow(n, d, &n)) throw shape_error("shape " + to_string(s) + " has more elements than int64 can count");
  return n;
}

// num_elements, and limit_error when it is over tensor_limits().
inline std::int64_t checked_num_elements(const shape_t& s) {
  const std::int64_t n = num_elements(s);
  if (n > tensor_limits().max_elements)
    throw limit_error("a tensor of shape " + to_string(s) + " would hold " + std::to_string(n) + " elements, over the limit of " +
                      std::to_string(tensor_limits().max_elements) + " (raise nnrewrite::tensor_limits().max_elements, or the CLI's --max-elements)");
  return n;
}

// numpy broadcasting of two shapes; throws shape_error when they do not broadcast.
inline shape_t broadcast_shapes(const shape_t& a, const shape_t& b) {
  shape_t r(std::max(a.size(), b.size()));
  for (std::size_t i = 0; i < r.size(); ++i) {
    std::int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    std::int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      throw shape_error("shapes " + to_string(a) + " and " + to_string(b) + " do not broadcast");
    r[r.size() - 1 - i] = da == 1 ? db : da;
  }
  return r;
}

// Row-major strides of a shape.
inline shape_t strides_of(const shape_t& s) {
  shape_t st(s.size(), 1);
  for (std::size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

class tensor {
 public:
  using f32_array = Eigen::Array<float, Eigen::Dynamic, 1>;
  using f64_array = Eigen::Array<double, Eigen::Dynamic, 1>;
  using i64_array = Eigen::Array<std::int64_t, Eigen::Dynamic, 1>;
  using storage = std::variant<f32_array, f64_array, i64_array>;

  // An empty float32 tensor of shape [0].
  tensor() : tensor(element_type::float32, shape_t{0}) {}

  // Zero-filled tensor of the given type and shape.
  // Sizes are checked (negative, overflowing, over tensor_limits()) before allocating.
  tensor(element_type t, shape_t shape) : type_(t), shape_(std::move(shape)) {
    data_ = make_storage(t, checked_num_elements(shape_));
  }

  // A tensor whose values are unspecified, for a caller that writes every element
  // next (a scaled copy): no zero fill. Sizes are checked as above.
  static tensor uninitialized(element_type t, shape_t shape) {
    tensor r;
    r.type_ = t;
    r.shape_ = std::move(shape);
    r.data_ = make_storage(t, checked_num_elements(r.shape_), /*zero=*/false);
    return r;
  }

  // A tensor from values (converted to the element type's storage).
  // The count is checked before anything is allocated (a 60-byte file may claim 1e9 elements).
  template <class T>
  tensor(element_type t, shape_t shape, std::span<const T> values) : type_(t), shape_(std::move(shape)) {
    const std::int64_t n = checked_num_elements(shape_);
    if (static_cast<std::int64_t>(values.size()) != n)
      throw shape_error("tensor of shape " + to_string(shape_) + " needs " + std::to_string(n) + " values, got " +
                        std::to_string(values.size()));
    data_ = make_storage(t, n, /*zero=*/false);
    std::visit([&](auto& a) { for (Eigen::Index i = 0; i < a.size(); ++i) a[i] = convert<typename std::decay_t<decltype(a)>::Scalar>(values[i]); }, data_);
  }
  template <class T>
  tensor(element_type t, shape_t shape, std::initializer_list<T> values)
      : tensor(t, std::move(shape), std::span<const T>(values.begin(), values.size())) {}
  template <class T>
  tensor(element_type t, shape_t shape, const std::vector<T>& values)
      : tensor(t, std::move(shape), std::span<const T>(values)) {}

  static tensor scalar(double v, element_type t = element_type::float32) {
    tensor r(t, shape_t{});
    r.set(0, v);
    return r;
  }

  element_type type() const { return type_; }
  const shape_t& shape() const { return shape_; }
  std::size_t rank() const { return shape_.size(); }
  std::int64_t size() const { return std::visit([](const auto& a) { return std::int64_t(a.size()); }, data_); }
  const storage& data() const { return data_; }
  storage& data() { return data_; }

  // Typed access; T must be the storage scalar (float, double or std::int64_t).
  template <class T>
  std::span<const T> values() const { return std::span<const T>(array<T>().data(), std::size_t(size())); }
  template <class T>
  std::span<T> values() { return std::span<T>(array<T>().data(), std::size_t(size())); }
  template <class T>
  const Eigen::Array<T, Eigen::Dynamic, 1>& array() const { return checked<T>(); }
  template <class T>
  Eigen::Array<T, Eigen::Dynamic, 1>& array() { return const_cast<Eigen::Array<T, Eigen::Dynamic, 1>&>(checked<T>()); }

  double get(std::int64_t i) const { return std::visit([&](const auto& a) { return double(a[i]); }, data_); }
  // Element i as an integer, converted as `convert` does (a float truncates and
  // saturates, NaN gives 0): defined for every value.
  std::int64_t get_int(std::int64_t i) const {
    return std::visit([&](const auto& a) { return convert<std::int64_t>(a[i]); }, data_);
  }
  // Element i of an operand that is an integer by definition (an axis, a pad, a
  // size): type_error when it holds a fraction, NaN or an infinity.
  std::int64_t whole_int(std::int64_t i) const {
    const double v = get(i);
    if (is_floating(type_) && (!std::isfinite(v) || v != std::trunc(v) || v >= 0x1p63 || v < -0x1p63)) {
      char buf[32];
      const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
      throw type_error("an integer operand holds " + std::string(buf, end) + " (element " + std::to_string(i) + ")");
    }
    return get_int(i);
  }
  void set(std::int64_t i, double v) {
    std::visit([&](auto& a) { a[i] = convert<typename std::decay_t<decltype(a)>::Scalar>(v); }, data_);
  }
  std::vector<double> to_doubles() const {
    return std::visit([](const auto& a) { return std::vector<double>(a.data(), a.data() + a.size()); }, data_);
  }
  // The values of an integer operand (axes, pads, shapes), each as whole_int checks it.
  std::vector<std::int64_t> to_ints() const {
    std::vector<std::int64_t> r(static_cast<std::size_t>(size()));
    for (std::int64_t i = 0; i < size(); ++i) r[std::size_t(i)] = whole_int(i);
    return r;
  }

  // Exactly one element (any rank, including 0-d).
  bool is_scalar() const { return size() == 1; }
  // Every dimension other than `axis` (negative counts from the end) is 1.
  // A one-element tensor is channelwise for every axis.
  bool is_channelwise(std::int64_t axis) const {
    if (is_scalar()) return true;
    auto r = std::int64_t(rank());
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) return false;
    for (std::int64_t i = 0; i < r; ++i)
      if (i != axis && shape_[std::size_t(i)] != 1) return false;
    return true;
  }
  bool all_of(auto pred) const {
    return std::visit([&](const auto& a) { return std::all_of(a.data(), a.data() + a.size(), pred); }, data_);
  }
  bool has_non_finite() const {
    return !all_of([](auto v) { return std::isfinite(double(v)); });
  }

  // Same data, new shape. One dimension may be -1 (inferred).
  tensor reshape(shape_t new_shape) const {
    std::int64_t known = 1, infer = -1;
    bool overflow = false;
    for (std::size_t i = 0; i < new_shape.size(); ++i) {
      if (new_shape[i] == -1) {
        if (infer >= 0) throw shape_error("reshape to " + to_string(new_shape) + ": more than one -1");
        infer = std::int64_t(i);
      } else if (new_shape[i] < 0) {
        throw shape_error("reshape to " + to_string(new_shape) + ": negative dimension");
      } else {
        overflow = overflow || __builtin_mul_overflow(known, new_shape[i], &known);
      }
    }
    auto fail = [&] {
      return shape_error("cannot reshape " + to_string(shape_) + " (" + std::to_string(size()) + " elements) to " +
                         to_string(new_shape));
    };
    if (overflow) throw fail();
    if (infer >= 0) {
      if (known == 0 || size() % known != 0) throw fail();
      new_shape[std::size_t(infer)] = size() / known;
    }
    if (num_elements(new_shape) != size()) throw fail();
    tensor r = *this;
    r.shape_ = std::move(new_shape);
    return r;
  }

  // numpy.transpose; an empty perm reverses the axes.
  tensor transpose(std::vector<std::int64_t> perm = {}) const {
    const std::size_t r = rank();
    if (perm.empty())
      for (std::size_t i = r; i-- > 0;) perm.push_back(std::int64_t(i));
    std::vector<bool> seen(r, false);
    bool ok = perm.size() == r;
    for (auto p : perm) {
      if (!ok || p < 0 || std::size_t(p) >= r || seen[std::size_t(p)]) { ok = false; break; }
      seen[std::size_t(p)] = true;
    }
    if (!ok) throw shape_error("transpose of a rank-" + std::to_string(r) + " tensor: invalid permutation");
    shape_t out_shape(r);
    for (std::size_t i = 0; i < r; ++i) out_shape[i] = shape_[std::size_t(perm[i])];
    tensor out(type_, out_shape);
    const shape_t in_strides = strides_of(shape_);
    shape_t src_stride(r);
    for (std::size_t i = 0; i < r; ++i) src_stride[i] = in_strides[std::size_t(perm[i])];
    std::visit([&](auto& dst) {
      const auto& src = std::get<std::decay_t<decltype(dst)>>(data_);
      for_each_index(out_shape, strides_of(out_shape), src_stride, [&](std::int64_t o, std::int64_t s) { dst[o] = src[s]; });
    }, out.data_);
    return out;
  }

  // Same values in another element type (float -> integer truncates toward zero, like a C cast).
  tensor cast(element_type t) const {
    tensor r = uninitialized(t, shape_);  // every element is written below
    std::visit([&](auto& dst) {
      using D = typename std::decay_t<decltype(dst)>::Scalar;
      std::visit([&](const auto& src) {
        for (Eigen::Index i = 0; i < src.size(); ++i) dst[i] = convert<D>(src[i]);
      }, data_);
    }, r.data_);
    return r;
  }

  enum class reduction { sum, mean, min, max };
  // Reduce over `axes` (all axes when empty; negative axes count from the end).
  tensor reduce(reduction op, std::vector<std::int64_t> axes = {}, bool keepdims = false) const {
    const auto r = std::int64_t(rank());
    std::vector<bool> reduced(std::size_t(r), axes.empty());
    for (auto a : axes) {
      if (a < -r || a >= r) throw shape_error("reduce: axis " + std::to_string(a) + " out of range for rank " + std::to_string(r));
      reduced[std::size_t(a < 0 ? a + r : a)] = true;
    }
    shape_t kept(static_cast<std::size_t>(r)), out_shape;
    for (std::int64_t i = 0; i < r; ++i) {
      kept[std::size_t(i)] = reduced[std::size_t(i)] ? 1 : shape_[std::size_t(i)];
      if (!reduced[std::size_t(i)] || keepdims) out_shape.push_back(kept[std::size_t(i)]);
    }
    // Stride of each input axis in the output (0 on reduced axes).
    shape_t out_strides = strides_of(kept);
    for (std::int64_t i = 0; i < r; ++i)
      if (reduced[std::size_t(i)]) out_strides[std::size_t(i)] = 0;
    tensor out(type_, out_shape);
    std::visit([&](auto& dst) {
      using T = typename std::decay_t<decltype(dst)>::Scalar;
      const auto& src = std::get<std::decay_t<decltype(dst)>>(data_);
      std::vector<double> acc(std::size_t(dst.size()), op == reduction::min ? INFINITY : op == reduction::max ? -INFINITY : 0.0);
      for_each_index(shape_, strides_of(shape_), out_strides, [&](std::int64_t i, std::int64_t o) {
        double v = double(src[i]);
        double& a = acc[std::size_t(o)];
        a = op == reduction::min ? std::min(a, v) : op == reduction::max ? std::max(a, v) : a + v;
      });
      const double count = dst.size() ? double(size()) / double(dst.size()) : 1.0;
      for (Eigen::Index o = 0; o < dst.size(); ++o)
        dst[o] = convert<T>(op == reduction::mean ? acc[std::size_t(o)] / count : acc[std::size_t(o)]);
    }, out.data_);
    return out;
  }

  // Applies f to every element (f gets and returns the storage scalar or double).
  template <class F>
  tensor map(F f) const {
    tensor r = *this;
    std::visit([&](auto& a) {
      using T = typename std::decay_t<decltype(a)>::Scalar;
      for (Eigen::Index i = 0; i < a.size(); ++i) a[i] = convert<T>(f(a[i]));
    }, r.data_);
    return r;
  }

  // Elementwise binary op with numpy broadcasting. Both operands are brought to
  // `out_type`'s storage first; f is called with two storage scalars.
  template <class F>
  static tensor broadcast(const tensor& a, const tensor& b, element_type out_type, F f) {
    shape_t out_shape = broadcast_shapes(a.shape_, b.shape_);
    tensor ca = a.type_ == out_type ? a : a.cast(out_type);
    tensor cb = b.type_ == out_type ? b : b.cast(out_type);
    tensor out(out_type, out_shape);
    std::visit([&](auto& dst) {
      using A = std::decay_t<decltype(dst)>;
      using T = typename A::Scalar;
      const A& x = std::get<A>(ca.data_);
      const A& y = std::get<A>(cb.data_);
      if (ca.shape_ == out_shape && cb.shape_ == out_shape) {
        for (Eigen::Index i = 0; i < dst.size(); ++i) dst[i] = convert<T>(f(x[i], y[i]));
        return;
      }
      const shape_t sx = broadcast_strides(ca.shape_, out_shape), sy = broadcast_strides(cb.shape_, out_shape);
      std::int64_t o = 0;
      for_each_index(out_shape, sx, sy, [&](std::int64_t i, std::int64_t j) { dst[o++] = convert<T>(f(x[i], y[j])); });
    }, out.data_);
    return out;
  }

  // Integer +, -, * wrap around on overflow (two's complement, as numpy does and as
  // the narrow integer types already do): defined, never undefined behaviour.
  struct wrapping_plus {
    template <class A>
    A operator()(A a, A b) const {
      if constexpr (std::is_integral_v<A>) return A(std::uint64_t(a) + std::uint64_t(b));
      else return a + b;
    }
  };
  struct wrapping_minus {
    template <class A>
    A operator()(A a, A b) const {
      if constexpr (std::is_integral_v<A>) return A(std::uint64_t(a) - std::uint64_t(b));
      else return a - b;
    }
  };
  struct wrapping_multiplies {
    template <class A>
    A operator()(A a, A b) const {
      if constexpr (std::is_integral_v<A>) return A(std::uint64_t(a) * std::uint64_t(b));
      else return a * b;
    }
  };
  // Integer division truncates toward zero (as ONNX Div does) and wraps
  // INT64_MIN / -1 to INT64_MIN; x / 0 for integers throws.
  struct checked_divides {
    template <class A>
    A operator()(A x, A y) const {
      if constexpr (std::is_integral_v<A>) {
        if (y == 0) throw error("integer division by zero");
        if (y == -1) return A(std::uint64_t(0) - std::uint64_t(x));
      }
      return x / y;
    }
  };

  friend tensor operator+(const tensor& a, const tensor& b) { return broadcast(a, b, promote(a.type_, b.type_), wrapping_plus{}); }
  friend tensor operator-(const tensor& a, const tensor& b) { return broadcast(a, b, promote(a.type_, b.type_), wrapping_minus{}); }
  friend tensor operator*(const tensor& a, const tensor& b) {
    return broadcast(a, b, promote(a.type_, b.type_), wrapping_multiplies{});
  }
  friend tensor operator/(const tensor& a, const tensor& b) { return broadcast(a, b, promote(a.type_, b.type_), checked_divides{}); }

  // The element type both operands convert to: the wider float, else int64.
  static element_type promote(element_type a, element_type b) {
    if (a == b) return a;
    if (a == element_type::float64 || b == element_type::float64) return element_type::float64;
    if (is_floating(a) || is_floating(b)) return element_type::float32;
    return element_type::int64;
  }

  // Exact equality of type, shape and every element (NaN equals NaN, so a
  // printed-and-parsed tensor compares equal to its original).
  friend bool operator==(const tensor& a, const tensor& b) {
    if (a.type_ != b.type_ || a.shape_ != b.shape_) return false;
    return std::visit([&](const auto& x) {
      const auto& y = std::get<std::decay_t<decltype(x)>>(b.data_);
      for (Eigen::Index i = 0; i < x.size(); ++i) {
        if constexpr (std::is_floating_point_v<typename std::decay_t<decltype(x)>::Scalar>) {
          if (std::isnan(x[i]) && std::isnan(y[i])) continue;
        }
        if (x[i] != y[i]) return false;
      }
      return true;
    }, a.data_);
  }

  // Walks every index of `shape` in row-major order, calling f(o1, o2) with the
  // offsets sum(index[d] * s1[d]) and sum(index[d] * s2[d]). With s1 = strides_of(shape)
  // o1 is the flat index.
  template <class F>
  static void for_each_index(const shape_t& shape, const shape_t& s1, const shape_t& s2, F f) {
    const std::size_t r = shape.size();
    const std::int64_t n = num_elements(shape);
    if (n == 0) return;
    std::vector<std::int64_t> idx(r, 0);
    std::int64_t o1 = 0, o2 = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      f(o1, o2);
      for (std::size_t d = r; d-- > 0;) {
        if (++idx[d] < shape[d]) {
          o1 += s1[d];
          o2 += s2[d];
          break;
        }
        o1 -= s1[d] * (shape[d] - 1);
        o2 -= s2[d] * (shape[d] - 1);
        idx[d] = 0;
      }
    }
  }

  // Strides that read a tensor of shape `from` as if broadcast to `to`.
  static shape_t broadcast_strides(const shape_t& from, const shape_t& to) {
    shape_t st(to.size(), 0);
    const shape_t own = strides_of(from);
    const std::size_t off = to.size() - from.size();
    for (std::size_t i = 0; i < from.size(); ++i) st[off + i] = from[i] == 1 ? 0 : own[i];
    return st;
  }

  // Float to integer truncates toward zero and saturates at the integer's range
  // (NaN gives 0): a cast of 1e30 is defined, never undefined behaviour.
  template <class D, class S>
  static D convert(S v) {
    if constexpr (std::is_integral_v<D> && std::is_floating_point_v<S>) {
      if (std::isnan(v)) return 0;
      const double t = std::trunc(double(v));
      if (t >= 0x1p63) return std::numeric_limits<D>::max();
      if (t < -0x1p63) return std::numeric_limits<D>::min();
      return static_cast<D>(t);
    } else {
      return static_cast<D>(v);
    }
  }

 private:
  // zero = false for a caller that writes every element next.
  static storage make_storage(element_type t, std::int64_t n, bool zero = true) {
    if (t == element_type::float64) return zero ? f64_array(f64_array::Zero(n)) : f64_array(n);
    if (is_floating(t)) return zero ? f32_array(f32_array::Zero(n)) : f32_array(n);
    return zero ? i64_array(i64_array::Zero(n)) : i64_array(n);
  }

  template <class T>
  const Eigen::Array<T, Eigen::Dynamic, 1>& checked() const {
    if (auto* p = std::get_if<Eigen::Array<T, Eigen::Dynamic, 1>>(&data_)) return *p;
    throw type_error("tensor of type " + std::string(to_string(type_)) + " accessed with the wrong storage scalar");
  }

  element_type type_;
  shape_t shape_;
  storage data_;
};

}  // namespace nnrewrite
