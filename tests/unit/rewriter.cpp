#include <catch2/catch.hpp>

#include <set>

#include "helpers.hpp"
#include "user_boost_graph.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/ir/verify.hpp"
#include "nnrewrite/rewrite/pattern.hpp"

using namespace nnrewrite;
using test::producer_of;
using test::T;
using test::V;

namespace {
const char* chain = R"(graph {
  input %x: float32[1,4]
  const %a: float32[] = [2]
  node m: Mul(%x, %a) -> %m: float32[1,4]
  const %b: float32[] = [3]
  node n: Mul(%m, %b) -> %n: float32[1,4]
  node r: Relu(%n) -> %y: float32[1,4]
  output %y
})";

struct recorder : rewrite_listener<V> {
  std::vector<std::string> events;
  const model* g = nullptr;
  void on_created(V v) override { events.push_back("created " + describe(*g, v)); }
  void on_erased(V v) override { events.push_back("erased " + describe(*g, v)); }
  void on_modified(V v) override { events.push_back("modified " + describe(*g, v)); }
  void on_restored(V v) override { events.push_back("restored " + describe(*g, v)); }
  void on_use_removed(V v) override { events.push_back("use removed " + describe(*g, v)); }
  void on_value_changed(V v) override { events.push_back("value changed " + describe(*g, v)); }
};

// Collapses Mul(Mul(x, a), b) into Mul(x, a*b), the way a pattern would.
void collapse(rewriter<model>& rw) {
  model& g = rw.graph();
  V m = producer_of(g, "m"), n = producer_of(g, "n");
  tensor ab = *T::constant_value(g, producer_of(g, "a")) * *T::constant_value(g, producer_of(g, "b"));
  V c = rw.create_constant(value_info("ab"), ab);
  V fused = rw.create_op("Mul", "", {operand(g, m, 0), value_ref<V>{c, 0}}, {T::value(g, n, 0)}, {}, "fused");
  rw.replace_all_uses({n, 0}, {fused, 0});
  rw.erase(n);
  rw.erase(m);
}
}  // namespace

TEST_CASE("rewriter changes are seen by listeners and keep the function", "[rewriter]") {
  model g = parse_text(chain);
  auto in = exec::random_inputs(g, 1);
  auto before = exec::execute(g, in);
  rewriter<model> rw(g);
  recorder rec;
  rec.g = &g;
  rw.add_listener(&rec);
  collapse(rw);
  CHECK(std::count(rec.events.begin(), rec.events.end(), "created fused") == 1);
  CHECK(std::count(rec.events.begin(), rec.events.end(), "erased n") == 1);
  CHECK(std::count(rec.events.begin(), rec.events.end(), "modified r") == 1);  // its operand changed
  CHECK(std::count(rec.events.begin(), rec.events.end(), "use removed m") == 1);  // erasing n dropped its use of m
  CHECK(std::count(rec.events.begin(), rec.events.end(), "modified m") == 0);     // m itself did not change
  rw.flush();
  CHECK(verify(g).empty());
  CHECK_FALSE(find_node(g, "m"));
  CHECK(exec::all_close(exec::execute(g, in).at("y"), before.at("y"), 1e-6, 0));
}

TEST_CASE("on_value_changed tells which changes reach a node's users", "[rewriter]") {
  model g = parse_text(chain);
  rewriter<model> rw(g);
  recorder rec;
  rec.g = &g;
  rw.add_listener(&rec);
  const V m = producer_of(g, "m"), a = producer_of(g, "a");
  rw.set_attribute(m, "note", std::string("x"));  // m's results are what they were
  rw.set_name(m, "m2");
  CHECK(rec.events == std::vector<std::string>{"modified m", "modified m2"});
  rec.events.clear();
  value_info info = T::value(g, m, 0);
  info.dtype = data_type::int_(8);
  rw.set_value_info(m, 0, info);  // what n reads changed
  rw.set_constant(a, tensor::scalar(5.0f));
  CHECK(rec.events == std::vector<std::string>{"modified m2", "value changed m2", "modified a", "value changed a"});
}

