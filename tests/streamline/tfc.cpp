// End to end: FINN's TFC-w1a1 (fully connected, 1-bit weights and activations,
// MNIST) streamlines from 30 nodes to the 12-node form FINN produces — Reshape,
// then MultiThreshold/MatMul x4, Mul, Add, TopK — with identical outputs.
#include "check.hpp"
#include "nnrewrite/onnx.hpp"

#include <filesystem>
#include <iostream>

using namespace nnrewrite;

namespace {
const std::filesystem::path tfc = std::filesystem::path(NNREWRITE_SOURCE_DIR) / "models" / "finn_tfc_w1a1.onnx";
}

TEST_CASE("TFC streamlines to FINN's 12-node form with identical outputs", "[streamline][tfc]") {
  const bool plus = GENERATE(false, true);  // the classic preset, and streamline_plus
  INFO((plus ? "streamline_plus" : "streamline"));
  const model original = onnx_io::load_onnx(tfc);
  model g = onnx_io::load_onnx(tfc);
  REQUIRE(check::count(g) == 30);
  const auto r = plus ? streamline::streamline_plus(g) : streamline::streamline(g);
  INFO(to_string(r));
  text_options brief;
  brief.max_constant_elements = 8;
  INFO(to_text(g, brief));
  CHECK(r.converged);
  CHECK(check::count(g) == 12);
  CHECK(check::count(g, "MultiThreshold") == 4);
  CHECK(check::count(g, "MatMul") == 4);
  CHECK(check::count(g, "Reshape") == 1);
  CHECK(check::count(g, "Mul") == 1);
  CHECK(check::count(g, "Add") == 1);
  CHECK(check::count(g, "TopK") == 1);
  check::require_equivalent(original, g, 1000);
}

TEST_CASE("the README's streamlining snippet", "[streamline][readme]") {
  const std::filesystem::path models = tfc.parent_path();
  model g = onnx_io::load_onnx(models / "finn_tfc_w1a1.onnx");  // or parse_text, or your own IR
  rewrite_result r = streamline::streamline(g);  // FINN's Streamline() sequence
  fmt::print("{}\n", r);                          // converged?, per-rule counts

  // Or a selection of rules under the same worklist driver:
  pattern_set<model> set;
  streamline::populate_absorb_patterns(set);
  set.add<streamline::MoveScalarMulPastMatMul<model>>();
  populate_cleanup_patterns(set);
  rewrite_result more = apply_patterns_greedily(g, set);  // on TFC: the Mul and Add before TopK go too

  CHECK(r.converged);
  CHECK(more.per_pattern["AbsorbScalarMulAddIntoTopK"] == 2);
  CHECK(check::count(g) == 10);
}

TEST_CASE("the synthetic FINN-style MLP of ../shared/models streamlines to integer layers and the head", "[streamline][models]") {
  const std::filesystem::path path = std::filesystem::path(NNREWRITE_MODELS_DIR) / "synthetic" / "mlp_L16_W64_s1.onnx";
  if (!std::filesystem::exists(path)) {
    std::cout << "SKIPPED: " << path.string() << " not found (set the CMake cache variable NNREWRITE_MODELS_DIR)\n";
    return;
  }
  const model original = onnx_io::load_onnx(path);
  model g = onnx_io::load_onnx(path);
  REQUIRE(check::count(g, "MatMul") == 16);
  const auto r = streamline::streamline(g);
  INFO(to_string(r));
  CHECK(r.converged);
  // Every block's Mul and Add went into the next thresholds: only the head's stay.
  CHECK(check::count(g, "MatMul") == 16);
  CHECK(check::count(g, "MultiThreshold") == 16);
  CHECK(check::count(g, "Mul") == 1);
  CHECK(check::count(g, "Add") == 1);
  CHECK(check::count(g) == 34);
  check::require_equivalent(original, g, 200);
}

TEST_CASE("the synthetic residual MLP of ../shared/models streamlines completely with streamline_plus", "[streamline][models][plus]") {
  const std::filesystem::path path = std::filesystem::path(NNREWRITE_MODELS_DIR) / "synthetic" / "res_L16_W64_s1.onnx";
  if (!std::filesystem::exists(path)) {
    std::cout << "SKIPPED: " << path.string() << " not found (set the CMake cache variable NNREWRITE_MODELS_DIR)\n";
    return;
  }
  const model original = onnx_io::load_onnx(path);
  model g = onnx_io::load_onnx(path);
  REQUIRE(check::count(g) == 82);
  const auto r = streamline::streamline_plus(g);
  INFO(to_string(r));
  CHECK(r.converged);
  // 16 blocks in 8 residual pairs: every float Mul and Add absorbed but the
  // head's; what is left of each join is an integer Add.
  CHECK(check::count(g, "MatMul") == 16);
  CHECK(check::count(g, "MultiThreshold") == 16);
  CHECK(check::count(g, "Mul") == 1);
  CHECK(check::count(g, "Add") == 8 + 1);
  CHECK(check::count(g) == 42);
  check::require_equivalent(original, g, 200);
  // The classic preset has no join rules: a float Mul and Add stay at every join.
  model classic = onnx_io::load_onnx(path);
  (void)streamline::streamline(classic);
  CHECK(check::count(classic, "Mul") > 8);
}
