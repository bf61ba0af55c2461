// Forks and joins: FINN's fork/join cases rebuilt, the places where FINN is wrong
// (spec items 3-6 and 9), and residual networks through streamline_plus().
#include "check.hpp"
#include "nnrewrite/target/fpga_dataflow.hpp"

#include <random>

using namespace nnrewrite;
using namespace nnrewrite::streamline;

namespace {

template <ir_graph G>
std::string type_of(const G& g, std::string_view value) {
  const auto v = find_value(g, value);
  return v ? std::string(ir_traits<G>::op_type(g, v->node)) : std::string("(no such value)");
}

// Whether every op `type` of g feeds exactly one consumer.
template <ir_graph G>
bool all_single_use(const G& g, std::string_view type) {
  using T = ir_traits<G>;
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (T::kind(g, *it) == node_kind::op && T::op_type(g, *it) == type && num_uses(g, value_ref<vertex_t<G>>{*it, 0}) != 1)
      return false;
  return true;
}

// Not equivalent: what FINN's rewrite would have produced computes something else.
void require_different(const char* before, const char* after) {
  const model a = parse_text(before), b = parse_text(after);
  const auto r = exec::check_equivalence(a, b);
  CHECK_FALSE(r.ok());
}

}  // namespace

TEST_CASE("MoveOpPastFork: one copy per consumer, the change reported (FINN item 5)", "[streamline][fork_join]") {
  const char* fork = R"(graph {
    input %x: float32[1,3,2,2]
    const %a: float32[1,3,1,1] = [2, -1, 0.5]
    node mul: Mul(%x, %a) -> %mul: float32[1,3,2,2]
    node r: Relu(%mul) -> %r: float32[1,3,2,2]
    node n: Neg(%mul) -> %n: float32[1,3,2,2]
    node s: Sigmoid(%mul) -> %s: float32[1,3,2,2]
    output %r
    output %n
    output %s
  })";
  check::on_every_ir(fork, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    // FINN's MoveScalar/ChannelwiseLinearPastFork return "graph modified = False"
    // after copying; here the driver sees every copy.
    const auto r = check::run(g, [](pattern_set<G>& s) { s.template add<MoveChannelwiseLinearPastFork<G>>("Mul"); });
    CHECK(r.rewrites == 1);
    CHECK(r.per_pattern.at("MoveChannelwiseLinearPastFork") == 1);
    CHECK(check::count(g, "Mul") == 3);
    CHECK(all_single_use(g, "Mul"));
    check::require_equivalent(original, g);
  });
  check::on_every_ir(fork, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveMulPastFork>(g).rewrites == 1);
    CHECK(check::count(g, "Mul") == 3);
    check::require_equivalent(original, g);
  });

  // The scalar variant leaves a channelwise constant alone; a full-size constant
  // is not channelwise; a result that is also a graph output is not copied.
  model g = parse_text(fork);
  auto r = check::run(g, [](pattern_set<model>& s) { s.add<MoveScalarLinearPastFork<model>>("Mul"); }, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveScalarLinearPastFork") == "the constant is not a scalar");
  model full = parse_text(R"(graph {
    input %x: float32[2,3]
    const %a: float32[2,3] = [1, 2, 3, 4, 5, 6]
    node add: Add(%x, %a) -> %add: float32[2,3]
    node r: Relu(%add) -> %r: float32[2,3]
    node n: Neg(%add) -> %n: float32[2,3]
    output %r
    output %n
  })");
  r = check::run(full, [](pattern_set<model>& s) { s.add<MoveChannelwiseLinearPastFork<model>>("Add"); }, true);
  CHECK(check::why_not(r, "MoveChannelwiseLinearPastFork") == "the constant is neither scalar nor channelwise");
  r = check::apply<MoveAddPastFork>(full);
  CHECK(r.rewrites == 1);  // any constant
  model out = parse_text(R"(graph {
    input %x: float32[4]
    const %a: float32[] = [3]
    node mul: Mul(%x, %a) -> %mul: float32[4]
    node r: Relu(%mul) -> %r: float32[4]
    output %r
    output %mul
  })");
  r = check::apply<MoveMulPastFork>(out, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveMulPastFork") == "its result is a graph output (a copy could not take the name)");
}

