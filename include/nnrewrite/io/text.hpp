// The canonical text format: a printer and a parser that round-trip every graph
// nnrewrite::model can hold (constants exactly, attributes, data types, layouts,
// model-level facts). Grammar and examples: docs/text-format.md.
//
//   graph tfc {
//     opset "" 13
//     input %x: float32[1,784] !UINT8 @NC
//     const %w: float32[784,64] !BIPOLAR = [1, -1, ...]
//     node mm0: MatMul(%x, %w) -> %y: float32[1,64] !INT32 @NC
//     output %y
//   }
//
// Printing is deterministic: inputs in graph order, then every op and constant in
// a post-order walk from the graph outputs (operands in port order), then nodes
// that reach no output (walked from them in the order of their result names), then
// the outputs. Two graphs that differ only in how they
// were built print the same.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nnrewrite/detail/half.hpp"
#include "nnrewrite/detail/per_vertex.hpp"
#include "nnrewrite/io/detail/scanner.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite {

struct text_options {
  // Constants with more elements are printed as `elided` (readable, but the text
  // then no longer parses back). The default keeps every constant.
  std::size_t max_constant_elements = std::numeric_limits<std::size_t>::max();
  std::size_t values_per_line = 16;
};

namespace detail {

template <class T>
std::string number_text(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    if (v != v) return "nan";
    if (v == std::numeric_limits<T>::infinity()) return "inf";
    if (v == -std::numeric_limits<T>::infinity()) return "-inf";
  }
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
  return std::string(buf, p);
}

// A float that reads back as a float (and not as an int): 2 -> "2.0".
inline std::string float_text(double v) {
  std::string s = number_text(v);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";
  return s;
}

inline std::string dims_text(const dims& d) {
  std::string r = "[";
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i) r += ",";
    if (d[i].known()) r += std::to_string(d[i].size);
    else if (d[i].param.empty()) r += "?";
    // A bare token starting with a digit would read back as a number ("123", "7e").
    else {
      // Bare only where the parser reads a bare dimension: a letter or '_' first.
      const char first = d[i].param[0];
      const bool bare = (std::isalpha(static_cast<unsigned char>(first)) || first == '_') && is_bare(d[i].param.view());
      r += bare ? d[i].param.str() : quote(d[i].param.view());
    }
  }
  return r + "]";
}

inline std::string annotations_text(const value_info& v) {
  std::string r;
  if (v.dtype) r += " !" + v.dtype->name();
  if (!v.layout.empty()) r += " @" + name_token(v.layout.view());
  return r;
}

inline std::string value_text(std::string_view name) {
  std::string r(1, '%');  // appended, not "%" + ...: GCC 12 -O3 warns falsely (-Wrestrict) on that
  r += is_bare(name) ? std::string(name) : quote(name);
  return r;
}

// "Relu", "qonnx.custom_op.general.MultiThreshold"; an op type that is not a plain
// identifier (it holds a '.', say) is quoted, so that the split between domain and
// op type reads back the same: "Re.lu", my.ops."Re.lu".
inline std::string op_text(std::string_view domain, std::string_view op) {
  const bool plain = is_bare(op) && op.find('.') == std::string_view::npos;
  std::string r = domain.empty() ? std::string() : name_token(domain) + ".";
  return r + (plain ? std::string(op) : quote(op));
}

inline std::string value_decl_text(const value_info& v) {
  std::string r = value_text(v.name) + ": " + std::string(to_string(v.elem));
  if (v.shape) r += dims_text(*v.shape);
  return r + annotations_text(v);
}

