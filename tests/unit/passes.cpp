#include <catch2/catch.hpp>

#include <random>
#include <sstream>

#include "helpers.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/passes.hpp"

using namespace nnrewrite;
using test::producer_of;
using test::T;
using test::V;

namespace {

std::size_t count_ops(const model& g, std::string_view type = {}) {
  std::size_t n = 0;
  for (auto [it, end] = vertices(g); it != end; ++it)
    n += T::kind(g, *it) == node_kind::op && (type.empty() || T::op_type(g, *it) == type);
  return n;
}

const char* const two_constants = R"(graph {
  input %x: float32[2]
  const %a: float32[2] = [1, 2]
  const %b: float32[2] = [3, 4]
  node s: Add(%a, %b) -> %ab: float32[2]
  node m: Mul(%x, %ab) -> %y: float32[2]
  output %y
})";

// Counts what the rewriter tells its listeners.
struct counting_listener final : rewrite_listener<V> {
  int created = 0, erased = 0, modified = 0, restored = 0;
  void on_created(V) override { ++created; }
  void on_erased(V) override { ++erased; }
  void on_modified(V) override { ++modified; }
  void on_restored(V) override { ++restored; }
};

}  // namespace

TEST_CASE("fold: a constant subexpression becomes one constant, and folding again finds nothing", "[passes][fold]") {
  model g = parse_text(two_constants);
  auto in = exec::random_inputs(g, 1);
  auto before = exec::execute(g, in);
  pattern_set<model> set;
  set.add<fold_constant_op<model>>();
  auto r = apply_patterns_greedily(g, set);
  CHECK(r.converged);
  CHECK(r.per_pattern["FoldConstants"] == 1);
  CHECK(count_ops(g) == 1);
  const V folded = producer_of(g, "ab");
  REQUIRE(T::kind(g, folded) == node_kind::constant);
  CHECK(T::constant_value(g, folded)->to_doubles() == std::vector<double>{4, 6});
  CHECK(exec::exactly_equal(exec::execute(g, in).at("y"), before.at("y")));
  // The folded constant is not an op: nothing is folded twice.
  auto again = apply_patterns_greedily(g, set);
  CHECK(again.rewrites == 0);
  CHECK(again.dead_erased == 0);
}

TEST_CASE("fold: refuses with a reason what it must not fold", "[passes][fold]") {
  auto reasons = [](const std::string& text, fold_options opt = {}) {
    model g = parse_text(text);
    const std::string before = to_text(g);
    pattern_set<model> set;
    set.add<fold_constant_op<model>>(std::move(opt));
    driver_config cfg;
    cfg.trace = true;
    auto r = apply_patterns_greedily(g, set, cfg);
    CHECK(r.rewrites == 0);
    CHECK(to_text(g) == before);
    std::string all;
    for (const auto& t : r.trace) all += t.reason + "\n";
    return all;
  };
  const std::string quant = R"(graph {
    const %w: float32[2] = [0.3, -0.7]
    const %s: float32[] = [0.5]
    const %z: float32[] = [0]
    const %b: float32[] = [4]
    node q: qonnx.custom_op.general.Quant(%w, %s, %z, %b) {signed = 1} -> %wq: float32[2]
    output %wq
  })";
  CHECK_THAT(reasons(quant), Catch::Contains("Quant is excluded from folding"));
  fold_options small;
  small.max_elements = 100;
  CHECK_THAT(reasons(R"(graph {
    const %c: float32[] = [1]
    const %shape: int64[2] = [100, 100]
    node e: Expand(%c, %shape) -> %big: float32[100,100]
    output %big
  })", small), Catch::Contains("10000 elements, more than the folding limit 100"));
  CHECK_THAT(reasons(R"(graph {
    const %c: float32[2] = [1, 2]
    node u: my.domain.Mystery(%c) -> %m: float32[2]
    output %m
  })"), Catch::Contains("no kernel for Mystery"));
  CHECK_THAT(reasons(R"(graph {
    input %x: float32[2]
    const %c: float32[2] = [1, 2]
    node a: Add(%x, %c) -> %y: float32[2]
    output %y
  })"), Catch::Contains("an operand is not a constant"));
}

