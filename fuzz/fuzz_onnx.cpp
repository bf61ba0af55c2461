// libFuzzer target: the ONNX importer. Property: whatever imports exports to a
// model that imports to the same graph (compared through the canonical text), and
// nothing but nnrewrite::error ever escapes.
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
    const nnrewrite::model back = nnrewrite::onnx_io::import_model(nnrewrite::onnx_io::export_model(g));
    if (nnrewrite::to_text(back) != nnrewrite::to_text(g)) std::abort();
  } catch (const nnrewrite::error&) {
    std::abort();  // an exported model that does not import again
  }
  return 0;
}
