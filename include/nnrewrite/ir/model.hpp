// nnrewrite::model — the default graph. A Boost.Graph (bidirectional, vertex list,
// edge list, mutable; parallel edges, so Mul(x, x) is two edges) over its own
// storage: vertices are slots in arrays, edges records in another, each vertex's
// in- and out-edges a small inline list of edge ids.
//
// A vertex is an operation, a graph input, a graph output or a constant; an edge is
// one use of one value and carries (out_port, in_port).
#pragma once

#include <boost/container/small_vector.hpp>
#include <boost/graph/graph_traits.hpp>
#include <boost/graph/properties.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nnrewrite/detail/heap_optional.hpp"
#include "nnrewrite/detail/stable_array.hpp"
#include "nnrewrite/detail/use_list.hpp"
#include "nnrewrite/ir/attribute.hpp"
#include "nnrewrite/ir/interned_string.hpp"
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
//
// Laid out for graphs of millions of nodes: op type and domain are interned (one
// pointer each), the first result's description lives inside the node (almost
// every node has exactly one), a constant's tensor and a doc string sit behind
// one pointer each that most nodes leave null, and attributes are a flat map.
// Each field still reads like the std::string, std::vector, std::optional or
// std::map it replaces.
struct node {
  node_kind kind = node_kind::op;
  std::string name;         // node name (ops); graph output name (outputs)
  interned_string op_type;  // ops only
  interned_string domain;   // "" is the default ONNX domain
  attribute_map attributes;
  boost::container::small_vector<value_info, 1> outputs;  // one per produced value (inputs, constants: exactly one)
  detail::heap_optional<tensor> value;                    // constants only
  detail::heap_string doc_string;
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

// The storage behind nnrewrite::model, and its Boost.Graph free functions (found
// by argument-dependent lookup through model's base class). A namespace of its
// own: `target` in namespace nnrewrite names the targets' namespace.
namespace storage {

// A vertex is a slot: a small integer, stable while the vertex lives, reused
// (last freed, first reused) after it is erased. It is also the dense index.
struct vertex {
  std::uint32_t slot = UINT32_MAX;
  friend auto operator<=>(vertex, vertex) = default;
};

// An edge names its record and carries its ends, so source() and target() read
// nothing. Two descriptors are the same edge when they name the same record.
struct edge {
  std::uint32_t src = UINT32_MAX;
  std::uint32_t dst = UINT32_MAX;
  std::uint32_t id = UINT32_MAX;
  friend bool operator==(edge a, edge b) { return a.id == b.id; }
};

class graph;

// Vertices in the order they were added (as Boost's listS gives them), through
// the list that links the live slots.
class vertex_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = vertex;
  using difference_type = std::ptrdiff_t;
  using pointer = const vertex*;
  using reference = vertex;
  vertex_iterator() = default;
  vertex_iterator(const graph* g, std::uint32_t slot) : g_(g), slot_(slot) {}
  vertex operator*() const { return {slot_}; }
  inline vertex_iterator& operator++();
  vertex_iterator operator++(int) {
    vertex_iterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const vertex_iterator& a, const vertex_iterator& b) { return a.slot_ == b.slot_; }

 private:
  const graph* g_ = nullptr;
  std::uint32_t slot_ = UINT32_MAX;
};

// The out-edges (Out) or in-edges of one vertex.
template <bool Out>
class incident_edge_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = edge;
  using difference_type = std::ptrdiff_t;
  using pointer = const edge*;
  using reference = edge;
  incident_edge_iterator() = default;
  incident_edge_iterator(const detail::use_entry* p, std::uint32_t self) : p_(p), self_(self) {}
  edge operator*() const { return Out ? edge{self_, p_->other, p_->edge} : edge{p_->other, self_, p_->edge}; }
  incident_edge_iterator& operator++() {
    ++p_;
    return *this;
  }
  incident_edge_iterator operator++(int) {
    incident_edge_iterator old = *this;
    ++p_;
    return old;
  }
  friend bool operator==(const incident_edge_iterator& a, const incident_edge_iterator& b) { return a.p_ == b.p_; }

 private:
  const detail::use_entry* p_ = nullptr;
  std::uint32_t self_ = UINT32_MAX;
};
using out_edge_iterator = incident_edge_iterator<true>;
using in_edge_iterator = incident_edge_iterator<false>;

