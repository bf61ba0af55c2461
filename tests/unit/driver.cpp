#include <catch2/catch.hpp>

#include <sstream>

#include "helpers.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/pattern/matchers.hpp"
#include "nnrewrite/rewrite/driver.hpp"

using namespace nnrewrite;
using namespace nnrewrite::pattern;
using test::producer_of;
using test::T;
using test::V;

namespace {

// A chain x -> Mul(c1) -> Mul(c2) -> ... -> y of scalar multiplications.
model mul_chain(int n) {
  std::ostringstream s;
  s << "graph {\n input %x: float32[1,8]\n";
  std::string prev = "x";
  for (int i = 0; i < n; ++i) {
    s << " const %c" << i << ": float32[] = [" << (1.0 + 0.01 * i) << "]\n";
    s << " node m" << i << ": Mul(%" << prev << ", %c" << i << ") -> %v" << i << ": float32[1,8]\n";
    prev = "v" + std::to_string(i);
  }
  s << " output %" << prev << "\n}\n";
  return parse_text(s.str());
}

// Mul(Mul(x, a), b) -> Mul(x, a*b), when the inner Mul is used once.
struct collapse_mul final : rewrite_pattern<model> {
  collapse_mul() : rewrite_pattern<model>("CollapseRepeatedMul", "Mul") {}
  match_result match_and_rewrite(V v, rewriter<model>& rw) const override {
    const model& g = rw.graph();
    value_ref<V> x{}, a{}, b{};
    V inner{};
    if (!matches(op("Mul")(op("Mul").bind(&inner).where(single_use)(any(&x), scalar_const(&a)), scalar_const(&b)), g, v))
      return failure("not Mul(Mul(x, scalar), scalar) with a single-use inner Mul");
    tensor ab = *T::constant_value(g, a.node) * *T::constant_value(g, b.node);
    V c = rw.create_constant(value_info(T::value(g, b.node, 0).name + "_x"), ab);
    V fused = rw.create_op("Mul", "", {x, value_ref<V>{c, 0}}, {T::value(g, v, 0)}, {}, std::string(T::name(g, v)));
    rw.replace_op(v, {value_ref<V>{fused, 0}});
    return success();
  }
};

pattern_set<model> collapse_set() {
  pattern_set<model> s;
  s.add<collapse_mul>();
  return s;
}

// Mul(x, c) <-> Mul(c, x): two patterns that undo each other.
pattern_set<model> flip_flop() {
  pattern_set<model> s;
  auto swap = [](bool constant_first) {
    return [constant_first](V v, rewriter<model>& rw) -> match_result {
      const model& g = rw.graph();
      auto ops = operands(g, v);
      if (ops.size() != 2 || !ops[0] || !ops[1]) return failure("not binary");
      const bool c0 = T::kind(g, ops[0]->node) == node_kind::constant;
      if (c0 == constant_first) return failure("already in this order");
      V swapped = rw.create_op("Mul", "", {ops[1], ops[0]}, {T::value(g, v, 0)});
      rw.replace_op(v, {value_ref<V>{swapped, 0}});
      return success();
    };
  };
  s.add_lambda("ConstantFirst", "Mul", 1, swap(true));
  s.add_lambda("ConstantLast", "Mul", 1, swap(false));
  return s;
}

}  // namespace

TEST_CASE("greedy driver reaches the fixpoint and keeps the function", "[driver]") {
  model g = mul_chain(50);
  auto in = exec::random_inputs(g, 3);
  auto before = exec::execute(g, in);
  auto r = apply_patterns_greedily(g, collapse_set());
  CHECK(r.converged);
  CHECK(r.reason == stop_reason::fixpoint);
  CHECK(r.rewrites == 49);
  CHECK(r.per_pattern.at("CollapseRepeatedMul") == 49);
  CHECK(verify(g).empty());
  std::size_t muls = 0;
  for (auto [it, end] = vertices(g); it != end; ++it) muls += T::op_type(g, *it) == "Mul";
  CHECK(muls == 1);
  CHECK(exec::all_close(exec::execute(g, in).at("v49"), before.at("v49"), 1e-5, 0));
  CHECK_THAT(to_string(r), Catch::StartsWith("converged after") && Catch::Contains("49 x CollapseRepeatedMul"));
  CHECK(fmt::format("{}", r) == to_string(r));
}

