// The pairing engine: which sets it finds (chains through pooling, concat sets,
// residual families merged across adds, zero-padded skips), which it rejects and
// why, and how the channels of each set line up — on every IR. Nodes are named
// after their results, as the foreign IR names them.
#include "eq_check.hpp"

using namespace nnrewrite;
using namespace nnrewrite::equalize;
using eq_check::names;
using strings = std::vector<std::string>;

TEST_CASE("a chain through Relu, MaxPool and AveragePool is one set", "[equalize][pairing]") {
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,2,4,4]
    const %w1: float32[3,2,1,1] = [1, 2, 3, 4, 5, 6]
    const %b1: float32[3] = [0.5, -1, 2]
    node y1: Conv(%x, %w1, %b1) -> %y1: float32[1,3,4,4]
    node z: Relu(%y1) -> %z: float32[1,3,4,4]
    node p: MaxPool(%z) {kernel_shape = [2, 2], strides = [2, 2]} -> %p: float32[1,3,2,2]
    node q: AveragePool(%p) {kernel_shape = [1, 1]} -> %q: float32[1,3,2,2]
    const %w2: float32[2,3,1,1] = [1, 0.1, 10, 2, 0.2, 5]
    node y: Conv(%q, %w2) -> %y: float32[1,2,2,2]
    output %y
  })", [](const auto& g, const auto&) {
    const auto p = find_sets(g, target::onnx_float{});
    REQUIRE(p.sets.size() == 1);
    CHECK(p.weighted_ops == 2);
    const auto& s = p.sets[0];
    CHECK(s.kind == set_kind::chain);
    CHECK(names(g, s.parents) == strings{"y1"});
    CHECK(names(g, s.children) == strings{"y"});
    CHECK(s.classes == 3);
    CHECK(s.parent_classes[0] == std::vector<int>{0, 1, 2});
    CHECK(s.child_classes[0] == std::vector<int>{0, 1, 2});
    CHECK(s.values.size() == 4);  // the parent's result, then Relu's, MaxPool's, AveragePool's
    // The last weighted op feeds the graph output: rejected, with the reason.
    REQUIRE(p.rejected.size() == 1);
    CHECK(p.rejected[0].node == "y");
    CHECK_THAT(p.rejected[0].reason, Catch::Contains("graph output"));
  });
}

TEST_CASE("a concat on the channel axis joins its parents' channels in order", "[equalize][pairing]") {
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,2,3,3]
    const %wa: float32[2,2,1,1] = [1, 2, 3, 4]
    node ya: Conv(%x, %wa) -> %ya: float32[1,2,3,3]
    const %wb: float32[3,2,1,1] = [1, 2, 3, 4, 5, 6]
    node yb: Conv(%x, %wb) -> %yb: float32[1,3,3,3]
    node za: Relu(%ya) -> %za: float32[1,2,3,3]
    node cat: Concat(%za, %yb) {axis = 1} -> %cat: float32[1,5,3,3]
    const %wc: float32[2,5,1,1] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    node y: Conv(%cat, %wc) -> %y: float32[1,2,3,3]
    const %wd: float32[1,5,1,1] = [1, 1, 1, 1, 1]
    node y2: Conv(%cat, %wd) -> %y2: float32[1,1,3,3]
    output %y
    output %y2
  })", [](const auto& g, const auto&) {
    const auto p = find_sets(g, target::onnx_float{});
    REQUIRE(p.sets.size() == 1);
    const auto& s = p.sets[0];
    CHECK(s.kind == set_kind::concat);
    CHECK(names(g, s.parents) == strings{"ya", "yb"});
    CHECK(names(g, s.children) == strings{"y", "y2"});
    CHECK(names(g, s.concats) == strings{"cat"});
    CHECK(s.classes == 5);
    CHECK(s.parent_classes[0] == std::vector<int>{0, 1});
    CHECK(s.parent_classes[1] == std::vector<int>{2, 3, 4});
    CHECK(s.child_classes[0] == std::vector<int>{0, 1, 2, 3, 4});
  });
}

