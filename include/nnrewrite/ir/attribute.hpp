// Typed node attributes (ONNX's INT, FLOAT, STRING, INTS, FLOATS, STRINGS, TENSOR).
#pragma once

#include <cstdint>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/tensor.hpp"

namespace nnrewrite {

// Floats are held as double; ONNX's float32 attributes convert exactly both ways.
using attribute = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>,
                               std::vector<double>, std::vector<std::string>, tensor>;

// Ordered by name so that printing is deterministic.
using attribute_map = std::map<std::string, attribute, std::less<>>;

inline constexpr std::string_view attribute_kind_name(const attribute& a) {
  constexpr std::string_view names[] = {"int", "float", "string", "ints", "floats", "strings", "tensor"};
  return names[a.index()];
}

// Typed lookup: nullptr when absent; type_error naming the attribute when the type differs.
template <class T>
const T* find_attribute(const attribute_map& attrs, std::string_view name) {
  auto it = attrs.find(name);
  if (it == attrs.end()) return nullptr;
  if (auto* p = std::get_if<T>(&it->second)) return p;
  throw type_error("attribute '" + std::string(name) + "' is " +
                   std::string(attribute_kind_name(it->second)) + ", not " +
                   std::string(attribute_kind_name(attribute(T{}))));
}

template <class T>
T attribute_or(const attribute_map& attrs, std::string_view name, T fallback) {
  // An int attribute may be read as float (ONNX writers are not always careful),
  // and an integral float as int (IRs that keep every number as a double).
  if constexpr (std::is_same_v<T, double>) {
    auto it = attrs.find(name);
    if (it != attrs.end())
      if (auto* i = std::get_if<std::int64_t>(&it->second)) return double(*i);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    auto it = attrs.find(name);
    if (it != attrs.end())
      if (auto* d = std::get_if<double>(&it->second); d && std::nearbyint(*d) == *d && std::fabs(*d) < 0x1p62)
        return static_cast<std::int64_t>(*d);
  }
  const T* p = find_attribute<T>(attrs, name);
  return p ? *p : fallback;
}

}  // namespace nnrewrite