inline std::string tensor_data_text(const tensor& t, const text_options& opt, std::string_view indent) {
  if (static_cast<std::size_t>(t.size()) > opt.max_constant_elements) return "elided";
  return std::visit([&](const auto& a) -> std::string {
    if (a.size() >= 2) {
      bool same = true;
      for (Eigen::Index i = 1; i < a.size() && same; ++i) same = number_text(a[i]) == number_text(a[0]);
      if (same) return "splat " + (t.type() == element_type::uint64 ? number_text(std::uint64_t(a[0])) : number_text(a[0]));
    }
    // uint64 lives in int64 storage: print its bits as the unsigned value they are.
    auto text = [&](auto v) {
      if constexpr (std::is_same_v<decltype(v), std::int64_t>)
        if (t.type() == element_type::uint64) return number_text(std::uint64_t(v));
      return number_text(v);
    };
    std::string r = "[";
    for (Eigen::Index i = 0; i < a.size(); ++i) {
      if (i) r += (opt.values_per_line && i % Eigen::Index(opt.values_per_line) == 0) ? ",\n" + std::string(indent) : ", ";
      r += text(a[i]);
    }
    return r + "]";
  }, t.data());
}

inline std::string tensor_literal_text(const tensor& t, const text_options& opt, std::string_view indent) {
  return std::string(to_string(t.type())) + to_string(t.shape()) + " " + tensor_data_text(t, opt, indent);
}

inline std::string attribute_text(const attribute& a, const text_options& opt) {
  return std::visit([&](const auto& x) -> std::string {
    using X = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<X, std::int64_t>) return std::to_string(x);
    else if constexpr (std::is_same_v<X, double>) return float_text(x);
    else if constexpr (std::is_same_v<X, std::string>) return quote(x);
    else if constexpr (std::is_same_v<X, tensor>) return "tensor " + tensor_literal_text(x, opt, "      ");
    else {
      std::string prefix = std::is_same_v<X, std::vector<std::int64_t>> ? "ints"
                           : std::is_same_v<X, std::vector<double>>     ? "floats"
                                                                        : "strings";
      if (x.empty()) return prefix + "[]";
      std::string r = "[";
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (i) r += ", ";
        if constexpr (std::is_same_v<X, std::vector<std::int64_t>>) r += std::to_string(x[i]);
        else if constexpr (std::is_same_v<X, std::vector<double>>) r += float_text(x[i]);
        else r += quote(x[i]);
      }
      return r + "]";
    }
  }, a);
}

// Ops and constants in canonical order (see the header comment).
template <ir_graph G>
std::vector<vertex_t<G>> canonical_order(const G& g) {
  using T = ir_traits<G>;
  using V = vertex_t<G>;
  detail::per_vertex<G, bool> done(g);  // present once emitted (or being visited)
  std::vector<V> order;
  auto visit = [&](V root) {
    if (done[root]) return;
    // Iterative post-order: (vertex, its operands, next operand index).
    struct frame {
      V v;
      std::vector<std::optional<value_ref<V>>> ops;
      std::size_t next = 0;
    };
    std::vector<frame> stack;
    done[root] = true;
    stack.push_back({root, operands(g, root)});
    while (!stack.empty()) {
      frame& f = stack.back();
      if (f.next < f.ops.size()) {
        auto o = f.ops[f.next++];
        if (o && !done[o->node]) {
          done[o->node] = true;
          V u = o->node;
          stack.push_back({u, operands(g, u)});
        }
        continue;
      }
      const node_kind k = T::kind(g, f.v);
      if (k == node_kind::op || k == node_kind::constant) order.push_back(f.v);
      stack.pop_back();
    }
  };
  for (V in : T::graph_inputs(g)) done[in] = true;
  for (V out : T::graph_outputs(g)) visit(out);
  // What reaches no output is walked from its vertices in the order of their
  // first result's name, so that the order does not depend on how the graph was
  // built (a cycle would otherwise print rotated after each round trip).
  // Names are copied: an IR may return its values and names by value.
  std::vector<std::pair<std::string, V>> rest;
  for (auto [it, end] = vertices(g); it != end; ++it) {
    node_kind k = T::kind(g, *it);
    if ((k == node_kind::op || k == node_kind::constant) && !done[*it])
      rest.emplace_back(T::num_outputs(g, *it) > 0 ? std::string(T::value(g, *it, 0).name) : std::string(T::name(g, *it)), *it);
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& r : rest) visit(r.second);
  return order;
}

}  // namespace detail

