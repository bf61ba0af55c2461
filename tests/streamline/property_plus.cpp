// Property tests for streamline_plus(): random graphs with forks (a value used by
// several later ops), Add and Mul joins, Transposes and two-input MatMuls, built
// from fixed seeds, must (1) converge with a fixpoint, (2) compute what they
// computed before, and (3) do so under random worklist orders too.
//
// Every number is dyadic and small (scales ±2^k, biases and thresholds multiples
// of 1/8 and 1/16), so float32 arithmetic is exact before and after and the
// outputs compare exactly, MultiThreshold levels included. Values are [C, C], so
// a Transpose keeps the shape and any two values can join.
#include "check.hpp"

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
  const std::string& any() {
    const int n = int(live_.size());
    return live_[std::size_t(pick(0, 2) ? std::max(0, n - 1 - pick(0, 1)) : pick(0, n - 1))];
  }
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
  void op(const std::string& text) {
    const std::string name = fresh("v");
    out_ += fmt::format("  node {0}: {1} -> %{0}: float32{2}\n", name, text, shape());
    live_.push_back(name);
  }
  void step() {
    switch (pick(0, 9)) {
      case 0: op(fmt::format("Mul(%{}, %{})", any(), constant(true))); break;
      case 1: op(fmt::format("Add(%{}, %{})", any(), constant(false))); break;
      case 2: op(fmt::format("Sub(%{}, %{})", any(), constant(false))); break;
      case 3: {
        const std::string w = fresh("w");
        std::string v;
        for (int i = 0; i < c_ * c_; ++i) v += fmt::format("{}{}", i ? ", " : "", pick(-1, 1));
        out_ += fmt::format("  const %{}: float32{} !TERNARY = [{}]\n", w, shape(), v);
        op(fmt::format("MatMul(%{}, %{})", any(), w));
        break;
      }
      case 4: op(fmt::format("Add(%{}, %{})", any(), any())); break;
      case 5: op(fmt::format("Mul(%{}, %{})", any(), any())); break;
      case 6: op(fmt::format("Transpose(%{}) {{perm = [1, 0]}}", any())); break;
      case 7: op(fmt::format("MatMul(%{}, %{})", any(), any())); break;
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
            name, any(), t, shape());
        live_.push_back(name);
      }
    }
  }

  std::mt19937_64 rng_;
  int c_ = 2, next_ = 0;
  std::vector<std::string> live_;
  std::string out_;
};

void run_cases(std::uint64_t first, int count) {
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
      exec::equivalence_options eq;
      eq.runs = 4;
      eq.seed = seed;
      eq.rtol = eq.atol = 0;  // dyadic numbers: exact
      const auto e = exec::check_equivalence(original, g, eq);
      INFO(e.first_mismatch);
      REQUIRE(e.ok());
    }
  }
}

}  // namespace

TEST_CASE("random graphs with forks, joins, Transposes and two-input MatMuls streamline_plus exactly",
          "[streamline][property][plus]") {
  run_cases(1, 1000);
}