// Every edge: each vertex's out-edges, vertices in order.
class edge_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = edge;
  using difference_type = std::ptrdiff_t;
  using pointer = const edge*;
  using reference = edge;
  edge_iterator() = default;
  inline edge_iterator(const graph* g, std::uint32_t slot);
  edge operator*() const { return {slot_, p_->other, p_->edge}; }
  inline edge_iterator& operator++();
  edge_iterator operator++(int) {
    edge_iterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const edge_iterator& a, const edge_iterator& b) { return a.slot_ == b.slot_ && a.p_ == b.p_; }

 private:
  inline void skip_empty();
  const graph* g_ = nullptr;
  std::uint32_t slot_ = UINT32_MAX;
  const detail::use_entry* p_ = nullptr;
};

class graph {
  static constexpr std::uint32_t none = UINT32_MAX;

 public:
  using vertex_descriptor = storage::vertex;
  using edge_descriptor = storage::edge;
  using vertex_iterator = storage::vertex_iterator;
  using out_edge_iterator = storage::out_edge_iterator;
  using in_edge_iterator = storage::in_edge_iterator;
  using edge_iterator = storage::edge_iterator;
  using directed_category = boost::bidirectional_tag;
  using edge_parallel_category = boost::allow_parallel_edge_tag;
  struct traversal_category : boost::bidirectional_graph_tag,
                              boost::vertex_list_graph_tag,
                              boost::edge_list_graph_tag {};
  using vertices_size_type = std::size_t;
  using edges_size_type = std::size_t;
  using degree_size_type = std::size_t;
  static vertex_descriptor null_vertex() { return {}; }

  graph() = default;
  graph(const graph&) = default;  // slots are kept: a descriptor names the same vertex in the copy
  graph& operator=(const graph&) = default;
  graph(graph&& o) noexcept { take(o); }
  graph& operator=(graph&& o) noexcept {
    if (this != &o) {
      clear();
      take(o);
    }
    return *this;
  }
  ~graph() = default;

  node& operator[](vertex v) { return nodes_[v.slot]; }
  const node& operator[](vertex v) const { return nodes_[v.slot]; }
  port_edge& operator[](edge e) { return edges_[e.id].ports; }
  const port_edge& operator[](edge e) const { return edges_[e.id].ports; }

  // The dense index (Boost's vertex_index) is the slot; the bound is one more
  // than the largest slot ever used (the size of per-vertex arrays).
  std::size_t index(vertex v) const { return v.slot; }
  std::size_t index_bound() const { return records_.size(); }
  std::size_t vertex_count() const { return vertex_count_; }
  std::size_t edge_count() const { return edge_count_; }

  // The node is moved in.
  vertex add(node n = {}) {
    std::uint32_t s;
    if (free_vertices_.empty()) {
      // Each array grows only if it has not already (after a failed allocation).
      s = records_.size();
      if (nodes_.size() == s) nodes_.emplace_back(std::move(n));
      else nodes_[s] = std::move(n);
      records_.emplace_back();
    } else {
      s = free_vertices_.back();
      nodes_[s] = std::move(n);
      free_vertices_.pop_back();
    }
    record& r = records_[s];
    r.prev = last_;
    r.next = none;
    (last_ == none ? first_ : records_[last_].next) = s;
    last_ = s;
    ++vertex_count_;
    return {s};
  }
  // Removes v and its edges; its slot is reused by the next add.
  void remove(vertex v) {
    clear_vertex(v);
    record& r = records_[v.slot];
    (r.prev == none ? first_ : records_[r.prev].next) = r.next;
    (r.next == none ? last_ : records_[r.next].prev) = r.prev;
    r.prev = r.next = none;
    nodes_[v.slot] = node{};  // frees the bundle's memory now
    free_vertices_.push_back(v.slot);
    --vertex_count_;
  }
  void clear() noexcept {
    records_.clear();
    nodes_.clear();
    edges_.clear();
    free_vertices_.clear();
    free_edges_.clear();
    first_ = last_ = none;
    vertex_count_ = edge_count_ = 0;
  }

