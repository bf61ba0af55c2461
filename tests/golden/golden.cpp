// Golden (approval) tests: a small graph in the text format, the passes to run on
// it, and the graph they must give (`<case>.expected`, reviewed like code).
//
//   nnrewrite_golden <case.nnr> [--promote]
//
// A case file starts with `# RUN: <step> <step> ...` (steps: cleanup, fold,
// identities, infer, dead). The runner also checks, for every case, that
//  - the graph computes the same outputs before and after (random inputs; exact
//    for integer results, relative 1e-5 for float),
//  - the result verifies,
//  - the cleanup set gives the same graph whatever the worklist order (top-down
//    and three random seeds): the set is confluent on the case.
// With --promote (or NNREWRITE_PROMOTE=1 in the environment) a differing or
// missing expected file is rewritten instead of failing; review the diff.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "nnrewrite/exec.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/passes.hpp"

using namespace nnrewrite;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path + ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> run_steps(const std::string& text) {
  const std::string tag = "# RUN:";
  auto at = text.find(tag);
  if (at == std::string::npos) throw parse_error(1, 1, "the case has no '# RUN:' line");
  std::istringstream line(text.substr(at + tag.size(), text.find('\n', at) - at - tag.size()));
  std::vector<std::string> steps;
  for (std::string s; line >> s;) steps.push_back(s);
  if (steps.empty()) throw parse_error(1, 1, "'# RUN:' names no step");
  return steps;
}

// Runs the steps; returns the summary of what they did, one line per step.
std::string apply(model& g, const std::vector<std::string>& steps, const driver_config& cfg) {
  std::string summary;
  for (const auto& step : steps) {
    std::string what;
    if (step == "cleanup") {
      what = to_string(cleanup(g, cfg));
    } else if (step == "fold" || step == "identities") {
      pattern_set<model> set;
      if (step == "fold") set.add<fold_constant_op<model>>();
      else populate_identity_removal_patterns(set);
      what = to_string(apply_patterns_greedily(g, set, cfg));
    } else if (step == "infer") {
      what = std::to_string(infer_value_infos(g)) + " ops updated";
    } else if (step == "dead") {
      what = std::to_string(remove_dead_nodes(g)) + " nodes removed";
    } else {
      throw parse_error(1, 1, "unknown step '" + step + "'");
    }
    summary += "# " + step + ": " + what + "\n";
  }
  return summary;
}

int fail(const std::string& what) {
  std::cerr << "FAIL: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::cerr << "usage: nnrewrite_golden <case.nnr> [--promote]\n";
    return 2;
  }
  const std::string path = argv[1];
  const char* env = std::getenv("NNREWRITE_PROMOTE");
  const bool promote = (argc > 2 && std::string(argv[2]) == "--promote") || (env && std::string(env) == "1");
  const std::string source = read(path);
  const auto steps = run_steps(source);

  model g = parse_text(source);
  const auto inputs = exec::random_inputs(g, 7);
  const auto before = exec::execute(g, inputs);

  driver_config cfg;
  cfg.expensive_checks = true;  // every application is fingerprinted and verified
  cfg.policy = non_convergence::throw_error;
  const std::string summary = apply(g, steps, cfg);
  const std::string got = to_text(g);

  if (auto problems = verify(g); !problems.empty())
    return fail("the result does not verify: " + problems.front().node + ": " + problems.front().problem);
  const auto after = exec::execute(g, inputs);
  for (const auto& [name, t] : before) {
    auto it = after.find(name);
    if (it == after.end()) return fail("output '" + name + "' disappeared");
    const bool same = !is_floating(t.type()) ? exec::exactly_equal(t, it->second) : exec::all_close(t, it->second, 1e-5, 1e-6);
    if (!same) return fail("output '" + name + "' changed: max difference " + std::to_string(exec::compare(t, it->second).max_abs));
  }

  // Confluence: the same graph whatever the order the worklist pops nodes in.
  for (int variant = 0; variant < 4; ++variant) {
    driver_config other = cfg;
    if (variant == 0) other.top_down = true;
    else other.random_seed = std::uint64_t(variant);
    model h = parse_text(source);
    (void)apply(h, steps, other);
    if (to_text(h) != got)
      return fail("the result depends on the worklist order (" + std::string(variant == 0 ? "top-down" : "seed " + std::to_string(variant)) +
                  "):\n" + to_text(h));
  }

  const std::string expected_path = path.substr(0, path.rfind('.')) + ".expected";
  const std::string actual = summary + got;
  std::string expected;
  try {
    expected = read(expected_path);
  } catch (const file_error&) {
    if (!promote) return fail(expected_path + " is missing; run with --promote (or NNREWRITE_PROMOTE=1) and review it.\nGot:\n" + actual);
  }
  if (expected == actual) {
    std::cout << "ok: " << path << "\n";
    return 0;
  }
  if (promote) {
    std::ofstream(expected_path, std::ios::binary) << actual;
    std::cout << "promoted: " << expected_path << "\n";
    return 0;
  }
  // Show the first differing line, then the whole result.
  std::istringstream e(expected), a(actual);
  std::string el, al;
  int line = 1;
  while (std::getline(e, el) && std::getline(a, al) && el == al) ++line;
  return fail(expected_path + " differs at line " + std::to_string(line) + ":\n  expected: " + el + "\n  got:      " + al +
              "\nwhole result:\n" + actual + "(NNREWRITE_PROMOTE=1 accepts it)");
} catch (const std::exception& e) {
  std::cerr << "FAIL: " << e.what() << "\n";
  return 1;
}
