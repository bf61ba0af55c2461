// What a kernel sees (kernel_context), what it is (kernel_fn) and where kernels
// are found (kernel_registry). Kernels throw nnrewrite errors without naming the
// node; the executor adds the node.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/axes.hpp"
#include "nnrewrite/ir/attribute.hpp"
#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/tensor.hpp"

namespace nnrewrite::exec {

struct kernel_context {
  std::string_view op_type;
  std::string_view domain;
  const attribute_map& attrs;
  std::vector<const tensor*> inputs;  // by operand index; nullptr where an optional operand is absent
  int num_outputs = 1;
  std::int64_t opset = 0;  // default-domain opset version; 0: unknown (newest semantics)

  bool has(std::size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const tensor& in(std::size_t i) const {
    if (!has(i)) throw graph_error("", std::string(op_type) + " needs operand " + std::to_string(i));
    return *inputs[i];
  }
  // Operand i, which the op reads as one number: it must hold exactly one element
  // (an empty tensor, say from ConstantOfShape with a 0 dim, has none to read).
  double scalar(std::size_t i, std::string_view what) const {
    const tensor& t = in(i);
    if (t.size() != 1)
      throw shape_error(std::string(op_type) + " " + std::string(what) + " must hold one value, got shape " + to_string(t.shape()));
    return t.get(0);
  }
  std::int64_t scalar_int(std::size_t i, std::string_view what) const {
    const tensor& t = in(i);
    if (t.size() != 1)
      throw shape_error(std::string(op_type) + " " + std::string(what) + " must hold one value, got shape " + to_string(t.shape()));
    return t.whole_int(0);
  }
  std::int64_t attr_int(std::string_view name, std::int64_t fallback) const { return attribute_or(attrs, name, fallback); }
  double attr_float(std::string_view name, double fallback) const { return attribute_or(attrs, name, fallback); }
  std::string attr_string(std::string_view name, std::string fallback) const { return attribute_or(attrs, name, std::move(fallback)); }
  std::vector<std::int64_t> attr_ints(std::string_view name, std::vector<std::int64_t> fallback = {}) const {
    return attribute_or(attrs, name, std::move(fallback));
  }
  bool opset_below(std::int64_t v) const { return opset != 0 && opset < v; }
};

using kernel_fn = std::vector<tensor> (*)(const kernel_context&);

// Kernels by (domain family, op type). The families are ONNX ("" and "ai.onnx")
// and QONNX ("qonnx.custom_op.general" and its FINN-era alias); any other domain
// is its own family. Users may add kernels for their own ops.
class kernel_registry {
 public:
  void add(std::string_view domain, std::string_view op, kernel_fn fn) { table_[key(domain, op)] = fn; }
  kernel_fn find(std::string_view domain, std::string_view op) const {
    auto it = table_.find(key(domain, op));
    return it == table_.end() ? nullptr : it->second;
  }
  bool supports(std::string_view domain, std::string_view op) const { return find(domain, op) != nullptr; }
  std::vector<std::string> ops() const {
    std::vector<std::string> r;
    for (const auto& [k, v] : table_) {
      auto nl = k.find('\n');
      r.push_back(nl == 0 ? k.substr(1) : k.substr(0, nl) + "." + k.substr(nl + 1));
    }
    return r;
  }

 private:
  static std::string key(std::string_view domain, std::string_view op) {
    std::string k(domain_family(domain));
    k += '\n';
    k += op;
    return k;
  }
  std::unordered_map<std::string, kernel_fn> table_;
};

// Values of an element type wrap like the C type (numpy's behaviour for uint8 + uint8).
inline tensor wrap_to_type(tensor t) {
  auto wrap = [](element_type e, std::int64_t v) -> std::int64_t {
    switch (e) {
      case element_type::int8: return std::int8_t(v);
      case element_type::uint8: return std::uint8_t(v);
      case element_type::int16: return std::int16_t(v);
      case element_type::uint16: return std::uint16_t(v);
      case element_type::int32: return std::int32_t(v);
      case element_type::uint32: return std::uint32_t(v);
      case element_type::boolean: return v != 0;
      default: return v;
    }
  };
  if (!std::holds_alternative<tensor::i64_array>(t.data())) return t;
  const element_type e = t.type();
  for (auto& v : t.values<std::int64_t>()) v = wrap(e, v);
  return t;
}

// A kernel's one result.
inline std::vector<tensor> single(tensor t) {
  std::vector<tensor> r;
  r.push_back(std::move(t));
  return r;
}

// Steps a row-major multi-index through `shape` (the last axis fastest).
inline void advance(shape_t& index, const shape_t& shape) {
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (++index[d] < shape[d]) return;
    index[d] = 0;
  }
}

// t broadcast to `shape` (numpy rules), materialised.
inline tensor expand_to(const tensor& t, const shape_t& shape) {
  return tensor::broadcast(t, tensor(t.type(), shape), t.type(), [](auto a, auto) { return a; });
}

using nnrewrite::normalize_axis;  // ir/axes.hpp

}  // namespace nnrewrite::exec
