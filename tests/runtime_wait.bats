#!/usr/bin/env bats
# `run --detach` keeps the exit status (a ctr-run extension): a monitor
# process reaps init and records it for `wait` and `state`.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  require_ctr_run "wait and the run --detach monitor are ctr-run extensions"
}
teardown() { common_teardown; }

# run_detached ID: run -d from bundle $B, stdio to files.
run_detached() {
  rt run -d --bundle "$B" "$1" </dev/null >"$BATS_TEST_TMPDIR/$1.out" 2>"$BATS_TEST_TMPDIR/$1.err" || {
    cat "$BATS_TEST_TMPDIR/$1.err" >&2
    return 1
  }
}

monitor_pid() { jq -r '.monitor.pid // empty' "$STATE/$1/state.json"; }

@test "wait prints the exit status of a run --detach container; state shows it" {
  make_bundle "$B" sh -c 'exit 5'
  run_detached "$ID"
  run rt wait "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = 5 ]
  [ "$(rt state "$ID" | jq -c '[.status, .exitStatus]')" = '["stopped",5]' ]
  # Asked again, the answer is the same.
  run rt wait "$ID"
  [ "$output" = 5 ]
  rt delete "$ID"
  [ ! -e "$STATE/$ID" ]
}

@test "wait blocks until the container exits; a signal death is 128+N" {
  make_bundle "$B" sleep 600
  run_detached "$ID"
  [ "$(ct_status "$ID")" = running ]
  [ "$(rt state "$ID" | jq '.exitStatus')" = null ]
  rt wait "$ID" >"$BATS_TEST_TMPDIR/wait.out" &
  local waiter=$!
  bg_track "$waiter"
  rt kill "$ID" KILL
  wait "$waiter"
  [ "$(cat "$BATS_TEST_TMPDIR/wait.out")" = 137 ]
}

@test "the monitor leaves the caller's session and stdio and exits with the container" {
  make_bundle "$B" sleep 600
  run_detached "$ID"
  local mon
  mon=$(monitor_pid "$ID")
  [ -n "$mon" ]
  [ "$(cat "/proc/$mon/comm")" = ctr-run-monitor ]
  [ "$(readlink "/proc/$mon/fd/1")" = /dev/null ]
  [ "$(ls "/proc/$mon/fd" | wc -l)" -eq 3 ]
  [ "$(ps -o sid= -p "$mon" | tr -d ' ')" = "$mon" ]
  # It is init's parent, so init's status is its to collect.
  [ "$(ps -o ppid= -p "$(ct_pid "$ID")" | tr -d ' ')" = "$mon" ]
  rt delete --force "$ID"
  ! kill -0 "$mon" 2>/dev/null
  [ ! -e "$STATE/$ID" ]
}

@test "run --detach that fails reports why and leaves no monitor or state" {
  make_bundle "$B" /no/such/program
  run --separate-stderr rt run -d --bundle "$B" "$ID" </dev/null
  [ "$status" -eq 1 ]
  [[ $stderr == *"/no/such/program: No such file or directory"* ]]
  [ ! -e "$STATE/$ID" ]
  run pgrep -f "ctr-run --root $STATE run -d"
  [ "$status" -eq 1 ]
}

@test "wait on a container made by create/start says its status is not kept" {
  make_bundle "$B" true
  ct_create "$ID"
  rt start "$ID"
  run --separate-stderr rt wait "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = "ctr-run: error: container \"$ID\" has stopped; its exit status went to its parent process (only \`run --detach\` keeps it)" ]
  run --separate-stderr rt wait nosuch
  [ "$status" -eq 1 ]
  [ "$stderr" = 'ctr-run: error: container "nosuch" does not exist' ]
}