TEST_CASE("MoveTransposePastFork and FINN's linear graph with forks", "[streamline][fork_join]") {
  // FINN test_move_past_fork: a Transpose forking into two Adds.
  const char* transpose = R"(graph {
    input %x: float32[1,2,3,4]
    node t: Transpose(%x) {perm = [0, 2, 3, 1]} -> %t: float32[1,3,4,2]
    const %b: float32[2] = [1, -1]
    node a1: Add(%t, %b) -> %a1: float32[1,3,4,2]
    const %c: float32[] = [0.5]
    node a2: Mul(%t, %c) -> %a2: float32[1,3,4,2]
    output %a1
    output %a2
  })";
  check::on_every_ir(transpose, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveTransposePastFork>(g).rewrites == 1);
    CHECK(check::count(g, "Transpose") == 2);
    CHECK(all_single_use(g, "Transpose"));
    check::require_equivalent(original, g);
  });

  // An 11-node graph of scalar and channelwise linear ops with forks: every
  // forking linear op is copied until none forks, in one driver run.
  const char* linear = R"(graph {
    input %x: float32[1,4]
    const %c0: float32[] = [2]
    node m0: Mul(%x, %c0) -> %m0: float32[1,4]
    const %c1: float32[4] = [1, 2, 3, 4]
    node a0: Add(%m0, %c1) -> %a0: float32[1,4]
    node r0: Relu(%a0) -> %r0: float32[1,4]
    const %c2: float32[] = [-1]
    node m1: Mul(%a0, %c2) -> %m1: float32[1,4]
    node r1: Relu(%m1) -> %r1: float32[1,4]
    node n1: Neg(%m1) -> %n1: float32[1,4]
    const %c3: float32[] = [3]
    node a1: Add(%m0, %c3) -> %a1: float32[1,4]
    node t1: Tanh(%a1) -> %t1: float32[1,4]
    node s1: Sigmoid(%a1) -> %s1: float32[1,4]
    node j: Add(%r1, %s1) -> %j: float32[1,4]
    node k: Mul(%n1, %t1) -> %k: float32[1,4]
    output %r0
    output %j
    output %k
  })";
  check::on_every_ir(linear, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    const auto r = check::run(g, [](pattern_set<G>& s) {
      s.template add<MoveLinearPastFork<G>>("Add");
      s.template add<MoveLinearPastFork<G>>("Mul");
    });
    CHECK(r.converged);
    CHECK(r.rewrites == 4);  // m0 (2 uses), a0 (2), then m1 and a1 (2 each, and m0's copies)
    for (const char* v : {"m0", "a0", "m1", "a1"}) CHECK(find_value(g, v));
    check::require_equivalent(original, g);
  });
}

TEST_CASE("MoveLinearPastEltwiseAdd: equal scales, constants summed per channel (FINN item 4)", "[streamline][fork_join]") {
  const char* muls = R"(graph {
    input %x: float32[1,64,10,9]
    input %y: float32[1,64,10,9]
    const %a: float32[] = [1.5]
    node mx: Mul(%x, %a) -> %mx: float32[1,64,10,9]
    const %b: float32[1] = [1.5]
    node my: Mul(%b, %y) -> %my: float32[1,64,10,9]
    node j: Add(%mx, %my) -> %j: float32[1,64,10,9]
    output %j
  })";
  check::on_every_ir(muls, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveLinearPastEltwiseAdd>(g).rewrites == 1);
    CHECK(check::count(g, "Mul") == 1);
    CHECK(type_of(g, "j") == "Mul");
    check::require_equivalent(original, g);
  });
  model unequal = parse_text(R"(graph {
    input %x: float32[4]
    input %y: float32[4]
    const %a: float32[] = [1.5]
    node mx: Mul(%x, %a) -> %mx: float32[4]
    const %b: float32[] = [2]
    node my: Mul(%y, %b) -> %my: float32[4]
    node j: Add(%mx, %my) -> %j: float32[4]
    output %j
  })");
  auto r = check::apply<MoveMulPastJoinAdd>(unequal, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveMulPastJoinAdd") == "the two scales differ");

  // Per-channel biases are summed per channel: FINN's MoveAddPastJoinAdd sums
  // [11, 22, 33] and [1, 2, 3] into one scalar 66 + 6 for every channel.
  const char* adds = R"(graph {
    input %x: float32[1,3,2,2]
    input %y: float32[1,3,2,2]
    const %a: float32[1,3,1,1] = [11, 22, 33]
    node ax: Add(%x, %a) -> %ax: float32[1,3,2,2]
    const %b: float32[1,3,1,1] = [1, 2, 3]
    node ay: Add(%y, %b) -> %ay: float32[1,3,2,2]
    node j: Add(%ax, %ay) -> %j: float32[1,3,2,2]
    output %j
  })";
  check::on_every_ir(adds, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<MoveAddPastJoinAdd>(g).rewrites == 1);
    const auto j = find_value(g, "j");
    REQUIRE(j);
    REQUIRE(ir_traits<G>::op_type(g, j->node) == "Add");
    const auto c = operand(g, j->node, 1);
    REQUIRE(c);
    const auto t = ir_traits<G>::constant_value(g, c->node);
    REQUIRE(t);
    CHECK(t->size() == 3);
    CHECK(t->get(0) == 12);
    CHECK(t->get(2) == 36);
    check::require_equivalent(original, g);
  });
  require_different(adds, R"(graph {
    input %x: float32[1,3,2,2]
    input %y: float32[1,3,2,2]
    node j0: Add(%x, %y) -> %j0: float32[1,3,2,2]
    const %s: float32[] = [72]
    node j: Add(%j0, %s) -> %j: float32[1,3,2,2]
    output %j
  })");

  // A fork on one side blocks (a copy first, by MoveOpPastFork).
  model fork = parse_text(R"(graph {
    input %x: float32[4]
    input %y: float32[4]
    const %a: float32[] = [2]
    node mx: Mul(%x, %a) -> %mx: float32[4]
    node my: Mul(%y, %a) -> %my: float32[4]
    node j: Add(%mx, %my) -> %j: float32[4]
    output %j
    output %mx
  })");
  r = check::apply<MoveMulPastJoinAdd>(fork, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveMulPastJoinAdd") == "an operand's producer feeds more than one consumer (a fork: copy it first)");
}