template <ir_graph G>
void write_text(std::ostream& os, const G& g, const text_options& opt = {}) {
  using T = ir_traits<G>;
  using namespace detail;
  if constexpr (requires { g.info; }) {
    const model_info& m = g.info;
    os << "graph" << (m.graph_name.empty() ? "" : " " + name_token(m.graph_name)) << " {\n";
    if (m.ir_version) os << "  ir_version " << m.ir_version << "\n";
    for (const auto& [d, v] : m.opsets) os << "  opset " << quote(d) << " " << v << "\n";
    if (!m.producer_name.empty() || !m.producer_version.empty())
      os << "  producer " << quote(m.producer_name) << " " << quote(m.producer_version) << "\n";
    if (!m.domain.empty()) os << "  domain " << quote(m.domain) << "\n";
    if (m.model_version) os << "  model_version " << m.model_version << "\n";
    if (!m.doc_string.empty()) os << "  doc " << quote(m.doc_string) << "\n";
    if (!m.graph_doc_string.empty()) os << "  graph_doc " << quote(m.graph_doc_string) << "\n";
    for (const auto& [k, v] : m.metadata) os << "  meta " << quote(k) << " " << quote(v) << "\n";
    for (const auto& n : m.initializer_inputs) os << "  input_initializer " << quote(n) << "\n";
  } else {
    os << "graph {\n";
  }
  for (auto in : T::graph_inputs(g)) os << "  input " << value_decl_text(T::value(g, in, 0)) << "\n";
  for (auto v : canonical_order(g)) {
    if (T::kind(g, v) == node_kind::constant) {
      const value_info& info = T::value(g, v, 0);
      const auto t = T::constant_value(g, v);
      os << "  const " << value_text(info.name) << ": " << to_string(t->type()) << to_string(t->shape())
         << annotations_text(info) << " = " << tensor_data_text(*t, opt, "      ") << "\n";
      continue;
    }
    os << "  node ";
    std::string_view nm = T::name(g, v);
    if (!nm.empty()) os << name_token(nm) << ": ";
    std::string_view dom = T::domain(g, v);
    os << op_text(dom, T::op_type(g, v)) << "(";
    auto ops = operands(g, v);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (i) os << ", ";
      if (!ops[i]) os << "_";
      else if (ops[i]->port < T::num_outputs(g, ops[i]->node)) os << value_text(T::value(g, ops[i]->node, ops[i]->port).name);
      else os << value_text("<dangling: " + describe(g, ops[i]->node) + " has no output " + std::to_string(ops[i]->port) + ">");
    }
    os << ")";
    const attribute_map& attrs = T::attributes(g, v);
    if (!attrs.empty()) {
      os << " {";
      bool first = true;
      for (const auto& [k, a] : attrs) {
        os << (first ? "" : ", ") << name_token(k) << " = " << attribute_text(a, opt);
        first = false;
      }
      os << "}";
    }
    if constexpr (requires { g[v].doc_string; }) {
      const std::string& doc = g[v].doc_string;  // a std::string, or reads as one
      if (!doc.empty()) os << " doc " << quote(doc);
    }
    const int n = T::num_outputs(g, v);
    for (int p = 0; p < n; ++p) os << (p ? ", " : " -> ") << value_decl_text(T::value(g, v, p));
    os << "\n";
  }
  for (auto out : T::graph_outputs(g)) {
    auto o = operand(g, out, 0);
    std::string oname(T::name(g, out));
    std::string vname = !o ? oname
                        : o->port < T::num_outputs(g, o->node) ? std::string(T::value(g, o->node, o->port).name)
                                                               : "<dangling>";
    os << "  output " << value_text(vname);
    if (oname != vname) os << " as " << name_token(oname);
    os << "\n";
  }
  os << "}\n";
}

