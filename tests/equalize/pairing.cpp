// The pairing engine: which sets it finds (chains through pooling, concat sets,
// residual families merged across adds, zero-padded skips), which it rejects and
// why, and how the channels of each set line up — on every IR.
#include "eq_check.hpp"

using namespace nnrewrite;
using namespace nnrewrite::equalize;
using eq_check::names;

TEST_CASE("a chain through Relu, MaxPool and AveragePool is one set", "[equalize][pairing]") {
  const model g = parse_text(R"(graph {
    input %x: float32[1,2,4,4]
    const %w1: float32[3,2,1,1] = [1, 2, 3, 4, 5, 6]
    const %b1: float32[3] = [0.5, -1, 2]
    node c1: Conv(%x, %w1, %b1) -> %y1: float32[1,3,4,4]
    node r: Relu(%y1) -> %z: float32[1,3,4,4]
    node mp: MaxPool(%z) {kernel_shape = [2, 2], strides = [2, 2]} -> %p: float32[1,3,2,2]
    node ap: AveragePool(%p) {kernel_shape = [1, 1]} -> %q: float32[1,3,2,2]
    const %w2: float32[2,3,1,1] = [1, 0.1, 10, 2, 0.2, 5]
    node c2: Conv(%q, %w2) -> %y: float32[1,2,2,2]
    output %y
  })");
  const auto p = find_sets(g, target::onnx_float{});
  REQUIRE(p.sets.size() == 1);
  CHECK(p.weighted_ops == 2);
  const auto& s = p.sets[0];
  CHECK(s.kind == set_kind::chain);
  CHECK(names(g, s.parents) == std::vector<std::string>{"c1"});
  CHECK(names(g, s.children) == std::vector<std::string>{"c2"});
  CHECK(s.classes == 3);
  CHECK(s.parent_classes[0] == std::vector<int>{0, 1, 2});
  CHECK(s.child_classes[0] == std::vector<int>{0, 1, 2});
  CHECK(s.values.size() == 4);  // c1's result, then Relu's, MaxPool's, AveragePool's
  // The last weighted op feeds the graph output: rejected, with the reason.
  REQUIRE(p.rejected.size() == 1);
  CHECK(p.rejected[0].node == "c2");
  CHECK_THAT(p.rejected[0].reason, Catch::Contains("graph output"));
}

