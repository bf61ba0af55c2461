// Local shape, data-type and layout inference: what one op's results are, from
// what its operands are. Rewrites create ops whose results they cannot always
// describe fully (a moved Mul's output type, a MultiThreshold whose scale became
// integral); the infer_value_info pattern recomputes them for the nodes the driver
// touched (add_value_info_inference), and infer_value_infos(g) runs the same rules
// once over a whole graph.
//
// Rules (QONNX's InferShapes / InferDataTypes / InferDataLayouts, restricted to
// ops whose semantics nnrewrite knows; other ops are left as they are):
//  - shapes: ONNX shape rules; a known declared dimension is kept, an unknown one
//    is filled in; a known dimension that disagrees is an error naming the node.
//  - data types: MatMul/Gemm/Conv of integer operands accumulate in INT32 (UINT32
//    when no operand is signed); MultiThreshold gives its out_dtype when out_scale
//    and out_bias are integral, else FLOAT32; Quant/BipolarQuant with unit scale
//    and zero offset give INTn/UINTn/BIPOLAR; Add/Sub/Mul of two integer operands
//    give INT32 (UINT32 for Add/Mul of unsigned ones); Split's parts and a Concat
//    of parts of one type keep it; shape-only ops (Reshape, Transpose,
//    MaxPool, ...) keep their input's type; everything else is FLOAT32.
//  - layouts: Transpose permutes its input's layout; ops that keep the shape keep
//    the layout; 4-D convolutions and pools are NCHW unless told otherwise; 2-D
//    results of MatMul/Gemm/Flatten/Reshape are NC.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "nnrewrite/detail/name_hash.hpp"
#include "nnrewrite/exec/kernels/conv.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/rewrite/pattern.hpp"

