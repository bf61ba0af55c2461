// The API tour from README.md, kept compiling and passing here. If you change one,
// change the other.
#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>

#include <nnrewrite/nnrewrite.hpp>

TEST_CASE("README API tour", "[readme]") {
  std::ostringstream cout;
  // --- begin tour
  using namespace nnrewrite;

  // Read a graph from the text format (or build one through ir_traits<model>).
  model g = parse_text(R"(graph {
    input %x: float32[1,4] !INT4
    const %a: float32[] = [0.5]
    node scale: Mul(%x, %a) -> %y: float32[1,4]
    node act: Relu(%y) -> %z: float32[1,4]
    output %z
  })");

  // Ask structural questions; every one of them works on your own IR too.
  using T = ir_traits<model>;
  auto mul = *find_node(g, "scale");
  auto a = operand(g, mul, 1)->node;
  bool scalar_scale = T::kind(g, a) == node_kind::constant && T::constant_value(g, a)->is_scalar();
  cout << "scalar scale: " << scalar_scale << ", fork: " << is_fork(g, mul) << ", join: " << is_join(g, mul) << "\n";

  // Mutate through ir_traits: fold the scale into a new constant, bypass the Mul.
  auto half = T::add_constant(g, value_info("a2"), tensor::scalar(0.25));
  T::connect(g, half, 0, mul, 1);
  remove_edge(edge(a, mul, g).first, g);
  T::erase_node(g, a);

  verify_or_throw(g);          // cycles, dangling operands, arity, shapes, names
  cout << to_text(g);          // canonical text; parse_text(to_text(g)) gives g back
  // --- end tour
  std::string out = cout.str();
  CHECK_THAT(out, Catch::StartsWith("scalar scale: 1, fork: 0, join: 0"));
  CHECK_THAT(out, Catch::Contains("const %a2: float32[] = [0.25]"));
  CHECK_THAT(out, Catch::Contains("node scale: Mul(%x, %a2)"));
  CHECK(to_text(parse_text(to_text(g))) == to_text(g));
}

// --- begin rewriting tour (pattern)
namespace readme {
using namespace nnrewrite;
using namespace nnrewrite::pattern;

// Mul(Mul(x, a), b) -> Mul(x, a*b) when a and b are scalars and the inner Mul has one use.
// Written once for any IR: only ir_traits, the matchers and the rewriter.
template <ir_graph G>
struct collapse_repeated_mul final : rewrite_pattern<G> {
  collapse_repeated_mul() : rewrite_pattern<G>("CollapseRepeatedMul", "Mul") {}
  match_result match_and_rewrite(vertex_t<G> v, rewriter<G>& rw) const override {
    value_ref<vertex_t<G>> x{};
    captured_constant<G> a, b;  // the constant and its tensor
    if (!matches(op("Mul")(op("Mul").where(single_use)(any(&x), scalar_const(&a)), scalar_const(&b)), rw.graph(), v))
      return failure("not Mul(Mul(x, scalar), scalar) with a single-use inner Mul");
    // Mul(x, new constant a*b), described like v's result; the constant gets a fresh name.
    auto fused = rw.op_with_constant("Mul", x, a.tensor() * b.tensor(), ir_traits<G>::value(rw.graph(), v, 0));
    rw.replace_op(v, {fused});  // users rewired, fused takes v's names, v erased; undone if anything throws
    return success();
  }
};
}  // namespace readme

TEST_CASE("README rewriting tour", "[readme]") {
  std::ostringstream cout;
  // --- begin rewriting tour
  using namespace nnrewrite;
  using readme::collapse_repeated_mul;  // a template: collapse_repeated_mul<YourGraph> works the same

  model g = parse_text(R"(graph {
    input %x: float32[1,4]
    const %a: float32[] = [0.5]
    const %b: float32[] = [4]
    const %zero: float32[4] = splat 0
    node m1: Mul(%x, %a) -> %y1: float32[1,4]
    node m2: Mul(%y1, %b) -> %y2: float32[1,4]
    node id: Identity(%y2) -> %y3: float32[1,4]
    node add: Add(%y3, %zero) -> %y: float32[1,4]
    output %y
  })");

  pattern_set<model> patterns;
  patterns.add<collapse_repeated_mul<model>>();
  populate_cleanup_patterns(patterns);  // constant folding, identity removal, value-info inference

  driver_config cfg;
  cfg.policy = non_convergence::throw_error;  // or report (default) / warn
  rewrite_result r = apply_patterns_greedily(g, patterns, cfg);
  cout << to_string(r) << "\n" << to_text(g);  // "converged after 2 iterations, 3 rewrites, ..."
  // --- end rewriting tour
  CHECK(r.converged);
  CHECK(r.rewrites == 3);
  std::cout << cout.str();
  CHECK(cout.str().find("node m2: Mul(%x, %y2_param) -> %y2") != std::string::npos);
}