TEST_CASE("seed_rooted_ops_only: patterns rooted at any op see only what rewrites touch", "[driver]") {
  // Two Mul chains; an any-op pattern counts the ops it is tried on.
  model g = parse_text(R"(graph {
    input %x: float32[4]
    const %a: float32[] = [2]
    const %b: float32[] = [3]
    node m1: Mul(%x, %a) -> %m1: float32[4]
    node m2: Mul(%m1, %b) -> %m2: float32[4]
    node r: Relu(%m2) -> %r: float32[4]
    node n: Neg(%r) -> %n: float32[4]
    node a: Abs(%n) -> %y: float32[4]
    output %y
  })");
  auto set = collapse_set();
  std::vector<std::string> seen;
  set.add_lambda("Observe", "", 0, [&](V v, rewriter<model>& rw) {
    seen.emplace_back(T::name(rw.graph(), v));
    return failure("observes only");
  });
  driver_config cfg;
  cfg.seed_rooted_ops_only = true;
  CHECK(apply_patterns_greedily(g, set, cfg).rewrites == 1);
  // The Relu because the rewrite changed its operand, the Neg as a user of what
  // changed; never the Abs (no pattern is rooted at it, nothing next to it changed).
  CHECK(std::count(seen.begin(), seen.end(), "a") == 0);
  CHECK(std::count(seen.begin(), seen.end(), "r") >= 1);
  CHECK(set.roots_at("", "Mul"));
  CHECK_FALSE(set.roots_at("", "Neg"));
  CHECK(set.has_any_root());
  seen.clear();
  cfg.seed_rooted_ops_only = false;
  (void)apply_patterns_greedily(g, set, cfg);
  CHECK(std::count(seen.begin(), seen.end(), "a") >= 1);
}

TEST_CASE("touched hooks run on changed nodes and on the users of changed values only", "[driver]") {
  // m0 -> m1 -> m2 -> y. A pattern that tags m0 (an attribute: m0's result is what
  // it was) must not hook m1; one that changes m0's result description must.
  for (const bool change_value : {false, true}) {
    model g = mul_chain(3);
    pattern_set<model> set;
    set.add_lambda("Tag", "Mul", 1, [change_value](V v, rewriter<model>& rw) -> match_result {
      const model& gr = rw.graph();
      if (T::name(gr, v) != "m0" || T::attributes(gr, v).contains("tag")) return failure("not m0, or tagged");
      rw.set_attribute(v, "tag", std::int64_t(1));
      if (change_value) {
        value_info info = T::value(gr, v, 0);
        info.layout = "NC";
        rw.set_value_info(v, 0, info);
      }
      return success();
    });
    std::vector<std::string> hooked;
    set.add_touched_hook("Record", [&](V v, rewriter<model>& rw) {
      hooked.push_back(std::string(T::name(rw.graph(), v)));
      return false;
    });
    const auto r = apply_patterns_greedily(g, set);
    REQUIRE(r.converged);
    CHECK(r.per_pattern.at("Tag") == 1);
    std::sort(hooked.begin(), hooked.end());
    hooked.erase(std::unique(hooked.begin(), hooked.end()), hooked.end());
    if (change_value) CHECK(hooked == std::vector<std::string>{"m0", "m1"});
    else CHECK(hooked == std::vector<std::string>{"m0"});
  }
}

TEST_CASE("any worklist order gives the same graph (confluence)", "[driver]") {
  auto run = [](std::optional<std::uint64_t> seed, bool top_down) {
    model g = mul_chain(30);
    driver_config cfg;
    cfg.random_seed = seed;
    cfg.top_down = top_down;
    auto r = apply_patterns_greedily(g, collapse_set(), cfg);
    REQUIRE(r.converged);
    return exec::execute(g, exec::random_inputs(g, 1)).at("v29");
  };
  const tensor reference = run(std::nullopt, false);
  CHECK(exec::all_close(run(std::nullopt, true), reference, 1e-5, 0));
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) CHECK(exec::all_close(run(seed, false), reference, 1e-5, 0));
}