TEST_CASE("rollback restores exactly the graph of the checkpoint", "[rewriter]") {
  model g = parse_text(chain);
  const std::string original = to_text(g);
  rewriter<model> rw(g);
  recorder rec;
  rec.g = &g;
  rw.add_listener(&rec);
  const auto cp = rw.checkpoint();
  collapse(rw);
  rw.set_attribute(producer_of(g, "y"), "alpha", 0.5);
  rw.set_constant(producer_of(g, "a"), tensor::scalar(7.0));
  CHECK(rw.changed_since(cp));
  rw.rollback(cp);
  CHECK_FALSE(rw.changed_since(cp));
  rw.flush();
  CHECK(to_text(g) == original);
  CHECK(verify(g).empty());
  CHECK(std::count(rec.events.begin(), rec.events.end(), "erased fused") == 1);  // the undone creation
}

// A value with many uses, some read twice (Mul(x, x)) and one a graph output:
// replace_all_uses removes them in one pass, rollback restores them in one pass.
template <class G>
void rewire_wide_value() {
  std::string text = "graph {\n input %x: float32[2]\n input %y: float32[2]\n";
  for (int i = 0; i < 300; ++i)
    text += " node n" + std::to_string(i) + ": " + (i % 7 == 0 ? "Mul(%x, %x)" : "Relu(%x)") + " -> %n" +
            std::to_string(i) + ": float32[2]\n output %n" + std::to_string(i) + "\n";
  text += " output %x as xo\n}\n";
  G g = parse_text<G>(text);
  const std::string original = to_text(g);
  const auto x = *find_value(g, "x");
  const auto y = *find_value(g, "y");
  const std::size_t uses_of_x = num_uses(g, x);
  rewriter<G> rw(g);
  const auto cp = rw.checkpoint();
  rw.replace_all_uses(x, y);
  CHECK(num_uses(g, x) == 0);
  CHECK(num_uses(g, y) == uses_of_x);
  CHECK(verify(g).empty());
  rw.rollback(cp);
  CHECK(num_uses(g, x) == uses_of_x);
  CHECK(num_uses(g, y) == 0);
  CHECK(to_text(g) == original);
  CHECK(verify(g).empty());
}

TEST_CASE("a value with hundreds of uses is rewired and restored exactly (batched edge removal)", "[rewriter]") {
  SECTION("nnrewrite::model") { rewire_wide_value<model>(); }
  SECTION("user::graph") { rewire_wide_value<user::graph>(); }
}

TEST_CASE("a rewrite that throws midway is rolled back (injected failure)", "[rewriter]") {
  model g = parse_text(chain);
  const std::string original = to_text(g);
  rewriter<model> rw(g);
  const auto cp = rw.checkpoint();
  try {
    V n = producer_of(g, "n");
    V c = rw.create_constant(value_info("half"), tensor::scalar(0.5));
    rw.set_operand(n, 1, value_ref<V>{c, 0});
    rw.replace_all_uses({n, 0}, {producer_of(g, "m"), 0});
    throw std::runtime_error("injected failure");
  } catch (const std::runtime_error&) {
    rw.rollback(cp);
  }
  rw.flush();
  CHECK(to_text(g) == original);
}

TEST_CASE("erase refuses a node whose results are still used, changing nothing", "[rewriter]") {
  model g = parse_text(chain);
  const std::string original = to_text(g);
  rewriter<model> rw(g);
  CHECK_THROWS_WITH(rw.erase(producer_of(g, "m")), Catch::Contains("node 'm'") && Catch::Contains("still have 1 uses"));
  CHECK_THROWS_AS(rw.replace_op(producer_of(g, "m"), {}), graph_error);
  rw.flush();
  CHECK(to_text(g) == original);
}

