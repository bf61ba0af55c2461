// Every pass, the executor, the matchers and the driver on all three IRs: the
// default nnrewrite::model, a user's own Boost graph (user::graph: constants and
// values handed out *by value*, as std::optional<tensor> / value_info) and a
// foreign map-of-nodes IR (awesome::net: nodes keyed by their value's name).
// A template that was never instantiated for a user IR is untested; each case
// here runs three times, under ASan in CI.
//
// The graphs give every node the name of the value it produces (both example IRs
// do that), so the canonical text of a result is the same on all three IRs, and
// is compared against nnrewrite::model's.
#include <catch2/catch.hpp>

#include "foreign_ir.hpp"
#include "user_boost_graph.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/nnrewrite.hpp"

using namespace nnrewrite;
using namespace nnrewrite::pattern;

namespace {

const char* const chain = R"(graph {
  input %x: float32[2,4]
  const %a: float32[] = [0.5]
  node m: Mul(%x, %a) -> %m: float32[2,4]
  const %k1: float32[4] = [1, 2, 3, 4]
  const %k2: float32[4] = [5, 6, 7, 8]
  node k: Add(%k1, %k2) -> %k: float32[4]
  node y: Add(%m, %k) -> %y: float32[2,4]
  const %shape: int64[2] = [4, 2]
  node r: Reshape(%y, %shape) -> %r: float32[4,2]
  node z: Relu(%r) -> %z: float32[4,2]
  const %one: float32[] = [1]
  node id: Mul(%z, %one) -> %id: float32[4,2]
  node dead: Neg(%z) -> %dead: float32[4,2]
  output %id
})";

// Two sites of Mul(Mul(x, scalar), scalar): the README's pattern must make two
// distinct constants, and the outputs must keep their names.
const char* const two_sites = R"(graph {
  input %x: float32[1,4]
  input %w: float32[1,4]
  const %a: float32[] = [0.5]
  const %b: float32[] = [3]
  node m1: Mul(%x, %a) -> %m1: float32[1,4]
  node y: Mul(%m1, %b) -> %y: float32[1,4]
  const %c: float32[] = [0.25]
  const %d: float32[] = [2]
  node m3: Mul(%w, %c) -> %m3: float32[1,4]
  node v: Mul(%m3, %d) -> %v: float32[1,4]
  output %y
  output %v
})";

exec::tensor_map inputs_for(const char* text, std::uint64_t seed) {
  return exec::random_inputs(parse_text<model>(text), seed);
}

// The outputs of `text` run on nnrewrite::model: the reference for every IR.
exec::tensor_map reference(const char* text, const exec::tensor_map& in) { return exec::execute(parse_text<model>(text), in); }

void require_same(const exec::tensor_map& a, const exec::tensor_map& b) {
  REQUIRE(a.size() == b.size());
  for (const auto& [name, t] : a) {
    INFO("output " << name);
    REQUIRE(b.count(name));
    CHECK(exec::all_close(t, b.at(name), 1e-6, 1e-6));
  }
}

// The README's rewriting pattern, written once for any IR with the builders.
template <ir_graph G>
struct collapse_repeated_mul final : rewrite_pattern<G> {
  using V = vertex_t<G>;
  collapse_repeated_mul() : rewrite_pattern<G>("CollapseRepeatedMul", "Mul") {}
  match_result match_and_rewrite(V v, rewriter<G>& rw) const override {
    value_ref<V> x{};
    captured_constant<G> a, b;
    if (!matches(op("Mul")(op("Mul").where(single_use)(any(&x), scalar_const(&a)), scalar_const(&b)), rw.graph(), v))
      return failure("not Mul(Mul(x, scalar), scalar) with a single-use inner Mul");
    const auto fused = rw.op_with_constant("Mul", x, a.tensor() * b.tensor(), ir_traits<G>::value(rw.graph(), v, 0));
    rw.replace_op(v, {fused});
    return success();
  }
};

std::size_t count_ops_named(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

#define ALL_IRS model, user::graph, awesome::net

TEMPLATE_TEST_CASE("the executor runs every IR, constants handed out by value included", "[all_irs][exec]", ALL_IRS) {
  const TestType g = parse_text<TestType>(chain);
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const auto in = inputs_for(chain, seed);
    require_same(reference(chain, in), exec::execute(g, in));
  }
}

