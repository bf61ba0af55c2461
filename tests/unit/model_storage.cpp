// nnrewrite::model's own storage, as a Boost graph: slots reused after erasure,
// vertex and edge order as Boost's listS/vecS adjacency_list gives them, parallel
// edges and self-loops, copies that keep descriptors, references that survive
// growth, and Boost's own algorithms through the vertex_index map.
#include <catch2/catch.hpp>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <map>
#include <sstream>
#include <thread>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "nnrewrite/detail/heap_optional.hpp"
#include "nnrewrite/detail/stable_array.hpp"
#include "nnrewrite/detail/use_list.hpp"
#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/ir/verify.hpp"

using namespace nnrewrite;

namespace model_storage_test {

using test::T;
using test::V;

using E = edge_t<model>;

std::vector<std::string> names_in_order(const model& g) {
  std::vector<std::string> r;
  for (auto [it, end] = vertices(g); it != end; ++it) r.push_back(g[*it].name);
  return r;
}

// (source name, target name, out_port, in_port) of a range of edges.
template <class Range>
std::vector<std::string> describe_edges(const model& g, Range r) {
  std::vector<std::string> d;
  for (auto it = r.first; it != r.second; ++it)
    d.push_back(g[source(*it, g)].name + ">" + g[target(*it, g)].name + ":" + std::to_string(g[*it].out_port) +
                "," + std::to_string(g[*it].in_port));
  return d;
}

V named(model& g, const std::string& n) {
  node x;
  x.name = n;
  return add_vertex(std::move(x), g);
}

static_assert(rewritable_graph<model> && ir_graph<model>);
static_assert(std::is_same_v<boost::graph_traits<model>::vertex_descriptor, storage::vertex>);
static_assert(sizeof(nnrewrite::detail::use_list) == 24);

TEST_CASE("model: vertices iterate in the order added, and a reused slot comes last", "[model][storage]") {
  model g;
  const V a = named(g, "a"), b = named(g, "b"), c = named(g, "c");
  CHECK(names_in_order(g) == std::vector<std::string>{"a", "b", "c"});
  remove_vertex(b, g);
  CHECK(names_in_order(g) == std::vector<std::string>{"a", "c"});
  const V d = named(g, "d");
  CHECK(d.slot == b.slot);  // last freed, first reused
  CHECK(g.index_bound() == 3);
  CHECK(names_in_order(g) == std::vector<std::string>{"a", "c", "d"});
  remove_vertex(a, g);
  remove_vertex(d, g);
  CHECK(names_in_order(g) == std::vector<std::string>{"c"});
  CHECK(num_vertices(g) == 1);
  CHECK(g[c].name == "c");
  const V e = named(g, "e");
  CHECK(e.slot == d.slot);
  CHECK(g[e].name == "e");  // the reused slot holds the new node, nothing of the old
  CHECK(names_in_order(g) == std::vector<std::string>{"c", "e"});
}

TEST_CASE("model: edges keep their order through removals, parallel edges and self-loops", "[model][storage]") {
  model g;
  const V x = named(g, "x"), m = named(g, "m"), r = named(g, "r");
  add_edge(x, m, port_edge{0, 0}, g);
  add_edge(x, m, port_edge{0, 1}, g);  // Mul(x, x): two edges
  add_edge(x, r, port_edge{0, 0}, g);
  add_edge(m, r, port_edge{0, 1}, g);
  CHECK(num_edges(g) == 4);
  CHECK(describe_edges(g, out_edges(x, g)) == std::vector<std::string>{"x>m:0,0", "x>m:0,1", "x>r:0,0"});
  CHECK(describe_edges(g, in_edges(r, g)) == std::vector<std::string>{"x>r:0,0", "m>r:0,1"});
  CHECK(in_degree(m, g) == 2);

  // remove the middle use of x: the others keep their order
  E second = *std::next(out_edges(x, g).first);
  remove_edge(second, g);
  CHECK(describe_edges(g, out_edges(x, g)) == std::vector<std::string>{"x>m:0,0", "x>r:0,0"});
  CHECK(describe_edges(g, in_edges(m, g)) == std::vector<std::string>{"x>m:0,0"});
  // the freed record is reused by the next edge, which goes last
  add_edge(x, m, port_edge{0, 7}, g);
  CHECK(describe_edges(g, out_edges(x, g)) == std::vector<std::string>{"x>m:0,0", "x>r:0,0", "x>m:0,7"});
  CHECK(edge(x, r, g).second);
  CHECK(g[edge(x, r, g).first].in_port == 0);
  CHECK_FALSE(edge(r, x, g).second);

  // a self-loop, then clear_vertex removes it once and everything else at m
  add_edge(m, m, port_edge{0, 2}, g);
  CHECK(num_edges(g) == 5);
  clear_vertex(m, g);
  CHECK(in_degree(m, g) == 0);
  CHECK(out_degree(m, g) == 0);
  CHECK(num_edges(g) == 1);
  CHECK(describe_edges(g, edges(g)) == std::vector<std::string>{"x>r:0,0"});
  remove_out_edge_if(x, [](const E&) { return true; }, g);
  CHECK(num_edges(g) == 0);
  CHECK(in_degree(r, g) == 0);
}

TEST_CASE("model: random edits agree with a plain edge list", "[model][storage]") {
  // Every mutation is mirrored on a vector of (src, dst, in_port) records; after
  // each, out- and in-lists must be that vector filtered, in insertion order.
  std::mt19937 rng(7);
  model g;
  std::vector<V> live;
  struct rec {
    V s, d;
    int in_port;
  };
  std::vector<rec> mirror;
  int next_port = 0;
  for (int step = 0; step < 3000; ++step) {
    const int what = int(rng() % 10);
    if (what < 2 || live.size() < 2) {
      live.push_back(named(g, "n" + std::to_string(step)));
    } else if (what < 6) {
      const V s = live[rng() % live.size()], d = live[rng() % live.size()];
      add_edge(s, d, port_edge{0, next_port}, g);
      mirror.push_back({s, d, next_port++});
    } else if (what < 8 && !mirror.empty()) {
      const rec victim = mirror[rng() % mirror.size()];
      for (auto [it, end] = in_edges(victim.d, g); it != end; ++it)
        if (g[*it].in_port == victim.in_port) {
          remove_edge(*it, g);
          break;
        }
      std::erase_if(mirror, [&](const rec& r) { return r.in_port == victim.in_port; });
    } else if (what == 8) {
      const std::size_t i = rng() % live.size();
      const V v = live[i];
      remove_vertex(v, g);  // its edges go with it
      live.erase(live.begin() + std::ptrdiff_t(i));
      std::erase_if(mirror, [&](const rec& r) { return r.s == v || r.d == v; });
    } else {
      const V v = live[rng() % live.size()];
      const int parity = int(rng() % 2);
      remove_out_edge_if(v, [&](const E& e) { return g[e].in_port % 2 == parity; }, g);
      std::erase_if(mirror, [&](const rec& r) { return r.s == v && r.in_port % 2 == parity; });
    }
    REQUIRE(num_vertices(g) == live.size());
    REQUIRE(num_edges(g) == mirror.size());
    if (step % 100 == 0 || step == 2999) {
      for (V v : live) {
        std::vector<int> out, in, want_out, want_in;
        for (auto [it, end] = out_edges(v, g); it != end; ++it) {
          REQUIRE(source(*it, g) == v);
          out.push_back(g[*it].in_port);
        }
        for (auto [it, end] = in_edges(v, g); it != end; ++it) {
          REQUIRE(target(*it, g) == v);
          in.push_back(g[*it].in_port);
        }
        for (const rec& r : mirror) {
          if (r.s == v) want_out.push_back(r.in_port);
          if (r.d == v) want_in.push_back(r.in_port);
        }
        REQUIRE(out == want_out);
        REQUIRE(in == want_in);
      }
    }
  }
}

TEST_CASE("model: a copy keeps every descriptor, a node reference survives growth", "[model][storage]") {
  model g = parse_text(R"(graph {
    input %x: float32[4]
    node a: Relu(%x) -> %a: float32[4]
    node b: Neg(%a) -> %b: float32[4]
    output %b
  })");
  const V a = test::producer_of(g, "a");
  const node* bundle = &g[a];
  for (int i = 0; i < 20000; ++i) named(g, "filler" + std::to_string(i));  // many segments on
  CHECK(&g[a] == bundle);
  CHECK(g[a].op_type == "Relu");
  const model copy = g;
  CHECK(copy[a].op_type == "Relu");  // same slot, same vertex
  CHECK(describe_edges(copy, out_edges(a, copy)) == describe_edges(g, out_edges(a, g)));
  CHECK(names_in_order(copy) == names_in_order(g));
  CHECK(copy.index_bound() == g.index_bound());
}