  edge add_edge(vertex u, vertex v, port_edge p) {
    std::uint32_t id;
    if (free_edges_.empty()) {
      id = edges_.size();
      edges_.emplace_back(edge_record{u.slot, v.slot, p});
    } else {
      id = free_edges_.back();
      free_edges_.pop_back();
      edges_[id] = edge_record{u.slot, v.slot, p};
    }
    records_[u.slot].out.push_back({id, v.slot});
    records_[v.slot].in.push_back({id, u.slot});
    ++edge_count_;
    return {u.slot, v.slot, id};
  }
  void remove_edge(edge e) {
    records_[e.src].out.erase_edge(e.id);
    records_[e.dst].in.erase_edge(e.id);
    release_edge(e.id);
  }
  template <class Pred>
  void remove_out_edge_if(vertex u, Pred pred) {
    records_[u.slot].out.erase_if([&](const detail::use_entry& x) {
      if (!pred(edge{u.slot, x.other, x.edge})) return false;
      records_[x.other].in.erase_edge(x.edge);
      release_edge(x.edge);
      return true;
    });
  }
  template <class Pred>
  void remove_in_edge_if(vertex v, Pred pred) {
    records_[v.slot].in.erase_if([&](const detail::use_entry& x) {
      if (!pred(edge{x.other, v.slot, x.edge})) return false;
      records_[x.other].out.erase_edge(x.edge);
      release_edge(x.edge);
      return true;
    });
  }
  void clear_vertex(vertex v) {
    remove_out_edge_if(v, [](const edge&) { return true; });
    remove_in_edge_if(v, [](const edge&) { return true; });
  }

  const detail::use_list& out_list(vertex v) const { return records_[v.slot].out; }
  const detail::use_list& in_list(vertex v) const { return records_[v.slot].in; }
  std::uint32_t first_slot() const { return first_; }
  std::uint32_t next_slot(std::uint32_t s) const { return records_[s].next; }

 private:
  struct record {
    std::uint32_t prev = none, next = none;  // the list of live vertices, in the order added
    detail::use_list out, in;
  };
  struct edge_record {
    std::uint32_t src, dst;
    port_edge ports;
  };

  void release_edge(std::uint32_t id) {
    free_edges_.push_back(id);
    --edge_count_;
  }
  void take(graph& o) noexcept {
    records_ = std::move(o.records_);
    nodes_ = std::move(o.nodes_);
    edges_ = std::move(o.edges_);
    free_vertices_ = std::exchange(o.free_vertices_, {});
    free_edges_ = std::exchange(o.free_edges_, {});
    first_ = std::exchange(o.first_, none);
    last_ = std::exchange(o.last_, none);
    vertex_count_ = std::exchange(o.vertex_count_, 0);
    edge_count_ = std::exchange(o.edge_count_, 0);
  }

  // Topology (hot: what a traversal reads) apart from the bundles (cold).
  detail::stable_array<record> records_;
  detail::stable_array<node> nodes_;
  detail::stable_array<edge_record> edges_;
  std::vector<std::uint32_t> free_vertices_, free_edges_;
  std::uint32_t first_ = none, last_ = none;
  std::size_t vertex_count_ = 0, edge_count_ = 0;
};

inline vertex_iterator& vertex_iterator::operator++() {
  slot_ = g_->next_slot(slot_);
  return *this;
}
inline edge_iterator::edge_iterator(const graph* g, std::uint32_t slot) : g_(g), slot_(slot) {
  if (slot_ != UINT32_MAX) p_ = g_->out_list({slot_}).begin();
  skip_empty();
}
inline void edge_iterator::skip_empty() {
  while (slot_ != UINT32_MAX && p_ == g_->out_list({slot_}).end()) {
    slot_ = g_->next_slot(slot_);
    p_ = slot_ == UINT32_MAX ? nullptr : g_->out_list({slot_}).begin();
  }
}
inline edge_iterator& edge_iterator::operator++() {
  ++p_;
  skip_empty();
  return *this;
}

