// The optional dense vertex index (ir_traits::vertex_index): nnrewrite::model
// keeps one, a vecS Boost graph has one, the foreign IR has none. Per-vertex
// state is an array with it and a hash map without; both must give the same
// results; without_index<G> (tests/common) hides the index to run the map path.
#include <catch2/catch.hpp>

#include <optional>
#include <set>

#include "foreign_ir.hpp"
#include "helpers.hpp"
#include "user_boost_graph.hpp"
#include "without_index.hpp"
#include "nnrewrite/detail/per_vertex.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/nnrewrite.hpp"

using namespace nnrewrite;

namespace vertex_index_test {

using ir_check::without_index;

static_assert(has_vertex_index<model>);
static_assert(has_vertex_index<user::graph>);
static_assert(!has_vertex_index<awesome::net>);
static_assert(!has_vertex_index<without_index<model>>);
static_assert(!has_vertex_index<without_index<user::graph>>);
static_assert(ir_graph<without_index<model>> && ir_graph<without_index<user::graph>>);

template <class G>
std::set<std::size_t> live_indices(const G& g) {
  std::set<std::size_t> s;
  for (auto [it, end] = vertices(g); it != end; ++it) {
    const std::size_t i = ir_traits<G>::vertex_index(g, *it);
    CHECK(i < ir_traits<G>::vertex_index_bound(g));
    s.insert(i);
  }
  CHECK(s.size() == num_vertices(g));  // distinct
  return s;
}

// A pattern that builds a constant and an Add, then refuses: the rewriter
// destroys both again, so their indices are freed and handed out anew.
template <class G>
void add_refusing_builder(pattern_set<G>& set) {
  set.add_lambda("BuildThenRefuse", "Relu", 2, [](vertex_t<G> v, rewriter<G>& rw) {
    using value = typename rewriter<G>::value;
    const value c = rw.constant(tensor::scalar(1.0), "probe");
    (void)rw.op("Add", {value{v, 0}, c}, value_info{});
    return failure("refuses after building");
  });
}

// Cleanup (with the refusing builder) under one driver configuration; the text
// of the result and the names in topological order.
template <class G>
std::pair<std::string, std::vector<std::string>> cleaned(const std::string& text, const driver_config& cfg) {
  G g = parse_text<G>(text);
  pattern_set<G> set;
  populate_cleanup_patterns(set);
  // (Under the expensive checks, a pattern that changes the graph and fails is an error.)
  if (!cfg.expensive_checks) add_refusing_builder(set);
  const auto r = apply_patterns_greedily(g, set, cfg);
  REQUIRE(r.converged);
  std::vector<std::string> order;
  for (auto v : topological_order(g)) order.emplace_back(ir_traits<G>::name(g, v));
  return {to_text(g), order};
}

}  // namespace vertex_index_test

using namespace vertex_index_test;

TEST_CASE("model: dense indices stay distinct and below the bound, erased ones are reused, copies keep them",
          "[vertex_index]") {
  model g = parse_text<model>(test::random_cleanup_graph(7, 40));
  const std::size_t n = num_vertices(g);
  CHECK(g.index_bound() == n);
  live_indices(g);
  // Erase a third of the vertices (edges first, as erase_node does).
  std::vector<vertex_t<model>> gone;
  std::size_t k = 0;
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (k++ % 3 == 0) gone.push_back(*it);
  std::set<std::size_t> freed;
  for (auto v : gone) {
    freed.insert(g.index(v));
    ir_traits<model>::erase_node(g, v);
  }
  CHECK(g.index_bound() == n);
  live_indices(g);
  // New vertices take the freed indices before the bound grows.
  std::set<std::size_t> reused;
  for (std::size_t i = 0; i < gone.size(); ++i)
    reused.insert(g.index(ir_traits<model>::add_output(g, "o" + std::to_string(i))));
  CHECK(reused == freed);
  CHECK(g.index_bound() == n);
  live_indices(g);
  ir_traits<model>::add_output(g, "past");
  CHECK(g.index_bound() == n + 1);

  const model copy = g;
  CHECK(copy.index_bound() == g.index_bound());
  auto a = vertices(g).first;
  for (auto [b, end] = vertices(copy); b != end; ++a, ++b) CHECK(copy.index(*b) == g.index(*a));

  g.clear();
  CHECK(g.index_bound() == 0);
  CHECK(g.index(add_vertex(g)) == 0);
}

