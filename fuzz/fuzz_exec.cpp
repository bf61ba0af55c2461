// libFuzzer target: the executor and the cleanup passes on graphs in the text
// format. Properties: executing never crashes; cleanup either succeeds, leaving a
// valid graph whose outputs equal the original's, or throws and leaves the graph
// exactly as it was.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nnrewrite/nnrewrite.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nnrewrite::tensor_limits().max_elements = 1 << 16;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace nr = nnrewrite;
  nr::model g;
  try {
    g = nr::parse_text(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!nr::verify(g).empty()) return 0;
  } catch (const nr::error&) {
    return 0;
  }
  nr::exec::tensor_map in, before;
  bool ran = false;
  try {
    in = nr::exec::random_inputs(g, 1);
    before = nr::exec::execute(g, in);
    ran = true;
  } catch (const nr::error&) {
  }
  const std::string text = nr::to_text(g);
  try {
    (void)nr::cleanup(g);
  } catch (const nr::error&) {
    if (nr::to_text(g) != text) std::abort();  // a failed run must leave the graph as it was
    return 0;
  }
  if (!nr::verify(g).empty()) std::abort();
  if (!ran) return 0;
  nr::exec::tensor_map after;
  try {
    after = nr::exec::execute(g, in);
  } catch (const nr::error&) {
    std::abort();  // cleanup made a graph that ran into one that does not
  }
  for (const auto& [name, t] : before) {
    auto it = after.find(name);
    if (it == after.end() || !nr::exec::all_close(t, it->second, 1e-4, 1e-5)) std::abort();
  }
  return 0;
}