template <ir_graph G>
std::string to_text(const G& g, const text_options& opt = {}) {
  std::ostringstream os;
  write_text(os, g, opt);
  return os.str();
}

namespace detail {

template <ir_graph G>
class text_parser {
 public:
  using T = ir_traits<G>;
  using V = vertex_t<G>;

  text_parser(std::string_view text, G& g) : s_(text), g_(g) {}

  void parse() {
    if (!s_.consume_word("graph")) s_.fail("expected 'graph' at the start, found " + s_.found());
    if (s_.peek() == '"' || detail::is_bare_char(s_.peek())) {
      std::string name = s_.name("a graph name");
      if constexpr (requires { g_.info; }) g_.info.graph_name = name;
    }
    s_.expect("{", "to open the graph");
    while (!s_.consume("}")) {
      if (s_.at_end()) s_.fail("expected '}' to close the graph, found end of input");
      item();
    }
    if (!s_.at_end()) s_.fail("unexpected text after the graph: " + s_.found());
    link();
  }

 private:
  struct pending_use {
    V user;
    int in_port;
    std::string value;
    detail::scanner::position at;
  };

  void item() {
    auto at = s_.here();
    std::string_view word = s_.bare();
    if (word == "input") {
      auto vat = s_.here();
      value_info info = value_decl();
      define(info.name, T::add_input(g_, info), 0, vat);
    } else if (word == "const") {
      constant();
    } else if (word == "node") {
      op_node();
    } else if (word == "output") {
      auto vat = s_.here();
      std::string value = value_name();
      std::string name = s_.consume_word("as") ? s_.name("an output name") : value;
      outputs_.push_back({T::add_output(g_, name), 0, value, vat});
    } else if (word == "ir_version" || word == "model_version") {
      std::int64_t v = s_.integer(std::string(word));
      if constexpr (requires { g_.info; }) (word == "ir_version" ? g_.info.ir_version : g_.info.model_version) = v;
    } else if (word == "opset") {
      std::string d = s_.string_literal();
      std::int64_t v = s_.integer("the opset version");
      if constexpr (requires { g_.info; }) g_.info.opsets.emplace_back(d, v);
    } else if (word == "producer") {
      std::string n = s_.string_literal(), v = s_.string_literal();
      if constexpr (requires { g_.info; }) g_.info.producer_name = n, g_.info.producer_version = v;
    } else if (word == "domain" || word == "doc" || word == "graph_doc") {
      std::string v = s_.string_literal();
      if constexpr (requires { g_.info; })
        (word == "domain" ? g_.info.domain : word == "doc" ? g_.info.doc_string : g_.info.graph_doc_string) = v;
    } else if (word == "input_initializer") {
      std::string v = s_.string_literal();
      if constexpr (requires { g_.info; }) g_.info.initializer_inputs.push_back(v);
    } else if (word == "meta") {
      std::string k = s_.string_literal(), v = s_.string_literal();
      if constexpr (requires { g_.info; }) g_.info.metadata.emplace_back(k, v);
    } else {
      s_.fail_at(at, "expected input, const, node, output or a model property, found " +
                         (word.empty() ? s_.found() : "'" + std::string(word) + "'"));
    }
  }

  std::string value_name() {
    s_.expect("%", "before a value name");
    if (s_.peek_raw() == '"') return s_.string_literal();
    auto b = s_.bare();
    if (b.empty()) s_.fail("expected a value name after '%', found " + s_.found());
    return std::string(b);
  }

  element_type elem_type() {
    auto at = s_.here();
    auto w = s_.bare();
    auto t = parse_element_type(w);
    if (!t) s_.fail_at(at, "expected an element type (float32, int64, ...), found " + (w.empty() ? s_.found() : "'" + std::string(w) + "'"));
    return *t;
  }

