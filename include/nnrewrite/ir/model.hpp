// nnrewrite::model — the default graph: a Boost adjacency_list with stable vertex
// descriptors (listS), in- and out-edges (bidirectionalS) and a vector out-edge list,
// so repeated operands (Mul(x, x)) are two edges.
//
// A vertex is an operation, a graph input, a graph output or a constant; an edge is
// one use of one value and carries (out_port, in_port).
#pragma once

#include <boost/graph/adjacency_list.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nnrewrite/ir/attribute.hpp"
#include "nnrewrite/ir/tensor.hpp"
#include "nnrewrite/ir/value_info.hpp"

namespace nnrewrite {

enum class node_kind : std::uint8_t { op, input, output, constant };

inline constexpr std::string_view to_string(node_kind k) {
  constexpr std::string_view names[] = {"op", "input", "output", "constant"};
  return names[static_cast<int>(k)];
}

// Vertex bundle of the default graph. Any Boost graph whose bundles are `node` and
// `port_edge` gets ir_traits for free.
struct node {
  node_kind kind = node_kind::op;
  std::string name;     // node name (ops); graph output name (outputs)
  std::string op_type;  // ops only
  std::string domain;   // "" is the default ONNX domain
  attribute_map attributes;
  std::vector<value_info> outputs;  // one per produced value (inputs, constants: exactly one)
  std::optional<tensor> value;      // constants only (ops carry no tensor: no allocation per op)
  std::string doc_string;
};

struct port_edge {
  int out_port = 0;  // which value of the source
  int in_port = 0;   // which operand of the target
};

// An operand that names a value nothing produces, accepted on import because the
// op ignores it (FINN's test models give Resize such a `roi`): kept so that export
// writes the name back where it was.
struct dangling_operand {
  std::string node;   // the node's name
  int in_port = 0;
  std::string value;  // the name it read
  friend bool operator==(const dangling_operand&, const dangling_operand&) = default;
};

// Model-level facts that are not part of the graph but must survive a round trip.
struct model_info {
  std::string graph_name;
  std::string graph_doc_string;
  std::string doc_string;
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  std::int64_t ir_version = 0;
  std::int64_t model_version = 0;
  std::vector<std::pair<std::string, std::int64_t>> opsets;      // (domain, version)
  std::vector<std::pair<std::string, std::string>> metadata;     // metadata_props
  // Constants that an ONNX file (IR version < 4 style) also lists as graph inputs,
  // i.e. inputs with a default value. Kept so that export lists them again.
  std::vector<std::string> initializer_inputs;
  std::vector<dangling_operand> dangling_operands;
  friend bool operator==(const model_info&, const model_info&) = default;
};

// Each vertex also carries a dense index (Boost's vertex_index property): small,
// distinct among live vertices, reused after erasure. Per-vertex state in the
// algorithms is then an array instead of a hash map (ir_traits::vertex_index).
using model_vertex_property = boost::property<boost::vertex_index_t, std::uint32_t, node>;
using model_graph =
    boost::adjacency_list<boost::vecS, boost::listS, boost::bidirectionalS, model_vertex_property, port_edge>;

// The default graph. It *is* a Boost graph (free functions and graph_traits apply
// through the base class) that also carries model_info. Add and remove vertices
// through ir_traits<model> or the add_vertex / remove_vertex below (found by
// argument-dependent lookup, as Boost's are): they keep the dense index.
class model : public model_graph {
 public:
  model() = default;
  model(const model&) = default;
  model& operator=(const model&) = default;
  // Boost's adjacency_list has no move (and its swap copies): a moved model would
  // be copied vertex by vertex. This one takes the other's vertex and edge lists
  // (descriptors stay valid: they point to the moved vertices) and leaves it empty.
  model(model&& o) noexcept { take(o); }
  model& operator=(model&& o) noexcept {
    if (this != &o) {
      clear();
      take(o);
    }
    return *this;
  }
  model_info info;

  // One more than the largest vertex index in use (array size for per-vertex state).
  std::size_t index_bound() const { return bound_; }
  std::size_t index(vertex_descriptor v) const {
    return boost::get(boost::vertex_index, static_cast<const model_graph&>(*this), v);
  }

  // The node is moved in: Boost's add_vertex(property, g) copies it twice (into
  // boost::property, whose constructor takes a const reference, then into the
  // stored vertex), which was a fifth of the cost of every constant a rewrite made.
  vertex_descriptor add(node n = {}) {
    std::uint32_t i;
    if (free_.empty()) {
      if (bound_ == UINT32_MAX) throw std::length_error("nnrewrite::model: more than 2^32-1 vertices");
      i = bound_;
    } else {
      i = free_.back();
    }
    const vertex_descriptor v = boost::add_vertex(static_cast<model_graph&>(*this));
    if (free_.empty()) ++bound_;
    else free_.pop_back();
    boost::put(boost::vertex_index, static_cast<model_graph&>(*this), v, i);
    (*this)[v] = std::move(n);
    return v;
  }
  void remove(vertex_descriptor v) {
    const auto i = static_cast<std::uint32_t>(index(v));
    boost::remove_vertex(v, static_cast<model_graph&>(*this));
    free_.push_back(i);
  }
  void clear() {
    model_graph::clear();
    free_.clear();
    bound_ = 0;
  }

 private:
  void take(model& o) noexcept {
    m_vertices.swap(o.m_vertices);
    m_edges.swap(o.m_edges);
    m_property.swap(o.m_property);
    info = std::move(o.info);
    o.info = {};
    free_.swap(o.free_);
    std::swap(bound_, o.bound_);
  }

  std::vector<std::uint32_t> free_;  // indices of erased vertices, reused last-in first-out
  std::uint32_t bound_ = 0;
};

inline model::vertex_descriptor add_vertex(node n, model& g) { return g.add(std::move(n)); }
inline model::vertex_descriptor add_vertex(model& g) { return g.add(); }
inline void remove_vertex(model::vertex_descriptor v, model& g) { g.remove(v); }

}  // namespace nnrewrite
