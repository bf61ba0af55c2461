// libFuzzer target: the text parser. Property: whatever parses prints to a text
// that parses back to the same text (parse_text(to_text(g)) gives g back), and
// nothing but nnrewrite::error ever escapes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nnrewrite/io/text.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nnrewrite::tensor_limits().max_elements = 1 << 20;  // keep each input's memory small
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nnrewrite::model g;
  try {
    g = nnrewrite::parse_text(text);
  } catch (const nnrewrite::error&) {
    return 0;
  }
  const std::string once = nnrewrite::to_text(g);
  try {
    if (nnrewrite::to_text(nnrewrite::parse_text(once)) != once) std::abort();
  } catch (const nnrewrite::error&) {
    std::abort();  // printed text that does not parse back
  }
  return 0;
}
