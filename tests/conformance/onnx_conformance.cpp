// Runs the ONNX backend conformance cases (model.onnx + test_data_set_*/input_*.pb
// and output_*.pb, from Debian's libonnx-testdata) through the reference executor.
//
//   onnx_conformance --case DIR             run one case; exit 0 pass, 1 fail
//   onnx_conformance --summary DIR...       run every case under the DIRs, print counts
//   onnx_conformance --write-ctest FILE DIR...
//                                           write add_test() lines for every case whose ops
//                                           all have kernels (CMake includes the file)
//
// A case is "not applicable" when its model uses an op without a kernel or a type
// nnrewrite does not import (sequences, strings); "unsupported" when a kernel
// refuses a mode it does not implement (Resize linear, BatchNorm training). Both
// are reported by name; every other case must pass. Tolerance: the ONNX backend
// default (rtol 1e-3, atol 1e-7) for floats, exact for integers and booleans.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "nnrewrite/exec.hpp"
#include "nnrewrite/onnx.hpp"

namespace fs = std::filesystem;
using namespace nnrewrite;

namespace {

enum class status { pass, fail, not_applicable, unsupported };

struct result {
  status s;
  std::string reason;
};

std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> r;
  for (std::size_t i = 0;; ++i) {
    fs::path p = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    r.push_back(p);
  }
  return r;
}

// ONNX's test data stores bfloat16 tensors as uint16 bit patterns (numpy has no
// bfloat16): translate at the boundary.
tensor from_test_data(tensor t, element_type declared) {
  if (declared != element_type::bfloat16 || t.type() != element_type::uint16) return t;
  tensor r(element_type::bfloat16, t.shape());
  for (std::int64_t i = 0; i < t.size(); ++i) r.set(i, nnrewrite::detail::bfloat16_to_float(std::uint16_t(t.get_int(i))));
  return r;
}

tensor to_test_data(const tensor& t, element_type expected) {
  if (t.type() != element_type::bfloat16 || expected != element_type::uint16) return t;
  tensor r(element_type::uint16, t.shape());
  for (std::int64_t i = 0; i < t.size(); ++i) r.set(i, nnrewrite::detail::float_to_bfloat16(float(t.get(i))));
  return r;
}

result run_case(const fs::path& dir) {
  using T = ir_traits<model>;
  model g;
  try {
    g = onnx_io::load_onnx(dir / "model.onnx");
  } catch (const error& e) {
    return {status::not_applicable, e.what()};
  }
  for (auto [it, end] = vertices(g); it != end; ++it)
    if (T::kind(g, *it) == node_kind::op && !exec::default_kernels().supports(T::domain(g, *it), T::op_type(g, *it)))
      return {status::not_applicable, "no kernel for " + std::string(T::op_type(g, *it))};
  const auto inputs = T::graph_inputs(g);
  const auto outputs = T::graph_outputs(g);
  std::size_t sets = 0;
  for (std::size_t s = 0;; ++s) {
    const fs::path set = dir / ("test_data_set_" + std::to_string(s));
    if (!fs::exists(set)) break;
    ++sets;
    exec::tensor_map in;
    auto in_files = sorted_files(set, "input_");
    for (std::size_t i = 0; i < in_files.size(); ++i) {
      auto [name, t] = onnx_io::load_named_tensor(in_files[i]);
      if (name.empty() || !find_value(g, name)) {
        if (i >= inputs.size()) return {status::fail, "more input files than graph inputs"};
        name = T::value(g, inputs[i], 0).name;
      }
      const element_type declared = T::value(g, find_value(g, name)->node, 0).elem;
      in.insert_or_assign(name, from_test_data(std::move(t), declared));
    }
    for (const auto& [name, t] : in) {
      const value_info& declared = T::value(g, find_value(g, name)->node, 0);
      auto shape = known_shape(declared.shape);
      if (shape && *shape != t.shape())
        return {status::not_applicable, "test data gives input '" + name + "' shape " + to_string(t.shape()) +
                                            ", the model declares " + to_string(*shape)};
    }
    exec::tensor_map out;
    try {
      out = exec::execute(g, in);
    } catch (const unsupported_error& e) {
      return {status::unsupported, e.what()};
    } catch (const error& e) {
      return {status::fail, e.what()};
    }
    auto out_files = sorted_files(set, "output_");
    if (out_files.size() != outputs.size()) return {status::fail, "expected-output count differs from graph outputs"};
    for (std::size_t i = 0; i < out_files.size(); ++i) {
      const std::string name(T::name(g, outputs[i]));
      const tensor expected = onnx_io::load_tensor(out_files[i]);
      const tensor got = to_test_data(out.at(name), expected.type());
      if (got.type() != expected.type())
        return {status::fail, "output '" + name + "' is " + std::string(to_string(got.type())) + ", expected " +
                                  std::string(to_string(expected.type()))};
      if (got.shape() != expected.shape())
        return {status::fail, "output '" + name + "' has shape " + to_string(got.shape()) + ", expected " + to_string(expected.shape())};
      const bool ok = is_floating(expected.type()) ? exec::all_close(got, expected, 1e-3, 1e-7) : exec::exactly_equal(got, expected);
      if (!ok) {
        auto d = exec::compare(got, expected);
        return {status::fail, "output '" + name + "' differs: max abs " + std::to_string(d.max_abs) + " at element " +
                                  std::to_string(d.at) + " (" + std::to_string(d.mismatches) + " elements differ)"};
      }
    }
  }
  if (sets == 0) return {status::not_applicable, "no test data sets"};
  return {status::pass, ""};
}

