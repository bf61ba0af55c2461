// Graphviz DOT export: ops as boxes, graph inputs/outputs as ellipses, constants as
// small notes; each edge is labelled with its value's name and type.
#pragma once

#include <ostream>
#include <sstream>
#include <string>
#include <unordered_map>

#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/traits.hpp"

namespace nnrewrite {

namespace detail {
inline std::string dot_escape(std::string_view s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (c == '\n') { r += "\\n"; continue; }
    r += c;
  }
  return r;
}
}  // namespace detail

template <ir_graph G>
void write_dot(std::ostream& os, const G& g) {
  using T = ir_traits<G>;
  using V = vertex_t<G>;
  std::unordered_map<V, std::size_t> id;
  std::vector<V> order = T::graph_inputs(g);
  for (V v : detail::canonical_order(g)) order.push_back(v);
  for (V v : T::graph_outputs(g)) order.push_back(v);
  os << "digraph nnrewrite {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
        "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  for (V v : order) {
    std::size_t n = id.emplace(v, id.size()).first->second;
    std::string label, style;
    switch (T::kind(g, v)) {
      case node_kind::input:
        label = "input\n" + T::value(g, v, 0).name;
        style = "shape=ellipse, style=filled, fillcolor=\"#d0e8ff\"";
        break;
      case node_kind::output:
        label = "output\n" + std::string(T::name(g, v));
        style = "shape=ellipse, style=filled, fillcolor=\"#ffe0c0\"";
        break;
      case node_kind::constant: {
        const auto t = T::constant_value(g, v);
        label = T::value(g, v, 0).name + "\n" + std::string(to_string(t->type())) + to_string(t->shape());
        style = "shape=note, fontsize=8, style=filled, fillcolor=\"#f0f0f0\"";
        break;
      }
      case node_kind::op:
        label = std::string(T::op_type(g, v));
        if (!std::string_view(T::name(g, v)).empty()) label += "\n" + std::string(T::name(g, v));
        style = "shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\"";
        break;
    }
    os << "  n" << n << " [label=\"" << detail::dot_escape(label) << "\", " << style << "];\n";
  }
  for (V v : order) {
    for (auto [ei, eend] = in_edges(v, g); ei != eend; ++ei) {
      auto it = id.find(source(*ei, g));
      if (it == id.end()) continue;
      port_pair p = T::ports(g, *ei);
      std::string label;
      if (p.out_port < T::num_outputs(g, source(*ei, g))) {
        const value_info& info = T::value(g, source(*ei, g), p.out_port);
        label = info.name + "\n" + std::string(to_string(info.elem)) + (info.shape ? detail::dims_text(*info.shape) : "") +
                (info.dtype ? " " + info.dtype->name() : "");
      }
      os << "  n" << it->second << " -> n" << id[v] << " [label=\"" << detail::dot_escape(label) << "\"];\n";
    }
  }
  os << "}\n";
}

template <ir_graph G>
std::string to_dot(const G& g) {
  std::ostringstream os;
  write_dot(os, g);
  return os.str();
}

}  // namespace nnrewrite
