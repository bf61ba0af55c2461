#!/usr/bin/env bash
# expect.sh RC REGEX COMMAND...: runs COMMAND (in this script's working directory)
# with a time limit and checks that it exits with RC and that its standard error
# ends in exactly one line "nnrewrite: error: ..." matching REGEX (for RC 1), or
# just RC and REGEX somewhere in its output (for RC 0). Prints what it saw.
set -u
rc_expected=$1 regex=$2
shift 2
out=$(timeout 60 "$@" 2>/tmp/nnrewrite-expect.$$ </dev/null)
rc=$?
err=$(cat /tmp/nnrewrite-expect.$$)
rm -f /tmp/nnrewrite-expect.$$
printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$rc" "$out" "$err"
if [ "$rc" != "$rc_expected" ]; then echo "FAIL: expected exit $rc_expected"; exit 1; fi
if [ "$rc_expected" = 1 ]; then
  errors=$(printf '%s\n' "$err" | grep -c '^nnrewrite: error: ')
  if [ "$errors" != 1 ] || [ "$(printf '%s\n' "$err" | tail -n 1 | grep -c '^nnrewrite: error: ')" != 1 ]; then
    echo "FAIL: expected one error line, last"; exit 1
  fi
  if ! printf '%s\n' "$err" | tail -n 1 | grep -Eq -- "$regex"; then echo "FAIL: error does not match: $regex"; exit 1; fi
  # (file names here contain words like stoll: look for the library's phrasing only)
  if printf '%s\n' "$err" | grep -Eq 'std::|basic_filebuf|: stoll|: bad_alloc|internal error'; then echo "FAIL: library-internal text"; exit 1; fi
else
  if ! printf '%s\n%s\n' "$out" "$err" | grep -Eq -- "$regex"; then echo "FAIL: output does not match: $regex"; exit 1; fi
fi
echo PASS
