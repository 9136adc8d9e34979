#!/usr/bin/env bash
# Fuzzes the config.json parser (spec-fuzz) and the seccomp translation
# (seccomp-fuzz) with libFuzzer, ASan and UBSan for a bounded time each.
# Builds the targets (clang) in _fuzz, set up on first use, and runs them at
# the same time, each on a copy of its seed corpus (tests/fuzz/corpus/TARGET)
# in a temporary directory, so the committed corpus never grows.
#
#   scripts/fuzz.sh [SECONDS]   fuzz each target SECONDS (default $FUZZ_SECONDS, else 30);
#                               0 runs the seed corpus once, as a regression test
#   scripts/fuzz.sh --check     exit 0 when clang can build libFuzzer targets here
#
# Environment: FUZZ_SECONDS, FUZZ_TARGETS (default "spec seccomp"), FUZZ_DIR
# (build dir, default _fuzz), FUZZ_KEEP=1 keeps the temporary directory
# (with the grown corpus) even when nothing is found.
#
# Exit status: 0 nothing found; 1 a finding (crash, sanitizer report, leak,
# uncaught exception, timeout, out of memory): its reproducer is kept and
# printed; 2 the build or the setup failed; 3 no clang with libFuzzer.
set -uo pipefail
cd "$(dirname "$0")/.."

dir=${FUZZ_DIR:-_fuzz}
targets=${FUZZ_TARGETS:-spec seccomp}
seconds=${FUZZ_SECONDS:-30}

# check_toolchain: clang++ links a libFuzzer target with ASan and UBSan.
check_toolchain() {
  local t rc
  command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (apt-get install clang)"; return 1; }
  command -v meson >/dev/null && command -v ninja >/dev/null || { echo "fuzz: meson or ninja not found"; return 1; }
  t=$(mktemp -d)
  printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
    'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' >"$t/t.cpp"
  clang++ -fsanitize=fuzzer,address,undefined "$t/t.cpp" -o "$t/t" 2>"$t/err"
  rc=$?
  [ $rc -eq 0 ] || echo "fuzz: clang++ cannot link a libFuzzer target (apt-get install libclang-rt-14-dev): $(head -c 300 "$t/err")"
  rm -rf "$t"
  return $rc
}

case ${1:-} in
  --check) check_toolchain; exit ;;
  -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) seconds=$1 ;;
esac
case $seconds in
  '' | *[!0-9]*) echo "fuzz: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac
check_toolchain >&2 || exit 3

# Readable stacks: the sanitizers look for llvm-symbolizer in PATH.
if ! command -v llvm-symbolizer >/dev/null; then
  for s in /usr/lib/llvm-*/bin/llvm-symbolizer; do
    [ -x "$s" ] && export ASAN_SYMBOLIZER_PATH=$s
  done
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Build (configure once; ninja reconfigures itself when meson files change).
log=$(mktemp)
start=$SECONDS
if [ ! -f "$dir/build.ninja" ]; then
  CXX=clang++ meson setup "$dir" -Dfuzz=true -Dbuildtype=plain -Dman=disabled >"$log" 2>&1 ||
    { cat "$log" >&2; rm -f "$log"; echo "fuzz: meson setup $dir failed" >&2; exit 2; }
fi
bins=()
for t in $targets; do bins+=("tests/fuzz/$t-fuzz"); done
ninja -C "$dir" "${bins[@]}" >"$log" 2>&1 ||
  { grep -v '^\[' "$log" | tail -40 >&2; rm -f "$log"; echo "fuzz: build in $dir failed" >&2; exit 2; }
rm -f "$log"
echo "fuzz: built ${bins[*]} in $dir ($((SECONDS - start)) s)"

# Inputs are config.json documents; the largest seed is ~5 KB.
max_len() { case $1 in spec) echo 8192 ;; *) echo 4096 ;; esac; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ctr-fuzz.XXXXXX")
failed=0
start=$SECONDS

