// How many operands and results the ops nnrewrite knows take. Used by the verifier;
// ops not listed here (other domains, new ONNX ops) are not arity-checked. Also
// which operands an op ignores.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nnrewrite/ir/attribute.hpp"

namespace nnrewrite {

struct op_arity {
  int min_inputs, max_inputs;    // max -1: variadic
  int min_outputs, max_outputs;  // max -1: variadic
};

// QONNX's domain, FINN's older name for it, and "onnx.brevitas", where older
// Brevitas exports put Quant (QONNX reads it as its own).
inline bool is_qonnx_domain(std::string_view domain) {
  return domain == "qonnx.custom_op.general" || domain == "finn.custom_op.general" ||
         domain == "qonnx.custom_op.channels_last" || domain == "onnx.brevitas";
}

inline bool is_onnx_domain(std::string_view domain) { return domain.empty() || domain == "ai.onnx"; }

// Domains that name the same op set share a family: ONNX ("" and "ai.onnx") is "",
// QONNX (and FINN's older "finn.custom_op.general") is "qonnx"; any other domain is
// its own family. An Add in a custom domain is not ONNX's Add.
inline std::string_view domain_family(std::string_view domain) {
  if (is_onnx_domain(domain)) return "";
  if (is_qonnx_domain(domain)) return "qonnx";
  return domain;
}

// The domain an op type lives in when nothing else is said: QONNX's custom ops
// in QONNX's domain, everything else in ONNX's.
inline std::string_view home_domain(std::string_view op) {
  for (std::string_view q : {"MultiThreshold", "Quant", "IntQuant", "BipolarQuant", "Trunc", "Im2Col", "MaxPoolNHWC"})
    if (op == q) return "qonnx.custom_op.general";
  return "";
}

// Binary ONNX ops whose two operands may be swapped (f(a, b) == f(b, a)).
inline bool is_commutative(std::string_view domain, std::string_view op) {
  if (!is_onnx_domain(domain)) return false;
  for (std::string_view c : {"Add", "Mul", "Max", "Min", "Sum", "Mean", "And", "Or", "Xor", "Equal"})
    if (op == c) return true;
  return false;
}

namespace detail {
inline std::string count_range(int lo, int hi) {
  return std::to_string(lo) + (hi == lo ? "" : hi < 0 ? " or more" : " to " + std::to_string(hi));
}
}  // namespace detail

// What is wrong with `n_in` operands (highest operand index + 1) and `n_out`
// results for an op of this arity: "Relu takes 1 operands, has 2"; empty if nothing.
inline std::vector<std::string> arity_problems(std::string_view op, const op_arity& a, int n_in, int n_out) {
  std::vector<std::string> r;
  if (n_in < a.min_inputs || (a.max_inputs >= 0 && n_in > a.max_inputs))
    r.push_back(std::string(op) + " takes " + detail::count_range(a.min_inputs, a.max_inputs) + " operands, has " + std::to_string(n_in));
  if (n_out < a.min_outputs || (a.max_outputs >= 0 && n_out > a.max_outputs))
    r.push_back(std::string(op) + " produces " + detail::count_range(a.min_outputs, a.max_outputs) + " values, declares " +
                std::to_string(n_out));
  return r;
}

inline std::optional<op_arity> known_arity(std::string_view domain, std::string_view op) {
  struct entry {
    std::string_view op;
    op_arity a;
  };
  static constexpr entry onnx[] = {
      {"Add", {2, 2, 1, 1}}, {"Sub", {2, 2, 1, 1}}, {"Mul", {2, 2, 1, 1}}, {"Div", {2, 2, 1, 1}},
      {"Pow", {2, 2, 1, 1}}, {"Equal", {2, 2, 1, 1}}, {"Less", {2, 2, 1, 1}}, {"Greater", {2, 2, 1, 1}},
      {"And", {2, 2, 1, 1}}, {"Or", {2, 2, 1, 1}}, {"Where", {3, 3, 1, 1}},
      {"MatMul", {2, 2, 1, 1}}, {"Gemm", {2, 3, 1, 1}}, {"Conv", {2, 3, 1, 1}},
      {"ConvTranspose", {2, 3, 1, 1}}, {"Relu", {1, 1, 1, 1}}, {"LeakyRelu", {1, 1, 1, 1}},
      {"PRelu", {2, 2, 1, 1}}, {"Clip", {1, 3, 1, 1}}, {"Sigmoid", {1, 1, 1, 1}},
      {"HardSigmoid", {1, 1, 1, 1}}, {"HardSwish", {1, 1, 1, 1}}, {"Tanh", {1, 1, 1, 1}},
      {"Max", {1, -1, 1, 1}}, {"Min", {1, -1, 1, 1}}, {"Sum", {1, -1, 1, 1}}, {"Mean", {1, -1, 1, 1}},
      {"MaxPool", {1, 1, 1, 2}}, {"AveragePool", {1, 1, 1, 1}}, {"GlobalAveragePool", {1, 1, 1, 1}},
      {"GlobalMaxPool", {1, 1, 1, 1}}, {"Concat", {1, -1, 1, 1}}, {"Split", {1, 2, 1, -1}},
      {"Slice", {1, 5, 1, 1}}, {"Pad", {1, 4, 1, 1}}, {"Transpose", {1, 1, 1, 1}},
      {"Reshape", {2, 2, 1, 1}}, {"Flatten", {1, 1, 1, 1}}, {"Squeeze", {1, 2, 1, 1}},
      {"Unsqueeze", {1, 2, 1, 1}}, {"Expand", {2, 2, 1, 1}}, {"BatchNormalization", {5, 5, 1, 3}},
      {"Sign", {1, 1, 1, 1}}, {"Identity", {1, 1, 1, 1}}, {"Constant", {0, 0, 1, 1}},
      {"ConstantOfShape", {1, 1, 1, 1}}, {"Shape", {1, 1, 1, 1}}, {"Gather", {2, 2, 1, 1}},
      {"Resize", {1, 4, 1, 1}}, {"Upsample", {1, 2, 1, 1}}, {"TopK", {1, 2, 2, 2}},
      {"Softmax", {1, 1, 1, 1}}, {"Dropout", {1, 3, 1, 2}}, {"Cast", {1, 1, 1, 1}},
      {"Abs", {1, 1, 1, 1}}, {"Neg", {1, 1, 1, 1}}, {"Exp", {1, 1, 1, 1}}, {"Log", {1, 1, 1, 1}},
      {"Sqrt", {1, 1, 1, 1}}, {"Reciprocal", {1, 1, 1, 1}}, {"Floor", {1, 1, 1, 1}},
      {"Ceil", {1, 1, 1, 1}}, {"Round", {1, 1, 1, 1}}, {"Erf", {1, 1, 1, 1}},
      {"ReduceMean", {1, 2, 1, 1}}, {"ReduceMax", {1, 2, 1, 1}}, {"ReduceMin", {1, 2, 1, 1}},
      {"ReduceSum", {1, 2, 1, 1}}, {"QuantizeLinear", {2, 3, 1, 1}}, {"DequantizeLinear", {2, 3, 1, 1}},
  };
  static constexpr entry qonnx[] = {
      {"MultiThreshold", {2, 2, 1, 1}}, {"Quant", {4, 4, 1, 1}}, {"IntQuant", {4, 4, 1, 1}},
      {"BipolarQuant", {2, 2, 1, 1}}, {"Trunc", {5, 7, 1, 1}}, {"Im2Col", {1, 1, 1, 1}},
      {"MaxPoolNHWC", {1, 1, 1, 1}},
  };
  auto look = [&](const auto& table) -> std::optional<op_arity> {
    for (const auto& e : table)
      if (e.op == op) return e.a;
    return std::nullopt;
  };
  if (is_onnx_domain(domain)) return look(onnx);
  if (is_qonnx_domain(domain)) return look(qonnx);
  return std::nullopt;
}

// Whether `op` ignores operand `port` given its attributes, so that a dangling
// value there changes nothing: Resize's roi outside tf_crop_and_resize.
inline bool operand_ignored(std::string_view domain, std::string_view op, const attribute_map& attrs, std::size_t port) {
  if (!is_onnx_domain(domain)) return false;
  if (op == "Resize" && port == 1) {
    const auto mode = attrs.find("coordinate_transformation_mode");
    if (mode == attrs.end()) return true;
    const auto* s = std::get_if<std::string>(&mode->second);
    return !s || *s != "tf_crop_and_resize";
  }
  return false;
}

}  // namespace nnrewrite