TEST_CASE("residual families merge across adds and see through zero channel padding", "[equalize][pairing]") {
  // BlazeFace's blocks: the skip is padded from 2 to 3 channels by a zero Concat.
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,1,2,2]
    const %w0: float32[2,1,1,1] = [1, -2]
    node y0: Conv(%x, %w0) -> %y0: float32[1,2,2,2]
    node z0: Relu(%y0) -> %z0: float32[1,2,2,2]
    const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
    node y1: Conv(%z0, %w1) -> %y1: float32[1,2,2,2]
    node s1: Add(%y1, %z0) -> %s1: float32[1,2,2,2]
    node z1: Relu(%s1) -> %z1: float32[1,2,2,2]
    const %w2: float32[3,2,1,1] = [1, 2, 3, 4, 5, 6]
    node y2: Conv(%z1, %w2) -> %y2: float32[1,3,2,2]
    const %zero: float32[1,1,2,2] = splat 0
    node p1: Concat(%z1, %zero) {axis = 1} -> %p1: float32[1,3,2,2]
    node s2: Add(%y2, %p1) -> %s2: float32[1,3,2,2]
    node z2: Relu(%s2) -> %z2: float32[1,3,2,2]
    const %w3: float32[1,3,1,1] = [1, 1, 1]
    node y: Conv(%z2, %w3) -> %y: float32[1,1,2,2]
    output %y
  })", [](const auto& g, const auto&) {
    const auto p = find_sets(g, target::onnx_float{});
    REQUIRE(p.sets.size() == 1);
    const auto& s = p.sets[0];
    CHECK(s.kind == set_kind::residual);
    CHECK(names(g, s.parents) == strings{"y0", "y1", "y2"});
    CHECK(names(g, s.children) == strings{"y1", "y2", "y"});
    CHECK(names(g, s.joins) == strings{"s1", "s2"});
    // One scale vector for the family: channel k of every member is class k; the
    // padded channel of the skip has none, y2's third channel its own.
    CHECK(s.classes == 3);
    CHECK(s.parent_classes[0] == std::vector<int>{0, 1});
    CHECK(s.parent_classes[1] == std::vector<int>{0, 1});
    CHECK(s.parent_classes[2] == std::vector<int>{0, 1, 2});
    CHECK(s.child_classes[2] == std::vector<int>{0, 1, 2});
    CHECK(p.rejected.size() == 1);  // y: graph output
  });
}

namespace {

// Conv y1 → `middle` (reading %y1, giving %z) → Conv y, as text.
std::string between_convs(const std::string& middle, const std::string& outputs = "output %y") {
  return "graph {\n input %x: float32[1,2,2,2]\n const %w1: float32[2,2,1,1] = [1, 2, 3, 4]\n"
         " node y1: Conv(%x, %w1) -> %y1: float32[1,2,2,2]\n" + middle +
         "\n const %w2: float32[2,2,1,1] = [1, 2, 3, 4]\n node y: Conv(%z, %w2) -> %y: float32[1,2,2,2]\n" + outputs + "\n}";
}

struct rejection_case {
  const char* what;
  std::string text;
  std::string node, reason;
  set_kind kind = set_kind::chain;
};

// Nothing pairs in c.text, and the first rejection is the expected one.
template <ir_graph G>
void check_rejected(const G& g, const rejection_case& c) {
  const auto p = find_sets(g, target::onnx_float{});
  CHECK(p.sets.empty());
  REQUIRE(!p.rejected.empty());
  const rejection& r = p.rejected.front();
  CHECK(r.node == c.node);
  CHECK(r.kind == c.kind);
  CHECK_THAT(r.reason, Catch::Contains(c.reason));
}

}  // namespace