TEMPLATE_TEST_CASE("matchers read constants safely and capture their tensors", "[all_irs][pattern]", ALL_IRS) {
  using V = vertex_t<TestType>;
  const TestType g = parse_text<TestType>(chain);
  const V m = find_value(g, "m")->node;
  captured_constant<TestType> a;
  value_ref<V> x{};
  REQUIRE(matches(op("Mul")(any(&x), scalar_const(&a)), g, m));
  CHECK(a.tensor().get(0) == 0.5);
  CHECK(x.node == find_value(g, "x")->node);
  CHECK(matches(op("Mul")(any(), positive_const()), g, m));
  CHECK_FALSE(matches(op("Mul")(any(), constant_where([](const tensor& t) { return t.get(0) > 1; })), g, m));
  // [4] meets [2,4] data: channelwise along the last data axis, not along axis 0.
  const V y = find_value(g, "y")->node;
  CHECK_FALSE(matches(op("Add")(any(), channelwise_const(0)), g, y));
}

TEMPLATE_TEST_CASE("constant folding keeps the names and the function", "[all_irs][passes]", ALL_IRS) {
  TestType g = parse_text<TestType>(chain);
  pattern_set<TestType> ps;
  ps.template add<fold_constant_op<TestType>>();
  driver_config cfg;
  cfg.expensive_checks = true;
  const auto r = apply_patterns_greedily(g, ps, cfg);
  CHECK(r.converged);
  CHECK(r.per_pattern.at("FoldConstants") == 1);
  CHECK(verify(g).empty());
  const auto k = find_value(g, "k");  // the folded value took over the name
  REQUIRE(k);
  CHECK(ir_traits<TestType>::kind(g, k->node) == node_kind::constant);
  model expected = parse_text<model>(chain);
  CHECK(apply_patterns_greedily(expected, [] { pattern_set<model> p; p.add<fold_constant_op<model>>(); return p; }()).converged);
  CHECK(to_text(g) == to_text(expected));
  const auto in = inputs_for(chain, 7);
  require_same(reference(chain, in), exec::execute(g, in));
}

TEMPLATE_TEST_CASE("the cleanup set gives the same graph on every IR", "[all_irs][passes]", ALL_IRS) {
  TestType g = parse_text<TestType>(chain);
  driver_config cfg;
  cfg.expensive_checks = true;
  const auto r = cleanup(g, cfg);
  CHECK(r.converged);
  CHECK(verify(g).empty());
  model expected = parse_text<model>(chain);
  CHECK(cleanup(expected).converged);
  CHECK(to_text(g) == to_text(expected));
  const std::string text = to_text(g);
  CHECK(text.find("Neg") == std::string::npos);        // dead
  CHECK(text.find("%one") == std::string::npos);       // Mul by one removed, constant dead
  CHECK(text.find("output %id") == std::string::npos);  // the output is now fed by %z
  const auto in = inputs_for(chain, 11);
  require_same(reference(chain, in), exec::execute(g, in));
}

TEMPLATE_TEST_CASE("dead-node removal and whole-graph inference run on every IR", "[all_irs][passes]", ALL_IRS) {
  TestType g = parse_text<TestType>(R"(graph {
    input %x: float32[2,4]
    const %w: float32[4,3] = splat 0.5
    node mm: MatMul(%x, %w) -> %mm: float32
    node t: Transpose(%mm) {perm = [1, 0]} -> %t: float32
    node unused: Relu(%x) -> %unused: float32[2,4]
    output %t
  })");
  CHECK(remove_dead_nodes(g) == 1);
  CHECK_FALSE(find_value(g, "unused"));
  CHECK(infer_value_infos(g) == 2);
  CHECK(to_string(*ir_traits<TestType>::value(g, find_value(g, "t")->node, 0).shape) == "[3,2]");
  CHECK(verify(g).empty());
}

