// Typed node attributes (ONNX's INT, FLOAT, STRING, INTS, FLOATS, STRINGS, TENSOR).
#pragma once

#include <boost/container/flat_map.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/tensor.hpp"

namespace nnrewrite {

// Floats are held as double; ONNX's float32 attributes convert exactly both ways.
using attribute = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>,
                               std::vector<double>, std::vector<std::string>, tensor>;

// Ordered by name so that printing is deterministic. A flat map: a node's few
// attributes sit in one array (24 bytes when empty, where std::map took 48 and
// an allocation per attribute). Like a vector, inserting may move the others.
using attribute_map = boost::container::flat_map<std::string, attribute, std::less<>>;

inline constexpr std::string_view attribute_kind_name(const attribute& a) {
  constexpr std::string_view names[] = {"int", "float", "string", "ints", "floats", "strings", "tensor"};
  return names[a.index()];
}

namespace detail {
// The value of a found attribute as a T, or type_error naming it.
template <class T>
const T& attribute_as(std::string_view name, const attribute& a) {
  if (auto* p = std::get_if<T>(&a)) return *p;
  throw type_error("attribute '" + std::string(name) + "' is " + std::string(attribute_kind_name(a)) + ", not " +
                   std::string(attribute_kind_name(attribute(T{}))));
}
}  // namespace detail

// Typed lookup: nullptr when absent; type_error naming the attribute when the type differs.
template <class T>
const T* find_attribute(const attribute_map& attrs, std::string_view name) {
  auto it = attrs.find(name);
  return it == attrs.end() ? nullptr : &detail::attribute_as<T>(name, it->second);
}

template <class T>
T attribute_or(const attribute_map& attrs, std::string_view name, T fallback) {
  const auto it = attrs.find(name);
  if (it == attrs.end()) return fallback;
  // An int attribute may be read as float (ONNX writers are not always careful),
  // and an integral float as int (IRs that keep every number as a double).
  if constexpr (std::is_same_v<T, double>) {
    if (auto* i = std::get_if<std::int64_t>(&it->second)) return double(*i);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    if (auto* d = std::get_if<double>(&it->second); d && std::nearbyint(*d) == *d && std::fabs(*d) < 0x1p62)
      return static_cast<std::int64_t>(*d);
  }
  return detail::attribute_as<T>(name, it->second);
}

}  // namespace nnrewrite