TEST_CASE("what bounds a region other than weighted ops rejects it, named", "[equalize][pairing]") {
  const std::vector<rejection_case> cases = {
      {"a Sigmoid between two convs", between_convs(" node z: Sigmoid(%y1) -> %z: float32[1,2,2,2]"), "y1",
       "'z' (Sigmoid) does not commute"},
      {"a Clip (ReLU6) between two convs",
       between_convs(" const %lo: float32[] = [0]\n const %hi: float32[] = [6]\n"
                     " node z: Clip(%y1, %lo, %hi) -> %z: float32[1,2,2,2]"),
       "y1", "'z' (Clip)"},
      {"a result that also leaves the graph", between_convs(" node z: Relu(%y1) -> %z: float32[1,2,2,2]", "output %y\n output %z"),
       "y1", "graph output 'z'"},
      {"a non-weighted neighbour of a residual family", between_convs(" node z: Add(%y1, %x) -> %z: float32[1,2,2,2]"), "y1",
       "graph input 'x'", set_kind::residual},
      {"a concat on a spatial axis", R"(graph {
        input %x: float32[1,2,2,2]
        const %wa: float32[2,2,1,1] = [1, 2, 3, 4]
        node ya: Conv(%x, %wa) -> %ya: float32[1,2,2,2]
        const %wb: float32[2,2,1,1] = [1, 2, 3, 4]
        node yb: Conv(%x, %wb) -> %yb: float32[1,2,2,2]
        node cat: Concat(%ya, %yb) {axis = 2} -> %cat: float32[1,2,4,2]
        const %wc: float32[1,2,1,1] = [1, 2]
        node y: Conv(%cat, %wc) -> %y: float32[1,1,4,2]
        output %y
      })", "ya", "'cat' concatenates on axis 2, not the channel axis 1", set_kind::concat},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    check_rejected(parse_text<model>(c.text), c);
    check_rejected(parse_text<user::graph>(c.text), c);
    check_rejected(parse_text<awesome::net>(c.text), c);
  }
}

TEST_CASE("grouped and depthwise convolutions pair channel by channel", "[equalize][pairing]") {
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,4,3,3]
    const %wd: float32[4,1,3,3] = splat 0.5
    node yd: Conv(%x, %wd) {group = 4, pads = [1, 1, 1, 1]} -> %yd: float32[1,4,3,3]
    const %wg: float32[4,2,1,1] = [1, 2, 3, 4, 5, 6, 7, 8]
    node yg: Conv(%yd, %wg) {group = 2} -> %yg: float32[1,4,3,3]
    node z: Relu(%yg) -> %z: float32[1,4,3,3]
    const %wp: float32[1,4,1,1] = [1, 2, 3, 4]
    node y: Conv(%z, %wp) -> %y: float32[1,1,3,3]
    output %y
  })", [](const auto& g, const auto&) {
    const auto p = find_sets(g, target::onnx_float{});
    REQUIRE(p.sets.size() == 2);
    CHECK(names(g, p.sets[0].parents) == strings{"yd"});
    CHECK(names(g, p.sets[0].children) == strings{"yg"});
    CHECK(p.sets[0].child_classes[0] == std::vector<int>{0, 1, 2, 3});
    CHECK(names(g, p.sets[1].parents) == strings{"yg"});
    CHECK(names(g, p.sets[1].children) == strings{"y"});
  });
}

TEST_CASE("MatMul chains keep channels last", "[equalize][pairing]") {
  eq_check::on_every_ir(R"(graph {
    input %x: float32[2,3]
    const %w1: float32[3,4] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    node y1: MatMul(%x, %w1) -> %y1: float32[2,4]
    node z: Relu(%y1) -> %z: float32[2,4]
    const %w2: float32[4,2] = [1, 2, 3, 4, 5, 6, 7, 8]
    node y: MatMul(%z, %w2) -> %y: float32[2,2]
    output %y
  })", [](const auto& g, const auto&) {
    const auto p = find_sets(g, target::onnx_float{});
    REQUIRE(p.sets.size() == 1);
    CHECK(p.sets[0].channels_last);
    CHECK(p.sets[0].classes == 4);
  });
}