TEST_CASE("MoveTransposePastJoinAdd/Mul: identical permutations only (FINN item 3)", "[streamline][fork_join]") {
  // FINN test_move_identical_op_past_join_op: two [1,64,10,9] inputs, Transpose(0,2,3,1).
  const char* same = R"(graph {
    input %x: float32[1,64,10,9]
    input %y: float32[1,64,10,9]
    node tx: Transpose(%x) {perm = [0, 2, 3, 1]} -> %tx: float32[1,10,9,64]
    node ty: Transpose(%y) {perm = [0, 2, 3, 1]} -> %ty: float32[1,10,9,64]
    node j: Add(%tx, %ty) -> %j: float32[1,10,9,64]
    output %j
  })";
  check::on_every_ir(same, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveTransposePastJoinAdd>(g).rewrites == 1);
    CHECK(check::count(g, "Transpose") == 1);
    CHECK(type_of(g, "j") == "Transpose");
    check::require_equivalent(original, g);
  });
  const char* mul = R"(graph {
    input %x: float32[1,4,3,2]
    input %y: float32[1,4,3,1]
    node tx: Transpose(%x) {perm = [0, 3, 1, 2]} -> %tx: float32[1,2,4,3]
    node ty: Transpose(%y) {perm = [0, 3, 1, 2]} -> %ty: float32[1,1,4,3]
    node j: Mul(%tx, %ty) -> %j: float32[1,2,4,3]
    output %j
  })";
  check::on_every_ir(mul, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveTransposePastJoinMul>(g).rewrites == 1);  // broadcasting carries through
    CHECK(check::count(g, "Transpose") == 1);
    check::require_equivalent(original, g);
  });

  // Unequal permutations (square spatial dims, so the shapes agree): refused.
  // FINN moves one of them past the join, which computes something else.
  const char* unequal = R"(graph {
    input %x: float32[1,2,3,3]
    input %y: float32[1,2,3,3]
    node tx: Transpose(%x) {perm = [0, 1, 2, 3]} -> %tx: float32[1,2,3,3]
    node ty: Transpose(%y) {perm = [0, 1, 3, 2]} -> %ty: float32[1,2,3,3]
    node j: Add(%tx, %ty) -> %j: float32[1,2,3,3]
    output %j
  })";
  model g = parse_text(unequal);
  const auto r = check::apply<MoveTransposePastJoinAdd>(g, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveTransposePastJoinAdd") == "the two permutations differ");
  require_different(unequal, R"(graph {
    input %x: float32[1,2,3,3]
    input %y: float32[1,2,3,3]
    node j0: Add(%x, %y) -> %j0: float32[1,2,3,3]
    node j: Transpose(%j0) {perm = [0, 1, 2, 3]} -> %j: float32[1,2,3,3]
    output %j
  })");
}

