// Targets: the fpga_dataflow legality report on TFC before and after
// streamlining, and a target defined by a user.
#include "check.hpp"
#include "nnrewrite/onnx.hpp"
#include "nnrewrite/target/fpga_dataflow.hpp"

using namespace nnrewrite;
using namespace nnrewrite::target;

static_assert(backend_target<fpga_dataflow>);

TEST_CASE("fpga_dataflow: TFC is mappable only once streamlined", "[target]") {
  model g = onnx_io::load_onnx(std::filesystem::path(NNREWRITE_SOURCE_DIR) / "models" / "finn_tfc_w1a1.onnx");
  const auto before = legality_report(g, fpga_dataflow{});
  // The float scales, biases and batch-norms between the integer layers.
  std::map<std::string, int> ops;
  for (const auto& n : before) ++ops[n.op];
  CHECK(ops["BatchNormalization"] == 3);
  CHECK(ops["Div"] == 1);  // the input's /255; the head's Div feeds no integer layer
  CHECK(ops["Sub"] == 1);
  bool says_why = false;
  for (const auto& n : before) says_why = says_why || n.reason.find("between integer layers") != std::string::npos;
  CHECK(says_why);

  (void)streamline::streamline(g);
  const auto after = legality_report(g, fpga_dataflow{});
  for (const auto& n : after) UNSCOPED_INFO(n.node << " (" << n.op << "): " << n.reason);
  CHECK(after.empty());
}

TEST_CASE("fpga_dataflow names what it cannot map", "[target]") {
  const model g = parse_text(R"(graph {
    input %x: float32[1,4]
    const %w: float32[4,4] = splat 0.5
    node mm: MatMul(%x, %w) -> %mm: float32[1,4]
    node s: Softmax(%mm) -> %s: float32[1,4]
    const %t: float32[1,1] = [0]
    node mt: qonnx.custom_op.general.MultiThreshold(%s, %t) {out_dtype = "BINARY"} -> %mt: float32[1,4] !BINARY
    output %mt
  })");
  const auto r = legality_report(g, fpga_dataflow{});
  REQUIRE(r.size() == 3);
  CHECK(r[0].node == "mm");
  CHECK(r[0].reason == "its input is FLOAT32, not an integer type");
  CHECK(r[1].reason == "Softmax has no dataflow block");
  CHECK(r[2].reason == "its input is FLOAT32, not an integer type");
}

namespace {
// A user's target: an accelerator with integer Conv and Relu only, NCHW.
struct my_npu {
  static constexpr std::string_view name = "my-npu";
  static op_role role(std::string_view domain, std::string_view op) { return onnx_role(domain, op); }
  static std::string_view preferred_layout() { return "NCHW"; }
  static bool wants(rule_family f) { return f != rule_family::thresholds; }
  template <ir_graph G>
  static std::optional<std::string> unmappable(const G& g, vertex_t<G> v, const node_context&) {
    const std::string_view op = ir_traits<G>::op_type(g, v);
    if (op == "Conv" || op == "Relu") return std::nullopt;
    return "my-npu runs Conv and Relu only, not " + std::string(op);
  }
};
static_assert(backend_target<my_npu>);
}  // namespace

TEST_CASE("a user-defined target", "[target]") {
  const char* text = R"(graph {
    input %x: float32[1,2,4,4]
    const %w: float32[2,2,1,1] = [1, 0, 0, 1]
    node conv: Conv(%x, %w) -> %c: float32[1,2,4,4]
    node relu: Relu(%c) -> %r: float32[1,2,4,4]
    node pool: MaxPool(%r) {kernel_shape = [2, 2]} -> %p: float32[1,2,3,3]
    output %p
  })";
  check::on_every_ir(text, [](auto& g, const auto&) {
    const auto r = legality_report(g, my_npu{});
    REQUIRE(r.size() == 1);
    CHECK(r[0].op == "MaxPool");
    CHECK(r[0].reason == "my-npu runs Conv and Relu only, not MaxPool");
    CHECK(target_traits<my_npu>::role("", "MaxPool") == op_role::channel_passthrough);
    CHECK_FALSE(target_traits<my_npu>::wants(rule_family::thresholds));
    CHECK(target_traits<my_npu>::name == "my-npu");
  });
}

TEST_CASE("streamline(g, target) runs the rule families the target wants", "[target]") {
  // my_npu does not want threshold rounding: the thresholds stay as absorbed.
  const char* text = R"(graph {
    input %x: float32[1,3] !INT4
    const %w: float32[3,2] !INT2 = [1, -1, 0, 1, -2, 1]
    node mm: MatMul(%x, %w) -> %mm: float32[1,2]
    const %a: float32[] = [0.3]
    node mul: Mul(%mm, %a) -> %m: float32[1,2]
    const %t: float32[1,2] = [-0.5, 0.5]
    node mt: qonnx.custom_op.general.MultiThreshold(%m, %t) {out_dtype = "UINT2"} -> %y: float32[1,2] !UINT2
    output %y
  })";
  check::on_every_ir(text, [](auto& g, const auto& original) {
    const auto r = streamline::streamline(g, my_npu{});
    CHECK(r.per_pattern.count("AbsorbMulIntoMultiThreshold") == 1);
    CHECK(r.per_pattern.count("RoundAndClipThresholds") == 0);
    check::require_equivalent(original, g, 20);
  });
  model h = parse_text(text);
  const auto all = streamline::streamline(h, fpga_dataflow{});
  CHECK(all.per_pattern.count("RoundAndClipThresholds") == 1);
}
