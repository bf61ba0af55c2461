// nnrewrite — the command-line tool.
//
//   nnrewrite info MODEL                        what is in a model
//   nnrewrite run MODEL [--input F.pb ...] [--random N] [--seed S] [--dim NAME=SIZE ...] [--save DIR]
//   nnrewrite convert IN OUT                    .onnx <-> .nnr (text format), by extension
//   nnrewrite dot MODEL -o FILE.dot|FILE.svg    Graphviz drawing
//   nnrewrite streamline IN -o OUT [--preset classic|plus] [--target fpga-dataflow] [--verify N] [--trace]
//                     [--report R.json]          FINN streamlining (plus: FINN+'s StreamlinePlus for
//                                               residual and attention graphs), checked against the input
//   nnrewrite equalize IN -o OUT [--calib F.pb ...] [--policy weight|activation|smoothquant]
//                     [--activation-rule per-value|sima] [--relu6 block|per-channel-clip]
//                     [--target onnx|sima] [--evaluate F.pb ...]
//                     [--sets chain concat residual] [--bits N ...] [--report R.json]
//                                               cross-layer channel equalization
//
// Exit codes: 0 success, 1 the model or a file is bad (one-line error), 2 usage.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnrewrite/equalize.hpp"
#include "nnrewrite/target/sima_mla_kernels.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/io/dot.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/verify.hpp"
#include "nnrewrite/onnx.hpp"
#include "nnrewrite/streamline/streamline.hpp"
#include "nnrewrite/target/fpga_dataflow.hpp"

namespace fs = std::filesystem;
namespace nr = nnrewrite;
using T = nr::ir_traits<nr::model>;

namespace {

constexpr const char* version = "0.1.0";

bool is_text_file(const fs::path& p) { return p.extension() == ".nnr" || p.extension() == ".txt"; }

std::string read_file(const fs::path& p) { return nr::onnx_io::read_regular_file(p); }

nr::model load(const fs::path& p, bool quiet) {
  if (!quiet) std::cerr << "loading " << p.string() << "\n";
  std::error_code ec;
  if (!fs::exists(p, ec)) throw nr::file_error("'" + p.string() + "' does not exist");
  if (p.extension() == ".onnx") return nr::onnx_io::load_onnx(p);
  if (is_text_file(p)) {
    try {
      return nr::parse_text(read_file(p));
    } catch (const nr::parse_error& e) {
      throw nr::file_error(p.string() + ":" + e.what());
    }
  }
  throw nr::file_error("'" + p.string() + "': unknown model format (use .onnx, or .nnr for the text format)");
}

// --dim NAME=SIZE, repeated: sizes for symbolic input dimensions.
using dim_sizes = std::map<std::string, std::int64_t, std::less<>>;

std::string check_dim_spec(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) return "expected NAME=SIZE, got '" + spec + "'";
  const std::string size = spec.substr(eq + 1);
  if (size.empty() || size.size() > 12 || size.find_first_not_of("0123456789") != std::string::npos || std::stoll(size) < 1)
    return "the size in '" + spec + "' must be a whole number from 1";
  return {};
}

dim_sizes parse_dims(const std::vector<std::string>& specs) {
  dim_sizes r;
  for (const auto& s : specs) {
    const auto eq = s.find('=');
    r.insert_or_assign(s.substr(0, eq), std::stoll(s.substr(eq + 1)));
  }
  return r;
}

// The model, with its symbolic input dims sized by --dim.
nr::model load(const fs::path& p, bool quiet, const dim_sizes& dims) {
  nr::model g = load(p, quiet);
  if (!dims.empty()) nr::bind_input_dims(g, dims);
  return g;
}

void save(const nr::model& g, const fs::path& p) {
  if (p.extension() == ".onnx") return nr::onnx_io::save_onnx(g, p);
  if (is_text_file(p)) return nr::onnx_io::write_file_atomically(p, nr::to_text(g));
  throw nr::file_error("'" + p.string() + "': unknown output format (use .onnx, or .nnr for the text format)");
}

std::string type_text(const nr::value_info& v) {
  std::string r = std::string(nr::to_string(v.elem)) + (v.shape ? nr::to_string(*v.shape) : "[?]");
  if (v.dtype) r += " " + v.dtype->name();
  if (!v.layout.empty()) r += " " + v.layout;
  return r;
}

