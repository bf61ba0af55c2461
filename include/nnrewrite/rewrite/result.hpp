// What a driver run did: rewrite_result (returned as data, [[nodiscard]]) and
// the policy for runs that did not converge.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nnrewrite/error.hpp"

namespace nnrewrite {

enum class stop_reason {
  fixpoint,         // a full sweep found nothing to do
  iteration_limit,  // max_iterations sweeps without reaching a fixpoint
  rewrite_limit,    // max_rewrites applications
  cycle_detected,   // a graph state was seen twice: patterns undo each other
  single_pass,      // the one-pass walk driver ran
};

inline constexpr std::string_view to_string(stop_reason r) {
  constexpr std::string_view names[] = {"fixpoint", "iteration limit", "rewrite limit", "cycle detected", "single pass"};
  return names[static_cast<int>(r)];
}

// What to do when a run ends without reaching a fixpoint.
enum class non_convergence { report, warn, throw_error };

class convergence_error : public error {
 public:
  using error::error;
};

struct trace_entry {
  std::string pattern;
  std::string node;
  bool applied = false;
  std::string reason;  // why it did not apply
};

struct [[nodiscard]] rewrite_result {
  bool converged = false;
  stop_reason reason = stop_reason::fixpoint;
  std::size_t iterations = 0;  // sweeps over the graph
  std::size_t rewrites = 0;    // successful pattern applications
  std::size_t dead_erased = 0; // nodes removed because nothing used them
  std::map<std::string, std::size_t> per_pattern;
  std::vector<trace_entry> trace;  // when tracing was asked for
};

inline std::string to_string(const rewrite_result& r) {
  std::string s = fmt::format("{} after {} iteration{}, {} rewrite{}, {} dead node{} erased",
                              r.converged ? "converged" : "did not converge (" + std::string(to_string(r.reason)) + ")",
                              r.iterations, r.iterations == 1 ? "" : "s", r.rewrites, r.rewrites == 1 ? "" : "s",
                              r.dead_erased, r.dead_erased == 1 ? "" : "s");
  for (const auto& [p, n] : r.per_pattern) s += fmt::format("\n  {:>8} x {}", n, p);
  return s;
}

}  // namespace nnrewrite

template <>
struct fmt::formatter<nnrewrite::rewrite_result> : fmt::formatter<std::string_view> {
  auto format(const nnrewrite::rewrite_result& r, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(nnrewrite::to_string(r), ctx);
  }
};