TEST_CASE("MoveConstMulPastJoinMul and MoveConstAddPastJoinAdd", "[streamline][fork_join]") {
  const char* mul = R"(graph {
    input %x: float32[2,3]
    input %y: float32[2,3]
    const %c: float32[3] = [2, -3, 0.5]
    node mx: Mul(%c, %x) -> %mx: float32[2,3]
    node j: Mul(%y, %mx) -> %j: float32[2,3]
    output %j
  })";
  check::on_every_ir(mul, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveConstMulPastJoinMul>(g).rewrites == 1);
    CHECK(check::count(g, "Mul") == 2);
    const auto j = find_value(g, "j");
    REQUIRE(j);
    CHECK_FALSE(is_join(g, j->node));  // the outer Mul is by the constant
    check::require_equivalent(original, g);
  });
  // Add(Add(p, B), q) => Add(Add(p, q), B), constants on both sides moved out.
  const char* add = R"(graph {
    input %p: float32[1,4]
    input %q: float32[1,4]
    const %b: float32[4] = [1, 2, 3, 4]
    node ap: Add(%p, %b) -> %ap: float32[1,4]
    const %c: float32[] = [-2]
    node aq: Add(%q, %c) -> %aq: float32[1,4]
    node j: Add(%ap, %aq) -> %j: float32[1,4]
    output %j
  })";
  check::on_every_ir(add, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    const auto r = check::run(g, [](pattern_set<G>& s) {
      s.template add<MoveConstAddPastJoinAdd<G>>();
      s.template add<CollapseRepeatedAdd<G>>();
    });
    CHECK(r.converged);
    CHECK(check::count(g, "Add") == 2);  // the join, then one constant Add
    check::require_equivalent(original, g);
  });
  // The join would broadcast the data to another shape: refused.
  model bcast = parse_text(R"(graph {
    input %p: float32[4]
    input %q: float32[2,4]
    const %b: float32[] = [1]
    node ap: Add(%p, %b) -> %ap: float32[4]
    node j: Add(%ap, %q) -> %j: float32[2,4]
    output %j
  })");
  const auto r = check::apply<MoveConstAddPastJoinAdd>(bcast, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveConstAddPastJoinAdd", "j") == "the moved op's data does not have the join's shape");
}

namespace {

// A residual MLP of `pairs` pairs of blocks (MatMul with INT2 weights -> Mul(s)
// -> Add(b) -> MultiThreshold UINT4). In a pair, the first block's levels carry an
// activation scale m (a Mul after its MultiThreshold), and the pair's input forks
// into a skip Mul(m*s) that joins the second block before its MultiThreshold —
// both branches of the join carry the scale m*s. Head: Mul, Add.
std::string residual_mlp(int pairs, std::uint64_t seed, int c = 4) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto values = [&](int n, double lo, double hi) {
    std::string r;
    for (int i = 0; i < n; ++i) r += fmt::format("{}{:.5g}", i ? ", " : "", uniform(lo, hi));
    return r;
  };
  const std::string shape = fmt::format("[1,{}]", c);
  std::string t = fmt::format("graph {{\n  input %x: float32{} !UINT4\n", shape);
  auto block = [&](const std::string& in, const std::string& id, const std::string& join_with) {
    std::string w;
    for (int i = 0; i < c * c; ++i) w += fmt::format("{}{}", i ? ", " : "", pick(-2, 1));
    t += fmt::format("  const %w{0}: float32[{1},{1}] !INT2 = [{2}]\n", id, c, w);
    t += fmt::format("  node mm{0}: MatMul(%{1}, %w{0}) -> %mm{0}: float32{2}\n", id, in, shape);
    t += fmt::format("  const %s{0}: float32[] = [0.25]\n", id);
    t += fmt::format("  node ms{0}: Mul(%mm{0}, %s{0}) -> %ms{0}: float32{1}\n", id, shape);
    t += fmt::format("  const %b{0}: float32[{1}] = [{2}]\n", id, c, values(c, -1, 1));
    t += fmt::format("  node ab{0}: Add(%ms{0}, %b{0}) -> %ab{0}: float32{1}\n", id, shape);
    std::string pre = "ab" + id;
    if (!join_with.empty()) {
      t += fmt::format("  node j{0}: Add(%{1}, %{2}) -> %j{0}: float32{3}\n", id, pre, join_with, shape);
      pre = "j" + id;
    }
    std::string th;
    for (int ch = 0; ch < c; ++ch) {
      std::vector<double> row(15);
      for (auto& x : row) x = uniform(-3, 3);
      std::sort(row.begin(), row.end());
      for (double x : row) th += fmt::format("{}{:.5g}", th.empty() ? "" : ", ", x);
    }
    t += fmt::format("  const %t{0}: float32[{1},15] = [{2}]\n", id, c, th);
    t += fmt::format(
        "  node mt{0}: qonnx.custom_op.general.MultiThreshold(%{1}, %t{0}) {{out_dtype = \"UINT4\"}} -> %mt{0}: float32{2} !UINT4\n",
        id, pre, shape);
    return "mt" + id;
  };
  std::string u = "x";
  for (int p = 0; p < pairs; ++p) {
    const std::string a = block(u, fmt::format("{}a", p), {});
    t += fmt::format("  const %m{0}: float32[] = [0.5]\n", p);
    t += fmt::format("  node am{0}: Mul(%{1}, %m{0}) -> %am{0}: float32{2}\n", p, a, shape);
    t += fmt::format("  const %k{0}: float32[] = [0.125]\n", p);
    t += fmt::format("  node skip{0}: Mul(%{1}, %k{0}) -> %skip{0}: float32{2}\n", p, u, shape);
    u = block(fmt::format("am{}", p), fmt::format("{}b", p), fmt::format("skip{}", p));
  }
  t += fmt::format("  const %hs: float32[] = [0.1]\n  node hm: Mul(%{0}, %hs) -> %hm: float32{1}\n", u, shape);
  t += fmt::format("  const %hb: float32[{0}] = [{1}]\n  node ha: Add(%hm, %hb) -> %y: float32{2}\n", c, values(c, -1, 1), shape);
  t += "  output %y\n}\n";
  return t;
}

}  // namespace