int cmd_info(const fs::path& path, bool quiet) {
  nr::model g = load(path, quiet);
  std::map<std::string, int> ops;
  std::size_t n_ops = 0, n_consts = 0, forks = 0, joins = 0;
  std::int64_t params = 0;
  for (auto [it, end] = vertices(g); it != end; ++it) {
    switch (T::kind(g, *it)) {
      case nr::node_kind::op: {
        ++n_ops;
        std::string dom(T::domain(g, *it));
        ++ops[(dom.empty() ? "" : dom + ".") + std::string(T::op_type(g, *it))];
        forks += nr::is_fork(g, *it);
        joins += nr::is_join(g, *it);
        break;
      }
      case nr::node_kind::constant:
        ++n_consts;
        params += T::constant_value(g, *it)->size();
        break;
      default: break;
    }
  }
  std::cout << "model " << path.string() << "\n";
  if (!g.info.producer_name.empty()) std::cout << "  producer  " << g.info.producer_name << " " << g.info.producer_version << "\n";
  std::cout << "  opsets   ";
  for (const auto& [d, v] : g.info.opsets) std::cout << " " << (d.empty() ? "ai.onnx" : d) << ":" << v;
  std::cout << "\n  " << n_ops << " ops, " << n_consts << " constants (" << params << " values), " << forks
            << " forks, " << joins << " joins\n";
  std::cout << "inputs\n";
  for (auto v : T::graph_inputs(g)) std::cout << "  " << T::value(g, v, 0).name << ": " << type_text(T::value(g, v, 0)) << "\n";
  std::cout << "outputs\n";
  for (auto v : T::graph_outputs(g)) {
    auto o = nr::operand(g, v, 0);
    std::cout << "  " << T::name(g, v) << ": " << (o ? type_text(T::value(g, o->node, o->port)) : "(no producer)") << "\n";
  }
  std::cout << "ops\n";
  std::vector<std::pair<std::string, int>> sorted(ops.begin(), ops.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second > b.second; });
  for (const auto& [op, n] : sorted) std::cout << "  " << n << " x " << op << "\n";
  auto problems = nr::verify(g);
  std::cout << "verify: " << (problems.empty() ? "no problems" : std::to_string(problems.size()) + " problems") << "\n";
  for (const auto& p : problems) std::cout << "  " << p.message() << "\n";
  return problems.empty() ? 0 : 1;
}

std::string preview(const nr::tensor& t, std::size_t n = 8) {
  std::string r = "[";
  for (std::int64_t i = 0; i < std::min<std::int64_t>(t.size(), std::int64_t(n)); ++i) {
    if (i) r += ", ";
    std::ostringstream s;
    s << t.get(i);
    r += s.str();
  }
  return r + (t.size() > std::int64_t(n) ? ", ...]" : "]");
}

void print_outputs(const nr::exec::tensor_map& out) {
  for (const auto& [name, t] : out) {
    double lo = INFINITY, hi = -INFINITY;
    for (double v : t.to_doubles()) lo = std::min(lo, v), hi = std::max(hi, v);
    std::cout << "  " << name << ": " << nr::to_string(t.type()) << nr::to_string(t.shape()) << " min " << lo << " max " << hi
              << " " << preview(t) << "\n";
  }
}