TEST_CASE("model: Boost's own algorithms run on it through the vertex_index map", "[model][storage]") {
  model g = parse_text(R"(graph {
    input %x: float32[4]
    const %c: float32[4] = splat 1
    node a: Add(%x, %c) -> %a: float32[4]
    node b: Relu(%a) -> %b: float32[4]
    node m: Mul(%a, %b) -> %m: float32[4]
    output %m
  })");
  // erase one vertex first, so that indices have a hole (index_bound > num_vertices)
  T::erase_node(g, T::add_input(g, value_info("unused")));
  REQUIRE(g.index_bound() > num_vertices(g));
  std::vector<boost::default_color_type> colors(g.index_bound());
  const auto color_map = boost::make_iterator_property_map(colors.begin(), get(boost::vertex_index, g));
  std::vector<V> reversed;
  boost::topological_sort(g, std::back_inserter(reversed), boost::color_map(color_map));
  std::vector<V> order(reversed.rbegin(), reversed.rend());
  REQUIRE(order.size() == num_vertices(g));
  auto pos = [&](V v) { return std::find(order.begin(), order.end(), v) - order.begin(); };
  for (auto [it, end] = edges(g); it != end; ++it) CHECK(pos(source(*it, g)) < pos(target(*it, g)));

  std::vector<V> reached;
  struct recorder : boost::default_bfs_visitor {
    std::vector<V>* out;
    void discover_vertex(V v, const model&) const { out->push_back(v); }
  };
  recorder vis;
  vis.out = &reached;
  std::fill(colors.begin(), colors.end(), boost::white_color);
  boost::breadth_first_search(g, test::producer_of(g, "a"), boost::visitor(vis).color_map(color_map));
  CHECK(reached.size() == 4);  // a, b, m and the output
}

