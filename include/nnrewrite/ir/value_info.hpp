// What is known about one produced value: name, element type, shape, QONNX data
// type and layout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "nnrewrite/ir/data_type.hpp"
#include "nnrewrite/ir/interned_string.hpp"
#include "nnrewrite/ir/tensor.hpp"

namespace nnrewrite {

// One dimension: a known size, a symbolic name (ONNX dim_param, e.g. "batch"), or unknown.
struct dim {
  std::int64_t size = -1;  // >= 0 when known
  interned_string param;   // symbolic name when size is unknown; may be empty

  dim() = default;
  dim(std::int64_t s) : size(s) {}  // NOLINT: a number is a known dim
  explicit dim(std::string_view p) : param(p) {}
  // Copied member by member, on purpose: a trivially copyable dim makes
  // small_vector move inline shapes with memmove, and g++ 12 at -O2 then warns
  // (-Wstringop-overread, a false positive) in every file that moves a shape.
  dim(const dim& o) noexcept : size(o.size), param(o.param) {}
  dim& operator=(const dim& o) noexcept {
    size = o.size;
    param = o.param;
    return *this;
  }
  bool known() const { return size >= 0; }
  friend bool operator==(const dim&, const dim&) = default;
};

// Inline up to rank 4 (NCHW): a shape is copied with every value_info, and a
// heap block per copy made malloc the largest cost of rewriting a big graph.
using dims = boost::container::small_vector<dim, 4>;

inline dims to_dims(const shape_t& s) { return dims(s.begin(), s.end()); }

// "[1,?,N]" for messages (the text format quotes odd symbolic names; see io/text.hpp).
inline std::string to_string(const dims& d) {
  std::string r = "[";
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i) r += ',';
    r += d[i].known() ? std::to_string(d[i].size) : d[i].param.empty() ? "?" : d[i].param.str();
  }
  return r + "]";
}

// The concrete shape when every dimension is known.
inline std::optional<shape_t> known_shape(const std::optional<dims>& d) {
  if (!d) return std::nullopt;
  shape_t s;
  for (const auto& x : *d) {
    if (!x.known()) return std::nullopt;
    s.push_back(x.size);
  }
  return s;
}

struct value_info {
  value_info() = default;
  explicit value_info(std::string n, element_type e = element_type::float32, std::optional<dims> s = std::nullopt,
                      std::optional<data_type> dt = std::nullopt, interned_string l = {})
      : name(std::move(n)), elem(e), shape(std::move(s)), dtype(dt), layout(l) {}

  std::string name;
  element_type elem = element_type::float32;  // what the container holds (ONNX elem_type)
  std::optional<dims> shape;                   // nullopt: not even the rank is known
  std::optional<data_type> dtype;              // QONNX annotation; nullopt: unannotated
  interned_string layout;                      // e.g. "NCHW", "NC"; empty: unknown (a few per model: pooled)

  // Unannotated tensors are FLOAT32 (QONNX convention).
  data_type qonnx_type() const { return dtype.value_or(data_type::float32()); }
  friend bool operator==(const value_info&, const value_info&) = default;
};

}  // namespace nnrewrite