TEST_CASE("erased nodes keep their descriptors until flush, even on a vecS graph", "[rewriter]") {
  auto g = parse_text<user::graph>(R"(graph {
    input %x: float32[1,4]
    node a: Relu(%x) -> %a: float32[1,4]
    node b: Relu(%a) -> %b: float32[1,4]
    node c: Relu(%b) -> %c: float32[1,4]
    output %c })");
  using UT = ir_traits<user::graph>;
  rewriter<user::graph> rw(g);
  auto a = find_value(g, "a")->node, b = find_value(g, "b")->node, c = find_value(g, "c")->node;
  rw.replace_all_uses({b, 0}, {a, 0});  // c now reads a
  rw.erase(b);
  CHECK(UT::name(g, c) == "c");  // still the same vertex
  CHECK(operand(g, c, 0)->node == a);
  rw.flush();
  CHECK(num_vertices(g) == 4);
  CHECK(verify(g).empty());
  CHECK(to_text(g).find("node b:") == std::string::npos);
}

TEST_CASE("pattern_set buckets by root op and orders by benefit", "[rewriter][pattern]") {
  pattern_set<model> set;
  auto noop = [](V, rewriter<model>&) { return failure("never applies"); };
  set.add_lambda("low-mul", "Mul", 1, noop);
  set.add_lambda("any-op", "", 5, noop);
  set.add_lambda("high-mul", "Mul", 10, noop);
  set.add_lambda("add", "Add", 2, noop);
  auto names = [](const std::vector<const rewrite_pattern<model>*>& ps) {
    std::vector<std::string> r;
    for (auto* p : ps) r.push_back(p->name());
    return r;
  };
  CHECK(names(set.for_op("Mul")) == std::vector<std::string>{"high-mul", "any-op", "low-mul"});
  CHECK(names(set.for_op("Add")) == std::vector<std::string>{"any-op", "add"});
  CHECK(names(set.for_op("Relu")) == std::vector<std::string>{"any-op"});
  CHECK(set.size() == 4);
  model g = parse_text(chain);
  rewriter<model> rw(g);
  auto r = set.for_op("Mul")[0]->match_and_rewrite(producer_of(g, "m"), rw);
  CHECK_FALSE(r);
  CHECK(r.reason() == "never applies");
}

TEST_CASE("pattern sets bucket by domain family as well as op type", "[rewriter]") {
  pattern_set<model> set;
  auto none = [](V, rewriter<model>&) { return failure("never"); };
  set.add_lambda("onnx-add", "Add", 1, none);
  set.add_lambda("mt", "MultiThreshold", 1, none);  // QONNX's, by default
  set.add<lambda_pattern<model, decltype(none)>>("custom-add", "Add", 1, "my.ops", none);
  auto names = [](const std::vector<const rewrite_pattern<model>*>& ps) {
    std::vector<std::string> r;
    for (auto* p : ps) r.push_back(p->name());
    return r;
  };
  CHECK(names(set.for_op("", "Add")) == std::vector<std::string>{"onnx-add"});
  CHECK(names(set.for_op("ai.onnx", "Add")) == std::vector<std::string>{"onnx-add"});
  CHECK(names(set.for_op("my.ops", "Add")) == std::vector<std::string>{"custom-add"});
  CHECK(names(set.for_op("finn.custom_op.general", "MultiThreshold")) == std::vector<std::string>{"mt"});
  CHECK(names(set.for_op("", "MultiThreshold")).empty());
}

TEST_CASE("pattern_set finds every bucket among many root types and domains", "[rewriter][pattern]") {
  // Enough root types to grow the lookup table several times, names that share
  // their length, first, middle and last letters (what the cheap op hash reads),
  // and one op type in three domain families.
  pattern_set<model> set;
  auto none = [](V, rewriter<model>&) { return failure("never"); };
  std::vector<std::string> ops;
  for (int i = 0; i < 60; ++i) ops.push_back("Op" + std::string(1, char('a' + i % 26)) + std::to_string(i % 7) + "x" + std::to_string(i / 26) + "Z");
  for (const auto& op : ops) set.add_lambda("p-" + op, op, 1, none);
  set.add<lambda_pattern<model, decltype(none)>>("custom-" + ops[3], ops[3], 1, "my.ops", none);
  set.add<lambda_pattern<model, decltype(none)>>("qonnx-" + ops[3], ops[3], 1, "qonnx.custom_op.general", none);
  set.add_lambda("any", "", 0, none);
  auto names = [](const std::vector<const rewrite_pattern<model>*>& ps) {
    std::vector<std::string> r;
    for (auto* p : ps) r.push_back(p->name());
    return r;
  };
  for (const auto& op : ops) {
    CHECK(set.roots_at("", op));
    CHECK(names(set.for_op("ai.onnx", op)) == std::vector<std::string>{"p-" + op, "any"});
  }
  CHECK(names(set.for_op("my.ops", ops[3])) == std::vector<std::string>{"custom-" + ops[3], "any"});
  CHECK(names(set.for_op("finn.custom_op.general", ops[3])) == std::vector<std::string>{"qonnx-" + ops[3], "any"});
  CHECK_FALSE(set.roots_at("my.ops", ops[4]));
  CHECK(names(set.for_op("", "Opa0x0")) == std::vector<std::string>{"any"});  // a prefix of a root type
  CHECK(names(set.for_op("", "")) == std::vector<std::string>{"any"});
}

