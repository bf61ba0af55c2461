#!/usr/bin/env bash
# Measures what including and using nnrewrite costs a translation unit: compile
# time of a tiny main() that includes the umbrella header, next to its
# dependencies alone; then TUs that *run* cleanup / the executor on model, header-
# only and with NNREWRITE_SEPARATE_COMPILATION (kernels and model instantiations
# compiled once elsewhere, in the file that includes <nnrewrite/src.hpp>).
# Best of 3 runs, g++ -O0 -c, on whatever machine this runs on.
#   benchmarks/include_cost.sh [CXX]
set -euo pipefail
cxx=${1:-g++}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/std.cpp" <<'CPP'
#include <map>
#include <string>
#include <variant>
#include <vector>
int main() { std::vector<std::string> v; return (int)v.size(); }
CPP
cat > "$tmp/eigen.cpp" <<'CPP'
#include <Eigen/Core>
int main() { Eigen::ArrayXf a(3); return (int)a.size(); }
CPP
cat > "$tmp/boost_graph.cpp" <<'CPP'
#include <boost/graph/adjacency_list.hpp>
int main() { boost::adjacency_list<> g; return (int)num_vertices(g); }
CPP
cat > "$tmp/nnrewrite_ir_model.cpp" <<'CPP'
#include <nnrewrite/ir/model.hpp>
int main() { nnrewrite::model g; return (int)num_vertices(g); }
CPP
cat > "$tmp/nnrewrite_umbrella.cpp" <<'CPP'
#include <nnrewrite/nnrewrite.hpp>
int main() { nnrewrite::model g; return (int)num_vertices(g); }
CPP

cat > "$tmp/dependencies.cpp" <<'CPP'
#include <boost/graph/adjacency_list.hpp>
#include <Eigen/Core>
#include <fmt/format.h>
#include <map>
#include <string>
#include <variant>
#include <vector>
int main() { boost::adjacency_list<> g; Eigen::ArrayXf a(3); return (int)num_vertices(g) + (int)a.size(); }
CPP
cat > "$tmp/cleanup_model.cpp" <<'CPP'
#include <nnrewrite/nnrewrite.hpp>
int main() { nnrewrite::model g; return (int)nnrewrite::cleanup(g).rewrites; }
CPP
cat > "$tmp/execute_model.cpp" <<'CPP'
#include <nnrewrite/nnrewrite.hpp>
int main() { nnrewrite::model g; return (int)nnrewrite::exec::execute(g, {}).size(); }
CPP
printf '#define NNREWRITE_SEPARATE_COMPILATION\n' | cat - "$tmp/cleanup_model.cpp" > "$tmp/cleanup_model_separate.cpp"
printf '#define NNREWRITE_SEPARATE_COMPILATION\n' | cat - "$tmp/execute_model.cpp" > "$tmp/execute_model_separate.cpp"

printf "%-26s %s\n" "translation unit" "seconds (best of 3)"
for f in std eigen boost_graph dependencies nnrewrite_ir_model nnrewrite_umbrella cleanup_model cleanup_model_separate \
         execute_model execute_model_separate; do
  best=""
  for _ in 1 2 3; do
    s=$(date +%s%N)
    "$cxx" -std=c++20 -O0 -I"$root/include" -I/usr/include/eigen3 -c "$tmp/$f.cpp" -o /dev/null
    e=$(date +%s%N)
    t=$(( (e - s) / 1000000 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  printf "%-26s %d.%03d\n" "$f" $((best / 1000)) $((best % 1000))
done