TEST_CASE("patterns that undo each other stop with cycle_detected or a limit, never hang", "[driver]") {
  model g = mul_chain(3);
  auto r = apply_patterns_greedily(g, flip_flop());
  CHECK_FALSE(r.converged);
  CHECK(r.reason == stop_reason::cycle_detected);
  CHECK(verify(g).empty());

  model h = mul_chain(3);
  driver_config cfg;
  cfg.detect_cycles = false;
  cfg.max_rewrites = 100;
  auto r2 = apply_patterns_greedily(h, flip_flop(), cfg);
  CHECK(r2.reason == stop_reason::rewrite_limit);
  CHECK(r2.rewrites == 100);
  CHECK(verify(h).empty());
}

TEST_CASE("a converging set whose states share the cheap fingerprint is no cycle", "[driver]") {
  // Sorts a Mul chain's constants ascending, one swap of neighbours at a time.
  // Swapping two constants behind the first Mul keeps the sum of local hashes, so
  // the cheap fingerprint repeats again and again; only the deep one tells the
  // states apart (streamline_plus met this with a sign and a magnitude Mul).
  std::ostringstream s;
  s << "graph {\n input %x: float32[1,4]\n";
  std::string prev = "x";
  for (int i = 0; i < 8; ++i) {
    s << " const %c" << i << ": float32[] = [" << (9 - i) << "]\n";
    s << " node m" << i << ": Mul(%" << prev << ", %c" << i << ") -> %v" << i << ": float32[1,4]\n";
    prev = "v" + std::to_string(i);
  }
  s << " output %" << prev << "\n}\n";
  model g = parse_text(s.str());
  pattern_set<model> set;
  set.add_lambda("SortMulConstants", "Mul", 1, [](V v, rewriter<model>& rw) -> match_result {
    const model& g = rw.graph();
    const auto inner = operand(g, v, 0), c = operand(g, v, 1);
    if (!inner || !c || T::op_type(g, inner->node) != "Mul" || T::kind(g, inner->node) != node_kind::op) return failure("not Mul(Mul)");
    const auto ic = operand(g, inner->node, 1);
    const double a = T::constant_value(g, ic->node)->get(0), b = T::constant_value(g, c->node)->get(0);
    if (a <= b) return failure("in order");
    rw.set_operand(inner->node, 1, *c);  // the two constants change places
    rw.set_operand(v, 1, *ic);
    return success();
  });
  const model original = parse_text(s.str());
  const auto r = apply_patterns_greedily(g, set);
  CHECK(r.converged);
  CHECK(r.reason == stop_reason::fixpoint);
  CHECK(r.rewrites == 28);  // 8 * 7 / 2 swaps
  CHECK(exec::check_equivalence(original, g).ok());
}

TEST_CASE("limits and the non-convergence policy", "[driver]") {
  model g = mul_chain(20);
  driver_config cfg;
  cfg.max_rewrites = 3;
  auto r = apply_patterns_greedily(g, collapse_set(), cfg);
  CHECK(r.reason == stop_reason::rewrite_limit);
  CHECK(r.rewrites == 3);
  cfg.policy = non_convergence::throw_error;
  model h = mul_chain(20);
  CHECK_THROWS_AS(apply_patterns_greedily(h, collapse_set(), cfg), convergence_error);
  model k = mul_chain(20);
  driver_config one;
  one.max_iterations = 1;  // the verification sweep never runs
  auto r3 = apply_patterns_greedily(k, collapse_set(), one);
  CHECK(r3.reason == stop_reason::iteration_limit);
  CHECK(r3.rewrites == 19);
}