TEST_CASE("streamline_plus: residual MLPs streamline completely (8 blocks: 22 nodes, 1 Mul)", "[streamline][fork_join][plus]") {
  const std::string text = residual_mlp(4, 7);
  INFO(text);
  check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
    const auto r = streamline_plus(g);
    CHECK(r.converged);
    CHECK(r.reason == stop_reason::fixpoint);
    INFO(to_text(g));
    CHECK(check::count(g) == 22);
    CHECK(check::count(g, "Mul") == 1);     // the head's
    CHECK(check::count(g, "Add") == 4 + 1); // the four joins and the head's
    CHECK(check::count(g, "MatMul") == 8);
    CHECK(check::count(g, "MultiThreshold") == 8);
    CHECK(r.per_pattern.count("MoveConstAddPastJoinAdd"));
    CHECK(r.per_pattern.count("MoveMulPastJoinAdd"));
    check::require_equivalent(original, g, 50);
  });
  // The classic preset has no join rules: a float Mul and Add stay at every join.
  model classic = parse_text(text);
  (void)streamline::streamline(classic);
  CHECK(check::count(classic, "Mul") > 4);
}

TEST_CASE("streamline_plus: a join on operand 1 with a graph input (FINN item 6)", "[streamline][fork_join][plus]") {
  // x*0.5 forks into a MatMul and the skip; Add(MatMul_out, skip) is a join even
  // though operand 0 alone looks like a chain. FINN's exhaustive flow asserts here.
  for (const char* order : {"%mm, %xs", "%xs, %mm"}) {
    const std::string text = fmt::format(R"(graph {{
    input %x: float32[1,4] !INT4
    const %h: float32[] = [0.5]
    node xs: Mul(%x, %h) -> %xs: float32[1,4]
    const %w: float32[4,4] !INT2 = [1, -1, 0, 1, -2, 1, 1, 0, 0, 1, -1, -2, 1, 1, 0, -1]
    node mm: MatMul(%xs, %w) -> %mm: float32[1,4]
    node j: Add({}) -> %j: float32[1,4]
    const %b: float32[4] = [0.3, -0.2, 0.1, 0.7]
    node ab: Add(%j, %b) -> %ab: float32[1,4]
    const %t: float32[1,3] = [-1.1, 0.4, 2.3]
    node mt: qonnx.custom_op.general.MultiThreshold(%ab, %t) {{out_dtype = "UINT2"}} -> %mt: float32[1,4] !UINT2
    output %mt
  }})", order);
    INFO(order);
    check::on_every_ir(text.c_str(), [](auto& g, const auto& original) {
      const auto r = streamline_plus(g);
      CHECK(r.converged);
      INFO(to_text(g));
      CHECK(check::count(g) == 3);  // MatMul, the join Add, MultiThreshold
      CHECK(check::count(g, "Mul") == 0);
      check::require_equivalent(original, g, 50);
    });
  }
}

TEST_CASE("streamline_plus: reports convergence, the same result in any worklist order (FINN item 9)", "[streamline][fork_join][plus]") {
  const std::string text = residual_mlp(2, 11);
  model reference = parse_text(text);
  const auto r0 = streamline_plus(reference);
  REQUIRE(r0.converged);
  CHECK(to_string(r0.reason) == "fixpoint");
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    model g = parse_text(text);
    streamline_options opt;
    opt.driver.random_seed = seed;
    const auto r = streamline_plus(g, opt);
    CHECK(r.converged);
    CHECK(check::count(g) == check::count(reference));
    check::require_equivalent(reference, g, 20);
  }
  // A mixed-sign scale before a MultiThreshold: FactorOutMulSignMagnitude and
  // CollapseRepeatedMul share the set and do not undo each other.
  const char* signs_text = R"(graph {
    input %x: float32[1,3] !INT4
    const %w: float32[3,3] !TERNARY = [1, -1, 0, 1, -1, 1, 1, 0, -1]
    node mm: MatMul(%x, %w) -> %mm: float32[1,3]
    const %a: float32[3] = [-0.5, 2, -3]
    node m: Mul(%mm, %a) -> %m: float32[1,3]
    const %t: float32[3,1] = [0.5, -1, 2]
    node mt: qonnx.custom_op.general.MultiThreshold(%m, %t) {out_dtype = "UINT1"} -> %mt: float32[1,3] !UINT1
    output %mt
  })";
  model signs = parse_text(signs_text);
  const model before = parse_text(signs_text);
  const auto r = streamline_plus(signs);
  CHECK(r.converged);
  CHECK(r.per_pattern.count("FactorOutMulSignMagnitude"));
  CHECK(check::count(signs, "Mul") == 0);  // the sign into the weights, the magnitude into the thresholds
  check::require_equivalent(before, signs, 50);
}

