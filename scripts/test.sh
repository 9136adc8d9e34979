#!/usr/bin/env bash
# Second command of the README: every test. doctest unit tests run through
# `meson test`, bats integration tests from tests/. The last line sums both:
# "N passed, N failed, N skipped"; the exit status is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
bash scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 skipped=0

# Integration tests skip when a tool is missing; a tool the build did not
# produce is a failure here, not a skip.
for tool in runtime/ctr-run registry/ctr-pull registry/ctr-push image/tool/ctr-image image/layer/ctr-layer; do
  if [ ! -x "_build/$tool" ]; then
    echo "not built: _build/$tool"
    failed=$((failed + 1))
  fi
done

echo "== unit tests (meson test)"
meson test -C _build --print-errorlogs >/dev/null
unit_rc=$?
# Each unit-test binary prints doctest's summary; a binary that died prints none.
summaries=$(grep -h '^\[doctest\] test cases:' _build/meson-logs/testlog.txt || true)
binaries=$(meson test -C _build --list --no-rebuild 2>/dev/null | grep -vc "^ninja")
while read -r line; do
  [ -n "$line" ] || continue
  p=$(sed -E 's/.*\| *([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.*\| *([0-9]+) failed.*/\1/' <<<"$line")
  s=$(sed -E 's/.*\| *([0-9]+) skipped.*/\1/' <<<"$line")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done <<<"$summaries"
reported=$(grep -c . <<<"$summaries")
if [ "$reported" -lt "$binaries" ]; then
  failed=$((failed + binaries - reported))
fi
[ $unit_rc -eq 0 ] || [ $failed -gt 0 ] || failed=$((failed + 1))
echo "unit: $passed passed, $failed failed, $skipped skipped"

echo "== integration tests (bats)"
tap=$(mktemp)
bats --tap tests/ | tee "$tap"
while read -r line; do
  case "$line" in
    "not ok "*) failed=$((failed + 1)) ;;
    "ok "*"# skip"*) skipped=$((skipped + 1)) ;;
    "ok "*) passed=$((passed + 1)) ;;
  esac
done <"$tap"
rm -f "$tap"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