std::vector<fs::path> cases_under(const std::vector<std::string>& roots) {
  std::vector<fs::path> r;
  for (const auto& root : roots) {
    if (!fs::is_directory(root)) continue;
    for (const auto& e : fs::directory_iterator(root))
      if (fs::exists(e.path() / "model.onnx")) r.push_back(e.path());
  }
  std::sort(r.begin(), r.end());
  return r;
}

int usage() {
  std::cerr << "usage: onnx_conformance --case DIR | --summary DIR... | --write-ctest FILE DIR...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2) return usage();
  const std::string mode = args[0];
  if (mode == "--case") {
    result r = run_case(args[1]);
    switch (r.s) {
      case status::pass: std::cout << "passed\n"; return 0;
      case status::fail: std::cout << "FAILED: " << r.reason << "\n"; return 1;
      default: std::cout << "skipped: " << r.reason << "\n"; return 77;
    }
  }
  const bool write = mode == "--write-ctest";
  if (!write && mode != "--summary") return usage();
  if (write && args.size() < 3) return usage();
  std::vector<std::string> roots(args.begin() + (write ? 2 : 1), args.end());
  const auto cases = cases_under(roots);
  if (cases.empty()) {
    std::cout << "ONNX conformance: SKIPPED, no test data under";
    for (const auto& r : roots) std::cout << " " << r;
    std::cout << " (install Debian's libonnx-testdata)\n";
    if (write) std::ofstream(args[1]) << "# no ONNX conformance data found\n";
    return 0;
  }
  std::map<status, std::vector<std::pair<std::string, std::string>>> by;
  std::ofstream ctest;
  if (write) ctest.open(args[1]);
  for (const auto& c : cases) {
    result r = run_case(c);
    const std::string name = c.parent_path().filename().string() + "." + c.filename().string();
    by[r.s].emplace_back(name, r.reason);
    if (write && (r.s == status::pass || r.s == status::fail))
      ctest << "add_test(\"onnx." << name << "\" \"" << fs::absolute(argv[0]).string() << "\" --case \"" << c.string() << "\")\n";
  }
  const std::size_t ran = by[status::pass].size() + by[status::fail].size();
  std::cout << "ONNX conformance: " << cases.size() << " cases found; " << ran << " ran: " << by[status::pass].size()
            << " passed, " << by[status::fail].size() << " failed; " << by[status::not_applicable].size()
            << " not applicable (op without a kernel or a type nnrewrite does not import); "
            << by[status::unsupported].size() << " use a mode a kernel does not implement\n";
  if (!write) {
    for (const auto& [n, why] : by[status::unsupported]) std::cout << "  unsupported  " << n << ": " << why << "\n";
    std::map<std::string, int> missing;
    for (const auto& [n, why] : by[status::not_applicable]) ++missing[why];
    std::cout << "  not applicable, by reason:";
    int shown = 0;
    for (const auto& [why, count] : missing)
      if (shown++ < 400) std::cout << "\n    " << count << " x " << why;
    std::cout << "\n";
  }
  for (const auto& [n, why] : by[status::fail]) std::cout << "  FAILED  " << n << ": " << why << "\n";
  std::cout << ran << " passed, " << by[status::fail].size() << " failed\n" ;
  return by[status::fail].empty() ? 0 : 1;
}
