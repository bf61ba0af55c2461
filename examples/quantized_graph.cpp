// Builds a small FINN-style quantized graph in nnrewrite::model — UINT8 pixels,
// a float input scale, a BIPOLAR-weight MatMul, a float scale and bias, a
// MultiThreshold activation — verifies it and prints it in the text format.
//
//   quantized_graph [--dot FILE]
#include <cstring>
#include <fstream>
#include <iostream>

#include "nnrewrite/nnrewrite.hpp"

namespace nr = nnrewrite;

static nr::model build() {
  using T = nr::ir_traits<nr::model>;
  using nr::element_type;
  nr::model g;
  g.info.graph_name = "tiny_fc";
  g.info.opsets = {{"", 13}, {"qonnx.custom_op.general", 1}};
  g.info.producer_name = "nnrewrite example";

  auto value = [](std::string name, nr::shape_t shape, std::optional<nr::data_type> dt = std::nullopt) {
    return nr::value_info{std::move(name), element_type::float32, nr::to_dims(shape), dt, "NC"};
  };
  auto constant = [&](std::string name, nr::tensor t, std::optional<nr::data_type> dt = std::nullopt) {
    return T::add_constant(g, nr::value_info{std::move(name), {}, {}, dt, ""}, std::move(t));
  };
  auto op = [&](std::string type, std::string name, std::vector<nr::vertex_t<nr::model>> operands,
                nr::value_info out, nr::attribute_map attrs = {}, std::string domain = "") {
    auto v = T::add_op(g, type, domain, std::move(name), std::move(attrs), {std::move(out)});
    for (std::size_t i = 0; i < operands.size(); ++i) T::connect(g, operands[i], 0, v, static_cast<int>(i));
    return v;
  };

  const int in = 16, out = 8, steps = 3;
  std::vector<float> w(in * out), bias(out), thresholds(out * steps);
  for (int i = 0; i < in * out; ++i) w[i] = ((i * 7) % 3 == 0) ? -1.0f : 1.0f;
  for (int j = 0; j < out; ++j) bias[j] = 0.25f * float(j) - 1.0f;
  for (int j = 0; j < out * steps; ++j) thresholds[j] = float(j % steps) - 0.5f;

  auto x = T::add_input(g, value("pixels", {1, in}, nr::data_type::uint(8)));
  auto s_in = constant("in_scale", nr::tensor::scalar(1.0 / 255.0));
  auto W = constant("weights", nr::tensor(element_type::float32, {in, out}, w), nr::data_type::bipolar());
  auto s_acc = constant("acc_scale", nr::tensor::scalar(0.5));
  auto b = constant("bias", nr::tensor(element_type::float32, {1, out}, bias));
  auto thr = constant("thresholds", nr::tensor(element_type::float32, {out, steps}, thresholds));

  auto scaled = op("Mul", "scale_in", {x, s_in}, value("x_scaled", {1, in}));
  auto acc = op("MatMul", "fc0", {scaled, W}, value("acc", {1, out}));
  auto acc_s = op("Mul", "scale_acc", {acc, s_acc}, value("acc_scaled", {1, out}));
  auto biased = op("Add", "bias_add", {acc_s, b}, value("biased", {1, out}));
  auto act = op("MultiThreshold", "act0", {biased, thr}, value("act", {1, out}, nr::data_type::uint(2)),
                {{"out_dtype", std::string("UINT2")}, {"data_layout", std::string("NC")}}, "qonnx.custom_op.general");
  T::connect(g, act, 0, T::add_output(g, "act"), 0);
  return g;
}

int main(int argc, char** argv) {
  const char* dot_file = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dot") == 0 && i + 1 < argc) {
      dot_file = argv[++i];
    } else {
      std::cerr << "usage: " << argv[0] << " [--dot FILE]\n";
      return 2;
    }
  }
  try {
    nr::model g = build();
    nr::verify_or_throw(g);
    std::cout << nr::to_text(g);
    std::cerr << "verified: " << num_vertices(g) << " vertices, " << num_edges(g) << " edges, no problems\n";
    if (dot_file) {
      std::ofstream(dot_file) << nr::to_dot(g);
      std::cerr << "wrote " << dot_file << "\n";
    }
    return 0;
  } catch (const nr::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