TEST_CASE("per_vertex: the array and the hash map behave alike under random use", "[vertex_index]") {
  model g = parse_text<model>(test::random_cleanup_graph(3, 60));
  const auto& plain = static_cast<const without_index<model>&>(g);
  detail::per_vertex<model, int> array(g);
  detail::per_vertex<without_index<model>, int> map(plain);
  std::vector<vertex_t<model>> vs;
  for (auto [it, end] = vertices(g); it != end; ++it) vs.push_back(*it);
  std::mt19937 rng(11);
  for (int step = 0; step < 5000; ++step) {
    const auto v = vs[rng() % vs.size()];
    switch (rng() % 4) {
      case 0: array[v] += step; map[v] += step; break;
      case 1: CHECK(array.erase(v) == map.erase(v)); break;
      case 2: CHECK(array.contains(v) == map.contains(v)); break;
      default:
        if (rng() % 50 == 0) { array.clear(); map.clear(); }
    }
    REQUIRE(array.size() == map.size());
    if (const int* p = array.find(v)) {
      REQUIRE(map.find(v));
      CHECK(*p == *map.find(v));
    } else {
      CHECK(!map.find(v));
    }
  }
  // A vertex created after the state was set up (index past its size).
  const auto late = ir_traits<model>::add_output(g, "late");
  CHECK(!array.contains(late));
  array[late] = 5;
  CHECK(*array.find(late) == 5);
}

TEST_CASE("index-backed and map-backed state give the same graphs: model and a vecS Boost graph, every order",
          "[vertex_index][confluence]") {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const std::string text = test::random_cleanup_graph(seed, 80);
    INFO("graph seed " << seed);
    for (int variant = 0; variant < 4; ++variant) {
      INFO("variant " << variant);
      driver_config cfg;
      cfg.top_down = variant == 1;
      if (variant == 2) cfg.random_seed = seed;
      cfg.expensive_checks = variant == 3;  // fingerprints and verify on every rewrite
      const auto on_model = cleaned<model>(text, cfg);
      CHECK(on_model == cleaned<without_index<model>>(text, cfg));
      CHECK(cleaned<user::graph>(text, cfg) == cleaned<without_index<user::graph>>(text, cfg));
    }
    // The executor (slot per vertex) reads the same values through either path.
    const model g = parse_text<model>(text);
    const auto in = exec::random_inputs(g, seed);
    const auto a = exec::execute(g, in);
    const auto b = exec::execute(static_cast<const without_index<model>&>(g), in);
    for (const auto& [name, t] : a) CHECK(exec::exactly_equal(t, b.at(name)));
  }
}

TEST_CASE("a cycle is reported the same way with and without the index", "[vertex_index]") {
  model g = parse_text<model>(test::random_cleanup_graph(5, 20));
  // Close a cycle: the last op's value feeds the first op.
  std::vector<vertex_t<model>> order = topological_order(g);
  std::optional<vertex_t<model>> first, last;
  for (auto v : order)
    if (ir_traits<model>::kind(g, v) == node_kind::op) {
      if (!first) first = v;
      last = v;
    }
  REQUIRE((first && first != last));
  ir_traits<model>::connect(g, *last, 0, *first, 5);
  std::string with, without;
  try { (void)topological_order(g); } catch (const graph_error& e) { with = e.what(); }
  try { (void)topological_order(static_cast<const without_index<model>&>(g)); } catch (const graph_error& e) { without = e.what(); }
  CHECK(!with.empty());
  CHECK(with.find("lies on a cycle") != std::string::npos);
  CHECK(with == without);
}
