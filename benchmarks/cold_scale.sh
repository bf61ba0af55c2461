#!/usr/bin/env bash
# streamline_plus() on the residual MLP as a command-line run meets it: each size
# in a fresh process, so every page the run touches is new (the in-process
# benchmark, streamline_bench, runs on a warm heap). Prints, per size, the best of
# REPEATS runs in ns per vertex and the minor page faults per vertex, then the
# fitted exponent of time (least squares on log-log). Build the bench preset first:
#   cmake --preset bench && cmake --build --preset bench --target streamline_count
#   benchmarks/cold_scale.sh [build/bench] [REPEATS] [MAX_BLOCKS]
set -euo pipefail
build=${1:-build/bench}
repeats=${2:-3}
max_blocks=${3:-100000}
bin="$build/benchmarks/streamline_count"
[ -x "$bin" ] || { echo "cold_scale.sh: $bin not built" >&2; exit 2; }
printf '%8s %10s %14s %16s\n' blocks vertices ns_per_vertex faults_per_vertex
rows=""
for blocks in 4 16 64 256 1024 4096 16384 100000; do
  [ "$blocks" -le "$max_blocks" ] || continue
  best=""
  for ((i = 0; i < repeats; ++i)); do
    # "residual: N vertices -> M, R rewrites, converged; S s, F minor faults"
    line=$("$bin" plus residual "$blocks")
    case $line in *"not converged"*) echo "cold_scale.sh: $blocks blocks did not converge" >&2; exit 1 ;; esac
    read -r vertices seconds faults < <(sed -n 's/^[a-z]*: \([0-9]*\) vertices.*; \([0-9.]*\) s, \([0-9]*\) minor faults$/\1 \2 \3/p' <<<"$line")
    if [ -z "$best" ] || awk -v a="$seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$seconds
      best_faults=$faults
    fi
  done
  row=$(awk -v b="$blocks" -v n="$vertices" -v s="$best" -v f="$best_faults" \
    'BEGIN { printf "%8d %10d %14.0f %16.3f", b, n, s * 1e9 / n, f / n }')
  echo "$row"
  rows+="$row"$'\n'
done
# time = vertices * ns_per_vertex; the slope of log(time) over log(vertices)
awk 'NF == 4 { x = log($2); y = log($3 * $2); sx += x; sy += y; sxx += x * x; sxy += x * y; ++k }
  END { if (k > 1) printf "fitted exponent of time: %.3f over %d sizes\n", (k * sxy - sx * sy) / (k * sxx - sx * sx), k }' <<<"$rows"