// ---- Boost.Graph's free functions
inline std::pair<vertex_iterator, vertex_iterator> vertices(const graph& g) {
  return {vertex_iterator(&g, g.first_slot()), vertex_iterator(&g, UINT32_MAX)};
}
inline std::size_t num_vertices(const graph& g) { return g.vertex_count(); }
inline std::pair<edge_iterator, edge_iterator> edges(const graph& g) {
  return {edge_iterator(&g, g.first_slot()), edge_iterator(&g, UINT32_MAX)};
}
inline std::size_t num_edges(const graph& g) { return g.edge_count(); }
inline std::pair<out_edge_iterator, out_edge_iterator> out_edges(vertex v, const graph& g) {
  const auto& l = g.out_list(v);
  return {out_edge_iterator(l.begin(), v.slot), out_edge_iterator(l.end(), v.slot)};
}
inline std::pair<in_edge_iterator, in_edge_iterator> in_edges(vertex v, const graph& g) {
  const auto& l = g.in_list(v);
  return {in_edge_iterator(l.begin(), v.slot), in_edge_iterator(l.end(), v.slot)};
}
inline std::size_t out_degree(vertex v, const graph& g) { return g.out_list(v).size(); }
inline std::size_t in_degree(vertex v, const graph& g) { return g.in_list(v).size(); }
inline std::size_t degree(vertex v, const graph& g) { return out_degree(v, g) + in_degree(v, g); }
inline vertex source(edge e, const graph&) { return {e.src}; }
inline vertex target(edge e, const graph&) { return {e.dst}; }

inline vertex add_vertex(graph& g) { return g.add(); }
inline vertex add_vertex(node n, graph& g) { return g.add(std::move(n)); }
inline void remove_vertex(vertex v, graph& g) { g.remove(v); }
inline void clear_vertex(vertex v, graph& g) { g.clear_vertex(v); }
inline std::pair<edge, bool> add_edge(vertex u, vertex v, port_edge p, graph& g) { return {g.add_edge(u, v, p), true}; }
inline std::pair<edge, bool> add_edge(vertex u, vertex v, graph& g) { return add_edge(u, v, port_edge{}, g); }
inline void remove_edge(edge e, graph& g) { g.remove_edge(e); }
// Every edge u -> v.
inline void remove_edge(vertex u, vertex v, graph& g) {
  g.remove_out_edge_if(u, [v](const edge& e) { return e.dst == v.slot; });
}
template <class Pred>
void remove_out_edge_if(vertex u, Pred pred, graph& g) {
  g.remove_out_edge_if(u, pred);
}
template <class Pred>
void remove_in_edge_if(vertex v, Pred pred, graph& g) {
  g.remove_in_edge_if(v, pred);
}

// Boost's vertex_index map, so that Boost's algorithms run on model. Indices are
// below index_bound(), which exceeds num_vertices() after erasures: size
// per-vertex arrays by index_bound().
struct vertex_index_map {
  using key_type = vertex;
  using value_type = std::size_t;
  using reference = std::size_t;
  using category = boost::readable_property_map_tag;
};
inline std::size_t get(vertex_index_map, vertex v) { return v.slot; }
inline vertex_index_map get(boost::vertex_index_t, const graph&) { return {}; }
inline std::size_t get(boost::vertex_index_t, const graph&, vertex v) { return v.slot; }

// The first edge u -> v, if any. Declared last: from here on, `edge` in this
// namespace names the function (hence graph::edge_descriptor for the type).
inline std::pair<graph::edge_descriptor, bool> edge(vertex u, vertex v, const graph& g) {
  for (const auto& x : g.out_list(u))
    if (x.other == v.slot) return {graph::edge_descriptor{u.slot, v.slot, x.edge}, true};
  return {graph::edge_descriptor{}, false};
}

}  // namespace storage

// The default graph: the storage above, which is a Boost graph, plus the
// model-level facts (model_info).
class model : public storage::graph {
 public:
  model() = default;
  model(const model&) = default;
  model& operator=(const model&) = default;
  // Leaves the source empty (and usable); descriptors stay valid in the target.
  model(model&& o) noexcept : storage::graph(std::move(o)), info(std::exchange(o.info, {})) {}
  model& operator=(model&& o) noexcept {
    if (this != &o) {
      storage::graph::operator=(std::move(o));
      info = std::exchange(o.info, {});
    }
    return *this;
  }
  ~model() = default;
  model_info info;
};

}  // namespace nnrewrite

template <class G>
  requires std::derived_from<G, nnrewrite::storage::graph>
struct boost::property_map<G, boost::vertex_index_t> {
  using type = nnrewrite::storage::vertex_index_map;
  using const_type = nnrewrite::storage::vertex_index_map;
};

template <>
struct std::hash<nnrewrite::storage::vertex> {
  std::size_t operator()(nnrewrite::storage::vertex v) const noexcept { return v.slot; }
};
