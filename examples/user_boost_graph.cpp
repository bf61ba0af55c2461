// Plugs a user's own Boost graph into nnrewrite through ir_traits alone, then
// verifies it, prints it in the text format and reads that text back into the
// user's graph type.
#include <cstdio>
#include <iostream>

#include "user_boost_graph.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/verify.hpp"

static_assert(nnrewrite::ir_graph<user::graph>);

int main() {
  user::graph g;
  auto layer = [&](std::string op, std::string label, std::vector<std::int64_t> shape, std::string qtype = "") {
    user::layer l;
    l.op = std::move(op);
    l.label = std::move(label);
    l.shape = std::move(shape);
    l.qtype = std::move(qtype);
    return l;
  };
  user::layer weights = layer("Const", "w", {16, 4}, "INT4"), scale_value = layer("Const", "scale", {1});
  weights.weights.assign(64, 1.0f);
  scale_value.weights = {0.125f};
  user::layer act = layer("LeakyRelu", "act", {1, 4});
  act.params["alpha"] = 0.1;

  auto in = add_vertex(layer("Input", "pixels", {1, 16}, "UINT8"), g);
  auto w = add_vertex(weights, g);
  auto scale = add_vertex(scale_value, g);
  auto mm = add_vertex(layer("MatMul", "acc", {1, 4}, "INT16"), g);
  auto mul = add_vertex(layer("Mul", "scaled", {1, 4}), g);
  auto relu = add_vertex(act, g);
  auto out = add_vertex(layer("Output", "act", {}), g);
  add_edge(in, mm, user::wire{0, 0}, g);
  add_edge(w, mm, user::wire{0, 1}, g);
  add_edge(mm, mul, user::wire{0, 0}, g);
  add_edge(scale, mul, user::wire{0, 1}, g);
  add_edge(mul, relu, user::wire{0, 0}, g);
  add_edge(relu, out, user::wire{0, 0}, g);

  nnrewrite::verify_or_throw(g);
  std::string text = nnrewrite::to_text(g);
  std::cout << text;

  auto back = nnrewrite::parse_text<user::graph>(text);
  if (nnrewrite::to_text(back) != text) {
    std::cerr << "round trip through the text format changed the graph:\n" << nnrewrite::to_text(back);
    return 1;
  }
  std::cout << "round trip through the text format: identical (" << num_vertices(back) << " layers)\n";
  return 0;
}
