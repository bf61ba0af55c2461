#!/usr/bin/env bash
# Instruction counts of streamline() and of the scale benchmarks' steps
# (valgrind --tool=callgrind), which repeat exactly on a noisy VM where times
# vary 2x. Build the bench preset first:
#   cmake --preset bench && cmake --build --preset bench --target streamline_count cleanup_count
#   benchmarks/callgrind.sh [build/bench]
set -euo pipefail
build=${1:-build/bench}
bin="$build/benchmarks/streamline_count"
scale_bin="$build/benchmarks/cleanup_count"
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[ -x "$bin" ] || { echo "callgrind.sh: $bin not built" >&2; exit 2; }
[ -x "$scale_bin" ] || { echo "callgrind.sh: $scale_bin not built" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# count PROGRAM ARGS...: prints the row (instructions collected, per vertex).
count() {
  local program=$1
  shift
  valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$out/cg" "$program" "$@" >"$out/stdout" 2>"$out/log"
  ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log")
  vertices=$(sed -n 's/.*: \([0-9]*\) vertices.*/\1/p' "$out/stdout")
  if [ "$vertices" -gt 0 ]; then per=$((ir / vertices)); else per=-; fi
  printf '%-24s %16s %14s\n' "$*" "$ir" "$per"
}
printf '%-24s %16s %14s\n' workload instructions per_vertex
for args in "build" "tfc" "mlp 16" "mlp 256" "mlp 4096" "plus build" "plus tfc" "plus mlp 256" "plus residual 16" \
            "plus residual 256" "plus residual 4096" "plus residual 16384"; do
  count "$bin" $args
done
# The scale rows: the flat reference, the sort and the cleanup driver on the
# same 100k-vertex graphs (their ratios are rewrite_bench's x_flat, exactly).
for shape in chain fanout residual; do
  for step in flat sort cleanup; do count "$scale_bin" "$step" "$shape" 100000; done
done