TEST_CASE("fold: the listeners hear of the new constant, the erased op and the rewired user", "[passes][fold][listener]") {
  model g = parse_text(two_constants);
  rewriter<model> rw(g);
  counting_listener seen;
  rw.add_listener(&seen);
  fold_constant_op<model> fold;
  REQUIRE(fold.match_and_rewrite(producer_of(g, "ab"), rw));
  CHECK(seen.created == 1);
  CHECK(seen.erased == 1);
  CHECK(seen.modified >= 1);  // the Mul's operand changed
  CHECK(seen.restored == 0);
  // Rolled back, every change is heard of again: the constant as erased, the rest restored.
  rw.rollback(0);
  CHECK(seen.erased == 2);
  CHECK(seen.restored >= 2);
  CHECK(to_text(g) == to_text(parse_text(two_constants)));
}

TEST_CASE("remove_dead_nodes follows producers and keeps graph inputs", "[passes][dead]") {
  model g = parse_text(R"(graph {
    input %x: float32[2]
    input %spare: float32[2]
    const %k: float32[] = [2]
    node a: Mul(%x, %k) -> %a: float32[2]
    node b: Relu(%a) -> %b: float32[2]
    node keep: Neg(%x) -> %y: float32[2]
    output %y
  })");
  CHECK(remove_dead_nodes(g) == 3);
  CHECK(count_ops(g) == 1);
  CHECK(T::graph_inputs(g).size() == 2);
  CHECK(remove_dead_nodes(g) == 0);
  CHECK(verify(g).empty());
}

TEST_CASE("inference: a declared shape the operands contradict is an error naming the node", "[passes][infer]") {
  model g = parse_text(R"(graph {
    input %x: float32[1,4]
    const %w: float32[4,3] = splat 1
    node mm: MatMul(%x, %w) -> %y: float32[1,5]
    output %y
  })");
  CHECK_THROWS_WITH(infer_value_infos(g), Catch::Contains("node 'mm'") && Catch::Contains("declared [1,5]") &&
                                               Catch::Contains("operands give [1,3]"));
  model h = parse_text(R"(graph {
    input %x: float32[1,4]
    const %w: float32[5,3] = splat 1
    node mm: MatMul(%x, %w) -> %y: float32
    output %y
  })");
  CHECK_THROWS_WITH(infer_value_infos(h), Catch::Contains("node 'mm'") && Catch::Contains("inner dimensions differ"));
  model k = parse_text(R"(graph {
    input %x: float32[1,4]
    node c: Cast(%x) {to = 7} -> %y: float32[1,4]
    output %y
  })");
  CHECK_THROWS_AS(infer_value_infos(k), type_error);
}

TEST_CASE("inference: an error leaves the graph as it was, also what it had already updated", "[passes][infer]") {
  // The Relu's result gets its shape before the MatMul below it fails.
  model g = parse_text(R"(graph {
    input %x: float32[1,4]
    node r: Relu(%x) -> %h: float32
    const %w: float32[5,3] = splat 1
    node mm: MatMul(%h, %w) -> %y: float32
    output %y
  })");
  const std::string before = to_text(g);
  CHECK_THROWS_WITH(infer_value_infos(g), Catch::Contains("node 'mm'"));
  CHECK(to_text(g) == before);
}

TEST_CASE("inference: ops without rules and symbolic dims are left as they are", "[passes][infer]") {
  model g = parse_text(R"(graph {
    input %x: float32[N,4] @NC
    node u: my.domain.Mystery(%x) -> %m: float32
    node r: Relu(%x) -> %y: float32[N,?]
    output %y
    output %m
  })");
  CHECK(infer_value_infos(g) == 1);
  CHECK(T::value(g, producer_of(g, "m"), 0).shape == std::nullopt);
  const value_info& y = T::value(g, producer_of(g, "y"), 0);
  REQUIRE(y.shape);
  CHECK(to_string(*y.shape) == "[N,4]");
  CHECK(y.layout == "NC");
  CHECK(infer_value_infos(g) == 0);
}

