// Property tests: random streamlinable networks, built from fixed seeds, go
// through streamline() and must (1) converge, (2) compute exactly what they
// computed before (the outputs are MultiThreshold outputs: integers, compared
// exactly), and (3) be left with nothing float between the input and the last
// MultiThreshold — only MatMul/Conv, MultiThreshold, MaxPool and Reshape.
//
// A network: an integer input, then blocks of MatMul or Conv with integer weights
// (TERNARY or INT3 in [-2, 2], so that a folded sign stays in range), sometimes a
// positive scale and a MaxPool, a random run of scalar and per-channel Mul
// (either sign, unless after a MaxPool), Add, Sub, Div and BatchNorm, and a
// MultiThreshold with sorted per-channel or shared thresholds and a random
// output type.
#include "check.hpp"

#include <random>
#include <set>

using namespace nnrewrite;

namespace {

struct net_text {
  std::string text;
  std::string description;
};

class random_net {
 public:
  random_net(std::uint64_t seed, bool conv) : rng_(seed), conv_(conv) {}

  net_text build() {
    channels_ = pick(2, 5);
    const char* in_type = pick(0, 1) ? "UINT4" : "INT4";
    out_ += fmt::format("graph {{\n  input %x: float32{} !{}\n", shape(), in_type);
    std::string prev = "x";
    const int blocks = pick(1, 3);
    for (int b = 0; b < blocks; ++b) prev = block(prev);
    out_ += fmt::format("  output %{}\n}}\n", prev);
    return {out_, desc_};
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  std::string shape() const { return conv_ ? fmt::format("[1,{},4,4]", channels_) : fmt::format("[1,{}]", channels_); }
  std::string fresh(const char* base) { return fmt::format("{}{}", base, next_++); }
  std::string values(int n, double lo, double hi, bool nonzero = false) {
    std::string r;
    for (int i = 0; i < n; ++i) {
      double v = uniform(lo, hi);
      if (nonzero && std::fabs(v) < 0.05) v = v < 0 ? -0.5 : 0.5;
      r += fmt::format("{}{:.6g}", i ? ", " : "", v);
    }
    return r;
  }
  // A constant that is scalar or per channel of the data.
  std::string constant(double lo, double hi, bool nonzero = false) {
    const std::string name = fresh("c");
    if (pick(0, 1)) {
      out_ += fmt::format("  const %{}: float32[] = [{}]\n", name, values(1, lo, hi, nonzero));
    } else {
      const std::string s = conv_ ? fmt::format("[1,{},1,1]", channels_) : fmt::format("[{}]", channels_);
      out_ += fmt::format("  const %{}: float32{} = [{}]\n", name, s, values(channels_, lo, hi, nonzero));
    }
    return name;
  }
  std::string op(const std::string& type, const std::string& args, const std::string& attrs = {}) {
    const std::string name = fresh("v");
    out_ += fmt::format("  node {0}: {1}({2}){3} -> %{0}: float32{4}\n", name, type, args, attrs, shape());
    desc_ += type + " ";
    return name;
  }
  std::string block(const std::string& in) {
    // The weighted op: integer weights, symmetric range.
    const bool ternary = pick(0, 1);
    const std::string w = fresh("w");
    const int k = conv_ ? channels_ * channels_ * (pick(0, 1) ? 1 : 9) : channels_ * channels_;
    const int kernel = conv_ ? (k == channels_ * channels_ ? 1 : 3) : 0;
    std::string wv;
    for (int i = 0; i < k; ++i) wv += fmt::format("{}{}", i ? ", " : "", ternary ? pick(-1, 1) : pick(-2, 2));
    std::string prev;
    if (conv_) {
      out_ += fmt::format("  const %{}: float32[{},{},{},{}] !{} = [{}]\n", w, channels_, channels_, kernel, kernel,
                          ternary ? "TERNARY" : "INT3", wv);
      const int pad = kernel / 2;
      prev = op("Conv", "%" + in + ", %" + w,
                fmt::format(" {{kernel_shape = [{0}, {0}], pads = [{1}, {1}, {1}, {1}]}}", kernel, pad));
    } else {
      out_ += fmt::format("  const %{}: float32[{},{}] !{} = [{}]\n", w, channels_, channels_, ternary ? "TERNARY" : "INT3", wv);
      prev = op("MatMul", "%" + in + ", %" + w);
    }
    // After a MaxPool, only positive scales: the sign of a negative one would have
    // to fold into the weights, and max(-x) is no max (FINN cannot either).
    bool pooled = false;
    if (conv_ && pick(0, 2) == 0) {
      pooled = true;
      // A positive scale and a MaxPool: the scale moves past the pool, then on.
      prev = op("Mul", "%" + prev + ", %" + constant(0.1, 2));
      const std::string name = fresh("v");
      out_ += fmt::format("  node {0}: MaxPool(%{1}) {{kernel_shape = [2, 2], strides = [1, 1], pads = [0, 0, 1, 1]}} -> %{0}: float32{2}\n",
                          name, prev, shape());
      desc_ += "MaxPool ";
      prev = name;
    }
    // A random run of float scales and biases.
    const int n = pick(1, 4);
    for (int i = 0; i < n; ++i) {
      switch (pick(0, 4)) {
        case 0: prev = op("Mul", "%" + prev + ", %" + (pooled ? constant(0.1, 2) : constant(-2, 2, true))); break;
        case 1: prev = op("Add", "%" + prev + ", %" + constant(-3, 3)); break;
        case 2: prev = op("Sub", "%" + prev + ", %" + constant(-3, 3)); break;
        case 3: prev = op("Div", "%" + prev + ", %" + (pooled ? constant(0.2, 4) : constant(-4, 4, true))); break;
        case 4: {
          const std::string g = fresh("bn"), b = fresh("bn"), m = fresh("bn"), v = fresh("bn");
          out_ += fmt::format("  const %{}: float32[{}] = [{}]\n", g, channels_, values(channels_, 0.5, 2));
          out_ += fmt::format("  const %{}: float32[{}] = [{}]\n", b, channels_, values(channels_, -1, 1));
          out_ += fmt::format("  const %{}: float32[{}] = [{}]\n", m, channels_, values(channels_, -2, 2));
          out_ += fmt::format("  const %{}: float32[{}] = [{}]\n", v, channels_, values(channels_, 0.5, 3));
          prev = op("BatchNormalization", fmt::format("%{}, %{}, %{}, %{}, %{}", prev, g, b, m, v));
          break;
        }
      }
    }
    // The MultiThreshold.
    static const char* const types[] = {"UINT2", "UINT4", "INT4", "BIPOLAR"};
    const std::string type = types[pick(0, 3)];
    const int steps = type == "BIPOLAR" ? 1 : type == "UINT2" ? 3 : 15;
    const bool shared = pick(0, 3) == 0;
    const int rows = shared ? 1 : channels_;
    std::string tv;
    for (int r = 0; r < rows; ++r) {
      std::vector<double> row(static_cast<std::size_t>(steps));
      for (auto& t : row) t = uniform(-6, 6);
      std::sort(row.begin(), row.end());
      for (double t : row) tv += fmt::format("{}{:.6g}", tv.empty() ? "" : ", ", t);
    }
    const std::string t = fresh("t");
    out_ += fmt::format("  const %{}: float32[{},{}] = [{}]\n", t, rows, steps, tv);
    const double scale = type == "BIPOLAR" ? 2 : 1, bias = type == "BIPOLAR" ? -1 : type == "INT4" ? -8 : 0;
    const std::string name = fresh("v");
    out_ += fmt::format(
        "  node {0}: qonnx.custom_op.general.MultiThreshold(%{1}, %{2}) {{out_dtype = \"{3}\", out_scale = {4:.1f}, "
        "out_bias = {5:.1f}}} -> %{0}: float32{6} !{3}\n",
        name, prev, t, type, scale, bias, shape());
    desc_ += "MT(" + type + ") ";
    return name;
  }

  std::mt19937_64 rng_;
  bool conv_;
  int channels_ = 2, next_ = 0;
  std::string out_, desc_;
};

bool streamlined(const model& g, std::string& left) {
  static const std::set<std::string> allowed{"MatMul", "Conv", "MultiThreshold", "MaxPool", "Reshape"};
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (ir_traits<model>::kind(g, *it) == node_kind::op && !allowed.count(std::string(ir_traits<model>::op_type(g, *it))))
      left += std::string(ir_traits<model>::op_type(g, *it)) + " ";
  return left.empty();
}

void run_cases(bool conv, std::uint64_t first, int count) {
  int exact_cases = 0;
  for (std::uint64_t seed = first; seed < first + std::uint64_t(count); ++seed) {
    const net_text net = random_net(seed, conv).build();
    INFO("seed " << seed << ": " << net.description << "\n" << net.text);
    const model original = parse_text(net.text);
    model g = parse_text(net.text);
    const auto r = streamline::streamline(g);
    REQUIRE(r.converged);
    std::string left;
    const bool clean = streamlined(g, left);
    INFO("left: " << left << "\n" << to_text(g));
    CHECK(clean);
    exec::equivalence_options opt;
    opt.runs = 6;
    opt.seed = seed;
    const auto eq = exec::check_equivalence(original, g, opt);
    INFO(eq.first_mismatch);
    REQUIRE(eq.ok());
    exact_cases += eq.exact_outputs > 0;
  }
  CHECK(exact_cases == count);  // every output was compared exactly
}

}  // namespace

TEST_CASE("random fully connected networks streamline exactly", "[streamline][property]") { run_cases(false, 1, 600); }

TEST_CASE("random convolutional networks streamline exactly", "[streamline][property]") { run_cases(true, 10001, 300); }