TEST_CASE("stable_array and use_list on their own", "[model][storage]") {
  nnrewrite::detail::stable_array<std::string> a;
  std::vector<const std::string*> at;
  for (int i = 0; i < 40000; ++i) at.push_back(&a.emplace_back(std::to_string(i)));
  for (int i = 0; i < 40000; i += 997) {
    CHECK(a[std::uint32_t(i)] == std::to_string(i));
    CHECK(&a[std::uint32_t(i)] == at[std::size_t(i)]);
  }
  nnrewrite::detail::stable_array<std::string> b = a;
  CHECK(b.size() == 40000);
  CHECK(b[39999] == "39999");
  nnrewrite::detail::stable_array<std::string> c = std::move(b);
  CHECK(b.size() == 0);  // NOLINT(bugprone-use-after-move): specified
  CHECK(c[12345] == "12345");

  // Past the doubling segments (16 ... 65,536 elements: 131,056 in all) into the
  // equal ones, and back down across the boundary.
  nnrewrite::detail::stable_array<std::uint32_t> big;
  std::vector<const std::uint32_t*> where;
  for (std::uint32_t i = 0; i < 300000; ++i) where.push_back(&big.emplace_back(i * 3));
  bool all = true;
  for (std::uint32_t i = 0; i < 300000; ++i) all = all && big[i] == i * 3 && &big[i] == where[i];
  CHECK(all);
  big.truncate(131000);
  CHECK(big.back() == 130999 * 3);
  big.push_back(7);
  CHECK(&big[131000] == where[131000]);  // the segment stayed
  CHECK(big[131000] == 7);

  nnrewrite::detail::use_list l;
  for (std::uint32_t i = 0; i < 5; ++i) l.push_back({i, 10 + i});  // past the two inline entries
  l.erase_edge(1);
  l.erase_if([](const nnrewrite::detail::use_entry& u) { return u.edge == 3; });
  std::vector<std::uint32_t> ids;
  for (const auto& u : l) ids.push_back(u.edge);
  CHECK(ids == std::vector<std::uint32_t>{0, 2, 4});
  nnrewrite::detail::use_list copy = l;
  nnrewrite::detail::use_list moved = std::move(l);
  CHECK(moved.size() == 3);
  CHECK(copy.size() == 3);
  CHECK(l.empty());  // NOLINT(bugprone-use-after-move): specified
  copy.clear();
  copy.push_back({9, 9});
  CHECK(copy.begin()->edge == 9);
}

