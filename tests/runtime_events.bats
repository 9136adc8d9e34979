#!/usr/bin/env bats
# events: resource usage as JSON lines from the container's cgroup (v1, v2
# or hybrid, whichever the host has), OOM kills as they happen.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# A container that waits for /tmp/go, then runs "$@".
start_waiting() {
  make_bundle "$B" sh -c 'while [ ! -e /tmp/go ]; do sleep 0.05; done; '"$*"'; sleep 600'
  cfg "$B" '.root.readonly = false | .linux.resources.memory.limit = 33554432'
  ct_start_running "$ID"
}

@test "events --stats prints one line of cpu, memory, pids and blkio usage" {
  start_waiting true
  run rt events --stats "$ID"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id'
  # sh and its sleep
  [ "$(echo "$output" | jq '.data.pids.current')" -ge 2 ]
  [ "$(echo "$output" | jq '.data.memory.usage.limit')" -eq 33554432 ]
  [ "$(echo "$output" | jq '.data.memory.usage.usage')" -gt 0 ]
  [ "$(echo "$output" | jq '.data.cpu.usage.total')" -gt 0 ]
  echo "$output" | jq -e '.data | has("blkio")'
}

@test "events --interval prints a line per interval and an oom line when the OOM killer acts" {
  start_waiting 'x=$(head -c 200000000 /dev/zero | tr "\0" a)'
  rt events --interval 100ms "$ID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
  bg_track $!
  wait_for_grep '"type":"stats"' "$BATS_TEST_TMPDIR/events"
  touch "$B/rootfs/tmp/go"
  wait_for_grep '"type":"oom"' "$BATS_TEST_TMPDIR/events" 10
  [ "$(grep -c '"type":"oom"' "$BATS_TEST_TMPDIR/events")" -ge 1 ]
  [ "$(grep -c '"type":"stats"' "$BATS_TEST_TMPDIR/events")" -ge 1 ]
}

@test "events ends when the container stops" {
  skip_if_runc "runc events keeps polling a stopped container"
  start_waiting true
  rt events --interval 50ms "$ID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
  local ev=$!
  bg_track "$ev"
  wait_for_grep '"type":"stats"' "$BATS_TEST_TMPDIR/events"
  rt kill "$ID" KILL
  local rc=0
  wait "$ev" || rc=$?
  [ "$rc" -eq 0 ]
}

@test "events refuses a bad interval and a stopped container" {
  require_ctr_run "message text"
  start_waiting true
  run --separate-stderr rt events --interval 5x "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = 'ctr-run: error: --interval: "5x" is not a duration like 5s, 500ms or 1m30s' ]
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  run --separate-stderr rt events --stats "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = "ctr-run: error: container \"$ID\" is not running" ]
}