int cmd_run(const fs::path& path, const std::vector<std::string>& input_files, int random_runs, std::uint64_t seed,
            const std::string& save_dir, bool quiet, const dim_sizes& dims) {
  nr::model g = load(path, quiet, dims);
  const auto inputs = T::graph_inputs(g);
  if (!input_files.empty()) {
    nr::exec::tensor_map in;
    for (std::size_t i = 0; i < input_files.size(); ++i) {
      std::string spec = input_files[i], name;
      if (auto eq = spec.find('='); eq != std::string::npos) name = spec.substr(0, eq), spec = spec.substr(eq + 1);
      auto [stored, t] = nr::onnx_io::load_named_tensor(spec);
      if (name.empty()) name = !stored.empty() && nr::find_value(g, stored) ? stored
                             : i < inputs.size() ? T::value(g, inputs[i], 0).name : "";
      if (name.empty()) throw nr::file_error("'" + spec + "': more input files than graph inputs");
      in.insert_or_assign(name, std::move(t));
    }
    random_runs = 0;
    auto out = nr::exec::execute(g, in);
    std::cout << "outputs\n";
    print_outputs(out);
    if (!save_dir.empty()) {
      fs::create_directories(save_dir);
      std::size_t i = 0;
      for (auto v : T::graph_outputs(g)) {
        const std::string name(T::name(g, v));
        nr::onnx_io::write_file_atomically(fs::path(save_dir) / ("output_" + std::to_string(i++) + ".pb"),
                                           nr::onnx_io::serialize_tensor(out.at(name), name));
      }
      if (!quiet) std::cerr << "saved " << i << " outputs to " << save_dir << "\n";
    }
    return 0;
  }
  for (int r = 0; r < std::max(random_runs, 1); ++r) {
    auto in = nr::exec::random_inputs(g, seed + std::uint64_t(r));
    auto out = nr::exec::execute(g, in);
    std::cout << "run " << r << " (random inputs, seed " << seed + std::uint64_t(r) << ")\n";
    print_outputs(out);
  }
  return 0;
}

int cmd_convert(const fs::path& in, const fs::path& out, bool quiet) {
  nr::model g = load(in, quiet);
  save(g, out);
  if (!quiet) std::cerr << "wrote " << out.string() << "\n";
  return 0;
}

std::size_t count_ops(const nr::model& g) {
  std::size_t n = 0;
  for (auto [it, end] = vertices(g); it != end; ++it) n += T::kind(g, *it) == nr::node_kind::op;
  return n;
}

struct streamline_args {
  fs::path in, out, report;
  std::string target, preset = "classic";
  int verify = 100;
  bool trace = false, quiet = false;
};