  dims dim_list() {
    dims d;
    s_.expect("[", "to open a shape");
    if (s_.consume("]")) return d;
    do {
      if (s_.consume("?")) d.emplace_back();
      else if (s_.peek() == '"' || std::isalpha(static_cast<unsigned char>(s_.peek())) || s_.peek() == '_') d.emplace_back(s_.name("a dimension"));
      else {
        auto at = s_.here();
        std::int64_t n = s_.integer("a dimension");
        if (n < 0) s_.fail_at(at, "a dimension cannot be negative (use ? for unknown)");
        d.emplace_back(n);
      }
    } while (s_.consume(","));
    s_.expect("]", "to close the shape");
    return d;
  }

  void annotations(value_info& info) {
    if (s_.consume("!")) {
      auto at = s_.here();
      std::string name(s_.bare());
      if (s_.consume("<")) {
        name += "<" + std::to_string(s_.integer("a bit width"));
        if (s_.consume(",")) name += "," + std::to_string(s_.integer("an integer bit count"));
        s_.expect(">", "to close the data type");
        name += ">";
      }
      auto dt = data_type::try_parse(name);
      if (!dt) s_.fail_at(at, "unknown QONNX data type '" + name + "'");
      info.dtype = *dt;
    }
    if (s_.consume("@")) info.layout = s_.name("a layout");
  }

  value_info value_decl() {
    value_info info;
    info.name = value_name();
    s_.expect(":", "after the value name");
    info.elem = elem_type();
    if (s_.peek() == '[') info.shape = dim_list();
    annotations(info);
    return info;
  }

  // Numbers for a tensor of `shape`, as `[a, b, ...]` or `splat a`. The shape is
  // checked (overflow, tensor_limits()) before anything is allocated, and listed
  // values are counted before the tensor is made.
  tensor tensor_data(element_type t, const shape_t& shape) {
    auto at = s_.here();
    std::int64_t expected = 0;
    try {
      expected = checked_num_elements(shape);
    } catch (const error& e) {
      s_.fail_at(at, e.what());
    }
    if (s_.consume_word("elided"))
      s_.fail_at(at, "this constant was elided when printed; print with max_constant_elements unset to parse it");
    const bool splat = s_.consume_word("splat");
    if (!splat) s_.expect("[", "to open the tensor data (or 'splat')");
    const tensor empty(t, shape_t{0});  // only to learn the storage scalar of t
    return std::visit([&](const auto& storage) -> tensor {
      using S = typename std::decay_t<decltype(storage)>::Scalar;
      auto one = [&]() -> S {
        auto nat = s_.here();
        auto txt = s_.number_text();
        if (txt.empty()) s_.fail("expected a number in tensor data, found " + s_.found());
        if constexpr (std::is_same_v<S, std::int64_t>) {
          if (scanner::looks_float(txt)) s_.fail_at(nat, "'" + std::string(txt) + "' is not an integer (" + std::string(to_string(t)) + " tensor)");
          // uint64 is held in int64 storage: values of 2^63 and up keep their bits.
          if (t == element_type::uint64 && !txt.starts_with('-')) return S(s_.parse_number<std::uint64_t>(txt, nat));
          S v = s_.parse_number<S>(txt, nat);
          if (!fits(t, v)) s_.fail_at(nat, std::string(txt) + " does not fit " + std::string(to_string(t)));
          return v;
        } else {
          return s_.parse_number<S>(txt, nat);
        }
      };
      if (splat) {
        tensor out(t, shape);
        out.template array<S>().setConstant(one());
        return representable(std::move(out));
      }
      std::vector<S> values;  // grows with what the text holds, never past what the shape needs
      std::int64_t n = 0;
      if (!s_.consume("]")) {
        do {
          S v = one();
          if (n++ < expected) values.push_back(v);
        } while (s_.consume(","));
        s_.expect("]", "to close the tensor data");
      }
      if (n != expected)
        s_.fail_at(at, "tensor data has " + std::to_string(n) + " values, shape " + to_string(shape) + " needs " + std::to_string(expected));
      return representable(tensor(t, shape, values));
    }, empty.data());
  }