TEST_CASE("the driver re-infers exactly what a rewrite touched", "[passes][infer][driver]") {
  // A chain of Relus; a pattern turns the last Relu's input into a fresh Neg(Neg(x))
  // whose results it leaves undescribed. Inference must fill them in, and not
  // revisit the untouched part of the chain.
  std::ostringstream s;
  s << "graph {\n input %x: float32[3,5] @NC\n";
  std::string prev = "x";
  for (int i = 0; i < 40; ++i) {
    s << " node r" << i << ": Relu(%" << prev << ") -> %r" << i << ": float32[3,5] @NC\n";
    prev = "r" + std::to_string(i);
  }
  s << " output %" << prev << "\n}\n";
  model g = parse_text(s.str());
  pattern_set<model> set;
  set.add_lambda("DoubleNegate", "Relu", 1, [](V v, rewriter<model>& rw) -> match_result {
    const model& m = rw.graph();
    if (T::name(m, v) != "r39") return failure("not the last Relu");
    auto x = operand(m, v, 0);
    if (T::op_type(m, x->node) == "Neg") return failure("already negated");
    V n1 = rw.create_op("Neg", "", {x}, {value_info("n1")});
    V n2 = rw.create_op("Neg", "", {value_ref<V>{n1, 0}}, {value_info("n2")});
    rw.set_operand(v, 0, value_ref<V>{n2, 0});
    return success();
  });
  SECTION("as a touched-node hook") { add_value_info_inference(set); }
  SECTION("as a pattern") { set.add<infer_value_info<model>>(); }
  auto r = apply_patterns_greedily(g, set);
  CHECK(r.converged);
  CHECK(r.per_pattern["DoubleNegate"] == 1);
  CHECK(r.per_pattern["InferValueInfo"] == 2);  // n1 and n2, nothing else changed
  for (const char* name : {"n1", "n2"}) {
    const value_info& info = T::value(g, producer_of(g, name), 0);
    REQUIRE(info.shape);
    CHECK(to_string(*info.shape) == "[3,5]");
    CHECK(info.layout == "NC");
  }
}

TEST_CASE("the cleanup set is confluent on random graphs and keeps their function", "[passes][confluence]") {
  for (std::uint32_t graph_seed : {1u, 2u, 3u}) {
    const std::string text = test::random_cleanup_graph(graph_seed, 60);
    INFO("graph seed " << graph_seed);
    const model original = parse_text(text);
    auto in = exec::random_inputs(original, graph_seed);
    const auto before = exec::execute(original, in);
    std::string reference;
    for (int variant = 0; variant < 6; ++variant) {
      model g = parse_text(text);
      driver_config cfg;
      cfg.top_down = variant == 1;
      if (variant > 1) cfg.random_seed = std::uint64_t(variant);
      auto r = cleanup(g, cfg);
      REQUIRE(r.converged);
      CHECK(count_ops(g, "Identity") == 0);
      const auto after = exec::execute(g, in);
      for (const auto& [name, t] : before) CHECK(exec::all_close(after.at(name), t, 1e-6, 0));
      if (variant == 0) reference = to_text(g);
      else CHECK(to_text(g) == reference);
    }
  }
}

TEST_CASE("a cleanup run that fails midway leaves the graph exactly as it was (D25)", "[passes][errors]") {
  // The Add declares a float16 result for float32 operands: inference throws after
  // the Identity and the Div by one have been removed. Before, the removed nodes
  // stayed as 0-operand ops and the output was rewired.
  const char* text = R"(graph {
    input %x: float32[1,8]
    const %zero: float32[] = [0]
    const %ones: float32[8] = splat 1
    const %one: float32[1,1] = [1]
    node id: Identity(%x) -> %a: float32[1,8]
    node add: Add(%a, %zero) -> %b: float16[1,8]
    node mul: Mul(%ones, %b) -> %c: float32[1,8]
    node div: Div(%c, %one) -> %y: float32[1,8]
    output %y
  })";
  for (bool restore : {true, false}) {
    model g = parse_text(text);
    const std::string before = to_text(g);
    driver_config cfg;
    cfg.restore_on_error = restore;
    CHECK_THROWS_WITH(cleanup(g, cfg), Catch::Contains("'b' is declared float16"));
    CHECK(verify(g).empty());
    if (restore) CHECK(to_text(g) == before);
  }
}