TEST_CASE("interned_string: one pointer, equal strings share it, reads as a std::string", "[model][storage]") {
  STATIC_REQUIRE(sizeof(interned_string) == sizeof(void*));
  const interned_string a = "MatMul";
  const interned_string b = std::string("Mat") + "Mul";
  const interned_string empty;
  CHECK(a == b);
  CHECK(a.data() == b.data());  // the same pooled string
  CHECK(a == "MatMul");
  CHECK(a == std::string("MatMul"));
  CHECK(a == std::string_view("MatMul"));
  CHECK("MatMul" == a);
  CHECK(a != "Mul");
  CHECK(empty.empty());
  CHECK(empty == "");
  CHECK(interned_string("") == empty);
  CHECK(interned_string("Add") < a);
  const std::string& as_string = a;  // the compatibility path for code written against std::string
  CHECK(as_string == "MatMul");
  CHECK(a + "_0" == "MatMul_0");
  CHECK("op " + a == "op MatMul");
  std::ostringstream os;
  os << a;
  CHECK(os.str() == "MatMul");
  // Heterogeneous lookup in the maps the passes key by std::string.
  std::map<std::string, int, std::less<>> sizes{{"batch", 4}};
  const dim d("batch");
  CHECK(sizes.find(d.param)->second == 4);

  // Threads interning the same strings get the same pointers.
  std::vector<const char*> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t)
    threads.emplace_back([&seen, t] {
      for (int i = 0; i < 2000; ++i) (void)interned_string("op" + std::to_string(i));
      seen[t] = interned_string("op1999").data();
    });
  for (auto& t : threads) t.join();
  CHECK(std::all_of(seen.begin(), seen.end(), [&](const char* p) { return p == seen[0]; }));
}

TEST_CASE("heap_optional: std::optional's interface, one pointer when empty", "[model][storage]") {
  using nnrewrite::detail::heap_optional;
  STATIC_REQUIRE(sizeof(heap_optional<tensor>) == sizeof(void*));
  heap_optional<std::string> a;
  CHECK(!a);
  CHECK(a == std::nullopt);
  CHECK_THROWS_AS(a.value(), std::bad_optional_access);
  a = std::string("x");
  const std::string* held = &*a;
  a = std::string("y");  // reuses the held object
  CHECK(&*a == held);
  CHECK(*a == "y");
  heap_optional<std::string> b = a;  // deep copy
  CHECK(b == a);
  CHECK(&*b != &*a);
  *b = "z";
  CHECK(*a == "y");
  heap_optional<std::string> c = std::move(b);
  CHECK(c->size() == 1);
  CHECK(!b);  // NOLINT(bugprone-use-after-move): specified (the pointer moved)
  c.reset();
  CHECK(!c.has_value());
  CHECK(c.emplace(3, 'q') == "qqq");
  c = std::nullopt;
  CHECK(!c);
}

TEST_CASE("model: a node keeps one result inline and its bundle fields read as before", "[model][storage]") {
  model g;
  auto x = T::add_input(g, value_info("x", element_type::float32, dims{dim("batch"), 8}));
  auto m = T::add_op(g, "MultiThreshold", "qonnx.custom_op.general", "mt", {}, {value_info("y"), value_info("z")});
  T::connect(g, x, 0, m, 0);
  CHECK(g[m].op_type == "MultiThreshold");
  CHECK(T::op_type(g, m) == "MultiThreshold");
  CHECK(T::domain(g, m) == "qonnx.custom_op.general");
  CHECK(g[x].outputs.size() == 1);
  CHECK(g[m].outputs.size() == 2);  // a second result spills to the heap
  CHECK(T::value(g, m, 1).name == "z");
  CHECK(T::value(g, x, 0).shape->at(0).param == "batch");
  CHECK(!g[m].value);  // ops hold no tensor
  auto k = T::add_constant(g, value_info("k"), tensor(element_type::float32, {2}, std::vector<float>{1, 2}));
  REQUIRE(T::constant_value(g, k) != nullptr);
  CHECK(T::constant_value(g, k)->values<float>()[1] == 2);
  g[m].op_type = "Mul";
  g[m].domain = "";
  CHECK(T::op_type(g, m) == "Mul");
  CHECK(T::domain(g, m).empty());
  const model copy = g;
  CHECK(copy[m].op_type == "Mul");
  CHECK(copy[k].value->values<float>()[0] == 1);
  CHECK(&*copy[k].value != &*g[k].value);
}

}  // namespace model_storage_test