TEST_CASE("fresh names stay unique for long names that differ in one byte", "[rewriter]") {
  // The name index hashes eight bytes at a time: names that differ only inside
  // one word, only in the tail, or only in length must all count as distinct.
  model g;
  rewriter<model> rw(g);
  std::set<std::string> seen;
  const std::string base = "block_0123456789_abcdefgh_matmul_out";
  for (std::size_t i = 0; i <= base.size(); ++i) {
    std::vector<std::string> names{base.substr(0, i), base.substr(0, i) + "."};  // every length
    if (i < base.size()) {
      names.push_back(base);
      names.back()[i] = '#';  // one byte changed, in every position
    }
    for (const std::string& n : names) {
      const std::string fresh = rw.fresh_name(n);
      CHECK(seen.insert(fresh).second);
      if (!n.empty()) CHECK(fresh == n);  // never taken before: no hash clash made it look so
    }
  }
}

TEST_CASE("fresh names are unique among node and value names, in O(1) each", "[rewriter]") {
  model g = parse_text(R"(graph {
    input %x: float32[2]
    node relu: Relu(%x) -> %y: float32[2]
    output %y })");
  rewriter<model> rw(g);
  CHECK(rw.fresh_name("relu") == "relu_1");  // a node name
  CHECK(rw.fresh_name("y") == "y_1");        // a value name
  CHECK(rw.fresh_name("y") == "y_2");
  CHECK(rw.fresh_name("z") == "z");
  CHECK(rw.fresh_name("") == "v");
  // Names given when creating are hints, never duplicates.
  const auto c = rw.constant(tensor::scalar(1.0), "y");
  CHECK(T::value(g, c.node, 0).name == "y_3");
  const auto m = rw.op("Mul", {value_ref<V>{producer_of(g, "x"), 0}, c}, value_info("", element_type::float32, dims{2}));
  CHECK(T::value(g, m.node, 0).name == "Mul");
  name_index idx(g);
  CHECK(idx.taken("Mul"));
  CHECK(idx.fresh("Mul") == "Mul_1");
}

TEST_CASE("a replacement takes over the replaced value's name and node name, and rollback restores them", "[rewriter]") {
  model g = parse_text(R"(graph {
    input %x: float32[2]
    node relu: Relu(%x) -> %y: float32[2]
    output %y })");
  const std::string before = to_text(g);
  rewriter<model> rw(g);
  const auto cp = rw.checkpoint();
  const auto n = rw.op("Neg", {value_ref<V>{producer_of(g, "x"), 0}}, value_info("", element_type::float32, dims{2}));
  rw.replace_op(producer_of(g, "y"), {n});
  CHECK(T::value(g, n.node, 0).name == "y");
  CHECK(T::name(g, n.node) == "relu");
  rw.rollback(cp);
  rw.flush();
  CHECK(to_text(g) == before);
  // An existing value keeps its own name (x is a graph input besides).
  rewriter<model> rw2(g);
  rw2.replace_op(producer_of(g, "y"), {value_ref<V>{producer_of(g, "x"), 0}});
  rw2.flush();
  CHECK(to_text(g).find("output %x as y") != std::string::npos);
}