TEST_CASE("a concat on the channel axis joins its parents' channels in order", "[equalize][pairing]") {
  const model g = parse_text(R"(graph {
    input %x: float32[1,2,3,3]
    const %wa: float32[2,2,1,1] = [1, 2, 3, 4]
    node a: Conv(%x, %wa) -> %ya: float32[1,2,3,3]
    const %wb: float32[3,2,1,1] = [1, 2, 3, 4, 5, 6]
    node b: Conv(%x, %wb) -> %yb: float32[1,3,3,3]
    node ra: Relu(%ya) -> %za: float32[1,2,3,3]
    node cat: Concat(%za, %yb) {axis = 1} -> %cat: float32[1,5,3,3]
    const %wc: float32[2,5,1,1] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    node c: Conv(%cat, %wc) -> %y: float32[1,2,3,3]
    const %wd: float32[1,5,1,1] = [1, 1, 1, 1, 1]
    node d: Conv(%cat, %wd) -> %y2: float32[1,1,3,3]
    output %y
    output %y2
  })");
  const auto p = find_sets(g, target::onnx_float{});
  REQUIRE(p.sets.size() == 1);
  const auto& s = p.sets[0];
  CHECK(s.kind == set_kind::concat);
  CHECK(names(g, s.parents) == std::vector<std::string>{"a", "b"});
  CHECK(names(g, s.children) == std::vector<std::string>{"c", "d"});
  CHECK(names(g, s.concats) == std::vector<std::string>{"cat"});
  CHECK(s.classes == 5);
  CHECK(s.parent_classes[0] == std::vector<int>{0, 1});
  CHECK(s.parent_classes[1] == std::vector<int>{2, 3, 4});
  CHECK(s.child_classes[0] == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("residual families merge across adds and see through zero channel padding", "[equalize][pairing]") {
  // BlazeFace's blocks: the skip is padded from 2 to 3 channels by a zero Concat.
  const model g = parse_text(R"(graph {
    input %x: float32[1,1,2,2]
    const %w0: float32[2,1,1,1] = [1, -2]
    node c0: Conv(%x, %w0) -> %y0: float32[1,2,2,2]
    node r0: Relu(%y0) -> %z0: float32[1,2,2,2]
    const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
    node c1: Conv(%z0, %w1) -> %y1: float32[1,2,2,2]
    node add1: Add(%y1, %z0) -> %s1: float32[1,2,2,2]
    node r1: Relu(%s1) -> %z1: float32[1,2,2,2]
    const %w2: float32[3,2,1,1] = [1, 2, 3, 4, 5, 6]
    node c2: Conv(%z1, %w2) -> %y2: float32[1,3,2,2]
    const %zero: float32[1,1,2,2] = splat 0
    node pad: Concat(%z1, %zero) {axis = 1} -> %p1: float32[1,3,2,2]
    node add2: Add(%y2, %p1) -> %s2: float32[1,3,2,2]
    node r2: Relu(%s2) -> %z2: float32[1,3,2,2]
    const %w3: float32[1,3,1,1] = [1, 1, 1]
    node c3: Conv(%z2, %w3) -> %y: float32[1,1,2,2]
    output %y
  })");
  const auto p = find_sets(g, target::onnx_float{});
  REQUIRE(p.sets.size() == 1);
  const auto& s = p.sets[0];
  CHECK(s.kind == set_kind::residual);
  CHECK(names(g, s.parents) == std::vector<std::string>{"c0", "c1", "c2"});
  CHECK(names(g, s.children) == std::vector<std::string>{"c1", "c2", "c3"});
  CHECK(names(g, s.joins) == std::vector<std::string>{"add1", "add2"});
  // One scale vector for the family: channel k of every member is class k; the
  // padded channel of the skip has none, c2's third channel its own.
  CHECK(s.classes == 3);
  CHECK(s.parent_classes[0] == std::vector<int>{0, 1});
  CHECK(s.parent_classes[1] == std::vector<int>{0, 1});
  CHECK(s.parent_classes[2] == std::vector<int>{0, 1, 2});
  CHECK(s.child_classes[2] == std::vector<int>{0, 1, 2});
  CHECK(p.rejected.size() == 1);  // c3: graph output
}