TEST_CASE("expensive checks catch patterns that lie about what they did", "[driver]") {
  pattern_set<model> claims_success;
  claims_success.add_lambda("Liar", "Mul", 1, [](V, rewriter<model>&) { return success(); });
  pattern_set<model> claims_failure;
  claims_failure.add_lambda("Sneak", "Mul", 1, [](V v, rewriter<model>& rw) {
    rw.set_attribute(v, "touched", std::int64_t{1});
    return failure("pretends nothing happened");
  });
  driver_config cfg;
  cfg.expensive_checks = true;
  model g = mul_chain(2);
  CHECK_THROWS_WITH(apply_patterns_greedily(g, claims_success, cfg), Catch::Contains("'Liar' reported success but did not change"));
  model h = mul_chain(2);
  CHECK_THROWS_WITH(apply_patterns_greedily(h, claims_failure, cfg), Catch::Contains("'Sneak' changed the graph but reported failure"));
  // Without expensive checks the change of a failing pattern is rolled back.
  model k = mul_chain(2);
  const std::string before = to_text(k);
  auto r = apply_patterns_greedily(k, claims_failure);
  CHECK(r.converged);
  CHECK(to_text(k) == before);
}

TEST_CASE("a pattern that throws midway leaves the graph as it was", "[driver]") {
  pattern_set<model> s;
  s.add_lambda("Throws", "Mul", 1, [](V v, rewriter<model>& rw) -> match_result {
    V c = rw.create_constant(value_info("tmp"), tensor::scalar(1.0));
    rw.set_operand(v, 1, value_ref<V>{c, 0});
    throw std::runtime_error("injected failure");
  });
  model g = mul_chain(4);
  const std::string before = to_text(g);
  CHECK_THROWS_WITH(apply_patterns_greedily(g, s), "injected failure");
  CHECK(to_text(g) == before);
}

TEST_CASE("a rewrite that breaks the graph is undone before the error leaves the driver", "[driver]") {
  // Succeeds, but leaves a Mul with one operand: the expensive checks' verify
  // throws after the pattern returned. Under either failure policy the graph the
  // caller gets back is valid, and this failing application is not in it.
  pattern_set<model> s;
  s.add_lambda("Breaks", "Mul", 1, [](V v, rewriter<model>& rw) -> match_result {
    rw.set_operand(v, 1, std::nullopt);
    return success();
  });
  for (bool restore : {true, false}) {
    model g = mul_chain(3);
    const std::string before = to_text(g);
    driver_config cfg;
    cfg.expensive_checks = true;
    cfg.restore_on_error = restore;
    CHECK_THROWS_WITH(apply_patterns_greedily(g, s, cfg), Catch::Contains("after pattern 'Breaks'"));
    CHECK(verify(g).empty());
    CHECK(to_text(g) == before);  // the first application failed: nothing completed
  }
}

TEST_CASE("trace, dead nodes and the one-pass walk driver", "[driver]") {
  model g = parse_text(R"(graph {
    input %x: float32[2]
    const %a: float32[] = [2]
    node unused: Mul(%x, %a) -> %u: float32[2]
    node r: Relu(%x) -> %y: float32[2]
    output %y })");
  driver_config cfg;
  cfg.trace = true;
  auto r = apply_patterns_greedily(g, collapse_set(), cfg);
  CHECK(r.dead_erased == 2);  // the Mul, then the constant only it used
  CHECK_FALSE(find_value(g, "a"));
  CHECK_FALSE(find_node(g, "unused"));
  CHECK(r.trace.empty());  // the only Mul was dead: no pattern was tried

  model h = mul_chain(3);
  auto r2 = apply_patterns_greedily(h, collapse_set(), cfg);
  REQUIRE_FALSE(r2.trace.empty());
  CHECK(std::any_of(r2.trace.begin(), r2.trace.end(), [](const trace_entry& e) { return e.applied; }));
  CHECK(std::any_of(r2.trace.begin(), r2.trace.end(), [](const trace_entry& e) {
    return !e.applied && e.reason.find("single-use") != std::string::npos;
  }));

  model k = mul_chain(8);
  auto once = apply_patterns_once(k, collapse_set());
  CHECK(once.reason == stop_reason::single_pass);
  CHECK(once.rewrites == 7);  // producers first: each Mul folds into the fused one before it
  CHECK(verify(k).empty());
}