TEST_CASE("nested concats make one set whose children see their own slices", "[equalize][pairing]") {
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,2,2,2]
    const %wa: float32[2,2,1,1] = [1, 2, 3, 4]
    node ya: Conv(%x, %wa) -> %ya: float32[1,2,2,2]
    const %wb: float32[1,2,1,1] = [5, 6]
    node yb: Conv(%x, %wb) -> %yb: float32[1,1,2,2]
    node inner: Concat(%ya, %yb) {axis = 1} -> %inner: float32[1,3,2,2]
    const %wc: float32[2,2,1,1] = [0.1, 0.2, 0.3, 0.4]
    node yc: Conv(%x, %wc) -> %yc: float32[1,2,2,2]
    node outer: Concat(%inner, %yc) {axis = 1} -> %outer: float32[1,5,2,2]
    const %wd: float32[1,5,1,1] = [1, 2, 3, 4, 5]
    node yd: Conv(%outer, %wd) -> %yd: float32[1,1,2,2]
    const %we: float32[1,3,1,1] = [1, 10, 100]
    node ye: Conv(%inner, %we) -> %ye: float32[1,1,2,2]
    node sum: Add(%yd, %ye) -> %sum: float32[1,1,2,2]
    node y: Sigmoid(%sum) -> %y: float32[1,1,2,2]
    output %y
  })", [](auto& g, const auto& original) {
    const auto p = find_sets(g, target::onnx_float{});
    REQUIRE(!p.sets.empty());
    const auto& s = p.sets[0];
    CHECK(s.kind == set_kind::concat);
    CHECK(names(g, s.parents) == strings{"ya", "yb", "yc"});
    CHECK(names(g, s.children) == strings{"ye", "yd"});
    CHECK(names(g, s.concats) == strings{"inner", "outer"});
    CHECK(s.classes == 5);
    CHECK(s.child_classes[0] == std::vector<int>{0, 1, 2});        // ye reads the inner concat
    CHECK(s.child_classes[1] == std::vector<int>{0, 1, 2, 3, 4});  // yd the outer one
    (void)equalize::equalize(g, target::onnx_float{});
    eq_check::require_equivalent(original, g);
  });
}

TEST_CASE("a residual family merges across three adds into one scale vector", "[equalize][pairing]") {
  eq_check::on_every_ir(R"(graph {
    input %x: float32[1,1,2,2]
    const %w0: float32[2,1,1,1] = [1, -2]
    node y0: Conv(%x, %w0) -> %y0: float32[1,2,2,2]
    node z0: Relu(%y0) -> %z0: float32[1,2,2,2]
    const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
    node y1: Conv(%z0, %w1) -> %y1: float32[1,2,2,2]
    node s1: Add(%y1, %z0) -> %s1: float32[1,2,2,2]
    node z1: Relu(%s1) -> %z1: float32[1,2,2,2]
    const %w2: float32[2,2,1,1] = [0.5, -1, 8, 0.25]
    node y2: Conv(%z1, %w2) -> %y2: float32[1,2,2,2]
    node s2: Add(%z1, %y2) -> %s2: float32[1,2,2,2]
    node z2: Relu(%s2) -> %z2: float32[1,2,2,2]
    const %w3: float32[2,2,1,1] = [3, 0.1, -0.2, 7]
    node y3: Conv(%z2, %w3) -> %y3: float32[1,2,2,2]
    node s3: Add(%y3, %z2) -> %s3: float32[1,2,2,2]
    node z3: Relu(%s3) -> %z3: float32[1,2,2,2]
    const %w4: float32[1,2,1,1] = [1, 20]
    node y4: Conv(%z3, %w4) -> %y4: float32[1,1,2,2]
    node y: Sigmoid(%y4) -> %y: float32[1,1,2,2]
    output %y
  })", [](auto& g, const auto& original) {
    const auto p = find_sets(g, target::onnx_float{});
    REQUIRE(p.sets.size() == 1);
    const auto& s = p.sets[0];
    CHECK(s.kind == set_kind::residual);
    CHECK(names(g, s.joins) == strings{"s1", "s2", "s3"});
    CHECK(names(g, s.parents) == strings{"y0", "y1", "y2", "y3"});
    CHECK(names(g, s.children) == strings{"y1", "y2", "y3", "y4"});
    CHECK(s.classes == 2);
    for (const auto& c : s.parent_classes) CHECK(c == std::vector<int>{0, 1});
    const auto r = equalize::equalize(g, target::onnx_float{});
    REQUIRE(r.applied.size() == 1);
    CHECK(r.applied[0].max_scale / r.applied[0].min_scale > 1.5);
    eq_check::require_equivalent(original, g);
  });
}
