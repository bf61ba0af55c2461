// Plugs a foreign, non-Boost IR (a map of named nodes with input-name lists) into
// nnrewrite: boost::graph_traits + free functions + ir_traits. Then verifies it,
// prints it in the text format and reads the text back into the same IR type.
#include <iostream>

#include "foreign_ir.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/verify.hpp"

static_assert(nnrewrite::ir_graph<awesome::net>);

int main() {
  using nnrewrite::tensor;
  using nnrewrite::element_type;
  awesome::net net;
  auto add = [&](std::string name, awesome::op_object op, std::vector<std::string> inputs,
                 std::vector<std::int64_t> shape, std::string layout = "NCHW") {
    net.nodes[name] = awesome::node{name, std::move(op), std::move(inputs), std::move(shape), "", std::move(layout)};
  };
  add("image", {"placeholder", "", {}, {}}, {}, {1, 3, 8, 8});
  net.input_names = {"image"};
  add("w0", {"const", "", {}, tensor(element_type::float32, {4, 3, 3, 3}, std::vector<float>(108, 0.5f))}, {}, {4, 3, 3, 3}, "");
  add("conv0", {"Conv", "", {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}, {}}, {"image", "w0"}, {1, 4, 8, 8});
  add("relu0", {"Relu", "", {}, {}}, {"conv0"}, {1, 4, 8, 8});
  add("skip", {"Add", "", {}, {}}, {"relu0", "conv0"}, {1, 4, 8, 8});
  add("output/skip", {"output", "", {}, {}}, {"skip"}, {});
  net.output_names = {"output/skip"};

  nnrewrite::verify_or_throw(net);
  auto conv = net.find("conv0");
  std::cout << "conv0 is a fork: " << nnrewrite::is_fork(net, conv)
            << ", skip is a join: " << nnrewrite::is_join(net, net.find("skip")) << "\n";

  std::string text = nnrewrite::to_text(net);
  std::cout << text;
  auto back = nnrewrite::parse_text<awesome::net>(text);
  if (nnrewrite::to_text(back) != text) {
    std::cerr << "round trip through the text format changed the graph:\n" << nnrewrite::to_text(back);
    return 1;
  }
  std::cout << "round trip through the text format: identical (" << back.nodes.size() << " nodes)\n";
  return 0;
}
