// Defining your own target backend, the way ir_traits describes an IR: a type
// that says which ops the backend maps, the role each op plays (for the rules and
// for equalization), its preferred layout and which rule families it wants.
// Then: the legality report, and streamlining with only the wanted families.
#include <iostream>

#include "nnrewrite/io/text.hpp"
#include "nnrewrite/streamline/streamline.hpp"
#include "nnrewrite/target/target.hpp"

namespace nr = nnrewrite;

// An accelerator that runs integer Conv, MultiThreshold and MaxPool in NCHW and
// keeps its thresholds in float (no threshold rounding wanted).
struct my_npu {
  static constexpr std::string_view name = "my-npu";
  static nr::target::op_role role(std::string_view domain, std::string_view op) { return nr::target::onnx_role(domain, op); }
  static std::string_view preferred_layout() { return "NCHW"; }
  static bool wants(nr::target::rule_family f) { return f != nr::target::rule_family::thresholds; }
  template <nr::ir_graph G>
  static std::optional<std::string> unmappable(const G& g, nr::vertex_t<G> v, const nr::target::node_context&) {
    const std::string_view op = nr::ir_traits<G>::op_type(g, v);
    if (op == "Conv" || op == "MultiThreshold" || op == "MaxPool") return std::nullopt;
    return "my-npu has no unit for " + std::string(op);
  }
};
static_assert(nr::target::backend_target<my_npu>);

int main() try {
  nr::model g = nr::parse_text(R"(graph {
    input %x: float32[1,2,4,4] !INT4
    const %w: float32[2,2,1,1] !INT2 = [1, -1, 0, 1]
    node conv: Conv(%x, %w) -> %c: float32[1,2,4,4]
    const %a: float32[] = [0.5]
    node scale: Mul(%c, %a) -> %s: float32[1,2,4,4]
    const %t: float32[1,3] = [-1, 0, 1]
    node act: qonnx.custom_op.general.MultiThreshold(%s, %t) {out_dtype = "UINT2"} -> %y: float32[1,2,4,4] !UINT2
    output %y
  })");
  auto report = [&](const char* when) {
    const auto illegal = nr::target::legality_report(g, my_npu{});
    std::cout << when << ": " << (illegal.empty() ? "every op maps to my-npu" : std::to_string(illegal.size()) + " op(s) do not") << "\n";
    for (const auto& n : illegal) std::cout << "  " << n.node << " (" << n.op << "): " << n.reason << "\n";
  };
  report("before");
  const nr::rewrite_result r = nr::streamline::streamline(g, my_npu{});
  std::cout << nr::to_string(r) << "\n";
  report("after");
  return nr::target::legality_report(g, my_npu{}).empty() ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "custom_target: " << e.what() << "\n";
  return 1;
}
