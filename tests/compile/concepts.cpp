// Compile-time tests: which types are nnrewrite IRs. Nothing runs; the build is the test.
#include <boost/graph/adjacency_list.hpp>

#include <vector>

#include "foreign_ir.hpp"
#include "user_boost_graph.hpp"
#include "nnrewrite/ir/traits.hpp"

using namespace nnrewrite;

// The default graph and the two example IRs.
static_assert(ir_graph<model>);
static_assert(ir_graph<user::graph>);
static_assert(ir_graph<awesome::net>);

// Each structural layer on its own.
static_assert(graph<model> && incidence_graph<model> && bidirectional_graph<model>);
static_assert(vertex_list_graph<model> && mutable_graph<model>);
static_assert(bidirectional_graph<awesome::net> && vertex_list_graph<awesome::net> && mutable_graph<awesome::net>);

// Any Boost graph with nnrewrite's bundles gets ir_traits from the defaults.
using vec_model = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, node, port_edge>;
static_assert(ir_graph<vec_model>);

// Not graphs, or not enough of one.
static_assert(!graph<int>);
static_assert(!graph<std::vector<int>>);
using directed_only = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, node, port_edge>;
static_assert(incidence_graph<directed_only>);
static_assert(!bidirectional_graph<directed_only>);  // no in-edges: rewriting needs them
static_assert(!ir_graph<directed_only>);
// A bidirectional graph with foreign bundles and no ir_traits specialization.
using no_traits = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, int, int>;
static_assert(rewritable_graph<no_traits>);
static_assert(!ir_graph<no_traits>);  // until ir_traits<no_traits> is specialized