namespace nnrewrite {

namespace detail {

// What inference knows about an op type: class bits, and for the ops it treats
// one by one an id. One hash lookup per node; everything after it compares
// integers, not names (inference runs on every node a rewrite touches).
namespace op_bits {
inline constexpr unsigned shape_preserving = 1;  // results have the first operand's shape, element type and layout
inline constexpr unsigned broadcasting = 2;
inline constexpr unsigned comparison = 4;
inline constexpr unsigned data_type_keeping = 8;  // QONNX's "idempotent" data-type ops: they move or select values
inline constexpr unsigned mac = 16;
inline constexpr unsigned shaped = 32;  // the other ops whose result shapes inference computes
inline constexpr unsigned split = 64;   // Split: every part keeps the input's types and layout
inline constexpr unsigned qonnx = 128;  // a QONNX custom op (its domain is QONNX's, not ONNX's)
inline constexpr unsigned windowed = 256;  // Conv and the pools: NCHW results, a sliding window
}  // namespace op_bits
enum class op_id : std::uint8_t {
  other, Add, Sub, Mul, Cast, Where, MatMul, Gemm, Conv, MaxPool, AveragePool, MaxPoolNHWC, GlobalAveragePool,
  GlobalMaxPool, Transpose, Flatten, Reshape, Squeeze, Unsqueeze, Concat, TopK, MultiThreshold, Quant, BipolarQuant
};
struct op_class {
  unsigned bits = 0;
  op_id id = op_id::other;
};
inline op_class classify_op(std::string_view op) {
  using table_t = std::unordered_map<std::string_view, op_class, name_hash>;
  static const table_t table = [] {
    table_t t;
    const std::pair<std::string_view, op_id> ids[] = {
        {"Add", op_id::Add}, {"Sub", op_id::Sub}, {"Mul", op_id::Mul}, {"Cast", op_id::Cast}, {"Where", op_id::Where},
        {"MatMul", op_id::MatMul}, {"Gemm", op_id::Gemm}, {"Conv", op_id::Conv}, {"MaxPool", op_id::MaxPool},
        {"AveragePool", op_id::AveragePool}, {"MaxPoolNHWC", op_id::MaxPoolNHWC},
        {"GlobalAveragePool", op_id::GlobalAveragePool}, {"GlobalMaxPool", op_id::GlobalMaxPool},
        {"Transpose", op_id::Transpose}, {"Flatten", op_id::Flatten}, {"Reshape", op_id::Reshape},
        {"Squeeze", op_id::Squeeze}, {"Unsqueeze", op_id::Unsqueeze}, {"Concat", op_id::Concat}, {"TopK", op_id::TopK},
        {"MultiThreshold", op_id::MultiThreshold}, {"Quant", op_id::Quant}, {"BipolarQuant", op_id::BipolarQuant}};
    for (auto [name, id] : ids) t[name].id = id;
    auto mark = [&](unsigned bit, std::initializer_list<std::string_view> ops) {
      for (auto o : ops) t[o].bits |= bit;
    };
    mark(op_bits::shape_preserving, {"Identity", "Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Sqrt", "Exp", "Log", "Floor", "Ceil",
                            "Round", "Sign", "Erf", "LeakyRelu", "HardSigmoid", "HardSwish", "Selu", "Elu", "Softmax",
                            "LogSoftmax", "Clip", "Not", "Reciprocal", "Quant", "BipolarQuant", "Trunc",
                            "MultiThreshold", "BatchNormalization", "Dropout", "Cast", "Softplus", "Softsign", "Sin",
                            "Cos"});
    mark(op_bits::broadcasting, {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "And", "Or", "Xor", "Equal",
                        "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Where", "PRelu", "Mod", "BitShift"});
    mark(op_bits::comparison, {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not"});
    mark(op_bits::data_type_keeping, {"Identity", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "MaxPool", "Slice",
                             "Gather", "Concat", "Split", "Pad", "Expand", "Tile", "Resize", "Upsample",
                             "GlobalMaxPool", "DepthToSpace", "SpaceToDepth", "ReduceMax", "ReduceMin", "Im2Col",
                             "MaxPoolNHWC"});
    mark(op_bits::mac, {"MatMul", "Gemm", "Conv", "ConvTranspose"});
    mark(op_bits::split, {"Split"});
    mark(op_bits::shaped, {"Transpose", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Concat", "MaxPool", "AveragePool",
                           "GlobalAveragePool", "GlobalMaxPool", "TopK", "MaxPoolNHWC"});
    mark(op_bits::qonnx, {"MultiThreshold", "Quant", "BipolarQuant", "Trunc", "MaxPoolNHWC"});
    mark(op_bits::windowed, {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"});
    return t;
  }();
  const auto it = table.find(op);
  return it == table.end() ? op_class{} : it->second;
}

// numpy broadcasting on partly known dims; nullopt when unknown, throws when incompatible.
inline std::optional<dims> broadcast_dims(const std::optional<dims>& a, const std::optional<dims>& b) {
  if (!a || !b) return std::nullopt;
  const std::size_t n = std::max(a->size(), b->size());
  dims r(n);
  for (std::size_t i = 0; i < n; ++i) {
    const dim x = i < n - a->size() ? dim(1) : (*a)[i - (n - a->size())];
    const dim y = i < n - b->size() ? dim(1) : (*b)[i - (n - b->size())];
    if (x.known() && y.known()) {
      if (x.size != y.size && x.size != 1 && y.size != 1)
        throw shape_error("shapes " + to_string(*a) + " and " + to_string(*b) + " do not broadcast");
      r[i] = x.size == 1 ? y : x;
    } else if (x.known()) {
      r[i] = x.size == 1 ? y : x;
    } else if (y.known()) {
      r[i] = y.size == 1 ? x : y;
    } else {
      r[i] = x == y ? x : dim();
    }
  }
  return r;
}

// The executor's axis rule, for a rank held as a size.
inline std::int64_t normalize_axis(std::int64_t axis, std::size_t rank) {
  return nnrewrite::normalize_axis(axis, static_cast<std::int64_t>(rank));
}

// What inference says about one result; nullopt/empty parts say nothing.
struct inferred_value {
  std::optional<dims> shape;
  element_type elem = element_type::float32;
  std::optional<data_type> dtype;
  std::string layout;
  data_type qonnx_type_or_float() const { return dtype.value_or(data_type::float32()); }
};
// One per result; most ops have one, and inference runs often enough that the
// vector's allocation showed in profiles.
using inferred_values = boost::container::small_vector<inferred_value, 1>;

template <ir_graph G>
class op_inference {
 public:
  using V = vertex_t<G>;
  using T = ir_traits<G>;

  // cls: classify_op of v's op type.
  op_inference(const G& g, V v, op_class cls)
      : g_(g), v_(v), op_(T::op_type(g, v)), class_(cls), attrs_holder_(T::attributes(g, v)) {
    // Kept by value where the IR answers by value (see held_value_info). Read
    // straight from the in-edges: one allocation for the operands of a node.
    ops_.reserve(std::size_t(in_degree(v, g)));  // ports are usually 0..n-1
    for (auto [it, end] = in_edges(v, g); it != end; ++it) {
      const port_pair p = T::ports(g, *it);
      if (p.in_port < 0) continue;
      if (std::size_t(p.in_port) >= ops_.size()) ops_.resize(std::size_t(p.in_port) + 1);
      operand_info& o = ops_[std::size_t(p.in_port)];
      o.value.emplace(T::value(g, source(*it, g), p.out_port));
      o.constant = T::constant_value(g, source(*it, g));
    }
  }

  // Whether inference has rules for an op of this class.
  static bool knows(op_class cls) {
    return (cls.bits & (op_bits::shape_preserving | op_bits::broadcasting | op_bits::mac | op_bits::shaped | op_bits::split)) != 0;
  }

  // The op's results as inference sees them, or nullopt for an op it does not know.
  std::optional<inferred_values> run() const {
    if (!knows(class_) || !in(0)) return std::nullopt;
    const std::string_view domain = T::domain(g_, v_);
    if (!(has(op_bits::qonnx) ? is_qonnx_domain(domain) : is_onnx_domain(domain))) return std::nullopt;
    inferred_values r(std::size_t(T::num_outputs(g_, v_)));
    if (r.empty()) return std::nullopt;
    if (has(op_bits::split)) {
      // The parts' shapes are as declared; each keeps the input's types, and its
      // layout when the rank is the input's.
      for (std::size_t p = 0; p < r.size(); ++p) {
        const value_info& part = T::value(g_, v_, int(p));
        r[p].elem = in(0)->elem;
        r[p].dtype = in(0)->dtype;
        if (part.shape && in(0)->shape && part.shape->size() == in(0)->shape->size()) r[p].layout = in(0)->layout;
      }
      return r;
    }
    r[0].shape = shape();
    r[0].elem = elem();
    r[0].dtype = dtype();
    r[0].layout = layout(r[0].shape);
    for (std::size_t p = 1; p < r.size(); ++p) r[p].elem = T::value(g_, v_, int(p)).elem;  // said nothing about
    if (is(op_id::TopK) && r.size() == 2) {
      // r.back(), not r[1]: GCC 12 -O2 warns (-Warray-bounds) on r[1] for IRs whose
      // ops have one result, though the size test guards it.
      inferred_value& indices = r.back();
      indices.shape = r.front().shape;
      indices.elem = element_type::int64;
    }
    return r;
  }

 private:
  bool has(unsigned op_bit) const { return (class_.bits & op_bit) != 0; }
  bool is(op_id id) const { return class_.id == id; }
  const value_info* in(std::size_t i) const { return i < ops_.size() && ops_[i].value ? &**ops_[i].value : nullptr; }
  const tensor* constant(std::size_t i) const { return i < ops_.size() && ops_[i].constant ? &*ops_[i].constant : nullptr; }
  const std::optional<dims>& in_shape(std::size_t i) const {
    static const std::optional<dims> none;
    return in(i) ? in(i)->shape : none;
  }
  std::int64_t attr_int(std::string_view name, std::int64_t fallback) const { return attribute_or(attrs_, name, fallback); }
  std::vector<std::int64_t> attr_ints(std::string_view name) const {
    return attribute_or(attrs_, name, std::vector<std::int64_t>{});
  }
  std::vector<std::int64_t> constant_ints(std::size_t i) const {
    std::vector<std::int64_t> r;
    const tensor* t = constant(i);
    for (std::int64_t k = 0; t && k < t->size(); ++k) r.push_back(static_cast<std::int64_t>(t->get_int(k)));
    return r;
  }

  // ---- shapes
  std::optional<dims> shape() const {
    const auto& x = in_shape(0);
    if (has(op_bits::shape_preserving)) return x;
    if (has(op_bits::broadcasting)) {
      std::optional<dims> r;
      const std::optional<dims>* acc = &x;  // no copy of x until a second operand is met
      for (std::size_t i = 1; i < ops_.size(); ++i)
        if (in(i)) {
          r = broadcast_dims(*acc, in(i)->shape);
          acc = &r;
        }
      if (acc == &x) return x;
      return r;
    }
    if (is(op_id::MatMul)) return matmul(x, in_shape(1));
    if (is(op_id::Gemm)) return gemm(x, in_shape(1));
    if (is(op_id::Conv) || is(op_id::MaxPool) || is(op_id::AveragePool)) return window(x);
    if (is(op_id::MaxPoolNHWC)) {  // the window over H and W of (N, H, W, C)
      if (!x || x->size() != 4) return std::nullopt;
      const auto r = window(dims{(*x)[0], (*x)[3], (*x)[1], (*x)[2]});
      if (!r) return std::nullopt;
      return dims{(*r)[0], (*r)[2], (*r)[3], (*r)[1]};
    }
    if (!x) return std::nullopt;
    if (is(op_id::GlobalAveragePool) || is(op_id::GlobalMaxPool)) {
      dims r = *x;
      for (std::size_t d = 2; d < r.size(); ++d) r[d] = 1;
      return r;
    }
    if (is(op_id::Transpose)) {
      auto perm = attr_ints("perm");
      if (perm.empty())
        for (std::size_t d = x->size(); d-- > 0;) perm.push_back(std::int64_t(d));
      if (perm.size() != x->size()) throw shape_error("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(x->size()));
      dims r;
      for (auto p : perm) r.push_back((*x)[std::size_t(normalize_axis(p, x->size()))]);
      return r;
    }
    if (is(op_id::Flatten)) {
      const auto axis = std::size_t(normalize_axis(attr_int("axis", 1), x->size() + 1));
      return dims{product(*x, 0, axis), product(*x, axis, x->size())};
    }
    if (is(op_id::Reshape)) return reshape(*x);
    if (is(op_id::Squeeze) || is(op_id::Unsqueeze)) return squeeze(*x, is(op_id::Unsqueeze));
    if (is(op_id::Concat)) return concat();
    if (is(op_id::TopK)) {
      const auto k = constant_ints(1);
      if (k.size() != 1) return std::nullopt;
      dims r = *x;
      r[std::size_t(normalize_axis(attr_int("axis", -1), r.size()))] = k[0];
      return r;
    }
    return std::nullopt;
  }

  static dim product(const dims& d, std::size_t from, std::size_t to) {
    if (to == from + 1) return d[from];  // keeps a symbolic name
    std::int64_t p = 1;
    for (std::size_t i = from; i < to; ++i) {
      if (!d[i].known()) return dim();
      p *= d[i].size;
    }
    return p;
  }

  static std::optional<dims> matmul(const std::optional<dims>& a0, const std::optional<dims>& b0) {
    if (!a0 || !b0 || a0->empty() || b0->empty()) return std::nullopt;
    if (a0->size() == 2 && b0->size() == 2) {  // the common case, without copies
      const dim &k1 = (*a0)[1], &k2 = (*b0)[0];
      if (k1.known() && k2.known() && k1.size != k2.size)
        throw shape_error("MatMul of " + to_string(*a0) + " and " + to_string(*b0) + ": inner dimensions differ");
      return dims{(*a0)[0], (*b0)[1]};
    }
    std::optional<dims> a = a0, b = b0;
    const bool a1 = a->size() == 1, b1 = b->size() == 1;
    if (a1) a->insert(a->begin(), dim(1));
    if (b1) b->push_back(dim(1));
    const dim k1 = a->back(), k2 = (*b)[b->size() - 2];
    if (k1.known() && k2.known() && k1.size != k2.size)
      throw shape_error("MatMul of " + to_string(*a) + " and " + to_string(*b) + ": inner dimensions differ");
    auto batch = broadcast_dims(dims(a->begin(), a->end() - 2), dims(b->begin(), b->end() - 2));
    dims r = *batch;
    if (!a1) r.push_back((*a)[a->size() - 2]);
    if (!b1) r.push_back(b->back());
    return r;
  }

  std::optional<dims> gemm(const std::optional<dims>& a, const std::optional<dims>& b) const {
    if (!a || !b || a->size() != 2 || b->size() != 2) return std::nullopt;
    const dim m = attr_int("transA", 0) ? (*a)[1] : (*a)[0];
    const dim n = attr_int("transB", 0) ? (*b)[0] : (*b)[1];
    return dims{m, n};
  }

  // Conv and pooling: the executor's own window arithmetic, when the spatial sizes are known.
  std::optional<dims> window(const std::optional<dims>& x) const {
    if (!x || x->size() < 3) return std::nullopt;
    shape_t spatial_in{1, 1};
    for (std::size_t d = 2; d < x->size(); ++d) {
      if (!(*x)[d].known()) return std::nullopt;
      spatial_in.push_back((*x)[d].size);
    }
    shape_t kernel;
    dim channels = (*x)[1];
    if (is(op_id::Conv)) {
      const auto& w = in_shape(1);
      if (!w || w->size() != x->size()) return std::nullopt;
      for (std::size_t d = 2; d < w->size(); ++d) {
        if (!(*w)[d].known()) return std::nullopt;
        kernel.push_back((*w)[d].size);
      }
      channels = (*w)[0];
    } else {
      kernel = attr_ints("kernel_shape");
      if (kernel.size() != x->size() - 2) return std::nullopt;
    }
    exec::kernel_context ctx{op_, "", attrs_, {}, 1, 0};
    const auto w = exec::kernels::detail::sliding_window(ctx, spatial_in, kernel, attr_int("ceil_mode", 0) != 0);
    dims r{(*x)[0], channels};
    for (auto o : w.out) r.push_back(o);
    return r;
  }

  std::optional<dims> reshape(const dims& x) const {
    auto target = constant_ints(1);
    if (!constant(1)) return std::nullopt;
    const bool allow_zero = attr_int("allowzero", 0) != 0;
    dims r;
    int infer_at = -1;
    for (std::size_t i = 0; i < target.size(); ++i) {
      if (target[i] == 0 && !allow_zero) {
        if (i >= x.size()) throw shape_error("Reshape copies dimension " + std::to_string(i) + " of a rank-" + std::to_string(x.size()) + " input");
        r.push_back(x[i]);
      } else if (target[i] == -1) {
        if (infer_at >= 0) throw shape_error("Reshape target has more than one -1");
        infer_at = int(i);
        r.push_back(dim());
      } else {
        r.push_back(target[i]);
      }
    }
    if (infer_at >= 0) {
      const dim total = product(x, 0, x.size());
      std::int64_t rest = 1;
      bool rest_known = true;
      for (std::size_t i = 0; i < r.size(); ++i)
        if (int(i) != infer_at) {
          if (!r[i].known()) rest_known = false;
          else rest *= r[i].size;
        }
      if (total.known() && rest_known && rest > 0) {
        if (total.size % rest != 0)
          throw shape_error("cannot reshape " + to_string(x) + " to " + to_string(r) + ": sizes do not divide");
        r[std::size_t(infer_at)] = total.size / rest;
      }
    }
    return r;
  }

  std::optional<dims> squeeze(const dims& x, bool unsqueeze) const {
    auto axes = attr_ints("axes");
    if (axes.empty() && constant(1)) axes = constant_ints(1);
    if (axes.empty() && in(1)) return std::nullopt;  // axes computed at run time
    if (unsqueeze) {
      const std::size_t rank = x.size() + axes.size();
      std::vector<bool> inserted(rank, false);
      for (auto a : axes) inserted[std::size_t(normalize_axis(a, rank))] = true;
      dims r;
      std::size_t k = 0;
      for (std::size_t d = 0; d < rank; ++d) r.push_back(inserted[d] ? dim(1) : x[k++]);
      return r;
    }
    std::vector<bool> removed(x.size(), false);
    if (axes.empty()) {
      for (std::size_t d = 0; d < x.size(); ++d) {
        if (!x[d].known()) return std::nullopt;
        removed[d] = x[d].size == 1;
      }
    }
    for (auto a : axes) removed[std::size_t(normalize_axis(a, x.size()))] = true;
    dims r;
    for (std::size_t d = 0; d < x.size(); ++d)
      if (!removed[d]) r.push_back(x[d]);
    return r;
  }

  std::optional<dims> concat() const {
    std::optional<dims> r;
    std::size_t axis = 0;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (!in(i) || !in(i)->shape) return std::nullopt;
      const dims& d = *in(i)->shape;
      if (!r) {
        r = d;
        axis = std::size_t(normalize_axis(attr_int("axis", 0), d.size()));
        continue;
      }
      if (d.size() != r->size()) throw shape_error("Concat of ranks " + std::to_string(r->size()) + " and " + std::to_string(d.size()));
      dim& a = (*r)[axis];
      a = a.known() && d[axis].known() ? dim(a.size + d[axis].size) : dim();
    }
    return r;
  }

  // ---- element types
  element_type elem() const {
    if (is(op_id::Cast)) return element_type_from_onnx_code(attr_int("to", 1)).value_or(T::value(g_, v_, 0).elem);
    if (has(op_bits::comparison)) return element_type::boolean;
    if (is(op_id::MultiThreshold)) return element_type::float32;
    if (is(op_id::Where) && in(1)) return in(1)->elem;
    return in(0)->elem;
  }

  // ---- QONNX data types (nullopt: unannotated, i.e. FLOAT32)
  std::optional<data_type> dtype() const {
    if (is(op_id::Concat)) {
      // One data type only when every part has it.
      for (std::size_t i = 1; i < ops_.size(); ++i)
        if (!in(i) || !(in(i)->qonnx_type() == in(0)->qonnx_type())) return std::nullopt;
      return in(0)->dtype;
    }
    if (has(op_bits::data_type_keeping)) return in(0)->dtype;
    if (has(op_bits::mac)) {
      bool all_integer = true, any_signed = false;
      for (std::size_t i = 0; i < std::min<std::size_t>(ops_.size(), 2); ++i) {
        const data_type t = in(i) ? in(i)->qonnx_type() : data_type::float32();
        all_integer = all_integer && t.is_integer();
        any_signed = any_signed || t.is_signed();
      }
      // A bias (Gemm, Conv operand 2) must be integral too.
      if (ops_.size() > 2 && in(2)) all_integer = all_integer && in(2)->qonnx_type().is_integer();
      if (all_integer) return any_signed ? data_type::int_(32) : data_type::uint(32);
      return std::nullopt;
    }
    if (is(op_id::MultiThreshold)) {
      const double scale = attribute_or(attrs_, "out_scale", 1.0), bias = attribute_or(attrs_, "out_bias", 0.0);
      const std::string* out = find_attribute<std::string>(attrs_, "out_dtype");
      if (scale == std::round(scale) && bias == std::round(bias) && out && !out->empty()) {
        if (auto t = data_type::try_parse(*out); t && !(*t == data_type::float32())) return t;
      }
      return std::nullopt;
    }
    if (is(op_id::Quant) || is(op_id::BipolarQuant)) return quant_type();
    // Integer arithmetic stays integer (a residual join adding two integer
    // branches): INT32, or UINT32 for an Add/Mul of unsigned operands.
    if ((is(op_id::Add) || is(op_id::Sub) || is(op_id::Mul)) && ops_.size() == 2 && in(0) && in(1)) {
      const data_type a = in(0)->qonnx_type(), b = in(1)->qonnx_type();
      if (a.is_integer() && b.is_integer())
        return is(op_id::Sub) || a.is_signed() || b.is_signed() ? data_type::int_(32) : data_type::uint(32);
    }
    return std::nullopt;
  }

  static bool all_equal(const tensor* t, double v) {
    if (!t) return false;
    for (std::int64_t i = 0; i < t->size(); ++i)
      if (t->get(i) != v) return false;
    return true;
  }

  // Quant(x, scale, zeropt, bitwidth) with scale 1 and zero point 0 gives integers.
  std::optional<data_type> quant_type() const {
    if (!all_equal(constant(1), 1.0)) return std::nullopt;
    if (is(op_id::BipolarQuant)) return data_type::bipolar();
    if (!all_equal(constant(2), 0.0) || !constant(3) || constant(3)->size() != 1) return std::nullopt;
    const double bits = constant(3)->get(0);
    if (bits != std::round(bits) || bits < 1 || bits > 64) return std::nullopt;
    const int b = int(bits);
    if (attr_int("signed", 1) != 0) return b == 1 ? std::nullopt : std::optional(data_type::int_(b));
    return b == 1 ? data_type::binary() : data_type::uint(b);
  }

  // ---- layouts ("" where nothing can be said)
  std::string layout(const std::optional<dims>& result) const {
    const std::string& x = in(0)->layout;
    const std::size_t rank = result ? result->size() : 0;
    if (is(op_id::Transpose)) {
      auto perm = attr_ints("perm");
      if (x.empty() || perm.size() != x.size()) return {};
      std::string r;
      for (auto p : perm) r += x[std::size_t(normalize_axis(p, x.size()))];
      return r;
    }
    if (has(op_bits::windowed))
      return !x.empty() ? x : rank == 4 ? "NCHW" : "";
    if (is(op_id::MaxPoolNHWC)) return rank == 4 ? "NHWC" : "";
    if (rank == 2 && (is(op_id::MatMul) || is(op_id::Gemm) || is(op_id::Flatten) || is(op_id::Reshape))) return "NC";
    if (has(op_bits::shape_preserving) || has(op_bits::broadcasting) || has(op_bits::data_type_keeping)) {
      // The layout of an operand that has the result's rank.
      for (std::size_t k = 0; k < ops_.size(); ++k)
        if (const value_info* i = in(k); i && !i->layout.empty() && i->shape && result && i->shape->size() == rank)
          return i->layout;
    }
    return {};
  }

  const G& g_;
  V v_;
  std::string op_;
  op_class class_;  // looked up once
  held_attributes<G> attrs_holder_;
  const attribute_map& attrs_ = *attrs_holder_;
  struct operand_info {
    std::optional<held_value_info<G>> value;
    constant_handle_t<G> constant{};
  };
  boost::container::small_vector<operand_info, 4> ops_;  // no allocation for the usual arity
};

// Whether the inferred shape adds to the declared one (fills in a rank or a
// dimension); throws when a known dimension disagrees.
template <class Describe>
bool adds_to(const std::optional<dims>& declared, const std::optional<dims>& inferred, Describe node, const std::string& value) {
  if (!inferred) return false;
  if (!declared) return true;
  auto conflict = [&] {
    return shape_error("node '" + node() + "': '" + value + "' is declared " + to_string(*declared) + ", its operands give " +
                       to_string(*inferred));
  };
  if (declared->size() != inferred->size()) throw conflict();
  bool adds = false;
  for (std::size_t i = 0; i < declared->size(); ++i) {
    const dim& d = (*declared)[i];
    const dim& n = (*inferred)[i];
    if (d.known() && n.known() && d.size != n.size) throw conflict();
    adds = adds || (!d.known() && n.known());
  }
  return adds;
}

// The declared value updated with what inference adds, or nullopt when it adds nothing.
template <ir_graph G>
std::optional<value_info> refreshed(const G& g, vertex_t<G> v, int port, inferred_value r) {
  const value_info& declared = ir_traits<G>::value(g, v, port);
  if (r.elem != declared.elem)
    throw type_error("node '" + describe(g, v) + "': '" + declared.name + "' is declared " + std::string(to_string(declared.elem)) +
                     ", its operands give " + std::string(to_string(r.elem)));
  const bool shape = adds_to(declared.shape, r.shape, [&] { return describe(g, v); }, declared.name);
  const bool dtype = !(r.qonnx_type_or_float() == declared.qonnx_type());  // unannotated means FLOAT32
  const bool layout = !r.layout.empty() && r.layout != declared.layout;
  if (!shape && !dtype && !layout) return std::nullopt;
  value_info out = declared;
  if (shape) {
    if (!out.shape) out.shape = r.shape;
    else
      for (std::size_t i = 0; i < out.shape->size(); ++i)
        if (!(*out.shape)[i].known() && (*r.shape)[i].known()) (*out.shape)[i] = (*r.shape)[i];
  }
  if (dtype) out.dtype = r.dtype;
  if (layout) out.layout = std::move(r.layout);
  return out;
}

template <ir_graph G>
std::optional<inferred_values> run_inference(const G& g, vertex_t<G> v) {
  // Unknown ops are common (rewrites touch constants and custom ops): no operand walk for them.
  const op_class cls = classify_op(ir_traits<G>::op_type(g, v));
  if (!op_inference<G>::knows(cls)) return std::nullopt;
  try {
    return op_inference<G>(g, v, cls).run();
  } catch (const shape_error& e) {
    throw shape_error("node '" + describe(g, v) + "': " + e.what());
  }
}

}  // namespace detail

// What op v's results should be described as, or nullopt for an op the rules do
// not cover. Throws shape_error/type_error (naming v) when the declared results
// contradict the operands.
template <ir_graph G>
std::optional<std::vector<value_info>> infer_results(const G& g, vertex_t<G> v) {
  using T = ir_traits<G>;
  auto inferred = detail::run_inference(g, v);
  if (!inferred) return std::nullopt;
  std::vector<value_info> r;
  for (int p = 0; p < int(inferred->size()); ++p) {
    auto updated = detail::refreshed(g, v, p, std::move((*inferred)[std::size_t(p)]));
    r.push_back(updated ? std::move(*updated) : T::value(g, v, p));
  }
  return r;
}

// Brings op v's result descriptions up to date; true when something changed.
template <ir_graph G>
bool update_results(rewriter<G>& rw, vertex_t<G> v) {
  auto inferred = detail::run_inference(rw.graph(), v);
  if (!inferred) return false;
  bool changed = false;
  for (int p = 0; p < int(inferred->size()); ++p)
    if (auto updated = detail::refreshed(rw.graph(), v, p, std::move((*inferred)[std::size_t(p)]))) {
      rw.set_value_info(v, p, std::move(*updated));
      changed = true;
    }
  return changed;
}

// The pattern form: tried on every op the driver pops (so on the whole graph in
// the first sweep), lowest benefit, after the other patterns of a set.
template <ir_graph G>
class infer_value_info final : public rewrite_pattern<G> {
 public:
  infer_value_info() : rewrite_pattern<G>("InferValueInfo", "", 0) {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    if (update_results(rw, v)) return success();
    return failure("its result descriptions are up to date (or its op has no inference rule)");
  }
};

// The hook form (the one the cleanup set uses): only the nodes a rewrite touched,
// and whatever their updated descriptions touch in turn, are re-inferred.
template <ir_graph G>
void add_value_info_inference(pattern_set<G>& set) {
  set.add_touched_hook("InferValueInfo", [](vertex_t<G> v, rewriter<G>& rw) { return update_results(rw, v); });
}

// One walk in topological order over a whole graph (each op after its operands'
// producers, so one walk reaches the fixpoint); returns the number of ops whose
// result descriptions changed. On an error (naming the node) g is left as it was.
template <ir_graph G>
std::size_t infer_value_infos(G& g) {
  using T = ir_traits<G>;
  rewriter<G> rw(g);
  std::size_t changed = 0;
  try {
    for (auto v : topological_order(g))
      if (T::kind(g, v) == node_kind::op) changed += update_results(rw, v);
  } catch (...) {
    rw.rollback(0);
    throw;
  }
  rw.commit();
  return changed;
}

// Gives symbolic dimensions of the graph inputs a size (ONNX dim_param "height"
// becomes 48: what `nnrewrite run --dim height=48` does), then infers what follows
// from them in one walk. Random inputs and calibration of image models need it:
// every symbolic dim set to 1 makes a 1x1 image. A name no input dimension
// carries, or a size below 1, is an error; so is a shape the new sizes contradict
// (naming the node), and then g is left as it was.
template <ir_graph G>
void bind_input_dims(G& g, const std::map<std::string, std::int64_t, std::less<>>& sizes) {
  using T = ir_traits<G>;
  if (sizes.empty()) return;
  for (const auto& [name, size] : sizes)
    if (size < 1) throw error("dimension '" + name + "' = " + std::to_string(size) + ": a size must be at least 1");
  std::map<std::string, bool, std::less<>> used;
  rewriter<G> rw(g);
  const std::size_t cp = rw.checkpoint();
  try {
    for (auto in : T::graph_inputs(g)) {
      value_info info = T::value(g, in, 0);
      if (!info.shape) continue;
      bool changed = false;
      for (dim& d : *info.shape)
        if (const auto it = sizes.find(d.param); !d.known() && it != sizes.end()) {
          used[it->first] = true;
          d = dim(it->second);
          changed = true;
        }
      if (changed) rw.set_value_info(in, 0, std::move(info));
    }
    for (const auto& [name, size] : sizes)
      if (!used.contains(name)) throw error("no graph input has a dimension named '" + name + "'");
    for (auto v : topological_order(g))
      if (T::kind(g, v) == node_kind::op) (void)update_results(rw, v);
  } catch (...) {
    rw.rollback(cp);
    throw;
  }
  rw.commit();
}

}  // namespace nnrewrite