TEMPLATE_TEST_CASE("bind_input_dims sizes symbolic dims by name where the IR keeps names", "[all_irs][passes]", ALL_IRS) {
  const char* text = R"(graph {
    input %x: float32[batch,3,height,height]
    node r: Relu(%x) -> %r: float32[batch,3,height,height]
    node p: GlobalAveragePool(%r) -> %p: float32[batch,3,1,1]
    output %p
  })";
  TestType g = parse_text<TestType>(text);
  using T = ir_traits<TestType>;
  if (T::value(g, find_value(g, "x")->node, 0).shape->front().param.empty()) {
    // This IR keeps no symbolic names (the example Boost graph and the foreign IR
    // store -1): there is nothing to bind by name, and it says so.
    CHECK_THROWS_WITH(bind_input_dims(g, {{"batch", 2}}), Catch::Contains("no graph input has a dimension named 'batch'"));
    return;
  }
  bind_input_dims(g, {{"batch", 2}, {"height", 5}});
  CHECK(to_string(*T::value(g, find_value(g, "x")->node, 0).shape) == "[2,3,5,5]");
  CHECK(to_string(*T::value(g, find_value(g, "r")->node, 0).shape) == "[2,3,5,5]");
  CHECK(to_string(*T::value(g, find_value(g, "p")->node, 0).shape) == "[2,3,1,1]");
  CHECK(exec::random_inputs(g, 1).at("x").shape() == shape_t{2, 3, 5, 5});
  CHECK(verify(g).empty());
  // Errors leave the graph as it was.
  TestType h = parse_text<TestType>(text);
  const std::string before = to_text(h);
  CHECK_THROWS_WITH(bind_input_dims(h, {{"batch", 1}, {"width", 4}}), Catch::Contains("no graph input has a dimension named 'width'"));
  CHECK_THROWS_WITH(bind_input_dims(h, {{"batch", 0}}), Catch::Contains("'batch' = 0: a size must be at least 1"));
  CHECK(to_text(h) == before);
}

TEMPLATE_TEST_CASE("identity removal on every IR", "[all_irs][passes]", ALL_IRS) {
  TestType g = parse_text<TestType>(R"(graph {
    input %x: float32[2,4]
    node i: Identity(%x) -> %i: float32[2,4]
    const %zero: float32[4] = splat 0
    node a: Add(%zero, %i) -> %a: float32[2,4]
    const %ones: float32[1,2,4] = splat 1
    node m: Mul(%a, %ones) -> %m: float32[1,2,4]
    output %m
  })");
  pattern_set<TestType> ps;
  populate_identity_removal_patterns(ps);
  driver_config cfg;
  cfg.expensive_checks = true;
  cfg.trace = true;
  const auto r = apply_patterns_greedily(g, ps, cfg);
  CHECK(r.converged);
  CHECK(r.rewrites == 2);  // the Mul broadcasts [2,4] to [1,2,4]: not an identity
  CHECK(verify(g).empty());
  CHECK(to_text(g).find("Mul(%x, %ones)") != std::string::npos);
}

TEMPLATE_TEST_CASE("the README's pattern makes valid graphs with unique names on every IR", "[all_irs][driver]", ALL_IRS) {
  TestType g = parse_text<TestType>(two_sites);
  pattern_set<TestType> ps;
  ps.template add<collapse_repeated_mul<TestType>>();
  driver_config cfg;
  cfg.expensive_checks = true;
  cfg.policy = non_convergence::throw_error;
  const auto r = apply_patterns_greedily(g, ps, cfg);
  CHECK(r.rewrites == 2);
  CHECK(verify(g).empty());
  const std::string text = to_text(g);
  INFO(text);
  CHECK(count_ops_named(text, "output %y\n") == 1);  // outputs keep their value names
  CHECK(count_ops_named(text, "output %v\n") == 1);
  CHECK(count_ops_named(text, "y_param") == 2);       // the new constant, named after what it scales
  CHECK(count_ops_named(text, "v_param") == 2);
  CHECK(text.find("_replaced") == std::string::npos);
  const auto in = inputs_for(two_sites, 3);
  require_same(reference(two_sites, in), exec::execute(g, in));
}

TEMPLATE_TEST_CASE("a driver run that throws leaves the graph as it was", "[all_irs][driver]", ALL_IRS) {
  TestType g = parse_text<TestType>(two_sites);
  const std::string before = to_text(g);
  // The second application throws after it has changed the graph; the first has completed.
  const collapse_repeated_mul<TestType> collapse;
  int applied = 0;
  pattern_set<TestType> ps;
  ps.add_lambda("CollapseThenThrow", "Mul", 1, [&](vertex_t<TestType> v, rewriter<TestType>& rw) {
    auto r = collapse.match_and_rewrite(v, rw);
    if (r && ++applied == 2) throw graph_error("CollapseThenThrow", "deliberate failure");
    return r;
  });
  CHECK_THROWS_WITH(apply_patterns_greedily(g, ps), Catch::Contains("deliberate failure"));
  CHECK(to_text(g) == before);
  CHECK(verify(g).empty());

  // By policy, stop at the last consistent state instead: the first rewrite stays.
  applied = 0;
  driver_config keep;
  keep.restore_on_error = false;
  CHECK_THROWS(apply_patterns_greedily(g, ps, keep));
  CHECK(verify(g).empty());
  CHECK(to_text(g) != before);
  CHECK(count_ops_named(to_text(g), "_param") == 2);
}

