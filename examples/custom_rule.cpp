// Writing your own rule: a pattern class in the style of MLIR's RewritePattern,
// run by the same worklist driver as the library's rules and mixed with them.
//
// MoveReluPastMaxPool: MaxPool(Relu(x)) => Relu(MaxPool(x)). max and Relu commute
// (Relu is monotone), and after the pool there are fewer values to Relu. The rule
// is a template over the IR, written only against ir_traits<G>, the queries and
// the rewriter, so it runs on any IR; it refuses, with a reason, whenever its
// precondition fails, and changes the graph only through the rewriter.
#include <iostream>

#include "nnrewrite/exec/equivalence.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/passes/cleanup.hpp"
#include "nnrewrite/rewrite/driver.hpp"
#include "nnrewrite/streamline/streamline.hpp"

namespace nr = nnrewrite;

template <nr::ir_graph G>
class MoveReluPastMaxPool final : public nr::rewrite_pattern<G> {
 public:
  using V = nr::vertex_t<G>;
  using T = nr::ir_traits<G>;
  MoveReluPastMaxPool() : nr::rewrite_pattern<G>("MoveReluPastMaxPool", "MaxPool") {}

  nr::match_result match_and_rewrite(V pool, nr::rewriter<G>& rw) const override {
    const G& g = rw.graph();
    const auto in = nr::operand(g, pool, 0);
    if (!in || T::kind(g, in->node) != nr::node_kind::op || T::op_type(g, in->node) != "Relu")
      return nr::failure("the MaxPool's input is not a Relu");
    if (nr::num_uses(g, *in) != 1) return nr::failure("the Relu feeds something else too");
    if (T::num_outputs(g, pool) > 1 && nr::num_uses(g, nr::value_ref<V>{pool, 1}) > 0)
      return nr::failure("the MaxPool's indices are used");
    const auto x = nr::operand(g, in->node, 0);
    if (!x) return nr::failure("the Relu has no operand");
    const V relu = in->node;
    // Build the new pair, then replace the old MaxPool's result with the new Relu's.
    const nr::value_info out = T::value(g, pool, 0);
    const auto pooled = rw.op("MaxPool", {*x}, nr::value_info(out.name + "_pooled", out.elem, out.shape),
                              T::attributes(g, pool));
    rw.replace_op(pool, {rw.op("Relu", {pooled}, out)});
    rw.erase(relu);
    return nr::success();
  }
};

int main() try {
  const char* text = R"(graph {
    input %x: float32[1,2,4,4]
    const %w: float32[2,2,1,1] = [1, -1, 0.5, 2]
    node conv: Conv(%x, %w) -> %c: float32[1,2,4,4]
    node relu: Relu(%c) -> %r: float32[1,2,4,4]
    node pool: MaxPool(%r) {kernel_shape = [2, 2], strides = [2, 2]} -> %p: float32[1,2,2,2]
    const %a: float32[] = [0.5]
    node mul: Mul(%p, %a) -> %y: float32[1,2,2,2]
    output %y
  })";
  nr::model g = nr::parse_text(text);
  const nr::model original = nr::parse_text(text);

  // Your rule beside the library's: one set, one driver run to the fixpoint.
  nr::pattern_set<nr::model> set;
  set.add<MoveReluPastMaxPool<nr::model>>();
  nr::streamline::populate_reorder_patterns(set);
  nr::populate_cleanup_patterns(set);
  nr::driver_config cfg;
  cfg.trace = true;  // every attempt, with the reason a rule did not apply
  const nr::rewrite_result r = nr::apply_patterns_greedily(g, set, cfg);
  for (const auto& t : r.trace)
    if (t.pattern == "MoveReluPastMaxPool") std::cout << t.pattern << " at " << t.node << ": " << (t.applied ? "applied" : t.reason) << "\n";
  std::cout << nr::to_string(r) << "\n" << nr::to_text(g);

  const auto check = nr::exec::check_equivalence(original, g);
  std::cout << "same outputs: " << (check.ok() ? "yes" : "NO: " + check.first_mismatch) << "\n";
  return check.ok() ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "custom_rule: " << e.what() << "\n";
  return 1;
}