namespace {
// Neither example IR holds a node with two results (awesome::net keeps one value
// per node, user::graph one per layer): Split runs on nnrewrite::model.
template <class F>
void on_multi_result_irs(const char* text, F f) {
  auto g = parse_text<model>(text);
  f(g, parse_text<model>(text));
}
}  // namespace

TEST_CASE("MoveMul/Add/AffinePastJoinConcat: FINN's 64 + 32 channels", "[streamline][fork_join]") {
  const char* scalars = R"(graph {
    input %x: float32[1,64,2,2]
    input %y: float32[1,32,2,2]
    const %a: float32[] = [1.5]
    node mx: Mul(%x, %a) -> %mx: float32[1,64,2,2]
    const %b: float32[1] = [1.5]
    node my: Mul(%y, %b) -> %my: float32[1,32,2,2]
    node j: Concat(%mx, %my) {axis = 1} -> %j: float32[1,96,2,2]
    output %j
  })";
  check::on_every_ir(scalars, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<MoveMulPastJoinConcat>(g).rewrites == 1);
    CHECK(type_of(g, "j") == "Mul");
    const auto j = find_value(g, "j");
    CHECK(ir_traits<G>::constant_value(g, operand(g, j->node, 1)->node)->is_scalar());
    check::require_equivalent(original, g);
  });
  // Per-channel constants of each operand, laid side by side along the axis;
  // a scalar on one side is repeated over its channels.
  const char* channels = R"(graph {
    input %x: float32[1,3,2,2]
    input %y: float32[1,2,2,2]
    const %a: float32[1,3,1,1] = [1, -2, 3]
    node ax: Add(%x, %a) -> %ax: float32[1,3,2,2]
    const %b: float32[] = [0.5]
    node ay: Add(%y, %b) -> %ay: float32[1,2,2,2]
    node j: Concat(%ax, %ay) {axis = -3} -> %j: float32[1,5,2,2]
    output %j
  })";
  check::on_every_ir(channels, [](auto& g, const auto& original) {
    using G = std::decay_t<decltype(g)>;
    CHECK(check::apply<MoveAffinePastJoinConcat>(g).rewrites == 1);
    const auto j = find_value(g, "j");
    REQUIRE(type_of(g, "j") == "Add");
    const auto c = ir_traits<G>::constant_value(g, operand(g, j->node, 1)->node);
    CHECK(c->size() == 5);
    CHECK(c->get(4) == 0.5);
    check::require_equivalent(original, g);
  });
  model spatial = parse_text(R"(graph {
    input %x: float32[1,2,2,2]
    input %y: float32[1,2,2,2]
    const %a: float32[1,1,2,1] = [1, 2]
    node mx: Mul(%x, %a) -> %mx: float32[1,2,2,2]
    node my: Mul(%y, %a) -> %my: float32[1,2,2,2]
    node j: Concat(%mx, %my) {axis = 1} -> %j: float32[1,4,2,2]
    output %j
  })");
  const auto r = check::apply<MoveMulPastJoinConcat>(spatial, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveMulPastJoinConcat") == "a constant varies along another axis than the concat axis");
}

TEST_CASE("MoveTransposePastJoinConcat: the axis goes through the permutation", "[streamline][fork_join]") {
  const char* text = R"(graph {
    input %x: float32[1,4,2,3]
    input %y: float32[1,2,2,3]
    node tx: Transpose(%x) {perm = [0, 2, 3, 1]} -> %tx: float32[1,2,3,4]
    node ty: Transpose(%y) {perm = [0, 2, 3, 1]} -> %ty: float32[1,2,3,2]
    node j: Concat(%tx, %ty) {axis = 3} -> %j: float32[1,2,3,6]
    output %j
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveTransposePastJoinConcat>(g).rewrites == 1);
    CHECK(check::count(g, "Transpose") == 1);
    CHECK(type_of(g, "j") == "Transpose");
    check::require_equivalent(original, g);
  });
  model unequal = parse_text(R"(graph {
    input %x: float32[2,2]
    input %y: float32[2,2]
    node tx: Transpose(%x) {perm = [1, 0]} -> %tx: float32[2,2]
    node ty: Transpose(%y) {perm = [0, 1]} -> %ty: float32[2,2]
    node j: Concat(%tx, %ty) {axis = 0} -> %j: float32[4,2]
    output %j
  })");
  const auto r = check::apply<MoveTransposePastJoinConcat>(unequal, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveTransposePastJoinConcat") == "the permutations differ");
}