  // Values as the element type holds them: float16 and bfloat16 constants are
  // rounded here, as an ONNX file would store them (1e5 is inf in float16).
  static tensor representable(tensor t) {
    if (t.type() == element_type::float16)
      return t.map([](float v) { return nnrewrite::detail::half_to_float(nnrewrite::detail::float_to_half(v)); });
    if (t.type() == element_type::bfloat16)
      return t.map([](float v) { return nnrewrite::detail::bfloat16_to_float(nnrewrite::detail::float_to_bfloat16(v)); });
    return t;
  }

  static bool fits(element_type t, std::int64_t v) {
    switch (t) {
      case element_type::int8: return v >= -128 && v <= 127;
      case element_type::uint8: return v >= 0 && v <= 255;
      case element_type::int16: return v >= -32768 && v <= 32767;
      case element_type::uint16: return v >= 0 && v <= 65535;
      case element_type::int32: return v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max();
      case element_type::uint32: return v >= 0 && v <= std::numeric_limits<std::uint32_t>::max();
      case element_type::uint64: return v >= 0;
      case element_type::boolean: return v == 0 || v == 1;
      default: return true;
    }
  }

  void constant() {
    auto at = s_.here();
    value_info info;
    info.name = value_name();
    s_.expect(":", "after the value name");
    info.elem = elem_type();
    if (s_.peek() != '[') s_.fail("a constant needs a shape");
    dims d = dim_list();
    auto shape = known_shape(d);
    if (!shape) s_.fail_at(at, "a constant's shape must be fully known");
    info.shape = d;
    annotations(info);
    s_.expect("=", "before the constant's data");
    tensor t = tensor_data(info.elem, *shape);
    define(info.name, T::add_constant(g_, info, std::move(t)), 0, at);
  }

  attribute attr_value() {
    auto at = s_.here();
    char c = s_.peek();
    if (c == '"') return s_.string_literal();
    if (c == '[') return list("");
    if (std::isalpha(static_cast<unsigned char>(c))) {
      auto save = s_.here();
      std::string_view w = s_.bare();
      if (w == "ints" || w == "floats" || w == "strings") return list(w);
      if (w == "tensor") {
        element_type t = elem_type();
        dims d = dim_list();
        auto shape = known_shape(d);
        if (!shape) s_.fail_at(at, "a tensor attribute's shape must be fully known");
        return tensor_data(t, *shape);
      }
      if (w != "nan" && w != "inf") s_.fail_at(save, "expected an attribute value, found '" + std::string(w) + "'");
      s_.reset(save);
    }
    auto txt = s_.number_text();
    if (txt.empty()) s_.fail("expected an attribute value, found " + s_.found());
    if (scanner::looks_float(txt)) return s_.parse_number<double>(txt, at);
    return s_.parse_number<std::int64_t>(txt, at);
  }

  attribute list(std::string_view kind) {
    s_.expect("[", "to open a list");
    std::vector<std::int64_t> ints;
    std::vector<double> floats;
    std::vector<std::string> strings;
    bool any_float = kind == "floats";
    if (!s_.consume("]")) {
      if (kind.empty()) kind = s_.peek() == '"' ? "strings" : "numbers";
      do {
        auto at = s_.here();
        if (kind == "strings") {
          strings.push_back(s_.string_literal());
          continue;
        }
        auto txt = s_.number_text();
        if (txt.empty()) s_.fail("expected a number in the list, found " + s_.found());
        if (scanner::looks_float(txt)) {
          if (kind == "ints") s_.fail_at(at, "'" + std::string(txt) + "' in an ints list");
          any_float = true;
        }
        floats.push_back(s_.parse_number<double>(txt, at));
        if (!any_float) ints.push_back(s_.parse_number<std::int64_t>(txt, at));
      } while (s_.consume(","));
      s_.expect("]", "to close the list");
    }
    if (kind == "strings") return strings;
    if (any_float) return floats;
    return ints;
  }

