// libFuzzer target: the ONNX importer. Property: whatever imports exports to a
// model that imports again, and from then on a round trip changes nothing
// (compared through the canonical text; the first export may add what the README
// lists: a producer, an undeclared custom domain's opset import); nothing but
// nnrewrite::error ever escapes.
#include <cstdint>
#include <cstdlib>

#include "nnrewrite/onnx.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nnrewrite::tensor_limits().max_elements = 1 << 20;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  onnx::ModelProto m;
  if (!m.ParseFromArray(data, int(size))) return 0;
  nnrewrite::model g;
  try {
    g = nnrewrite::onnx_io::import_model(m, {"/nonexistent-fuzz-dir"});
  } catch (const nnrewrite::error&) {
    return 0;
  }
  try {
    const nnrewrite::model once = nnrewrite::onnx_io::import_model(nnrewrite::onnx_io::export_model(g));
    const nnrewrite::model twice = nnrewrite::onnx_io::import_model(nnrewrite::onnx_io::export_model(once));
    if (nnrewrite::to_text(twice) != nnrewrite::to_text(once)) std::abort();
  } catch (const nnrewrite::error&) {
    std::abort();  // an exported model that does not import again
  }
  return 0;
}
