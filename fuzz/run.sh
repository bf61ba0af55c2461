#!/usr/bin/env bash
# Runs the libFuzzer targets of the `fuzz` preset on seed corpora taken from the
# tests and models. Used by CI (a short fixed wall time per target) and for the
# long runs recorded in docs/fuzzing.md (a CPU-time budget per target).
#
#   fuzz/run.sh [--seconds N] [--cpu] [--build DIR] [--work DIR] [target...]
#
#   --seconds N  budget per target (default 60)
#   --cpu        the budget is CPU time of the fuzzer (for runs `nice`d beside
#                other work); otherwise wall time (-max_total_time)
#   --build DIR  where the fuzz preset built (default build/fuzz)
#   --work DIR   corpora and logs (default build/fuzz/runs); a corpus grows across
#                runs, so a later run starts from what earlier runs found
#   target       fuzz_text, fuzz_onnx, fuzz_exec (default: all three)
#
# Exit status 1 if any target reports a crash, leak, timeout or failed property;
# the reproducer is left in the work directory and named in the log.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=60 cpu=0 build="$here/build/fuzz" work=""
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --cpu) cpu=1; shift ;;
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    fuzz_text|fuzz_onnx|fuzz_exec) targets+=("$1"); shift ;;
    *) echo "fuzz/run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
((${#targets[@]})) || targets=(fuzz_text fuzz_onnx fuzz_exec)
# Each fuzzer runs in the work directory: paths given relative to here must not
# change meaning there.
[[ $build = /* ]] || build="$PWD/$build"
work=${work:-$build/runs}
[[ $work = /* ]] || work="$PWD/$work"
models=${NNREWRITE_MODELS_DIR:-$here/../shared/models}
mkdir -p "$work"

seed() {  # seed <corpus dir> <glob...>: copy the seeds that exist
  local dir=$1; shift
  mkdir -p "$dir"
  local f
  for f in "$@"; do [[ -f $f ]] && cp -n "$f" "$dir/" || true; done
}

status=0
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  if [[ ! -x $bin ]]; then
    echo "fuzz/run.sh: $bin is missing: build it with 'cmake --preset fuzz && cmake --build --preset fuzz'" >&2
    exit 2
  fi
  corpus="$work/corpus-$t"
  case "$t" in
    # Small models only: a mutated 400 kB model takes seconds per run under ASan.
    fuzz_onnx) seed "$corpus" $(find "$here"/fuzz/seeds "$here"/tests/bad_inputs "$here"/models "$models" -maxdepth 1 -name '*.onnx' -size -64k 2>/dev/null) ;;
    *) seed "$corpus" "$here"/tests/golden/*.nnr "$here"/tests/bad_inputs/*.nnr ;;
  esac
  log="$work/$t.log"
  # libFuzzer's own wall-time limit; with --cpu a generous one, and a watchdog
  # interrupts the fuzzer (it then prints its final statistics) at the CPU budget.
  wall=$seconds; ((cpu)) && wall=$((seconds * 20))
  echo "== $t: $((cpu ? seconds : wall)) s of $( ((cpu)) && echo CPU || echo wall) time, corpus $corpus ($(ls "$corpus" | wc -l) inputs)"
  start=$(date +%s)
  # A run `nice`d beside other work may wait for a core: a longer per-input timeout.
  timeout=30; ((cpu)) && timeout=300
  (cd "$work" && exec "$bin" -max_total_time="$wall" -rss_limit_mb=2048 -timeout="$timeout" -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$work/$t-" "$corpus") >"$log" 2>&1 &
  pid=$!
  if ((cpu)); then
    tck=$(getconf CLK_TCK)
    while kill -0 "$pid" 2>/dev/null; do
      read -r -a st <"/proc/$pid/stat" 2>/dev/null || break
      # fields 14 and 15 (utime, stime) after a comm without spaces
      if (( (st[13] + st[14]) / tck >= seconds )); then kill -INT "$pid"; break; fi
      sleep 5
    done
  fi
  rc=0; wait "$pid" || rc=$?
  # libFuzzer exits 0 at its time limit; an interrupt (the CPU watchdog) gives
  # 72 (SIGINT's code) with "run interrupted" - both are a clean end.
  if ((rc != 0)) && ! grep -q 'libFuzzer: run interrupted' "$log"; then
    echo "!! $t failed (exit $rc); log: $log" >&2
    grep -E '^==[0-9]+==ERROR|^SUMMARY|Test unit written|property' "$log" | head -20 >&2 || true
    status=1
  fi
  grep -E '^(#[0-9]+\s+(DONE|INITED)|stat::)' "$log" | sed 's/^/   /' || true
  echo "   wall $(( $(date +%s) - start )) s"
done
exit $status