TEST_CASE("MoveScalarLinearPastSplit and MoveTransposePastSplit: FINN's split [32, 64]", "[streamline][fork_join]") {
  const char* scalar = R"(graph {
    input %x: float32[1,96,2,2]
    const %a: float32[] = [-0.75]
    node m: Mul(%x, %a) -> %m: float32[1,96,2,2]
    const %s: int64[2] = [32, 64]
    node sp: Split(%m, %s) {axis = 1} -> %p: float32[1,32,2,2], %q: float32[1,64,2,2]
    output %p
    output %q
  })";
  on_multi_result_irs(scalar, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveScalarLinearPastSplit>(g).rewrites == 1);
    CHECK(type_of(g, "p") == "Mul");
    CHECK(type_of(g, "q") == "Mul");
    check::require_equivalent(original, g);
  });
  const char* transpose = R"(graph {
    input %x: float32[1,96,2,3]
    node t: Transpose(%x) {perm = [0, 2, 3, 1]} -> %t: float32[1,2,3,96]
    const %s: int64[2] = [32, 64]
    node sp: Split(%t, %s) {axis = -1} -> %p: float32[1,2,3,32], %q: float32[1,2,3,64]
    output %p
    output %q
  })";
  on_multi_result_irs(transpose, [](auto& g, const auto& original) {
    CHECK(check::apply<MoveTransposePastSplit>(g).rewrites == 1);
    CHECK(check::count(g, "Transpose") == 2);
    CHECK(type_of(g, "q") == "Transpose");
    check::require_equivalent(original, g);
  });
  model channelwise = parse_text(R"(graph {
    input %x: float32[1,4]
    const %a: float32[4] = [1, 2, 3, 4]
    node m: Mul(%x, %a) -> %m: float32[1,4]
    node sp: Split(%m) {axis = 1} -> %p: float32[1,2], %q: float32[1,2]
    output %p
    output %q
  })");
  const auto r = check::apply<MoveScalarLinearPastSplit>(channelwise, true);
  CHECK(r.rewrites == 0);
  CHECK(check::why_not(r, "MoveScalarLinearPastSplit") == "the constant is not a scalar");
}