# report LOG: what went wrong, from the first sanitizer/libFuzzer/terminate
# line on, without the progress lines.
report() {
  awk '/^==[0-9]+==|^terminate called|ERROR: libFuzzer|runtime error:|^ALARM|^SUMMARY|^[a-z]+-fuzz: / { on = 1 }
       on && !/^#[0-9]+\t/' "$1" | cut -c1-300 | head -80
}

rerun_hint() { # TARGET FILE
  case $(basename "$2") in
    leak-*) echo "fuzz:   rerun with: ASAN_OPTIONS=fast_unwind_on_malloc=0 $dir/tests/fuzz/$1-fuzz $2  (full allocation stacks)" ;;
    *) echo "fuzz:   rerun with: $dir/tests/fuzz/$1-fuzz $2" ;;
  esac
}

if [ "$seconds" -eq 0 ]; then
  # Every seed on its own, so that each failing one (regress-* inputs of
  # past findings among them) is named, not only the first.
  for t in $targets; do
    n=0 bad=0
    for f in tests/fuzz/corpus/"$t"/*; do
      n=$((n + 1))
      "$dir/tests/fuzz/$t-fuzz" -timeout=10 -rss_limit_mb=2048 "$f" >"$work/log" 2>&1 && continue
      bad=$((bad + 1))
      echo "fuzz: $t-fuzz: FINDING on seed $f"
      report "$work/log"
      echo "fuzz: reproducer: $f"
      rerun_hint "$t" "$f"
    done
    if [ $bad -eq 0 ]; then
      echo "fuzz: $t-fuzz: no finding ($n seeds)"
    else
      echo "fuzz: $t-fuzz: $bad of $n seeds fail"
      failed=1
    fi
  done
  echo "fuzz: ran the seed corpus of ${targets// /, } ($((SECONDS - start)) s)"
  rm -rf "$work"
  exit $failed
fi

# Both targets at once, each on a copy of its corpus (new inputs go there).
pids=()
for t in $targets; do
  mkdir -p "$work/$t/corpus" "$work/$t/crashes"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/corpus/"
  "$dir/tests/fuzz/$t-fuzz" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
    -rss_limit_mb=2048 -dict=tests/fuzz/spec.dict -artifact_prefix="$work/$t/crashes/" \
    -print_final_stats=1 "$work/$t/corpus" >"$work/$t/log" 2>&1 &
  pids+=($!)
done

i=0
for t in $targets; do
  wait "${pids[$i]}"
  rc=$?
  i=$((i + 1))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log")
  cov=$(grep -o 'cov: [0-9]*' "$work/$t/log" | tail -1)
  artifacts=$(find "$work/$t/crashes" -type f | sort)
  if [ $rc -eq 0 ] && [ -z "$artifacts" ]; then
    echo "fuzz: $t-fuzz: no finding (${runs:-?} runs, ${cov:-cov: ?}, corpus $(ls "$work/$t/corpus" | wc -l) inputs)"
    continue
  fi
  failed=1
  echo "fuzz: $t-fuzz: FINDING (exit $rc)"
  report "$work/$t/log"
  for a in $artifacts; do
    echo "fuzz: reproducer: $a"
    rerun_hint "$t" "$a"
  done
  [ -n "$artifacts" ] || { echo "fuzz: no reproducer written; log:"; tail -30 "$work/$t/log"; }
done
echo "fuzz: ran ${targets// /, } for ${seconds} s each ($((SECONDS - start)) s)"

if [ $failed -ne 0 ]; then
  echo "fuzz: kept $work (logs, reproducers, grown corpus)"
  exit 1
fi
if [ "${FUZZ_KEEP:-}" = 1 ]; then
  echo "fuzz: kept $work; new seeds worth keeping: $dir/tests/fuzz/TARGET-fuzz -merge=1 tests/fuzz/corpus/TARGET $work/TARGET/corpus"
else
  rm -rf "$work"
fi
exit 0