TEMPLATE_TEST_CASE("renaming a value changes its name alone, and rollback restores it", "[all_irs][rewriter]", ALL_IRS) {
  using T = ir_traits<TestType>;
  TestType g = parse_text<TestType>(two_sites);
  const std::string before = to_text(g);
  const auto m1 = *find_value(g, "m1");
  // The customization point (model, the Boost example) or its fallback (the foreign IR).
  CHECK(exchange_value_name(g, m1.node, m1.port, "renamed") == "m1");
  const value_info& info = T::value(g, m1.node, m1.port);
  CHECK(info.name == "renamed");
  CHECK(info.shape == std::optional<dims>(dims{1, 4}));
  CHECK(info.elem == element_type::float32);
  CHECK(exchange_value_name(g, m1.node, m1.port, "m1") == "renamed");
  CHECK(to_text(g) == before);
  // take_name renames twice; a rollback undoes both.
  rewriter<TestType> rw(g);
  const auto n = rw.op("Neg", {*find_value(g, "x")}, value_info("", element_type::float32, dims{1, 4}));
  rw.replace_all_uses(m1, n);
  CHECK(T::value(g, n.node, 0).name == "m1");
  CHECK(T::value(g, m1.node, m1.port).name == "m1_replaced");
  rw.rollback(0);
  rw.flush();
  CHECK(to_text(g) == before);
}

TEMPLATE_TEST_CASE("one name index serves several rewriters and driver runs on a graph", "[all_irs][rewriter][driver]", ALL_IRS) {
  using T = ir_traits<TestType>;
  TestType g = parse_text<TestType>(two_sites);
  name_index names(g);
  {
    rewriter<TestType> rw(g, &names);
    CHECK(T::value(g, rw.constant(tensor::scalar(1.0), "k").node, 0).name == "k");
    rw.commit();
  }
  CHECK(names.taken("k"));  // the rewriter reserved it in the caller's index
  {
    rewriter<TestType> rw(g, &names);
    CHECK(T::value(g, rw.constant(tensor::scalar(2.0), "k").node, 0).name == "k_1");
    rw.commit();
  }
  // The driver hands cfg.names to its rewriter: the new constants' names land there.
  pattern_set<TestType> ps;
  ps.template add<collapse_repeated_mul<TestType>>();
  driver_config cfg;
  cfg.names = &names;
  cfg.expensive_checks = true;
  CHECK(!names.taken("y_param"));
  CHECK(apply_patterns_greedily(g, ps, cfg).rewrites == 2);
  CHECK(names.taken("y_param"));
  CHECK(names.taken("v_param"));
  CHECK(verify(g).empty());  // verify checks that no two values share a name
}

TEMPLATE_TEST_CASE("builders, fresh names and copy-on-write constants", "[all_irs][rewriter]", ALL_IRS) {
  using V = vertex_t<TestType>;
  using T = ir_traits<TestType>;
  TestType g = parse_text<TestType>(R"(graph {
    input %x: float32[1,4]
    const %s: float32[] = [2]
    node a: Mul(%x, %s) -> %a: float32[1,4]
    node b: Mul(%a, %s) -> %b: float32[1,4]
    output %b
  })");
  rewriter<TestType> rw(g);
  CHECK(rw.fresh_name("x") == "x_1");
  CHECK(rw.fresh_name("x") == "x_2");
  CHECK(rw.fresh_name("new") == "new");
  CHECK(rw.fresh_name("new") == "new_1");
  // %s feeds two Muls: changing it for one must copy it.
  const V a = find_value(g, "a")->node, b = find_value(g, "b")->node;
  const auto c = rw.replace_constant_operand(b, 1, tensor::scalar(3.0));
  CHECK(c.node != find_value(g, "s")->node);
  CHECK((*T::constant_value(g, find_value(g, "s")->node)).get(0) == 2.0);
  CHECK((*T::constant_value(g, c.node)).get(0) == 3.0);
  // Now %s has one use left: set in place.
  const auto s2 = rw.replace_constant_operand(a, 1, tensor::scalar(5.0));
  CHECK(s2.node == find_value(g, "s")->node);
  CHECK((*T::constant_value(g, s2.node)).get(0) == 5.0);
  rw.commit();
  rw.flush();
  CHECK(verify(g).empty());
  const auto in = exec::random_inputs(parse_text<model>(to_text(g)), 1);
  const auto y = exec::execute(g, in).at("b");
  CHECK(y.get(0) == Approx(in.at("x").get(0) * 15.0));
}