  attribute_map attributes() {
    attribute_map attrs;
    s_.expect("{", "to open the attributes");
    if (s_.consume("}")) return attrs;
    do {
      auto at = s_.here();
      std::string name = s_.name("an attribute name");
      s_.expect("=", "after the attribute name");
      attribute a = attr_value();
      if (!attrs.emplace(name, std::move(a)).second) s_.fail_at(at, "attribute '" + name + "' is given twice");
    } while (s_.consume(","));
    s_.expect("}", "to close the attributes");
    return attrs;
  }

  void op_node() {
    auto at = s_.here();
    bool quoted = s_.peek() == '"';
    std::string first = s_.name("an op type or node name");
    std::string node_name, op = first;
    if (s_.consume(":")) {
      node_name = first;
      quoted = s_.peek() == '"';
      op = s_.name("an op type");
    }
    // domain.Op, or domain."Op.with.dots", or "Op.with.dots" (see op_text).
    std::string domain;
    if (!quoted && op.ends_with('.') && s_.peek_raw() == '"') {
      domain = op.substr(0, op.size() - 1);
      op = s_.string_literal();
    } else if (!quoted) {
      if (auto dot = op.rfind('.'); dot != std::string::npos) {
        domain = op.substr(0, dot);
        op = op.substr(dot + 1);
      }
    }
    if (op.empty()) s_.fail_at(at, "missing op type");
    s_.expect("(", "to open the operand list");
    std::vector<std::pair<std::string, scanner::position>> ops;
    if (!s_.consume(")")) {
      do {
        auto oat = s_.here();
        if (s_.consume_word("_")) ops.emplace_back(std::string(), oat);
        else ops.emplace_back(value_name(), oat);
      } while (s_.consume(","));
      s_.expect(")", "to close the operand list");
    }
    attribute_map attrs;
    if (s_.peek() == '{') attrs = attributes();
    std::string doc;
    if (s_.consume_word("doc")) doc = s_.string_literal();
    std::vector<value_info> outs;
    std::vector<scanner::position> out_at;
    if (s_.consume("->")) {
      do {
        out_at.push_back(s_.here());
        outs.push_back(value_decl());
      } while (s_.consume(","));
    }
    V v = T::add_op(g_, op, domain, node_name, std::move(attrs), outs);
    if constexpr (requires { g_[v].doc_string; }) g_[v].doc_string = doc;
    for (std::size_t p = 0; p < outs.size(); ++p)
      if (!outs[p].name.empty()) define(outs[p].name, v, static_cast<int>(p), out_at[p]);
    for (std::size_t i = 0; i < ops.size(); ++i)
      if (!ops[i].first.empty()) uses_.push_back({v, static_cast<int>(i), ops[i].first, ops[i].second});
  }

  void define(const std::string& name, V v, int port, scanner::position at) {
    if (!values_.emplace(name, value_ref<V>{v, port}).second)
      s_.fail_at(at, "value %" + name + " is defined twice");
  }

  // Operands may name values defined later in the text; wire them at the end.
  void link() {
    for (auto& u : uses_) {
      auto it = values_.find(u.value);
      if (it == values_.end()) s_.fail_at(u.at, "unknown value %" + u.value);
      T::connect(g_, it->second.node, it->second.port, u.user, u.in_port);
    }
    for (auto& u : outputs_) {
      auto it = values_.find(u.value);
      if (it == values_.end()) s_.fail_at(u.at, "graph output names unknown value %" + u.value);
      T::connect(g_, it->second.node, it->second.port, u.user, 0);
    }
  }

  scanner s_;
  G& g_;
  std::unordered_map<std::string, value_ref<V>> values_;
  std::vector<pending_use> uses_;
  std::vector<pending_use> outputs_;
};

}  // namespace detail

// Parses the text format into a new graph. Throws parse_error (line:column and
// what was expected); nothing is built unless the whole text parses.
template <ir_graph G = model>
G parse_text(std::string_view text) {
  G g;
  detail::text_parser<G>(text, g).parse();
  return g;
}

}  // namespace nnrewrite