TEST_CASE("streamline_plus: an attention block streamlines around its Softmax", "[streamline][fork_join][plus]") {
  // A QONNX-style single attention block: a packed QKV projection (integer
  // weights, scale, bias, activation quantizer with scale 0.5), Split/Reshape/
  // Transpose to two heads, the scaled two-input MatMul, Softmax, the
  // probabilities quantized to UINT4 (scale 1/16), the context back to [L, E],
  // the output projection, and the residual join with the input (whose scale
  // 0.5 * 1/16 * 0.25 = 2^-7 matches the branch). Packed: one node with three
  // results, so on nnrewrite::model (the example IRs keep one value per node).
  const char* text = R"(graph {
    input %x: float32[4,4] !INT4
    const %wqkv: float32[4,12] !INT2 = [1, -1, 0, 1, -2, 1, 1, 0, 0, 1, -1, -2,
                                         0, 1, 1, -1, 1, 0, -2, 1, 1, -1, 0, 1,
                                         -1, 0, 1, 1, 0, -1, 1, 1, -2, 0, 1, 0,
                                         1, 1, -1, 0, 1, 1, 0, -1, 1, 0, -1, 1]
    node qkv: MatMul(%x, %wqkv) -> %qkv: float32[4,12]
    const %sq: float32[] = [0.25]
    node qkv_s: Mul(%qkv, %sq) -> %qkv_s: float32[4,12]
    const %bq: float32[12] = [0.5, -0.25, 0.125, 0, 0.375, -0.5, 0.25, 0.125, -0.125, 0.5, 0, -0.375]
    node qkv_b: Add(%qkv_s, %bq) -> %qkv_b: float32[4,12]
    const %tq: float32[1,7] = [-2.9, -2.1, -1.3, -0.4, 0.6, 1.4, 2.2]
    node qkv_q: qonnx.custom_op.general.MultiThreshold(%qkv_b, %tq) {out_dtype = "INT4", out_bias = -3.0} -> %qkv_q: float32[4,12] !INT4
    const %aq: float32[] = [0.5]
    node qkv_a: Mul(%qkv_q, %aq) -> %qkv_a: float32[4,12]
    const %parts: int64[3] = [4, 4, 4]
    node split: Split(%qkv_a, %parts) {axis = 1} -> %q: float32[4,4], %k: float32[4,4], %v: float32[4,4]
    const %heads: int64[3] = [4, 2, 2]
    node qr: Reshape(%q, %heads) -> %qr: float32[4,2,2]
    node qt: Transpose(%qr) {perm = [1, 0, 2]} -> %qt: float32[2,4,2]
    node kr: Reshape(%k, %heads) -> %kr: float32[4,2,2]
    node kt: Transpose(%kr) {perm = [1, 2, 0]} -> %kt: float32[2,2,4]
    node vr: Reshape(%v, %heads) -> %vr: float32[4,2,2]
    node vt: Transpose(%vr) {perm = [1, 0, 2]} -> %vt: float32[2,4,2]
    node scores: MatMul(%qt, %kt) -> %scores: float32[2,4,4]
    const %rs: float32[] = [0.70710678]
    node scaled: Mul(%scores, %rs) -> %scaled: float32[2,4,4]
    node probs: Softmax(%scaled) {axis = -1} -> %probs: float32[2,4,4]
    const %tp: float32[1,15] = [0.03125, 0.09375, 0.15625, 0.21875, 0.28125, 0.34375, 0.40625, 0.46875,
                                0.53125, 0.59375, 0.65625, 0.71875, 0.78125, 0.84375, 0.90625]
    node probs_q: qonnx.custom_op.general.MultiThreshold(%probs, %tp) {out_dtype = "UINT4", data_layout = "NHC"} -> %probs_q: float32[2,4,4] !UINT4
    const %ap: float32[] = [0.0625]
    node probs_a: Mul(%probs_q, %ap) -> %probs_a: float32[2,4,4]
    node ctx: MatMul(%probs_a, %vt) -> %ctx: float32[2,4,2]
    node ct: Transpose(%ctx) {perm = [1, 0, 2]} -> %ct: float32[4,2,2]
    const %flat: int64[2] = [4, 4]
    node cr: Reshape(%ct, %flat) -> %cr: float32[4,4]
    const %wo: float32[4,4] !INT2 = [1, 0, -1, 1, -2, 1, 0, 1, 1, 1, -1, 0, 0, -1, 1, -2]
    node o: MatMul(%cr, %wo) -> %o: float32[4,4]
    const %so: float32[] = [0.25]
    node o_s: Mul(%o, %so) -> %o_s: float32[4,4]
    const %bo: float32[4] = [0.25, -0.5, 0.125, 0]
    node o_b: Add(%o_s, %bo) -> %o_b: float32[4,4]
    const %skip_s: float32[] = [0.0078125]
    node skip: Mul(%x, %skip_s) -> %skip: float32[4,4]
    node res: Add(%o_b, %skip) -> %res: float32[4,4]
    const %tr: float32[4,3] = [-0.3, 0.1, 0.6, -0.2, 0.2, 0.5, -0.4, 0.0, 0.3, -0.1, 0.15, 0.45]
    node y: qonnx.custom_op.general.MultiThreshold(%res, %tr) {out_dtype = "UINT2"} -> %y: float32[4,4] !UINT2
    output %y
  })";
  model g = parse_text(text);
  const model original = parse_text(text);
  const auto r = streamline::streamline_plus(g);
  INFO(to_string(r) << "\n" << to_text(g));
  CHECK(r.converged);
  // Every scale and bias is absorbed but the one Softmax needs in float: the
  // scores' scale (the activation scales 0.5 * 0.5 times 1/sqrt(2)).
  CHECK(check::count(g, "Mul") == 1);
  CHECK(check::count(g, "Softmax") == 1);
  CHECK(type_of(g, "scaled") == "Mul");
  CHECK(check::count(g, "Add") == 1);  // the residual join, on integers
  CHECK(r.per_pattern.count("MoveScalarLinearPastSplit"));
  CHECK(r.per_pattern.count("MoveScalarMulPastMatMul"));
  CHECK(r.per_pattern.count("MoveMulPastJoinAdd"));
  // The dataflow target lists what it cannot map: the float score scale, the
  // Softmax, the quantizer reading float probabilities, and the two activation x
  // activation MatMuls (its MatMul block needs constant weights). The
  // projections, the thresholds and the residual join map.
  const auto illegal = target::legality_report(g, target::fpga_dataflow{});
  std::string listed;
  int activation_matmuls = 0;
  for (const auto& n : illegal) {
    listed += n.node + ": " + n.reason + "\n";
    activation_matmuls += n.reason == "its weights are not a constant";
  }
  INFO(listed);
  CHECK(illegal.size() == 5);
  CHECK(activation_matmuls == 2);
  for (const char* node : {"scaled: float Mul", "probs: Softmax", "probs_q: its input is FLOAT32"})
    CHECK(listed.find(node) != std::string::npos);
  check::require_equivalent(original, g, 50);
}
