// Property tests for streamline_plus(): random graphs with forks (a value used by
// several later ops), Add, Mul and Concat joins, Splits, Transposes and
// two-input MatMuls, built
// from fixed seeds, must (1) converge with a fixpoint, (2) compute what they
// computed before, and (3) do so under random worklist orders too.
//
// Every number is dyadic (scales ±2^k, biases and thresholds multiples of 1/8 and
// 1/16) and the generator bounds each value's magnitude and fraction bits so that
// it fits float32's 24-bit significand: float32 arithmetic is then exact in any
// order, before and after, and the outputs compare exactly, MultiThreshold levels
// included. Values are [C, C], so
// a Transpose keeps the shape and any two values can join.
#include "check.hpp"

#include <cstdlib>
#include <map>
#include <random>

using namespace nnrewrite;

namespace {

class random_dag {
 public:
  explicit random_dag(std::uint64_t seed) : rng_(seed) {}

  std::string build() {
    c_ = pick(2, 3);
    out_ = fmt::format("graph {{\n  input %x: float32{} !{}\n", shape(), pick(0, 1) ? "UINT4" : "INT4");
    live_ = {"x"};
    bits_ = {{4, 0}};
    const int ops = pick(4, 14);
    for (int i = 0; i < ops; ++i) step();
    // The last value, and sometimes another one, are outputs.
    out_ += fmt::format("  output %{}\n", live_.back());
    if (live_.size() > 2 && pick(0, 2) == 0) {
      const std::string& o = live_[std::size_t(pick(1, int(live_.size()) - 2))];
      out_ += fmt::format("  output %{}\n", o);
    }
    out_ += "}\n";
    return out_;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string shape() const { return fmt::format("[{0},{0}]", c_); }
  std::string fresh(const char* base) { return fmt::format("{}{}", base, next_++); }
  // A live value, the recent ones more often (long chains, and forks).
  std::size_t any_index() {
    const int n = int(live_.size());
    return std::size_t(pick(0, 2) ? std::max(0, n - 1 - pick(0, 1)) : pick(0, n - 1));
  }
  // Bounds of a value: bits of its integer part and of its fraction.
  struct bits {
    int whole, fraction;
  };
  static bool fits(bits b) { return b.whole + b.fraction <= 22; }
  std::string constant(bool scale) {
    const std::string name = fresh("c");
    auto one = [&] {
      if (scale) {
        static const char* const s[] = {"0.5", "0.25", "2", "-0.5", "-1", "4", "1"};
        return std::string(s[pick(0, 6)]);
      }
      return fmt::format("{}", pick(-16, 16) / 8.0);
    };
    if (pick(0, 1)) {
      out_ += fmt::format("  const %{}: float32[] = [{}]\n", name, one());
    } else {
      std::string v;
      for (int i = 0; i < c_; ++i) v += (i ? ", " : "") + one();
      out_ += fmt::format("  const %{}: float32[{}] = [{}]\n", name, c_, v);
    }
    return name;
  }
  // Adds the op when its result stays within float32's exact range (an op that
  // would not is left out: the step adds nothing).
  void op(const std::string& text, bits b) {
    if (!fits(b)) return;
    const std::string name = fresh("v");
    out_ += fmt::format("  node {0}: {1} -> %{0}: float32{2}\n", name, text, shape());
    live_.push_back(name);
    bits_.push_back(b);
  }
  void step() {
    const std::size_t a = any_index(), b = any_index();
    const std::string &x = live_[a], &y = live_[b];
    const bits bx = bits_[a], by = bits_[b];
    const int lc = c_ > 2 ? 2 : 1;  // bits a sum over C terms adds
    switch (pick(0, 10)) {
      case 0:
        if (fits({bx.whole + 2, bx.fraction + 2})) op(fmt::format("Mul(%{}, %{})", x, constant(true)), {bx.whole + 2, bx.fraction + 2});
        break;
      case 1:
      case 2:
        if (fits({bx.whole + 1, std::max(bx.fraction, 3)}))
          op(fmt::format("{}(%{}, %{})", pick(0, 1) ? "Add" : "Sub", x, constant(false)), {bx.whole + 1, std::max(bx.fraction, 3)});
        break;
      case 3: {
        if (!fits({bx.whole + lc, bx.fraction})) break;
        const std::string w = fresh("w");
        std::string v;
        for (int i = 0; i < c_ * c_; ++i) v += fmt::format("{}{}", i ? ", " : "", pick(-1, 1));
        out_ += fmt::format("  const %{}: float32{} !TERNARY = [{}]\n", w, shape(), v);
        op(fmt::format("MatMul(%{}, %{})", x, w), {bx.whole + lc, bx.fraction});
        break;
      }
      case 4: op(fmt::format("Add(%{}, %{})", x, y), {std::max(bx.whole, by.whole) + 1, std::max(bx.fraction, by.fraction)}); break;
      case 5: op(fmt::format("Mul(%{}, %{})", x, y), {bx.whole + by.whole, bx.fraction + by.fraction}); break;
      case 6: op(fmt::format("Transpose(%{}) {{perm = [1, 0]}}", x), bx); break;
      case 7: op(fmt::format("MatMul(%{}, %{})", x, y), {bx.whole + by.whole + lc, bx.fraction + by.fraction}); break;
      case 8: {
        // Concat two values along an axis, maybe transpose or scale the result
        // (a scalar), Split it back into two [C, C] halves.
        const int axis = pick(0, 1);
        const std::string cat = fresh("v"), split = fresh("v");
        const std::string wide = axis ? fmt::format("[{0},{1}]", c_, 2 * c_) : fmt::format("[{1},{0}]", c_, 2 * c_);
        out_ += fmt::format("  node {0}: Concat(%{1}, %{2}) {{axis = {3}}} -> %{0}: float32{4}\n", cat, x, y, axis, wide);
        std::string u = cat;
        int split_axis = axis;
        bits r{std::max(bx.whole, by.whole), std::max(bx.fraction, by.fraction)};
        if (pick(0, 1)) {
          const std::string t = fresh("v");
          const std::string tall = axis ? fmt::format("[{1},{0}]", c_, 2 * c_) : fmt::format("[{0},{1}]", c_, 2 * c_);
          out_ += fmt::format("  node {0}: Transpose(%{1}) {{perm = [1, 0]}} -> %{0}: float32{2}\n", t, u, tall);
          u = t;
          split_axis = 1 - axis;
        }
        if (pick(0, 1) && fits({r.whole + 2, r.fraction + 2})) {
          const std::string m = fresh("v"), k = fresh("c");
          static const char* const sc[] = {"0.5", "-2", "4", "-0.25"};
          out_ += fmt::format("  const %{}: float32[] = [{}]\n", k, sc[pick(0, 3)]);
          out_ += fmt::format("  node {0}: Mul(%{1}, %{2}) -> %{0}: float32{3}\n", m, u, k,
                              split_axis ? fmt::format("[{0},{1}]", c_, 2 * c_) : fmt::format("[{1},{0}]", c_, 2 * c_));
          u = m;
          r = {r.whole + 2, r.fraction + 2};
        }
        const std::string p0 = fresh("v"), p1 = fresh("v");
        out_ += fmt::format("  node {0}: Split(%{1}) {{axis = {2}}} -> %{3}: float32{5}, %{4}: float32{5}\n", split, u, split_axis,
                            p0, p1, shape());
        live_.insert(live_.end(), {p0, p1});
        bits_.insert(bits_.end(), {r, r});
        break;
      }
      default: {
        // A MultiThreshold with per-channel (last axis: NC) or shared thresholds
        // halfway between multiples of 1/8, so no value meets one exactly.
        const int steps = pick(1, 3), rows = pick(0, 1) ? c_ : 1;
        std::string tv;
        for (int r = 0; r < rows; ++r) {
          std::vector<int> k(static_cast<std::size_t>(steps));
          for (auto& e : k) e = pick(-40, 40);
          std::sort(k.begin(), k.end());
          for (int e : k) tv += fmt::format("{}{}", tv.empty() ? "" : ", ", e / 8.0 + 1.0 / 16);
        }
        const std::string t = fresh("t");
        out_ += fmt::format("  const %{}: float32[{},{}] = [{}]\n", t, rows, steps, tv);
        const std::string name = fresh("v");
        out_ += fmt::format(
            "  node {0}: qonnx.custom_op.general.MultiThreshold(%{1}, %{2}) {{out_dtype = \"UINT2\", data_layout = \"NC\"}} "
            "-> %{0}: float32{3} !UINT2\n",
            name, x, t, shape());
        live_.push_back(name);
        bits_.push_back({2, 0});
      }
    }
  }

  std::mt19937_64 rng_;
  int c_ = 2, next_ = 0;
  std::vector<std::string> live_;
  std::vector<bits> bits_;
  std::string out_;
};

std::map<std::string, std::size_t> run_cases(std::uint64_t first, int count) {
  std::map<std::string, std::size_t> fired;  // over every case, default order
  for (std::uint64_t seed = first; seed < first + std::uint64_t(count); ++seed) {
    const std::string text = random_dag(seed).build();
    INFO("seed " << seed << "\n" << text);
    const model original = parse_text(text);
    for (int order = 0; order < 2; ++order) {
      model g = parse_text(text);
      streamline::streamline_options opt;
      if (order) opt.driver.random_seed = seed;
      const auto r = streamline::streamline_plus(g, opt);
      INFO("order " << order << ": " << to_string(r) << "\n" << to_text(g));
      REQUIRE(r.converged);
      REQUIRE(r.reason == stop_reason::fixpoint);
      if (!order)
        for (const auto& [p, n] : r.per_pattern) fired[p] += n;
      exec::equivalence_options eq;
      eq.runs = 4;
      eq.seed = seed;
      eq.rtol = eq.atol = 0;  // dyadic numbers: exact
      const auto e = exec::check_equivalence(original, g, eq);
      INFO(e.first_mismatch);
      REQUIRE(e.ok());
    }
  }
  return fired;
}

}  // namespace

TEST_CASE("random graphs with forks, joins, Transposes and two-input MatMuls streamline_plus exactly",
          "[streamline][property][plus]") {
  // NNREWRITE_PROPERTY_CASES=N runs N graphs instead (the long run in docs/streamlining.md).
  const char* n = std::getenv("NNREWRITE_PROPERTY_CASES");
  const auto fired = run_cases(1, n ? std::max(1, std::atoi(n)) : 5000);
  // The generator reaches the rules it is there for.
  std::string counts;
  for (const auto& [p, n] : fired) counts += fmt::format("{} x {}\n", n, p);
  INFO(counts);
  for (const char* rule : {"MoveChannelwiseLinearPastFork", "MoveTransposePastFork", "MoveMulPastJoinAdd", "MoveAddPastJoinAdd",
                           "MoveConstAddPastJoinAdd", "MoveConstMulPastJoinMul", "MoveTransposePastJoinAdd",
                           "MoveTransposePastJoinMul", "MoveScalarMulPastMatMul", "AbsorbMulIntoMultiThreshold",
                           "FactorOutMulSignMagnitude", "MoveTransposePastJoinConcat", "MoveTransposePastSplit",
                           "MoveScalarLinearPastSplit"})
    CHECK(fired.count(rule));
}