TEST_CASE("what bounds a region other than weighted ops rejects it, named", "[equalize][pairing]") {
  auto rejected_for = [](const char* text) {
    const model g = parse_text(text);
    const auto p = find_sets(g, target::onnx_float{});
    CHECK(p.sets.empty());
    REQUIRE(!p.rejected.empty());
    return p.rejected.front();
  };
  SECTION("a Sigmoid between two convs") {
    const auto r = rejected_for(R"(graph {
      input %x: float32[1,2,2,2]
      const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
      node c1: Conv(%x, %w1) -> %y1: float32[1,2,2,2]
      node s: Sigmoid(%y1) -> %z: float32[1,2,2,2]
      const %w2: float32[2,2,1,1] = [1, 2, 3, 4]
      node c2: Conv(%z, %w2) -> %y: float32[1,2,2,2]
      output %y
    })");
    CHECK(r.node == "c1");
    CHECK_THAT(r.reason, Catch::Contains("'s' (Sigmoid) does not commute"));
  }
  SECTION("a Clip (ReLU6) between two convs") {
    const auto r = rejected_for(R"(graph {
      input %x: float32[1,2,2,2]
      const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
      node c1: Conv(%x, %w1) -> %y1: float32[1,2,2,2]
      const %lo: float32[] = [0]
      const %hi: float32[] = [6]
      node r6: Clip(%y1, %lo, %hi) -> %z: float32[1,2,2,2]
      const %w2: float32[2,2,1,1] = [1, 2, 3, 4]
      node c2: Conv(%z, %w2) -> %y: float32[1,2,2,2]
      output %y
    })");
    CHECK_THAT(r.reason, Catch::Contains("'r6' (Clip)"));
  }
  SECTION("a non-weighted neighbour of a residual family") {
    const auto r = rejected_for(R"(graph {
      input %x: float32[1,2,2,2]
      const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
      node c1: Conv(%x, %w1) -> %y1: float32[1,2,2,2]
      node add: Add(%y1, %x) -> %s: float32[1,2,2,2]
      const %w2: float32[2,2,1,1] = [1, 2, 3, 4]
      node c2: Conv(%s, %w2) -> %y: float32[1,2,2,2]
      output %y
    })");
    CHECK(r.kind == set_kind::residual);
    CHECK_THAT(r.reason, Catch::Contains("graph input 'x'"));
  }
  SECTION("a concat on a spatial axis") {
    const auto r = rejected_for(R"(graph {
      input %x: float32[1,2,2,2]
      const %wa: float32[2,2,1,1] = [1, 2, 3, 4]
      node a: Conv(%x, %wa) -> %ya: float32[1,2,2,2]
      const %wb: float32[2,2,1,1] = [1, 2, 3, 4]
      node b: Conv(%x, %wb) -> %yb: float32[1,2,2,2]
      node cat: Concat(%ya, %yb) {axis = 2} -> %cat: float32[1,2,4,2]
      const %wc: float32[1,2,1,1] = [1, 2]
      node c: Conv(%cat, %wc) -> %y: float32[1,1,4,2]
      output %y
    })");
    CHECK(r.kind == set_kind::concat);
    CHECK_THAT(r.reason, Catch::Contains("'cat' concatenates on axis 2, not the channel axis 1"));
  }
  SECTION("a result that also leaves the graph") {
    const auto r = rejected_for(R"(graph {
      input %x: float32[1,2,2,2]
      const %w1: float32[2,2,1,1] = [1, 2, 3, 4]
      node c1: Conv(%x, %w1) -> %y1: float32[1,2,2,2]
      node r: Relu(%y1) -> %z: float32[1,2,2,2]
      const %w2: float32[2,2,1,1] = [1, 2, 3, 4]
      node c2: Conv(%z, %w2) -> %y: float32[1,2,2,2]
      node s: Sigmoid(%y) -> %o: float32[1,2,2,2]
      output %o
      output %z
    })");
    CHECK(r.node == "c1");
    CHECK_THAT(r.reason, Catch::Contains("graph output"));
  }
}

TEST_CASE("grouped and depthwise convolutions pair channel by channel", "[equalize][pairing]") {
  const model g = parse_text(R"(graph {
    input %x: float32[1,4,3,3]
    const %wd: float32[4,1,3,3] = splat 0.5
    node dw: Conv(%x, %wd) {group = 4, pads = [1, 1, 1, 1]} -> %yd: float32[1,4,3,3]
    const %wg: float32[4,2,1,1] = [1, 2, 3, 4, 5, 6, 7, 8]
    node gc: Conv(%yd, %wg) {group = 2} -> %yg: float32[1,4,3,3]
    node r: Relu(%yg) -> %z: float32[1,4,3,3]
    const %wp: float32[1,4,1,1] = [1, 2, 3, 4]
    node pw: Conv(%z, %wp) -> %y: float32[1,1,3,3]
    output %y
  })");
  const auto p = find_sets(g, target::onnx_float{});
  REQUIRE(p.sets.size() == 2);
  CHECK(names(g, p.sets[0].parents) == std::vector<std::string>{"dw"});
  CHECK(names(g, p.sets[0].children) == std::vector<std::string>{"gc"});
  CHECK(p.sets[0].child_classes[0] == std::vector<int>{0, 1, 2, 3});
  CHECK(names(g, p.sets[1].parents) == std::vector<std::string>{"gc"});
  CHECK(names(g, p.sets[1].children) == std::vector<std::string>{"pw"});
}

TEST_CASE("MatMul chains keep channels last", "[equalize][pairing]") {
  const model g = parse_text(R"(graph {
    input %x: float32[2,3]
    const %w1: float32[3,4] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    node m1: MatMul(%x, %w1) -> %y1: float32[2,4]
    node r: Relu(%y1) -> %z: float32[2,4]
    const %w2: float32[4,2] = [1, 2, 3, 4, 5, 6, 7, 8]
    node m2: MatMul(%z, %w2) -> %y: float32[2,2]
    output %y
  })");
  const auto p = find_sets(g, target::onnx_float{});
  REQUIRE(p.sets.size() == 1);
  CHECK(p.sets[0].channels_last);
  CHECK(p.sets[0].classes == 4);
}
