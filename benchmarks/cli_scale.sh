#!/usr/bin/env bash
# `nnrewrite streamline` end to end (parse, streamline, write) on the synthetic
# FINN-style MLP (mlp.hpp) written as ONNX, from small to ~1M vertices: wall
# time, the CLI's own split (load = ONNX parse and graph build; write = export,
# serialize and the atomic write with fsync), peak RSS from /usr/bin/time, and
# make_mlp_onnx's split of the ONNX steps on the same file (parse, import,
# export, serialize). Build the bench preset first:
#   cmake --preset bench && cmake --build --preset bench --target nnrewrite make_mlp_onnx
#   benchmarks/cli_scale.sh [build/bench] [BLOCKS...]
# Width 32 (see make_mlp_onnx.cpp: a 100,000-block net at width 64 is over
# ONNX's 2 GB). The residual nets run --preset plus, the plain ones the classic
# preset; --verify 0 (verification executes the whole net per input; the tests
# and the smaller benchmarks check equivalence).
set -euo pipefail
build=${1:-build/bench}
shift || true
blocks=("$@")
[ ${#blocks[@]} -gt 0 ] || blocks=(1024 16384 100000)
cli="$build/tools/nnrewrite"
gen="$build/benchmarks/make_mlp_onnx"
for b in "$cli" "$gen"; do [ -x "$b" ] || { echo "cli_scale.sh: $b not built" >&2; exit 2; }; done
[ -x /usr/bin/time ] || { echo "cli_scale.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-9s %-8s %9s %8s %8s %9s %10s %9s %8s %9s   %s\n' net blocks vertices file_MB wall_s load_ms streamline write_ms peak_MB B/vertex \
  'onnx steps (ms): parse import export serialize'
for kind in plain residual; do
  for n in "${blocks[@]}"; do
    model="$out/mlp.onnx"
    extra=(); preset=classic
    if [ "$kind" = residual ]; then extra=(residual); preset=plus; fi
    "$gen" "$n" "$model" "${extra[@]:-plain}" 32 >"$out/gen"
    vertices=$(sed -n 's/.*, \([0-9]*\) vertices/\1/p' "$out/gen")
    steps=$(sed -n 's/^onnx: parse \([0-9]*\) ms, import \([0-9]*\) ms, export \([0-9]*\) ms, serialize \([0-9]*\) ms/\1 \2 \3 \4/p' "$out/gen")
    size=$(stat -c %s "$model")
    /usr/bin/time -f '%e %M' -o "$out/time" "$cli" streamline "$model" -o "$out/out.onnx" --preset "$preset" --verify 0 -q \
      >"$out/stdout" 2>"$out/stderr" || { cat "$out/stderr" >&2; exit 1; }
    read -r wall rss_kb <"$out/time"
    read -r load sl write < <(sed -n 's/^time: load \([0-9.]*\) ms, streamline \([0-9.]*\) ms, verify [0-9.]* ms, write \([0-9.]*\) ms/\1 \2 \3/p' "$out/stdout")
    printf '%-9s %-8s %9s %8.1f %8s %9.0f %10.0f %9.0f %8d %9d   %s\n' "$kind" "$n" "$vertices" "$(awk -v s="$size" 'BEGIN { print s / 1e6 }')" \
      "$wall" "$load" "$sl" "$write" $((rss_kb / 1024)) $((rss_kb * 1024 / vertices)) "$steps"
  done
done