// Streamlines, checks the result against the input on random inputs (exact for
// integer outputs) before writing anything, and reports what happened.
int cmd_streamline(const streamline_args& a) {
  using clock = std::chrono::steady_clock;
  auto ms = [](clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  const auto t0 = clock::now();
  nr::model g = load(a.in, a.quiet);
  const std::size_t before = count_ops(g);
  // The original is kept only to verify against: on a 1M-node net the copy costs
  // as much memory as the graph.
  std::optional<nr::model> original;
  if (a.verify > 0) original.emplace(g);
  const auto t1 = clock::now();
  nr::streamline::streamline_options opt;
  opt.driver.trace = a.trace;
  // A target runs the rule families it wants; without one, every family runs.
  const bool plus = a.preset == "plus";
  const nr::target::fpga_dataflow fpga;
  const nr::rewrite_result r = a.target == "fpga-dataflow"
                                   ? (plus ? nr::streamline::streamline_plus(g, fpga, opt) : nr::streamline::streamline(g, fpga, opt))
                                   : (plus ? nr::streamline::streamline_plus(g, opt) : nr::streamline::streamline(g, opt));
  const auto t2 = clock::now();
  const std::size_t after = count_ops(g);
  std::cout << "streamline: " << before << " -> " << after << " nodes, " << nr::to_string(r) << "\n";
  if (a.trace)
    for (const auto& e : r.trace)
      if (e.applied) std::cout << "  applied " << e.pattern << " at " << e.node << "\n";

  std::vector<nr::target::illegal_node> illegal;
  if (a.target == "fpga-dataflow") {
    illegal = nr::target::legality_report(g, nr::target::fpga_dataflow{});
    std::cout << "legality (" << a.target << "): "
              << (illegal.empty() ? "every op maps" : std::to_string(illegal.size()) + " ops the target cannot map") << "\n";
    for (const auto& n : illegal) std::cout << "  " << n.node << " (" << n.op << "): " << n.reason << "\n";
  }

  nr::exec::equivalence_report eq;
  if (a.verify > 0) {
    nr::exec::equivalence_options eo;
    eo.runs = a.verify;
    eq = nr::exec::check_equivalence(*original, g, eo);
    std::cout << "verify: " << eq.runs << " random inputs, "
              << (eq.ok() ? "outputs identical" : "MISMATCH: " + eq.first_mismatch);
    if (eq.ok() && eq.max_abs_diff > 0) std::cout << " (float outputs within " << eq.max_abs_diff << ")";
    std::cout << "\n";
  }
  const auto t3 = clock::now();
  if (eq.ok()) save(g, a.out);
  const auto t4 = clock::now();
  std::cout << "time: load " << ms(t1 - t0) << " ms, streamline " << ms(t2 - t1) << " ms, verify " << ms(t3 - t2)
            << " ms, write " << ms(t4 - t3) << " ms\n";

  if (!a.report.empty()) {
    nlohmann::json j;
    j["input"] = a.in.string();
    j["preset"] = a.preset;
    j["output"] = eq.ok() ? a.out.string() : "";
    j["nodes_before"] = before;
    j["nodes_after"] = after;
    j["converged"] = r.converged;
    j["stop_reason"] = std::string(nr::to_string(r.reason));
    j["rewrites"] = r.rewrites;
    j["rules"] = r.per_pattern;
    if (!a.target.empty()) {
      auto& l = j["legality"] = {{"target", a.target}, {"unmappable", nlohmann::json::array()}};
      for (const auto& n : illegal) l["unmappable"].push_back({{"node", n.node}, {"op", n.op}, {"reason", n.reason}});
    }
    j["verify"] = {{"runs", eq.runs}, {"ok", eq.ok()}, {"max_abs_diff", eq.max_abs_diff}, {"first_mismatch", eq.first_mismatch}};
    j["time_ms"] = {{"load", ms(t1 - t0)}, {"streamline", ms(t2 - t1)}, {"verify", ms(t3 - t2)}, {"write", ms(t4 - t3)}};
    if (a.trace) {
      auto& t = j["trace"] = nlohmann::json::array();
      for (const auto& e : r.trace) t.push_back({{"pattern", e.pattern}, {"node", e.node}, {"applied", e.applied}, {"reason", e.reason}});
    }
    nr::onnx_io::write_file_atomically(a.report, j.dump(2) + "\n");
  }
  if (!eq.ok()) throw nr::error("the streamlined model computes something else (" + eq.first_mismatch + "); nothing written");
  if (!a.quiet) std::cerr << "wrote " << a.out.string() << "\n";
  if (!r.converged) std::cerr << "nnrewrite: warning: streamlining stopped early: " << nr::to_string(r.reason) << "\n";
  return 0;
}

struct equalize_args {
  fs::path in, out, report;
  std::vector<std::string> calib, evaluate, dims;
  std::string policy = "weight", target = "onnx", rule = "per-value", relu6 = "block";
  std::vector<int> bits{8, 6};
  std::vector<std::string> sets{"chain", "concat", "residual"};
  bool quiet = false;
};

// One run per file, for a model with one input.
std::vector<nr::exec::tensor_map> load_runs(const nr::model& g, const std::vector<std::string>& files) {
  std::vector<nr::exec::tensor_map> runs;
  if (files.empty()) return runs;
  const auto inputs = T::graph_inputs(g);
  if (inputs.size() != 1) throw nr::error("--calib and --evaluate take one file per run, for a model with one input; this one has " + std::to_string(inputs.size()));
  for (const auto& f : files) runs.push_back({{T::value(g, inputs[0], 0).name, nr::onnx_io::load_named_tensor(f).second}});
  return runs;
}

std::vector<nr::exec::tensor_map> run_all(const nr::model& g, const std::vector<nr::exec::tensor_map>& inputs) {
  std::vector<nr::exec::tensor_map> r;
  for (const auto& in : inputs) r.push_back(nr::exec::execute(g, in));
  return r;
}

// Equalizes, checks that the float function is kept on the evaluation inputs (or
// random ones), reports the sets and the weight-quantization SQNR before and after.
template <class Target>
int equalize_for(const equalize_args& a, const Target& target) {
  namespace eq = nr::equalize;
  using clock = std::chrono::steady_clock;
  auto ms = [](clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  const auto t0 = clock::now();
  nr::model original = load(a.in, a.quiet);
  // Constants folded first: zero padding made by ConstantOfShape becomes a constant the engine can see.
  (void)nr::cleanup(original);
  nr::model g = original;
  const auto calib = load_runs(g, a.calib), evaluation = load_runs(g, a.evaluate);
  const auto t1 = clock::now();
  eq::options opt;
  opt.policy = a.policy == "activation" ? eq::scale_policy::activation
               : a.policy == "smoothquant" ? eq::scale_policy::smoothquant : eq::scale_policy::weight;
  if (a.rule == "sima") opt.rule = eq::options::activation_rule::sima;
  opt.per_channel_clip = a.relu6 == "per-channel-clip";
  const auto wants = [&](const char* k) { return std::find(a.sets.begin(), a.sets.end(), k) != a.sets.end(); };
  opt.chains = wants("chain");
  opt.concat_sets = wants("concat");
  opt.residual_families = wants("residual");
  if (opt.policy != eq::scale_policy::weight && calib.empty())
    throw nr::error("the " + a.policy + " policy needs calibration inputs (--calib)");
  eq::statistics stats;
  if (!calib.empty()) stats = eq::calibrate(g, eq::find_sets(g, target, {opt.per_channel_clip}), calib);
  const auto t2 = clock::now();
  const auto r = eq::equalize(g, target, opt, &stats);
  const auto t3 = clock::now();

  std::map<eq::set_kind, int> found, applied;
  for (const auto& s : r.sets.sets) ++found[s.kind];
  for (const auto& s : r.applied) ++applied[r.sets.sets[s.set].kind];
  std::cout << "equalize (" << a.policy << ", target " << a.target << "): ";
  for (auto k : {eq::set_kind::chain, eq::set_kind::concat, eq::set_kind::residual})
    std::cout << applied[k] << "/" << found[k] << " " << eq::to_string(k) << (k == eq::set_kind::residual ? "" : ", ");
  std::cout << " applied; " << r.sets.rejected.size() << " rejected; coverage " << r.coverage() * 100.0 << "% of "
            << r.sets.weighted_ops << " weighted ops";
  if (opt.policy == eq::scale_policy::weight) std::cout << "; " << r.sweeps << " sweeps";
  std::cout << "\n";
  for (const auto& x : r.sets.rejected) std::cout << "  rejected " << eq::to_string(x.kind) << " from " << x.node << ": " << x.reason << "\n";
  for (const auto& x : r.skipped) std::cout << "  skipped " << eq::to_string(x.kind) << " from " << x.node << ": " << x.reason << "\n";

  // The float function must be kept: on the evaluation inputs, or on random ones.
  const auto check_inputs = !evaluation.empty() ? evaluation : [&] {
    std::vector<nr::exec::tensor_map> v;
    // Shaped by --dim; the model written keeps its symbolic dims.
    nr::model shaped = original;
    nr::bind_input_dims(shaped, parse_dims(a.dims));
    for (std::uint64_t s = 0; s < 4; ++s) v.push_back(nr::exec::random_inputs(shaped, s));
    return v;
  }();
  const auto reference = run_all(original, check_inputs);
  const double preserved = eq::sqnr_db(reference, run_all(g, check_inputs));
  std::cout << "function: SQNR " << preserved << " dB against the input model on " << check_inputs.size()
            << (evaluation.empty() ? " random inputs" : " evaluation inputs") << "\n";
  nlohmann::json quant = nlohmann::json::array();
  if (!evaluation.empty())
    for (int bits : a.bits) {
      auto quantized = [&](const nr::model& m, bool per_channel) {
        nr::model q = m;
        (void)eq::fake_quantize_weights(q, target, eq::weight_quantization{bits, per_channel});
        return eq::sqnr_db(reference, run_all(q, evaluation));
      };
      const double before = quantized(original, false), after = quantized(g, false), ceiling = quantized(original, true);
      std::cout << "INT" << bits << " weights, per tensor: " << before << " dB before, " << after
                << " dB after (per channel: " << ceiling << " dB)\n";
      nlohmann::json row{{"bits", bits}, {"before_db", before}, {"after_db", after}, {"per_channel_db", ceiling}};
      if (!calib.empty()) {
        // Weights and activations: each model's activation ranges from its own calibration.
        auto both = [&](const nr::model& m) {
          nr::model q = m;
          const auto ranges = eq::calibrate_activations(q, target, calib);
          (void)eq::fake_quantize_weights(q, target, eq::weight_quantization{bits, false});
          (void)eq::fake_quantize_activations(q, target, ranges, bits);
          return eq::sqnr_db(reference, run_all(q, evaluation));
        };
        const double wa_before = both(original), wa_after = both(g);
        std::cout << "INT" << bits << " weights and activations, per tensor: " << wa_before << " dB before, " << wa_after
                  << " dB after\n";
        row["with_activations"] = {{"before_db", wa_before}, {"after_db", wa_after}};
      }
      quant.push_back(row);
    }
  const bool ok = preserved >= 80.0;
  if (ok) save(g, a.out);
  const auto t4 = clock::now();
  std::cout << "time: load " << ms(t1 - t0) << " ms, calibrate " << ms(t2 - t1) << " ms, equalize " << ms(t3 - t2)
            << " ms, evaluate and write " << ms(t4 - t3) << " ms\n";
  if (!a.report.empty()) {
    nlohmann::json j;
    j["input"] = a.in.string();
    j["output"] = ok ? a.out.string() : "";
    j["policy"] = a.policy;
    j["target"] = a.target;
    j["weighted_ops"] = r.sets.weighted_ops;
    j["coverage"] = r.coverage();
    j["sweeps"] = r.sweeps;
    auto& sets = j["sets"] = nlohmann::json::array();
    for (const auto& s : r.applied) {
      const auto& x = r.sets.sets[s.set];
      nlohmann::json e{{"kind", std::string(eq::to_string(x.kind))}, {"min_scale", s.min_scale}, {"max_scale", s.max_scale}};
      for (auto v : x.parents) e["parents"].push_back(nr::describe(g, v));
      for (auto v : x.children) e["children"].push_back(nr::describe(g, v));
      sets.push_back(e);
    }
    auto& rej = j["rejected"] = nlohmann::json::array();
    for (const auto& x : r.sets.rejected) rej.push_back({{"kind", std::string(eq::to_string(x.kind))}, {"node", x.node}, {"reason", x.reason}});
    j["function_sqnr_db"] = preserved;
    j["weight_quantization"] = quant;
    j["time_ms"] = {{"load", ms(t1 - t0)}, {"calibrate", ms(t2 - t1)}, {"equalize", ms(t3 - t2)}, {"evaluate_write", ms(t4 - t3)}};
    nr::onnx_io::write_file_atomically(a.report, j.dump(2) + "\n");
  }
  if (!ok) throw nr::error("the equalized model computes something else (SQNR " + std::to_string(preserved) + " dB < 80 dB); nothing written");
  if (!a.quiet) std::cerr << "wrote " << a.out.string() << "\n";
  return 0;
}

int cmd_equalize(const equalize_args& a) {
  if (a.target == "sima") {
    nr::target::add_sima_mla_kernels();  // so the executor runs the SiMa ops
    return equalize_for(a, nr::target::sima_mla{});
  }
  return equalize_for(a, nr::target::onnx_float{});
}

// A message as one printable line: control bytes (a newline in a tensor name, say)
// are escaped, so the error stays one line and the terminal shows what was there.
std::string one_line(std::string_view s) {
  std::string r;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') r += "\\n";
    else if (c == '\r') r += "\\r";
    else if (c == '\t') r += "\\t";
    else if (u < 0x20 || u == 0x7f) {
      const char* hex = "0123456789abcdef";
      r += "\\x";
      r += hex[u >> 4];
      r += hex[u & 0xf];
    } else {
      r += c;
    }
  }
  return r;
}

// Runs a program with an argument vector (no shell: nothing in a file name is
// ever interpreted) and returns its exit status; -1 when it could not be started.
int run_program(const std::vector<std::string>& args, bool silence_output) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (silence_output) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A temporary file name beside `target` (same directory: the final rename is atomic).
fs::path temporary_beside(const fs::path& target, const char* suffix) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX" + suffix)).string();
  const int fd = ::mkstemps(tmpl.data(), int(std::strlen(suffix)));
  if (fd < 0) throw nr::file_error("cannot write '" + target.string() + "': " + std::strerror(errno));
  ::close(fd);
  return tmpl;
}

