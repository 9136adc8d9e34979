#!/usr/bin/env bats
# Fuzzing: the config.json parser (spec-fuzz) and the seccomp translation
# (seccomp-fuzz) under libFuzzer, ASan and UBSan, through scripts/fuzz.sh
# (which builds them with clang in _fuzz). The seed corpus, regression
# inputs of past findings included, must run clean; then a short bounded run
# must find nothing. FUZZ_SECONDS sets the length of that run (default 20 s
# per target; the targets run side by side).

load helpers

FUZZ=$BATS_TEST_DIRNAME/../scripts/fuzz.sh

setup() {
  local why
  why=$(bash "$FUZZ" --check 2>&1) || skip "${why:-no clang with libFuzzer}"
}

@test "fuzz: the seed corpus runs clean under ASan and UBSan" {
  run bash "$FUZZ" 0
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output == *"spec-fuzz: no finding"* ]]
  [[ $output == *"seccomp-fuzz: no finding"* ]]
}

@test "fuzz: a bounded run of spec-fuzz and seccomp-fuzz finds nothing" {
  run bash "$FUZZ" "${FUZZ_SECONDS:-20}"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output != *FINDING* ]]
}