int cmd_dot(const fs::path& in, const fs::path& out, bool quiet) {
  nr::model g = load(in, quiet);
  const std::string dot = nr::to_dot(g);
  if (out.extension() == ".svg") {
    if (run_program({"dot", "-V"}, true) != 0)
      throw nr::file_error("writing SVG needs Graphviz's 'dot' (apt-get install graphviz); write a .dot file instead");
    // Graphviz writes a temporary SVG that is renamed over the target only when it
    // succeeded: a failure (a full disk, say) leaves no half-written drawing.
    const fs::path dot_file = temporary_beside(out, ".dot"), svg_file = temporary_beside(out, ".svg");
    auto remove_temporaries = [&] {
      std::error_code ec;
      fs::remove(dot_file, ec);
      fs::remove(svg_file, ec);
    };
    try {
      nr::onnx_io::write_file_atomically(dot_file, dot);
      if (run_program({"dot", "-Tsvg", dot_file.string(), "-o", svg_file.string()}, false) != 0)
        throw nr::file_error("Graphviz 'dot' failed to write '" + out.string() + "'");
      std::error_code ec;
      fs::rename(svg_file, out, ec);
      if (ec) throw nr::file_error("cannot write '" + out.string() + "': " + ec.message());
    } catch (...) {
      remove_temporaries();
      throw;
    }
    remove_temporaries();
  } else {
    nr::onnx_io::write_file_atomically(out, dot);
  }
  if (!quiet) std::cerr << "wrote " << out.string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nnrewrite: inspect, run and convert quantized neural-network graphs (ONNX, QONNX, nnrewrite text)"};
  app.set_version_flag("--version", version);
  app.require_subcommand(1);
  app.fallthrough();  // global flags (-q) may also follow the subcommand
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "No progress messages on stderr");
  std::int64_t max_elements = nr::tensor_limits().max_elements;
  app.add_option("--max-elements", max_elements,
                 "Largest tensor (in elements) a model may declare or a run may make; sizes are checked before allocating")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  std::string model_path, out_path, save_dir;
  std::vector<std::string> input_files;
  int random_runs = 1;
  std::uint64_t seed = 0;

  auto* info = app.add_subcommand("info", "Op histogram, inputs and outputs with shapes and data types, forks and joins, verification");
  info->add_option("MODEL", model_path, "Model file (.onnx or .nnr)")->required();

  auto* run = app.add_subcommand("run", "Execute a model with the reference executor and print its outputs");
  run->add_option("MODEL", model_path, "Model file (.onnx or .nnr)")->required();
  auto* in_opt = run->add_option("--input,-i", input_files,
                                 "Input TensorProto file(s) (.pb), in graph-input order or as NAME=FILE");
  run->add_option("--random", random_runs, "Run N times on random inputs that respect each input's data type")
      ->check(CLI::Range(1, 1000000))
      ->excludes(in_opt);
  run->add_option("--seed", seed, "Seed of the first random run");
  std::vector<std::string> run_dims;
  run->add_option("--dim", run_dims, "Size of a symbolic input dimension, as NAME=SIZE (repeatable; unset ones are 1)")
      ->check(check_dim_spec);
  run->add_option("--save", save_dir, "Directory to write the outputs to, as output_<i>.pb")->needs(in_opt);

  auto* convert = app.add_subcommand("convert", "Convert between ONNX (.onnx) and the nnrewrite text format (.nnr)");
  convert->add_option("IN", model_path, "Model to read")->required();
  convert->add_option("OUT", out_path, "File to write; the extension chooses the format")->required();

  auto* dot = app.add_subcommand("dot", "Draw a model with Graphviz");
  dot->add_option("MODEL", model_path, "Model file (.onnx or .nnr)")->required();
  dot->add_option("-o,--output", out_path, "Output .dot file (or .svg, with Graphviz installed)")->required();

  streamline_args sl;
  auto* streamline = app.add_subcommand("streamline", "FINN streamlining: move and absorb float scales and biases into MultiThresholds");
  streamline->add_option("IN", sl.in, "Model to streamline (.onnx or .nnr)")->required();
  streamline->add_option("-o,--output", sl.out, "Streamlined model (.onnx or .nnr)")->required();
  streamline->add_option("--verify", sl.verify,
                         "Compare with the input on N random inputs before writing (exact for integer outputs); 0 skips it")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  streamline->add_option("--preset", sl.preset,
                         "classic: FINN's Streamline() sequence; plus: FINN+'s StreamlinePlus, one exhaustive rule set "
                         "with the fork/join rules (residual and attention graphs)")
      ->check(CLI::IsMember({"classic", "plus"}))
      ->capture_default_str();
  streamline->add_flag("--trace", sl.trace, "Print every rule application");
  streamline->add_option("--target", sl.target, "Report what this backend cannot map after streamlining")
      ->check(CLI::IsMember({"fpga-dataflow"}));
  streamline->add_option("--report", sl.report, "Write a JSON report (nodes, rules fired, stop reason, verification, times)");

  equalize_args eqa;
  auto* equalize = app.add_subcommand("equalize", "Cross-layer channel equalization: rescale channels so per-tensor quantization loses less");
  equalize->add_option("IN", eqa.in, "Model to equalize (.onnx or .nnr)")->required();
  equalize->add_option("-o,--output", eqa.out, "Equalized model (.onnx or .nnr)")->required();
  equalize->add_option("--calib", eqa.calib, "Calibration inputs: TensorProto files (.pb), one run each");
  equalize->add_option("--evaluate", eqa.evaluate, "Evaluation inputs (.pb): report weight-quantization SQNR before and after");
  equalize->add_option("--policy", eqa.policy, "Scale policy: weight (DFQ), activation (Meller/SiMa; needs --calib), smoothquant (needs --calib)")
      ->check(CLI::IsMember({"weight", "activation", "smoothquant"}))
      ->capture_default_str();
  equalize->add_option("--activation-rule", eqa.rule,
                       "activation policy: scales from every value a set rescales (per-value), or the SiMa compiler's rule (sima)")
      ->check(CLI::IsMember({"per-value", "sima"}))
      ->capture_default_str();
  equalize->add_option("--relu6", eqa.relu6,
                       "A Clip (ReLU6) inside a set: block the set, or rewrite it as Min(Relu(x), 6 s_c) with per-channel bounds (exact)")
      ->check(CLI::IsMember({"block", "per-channel-clip"}))
      ->capture_default_str();
  equalize->add_option("--target", eqa.target, "Equalization target: onnx (ONNX float ops, NCHW) or sima (SiMa-style ops of domain 'sima', NHWC)")
      ->check(CLI::IsMember({"onnx", "sima"}))
      ->capture_default_str();
  equalize->add_option("--sets", eqa.sets, "Kinds of sets to equalize")
      ->check(CLI::IsMember({"chain", "concat", "residual"}))
      ->capture_default_str();
  equalize->add_option("--bits", eqa.bits, "Weight bit widths to evaluate")->check(CLI::Range(2, 16));
  equalize->add_option("--dim", eqa.dims, "Size of a symbolic input dimension for random inputs, as NAME=SIZE (repeatable)")
      ->check(check_dim_spec);
  equalize->add_option("--report", eqa.report, "Write a JSON report (sets, rejections, scales, SQNR, times)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "nnrewrite: " << e.what() << "\nRun with --help for usage.\n";
    return 2;
  }

  nr::tensor_limits().max_elements = max_elements;
  try {
    if (info->parsed()) return cmd_info(model_path, quiet);
    if (run->parsed()) return cmd_run(model_path, input_files, random_runs, seed, save_dir, quiet, parse_dims(run_dims));
    if (convert->parsed()) return cmd_convert(model_path, out_path, quiet);
    if (dot->parsed()) return cmd_dot(model_path, out_path, quiet);
    if (equalize->parsed()) {
      eqa.quiet = quiet;
      return cmd_equalize(eqa);
    }
    if (streamline->parsed()) {
      sl.quiet = quiet;
      return cmd_streamline(sl);
    }
  } catch (const nr::error& e) {
    std::cerr << "nnrewrite: error: " << one_line(e.what()) << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "nnrewrite: error: out of memory (the model needs more than this machine has; see --max-elements)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "nnrewrite: error: internal error: " << one_line(e.what()) << "\n";
    return 1;
  }
  return 2;
}
