#!/usr/bin/env bats
# Errors: bad configs, bad command lines, logging. Exit statuses are checked
# for every runtime; ctr-run's own message format only for ctr-run.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# no_state_left: the state root lists no container.
no_state_left() {
  local out
  out=$(rt list -q) || return
  [ -z "$out" ] || { echo "containers left: $out" >&2; return 1; }
}

# procs_marked MARK: pids of processes started with CTR_TEST_MARK=MARK in
# their environment (the runtime and anything it forked without exec).
procs_marked() {
  grep -lsz -- "^CTR_TEST_MARK=$1\$" /proc/[0-9]*/environ | cut -d/ -f3 || true
}

# create_fails: create $ID from $B, expected to fail; keeps $stderr.
create_fails() {
  run --separate-stderr rt create --bundle "$B" "$@" "$ID"
  echo "status=$status stderr=$stderr"
  [ "$status" -ne 0 ]
}

@test "config.json that is not JSON is refused" {
  make_bundle "$B"
  echo '{ "ociVersion": "1.0.2", not json' >"$B/config.json"
  create_fails
  if is_ctr_run; then [[ "$stderr" == *config.json* ]]; fi
  no_state_left
}

@test "a missing config.json is refused" {
  make_bundle "$B"
  rm "$B/config.json"
  create_fails
  [[ "$stderr" == *config.json* ]]
  no_state_left
}

@test "a missing bundle directory is refused" {
  B=$BATS_TEST_TMPDIR/no-such-bundle
  create_fails
  no_state_left
}

@test "process.args of the wrong type is refused" {
  make_bundle "$B"
  cfg "$B" '.process.args = "sh -c true"'
  create_fails
  if is_ctr_run; then [[ "$stderr" == *process.args* ]]; fi
  no_state_left
}

@test "a config without process is refused by create" {
  make_bundle "$B"
  cfg "$B" 'del(.process)'
  create_fails
  no_state_left
}

@test "a missing rootfs is refused" {
  make_bundle "$B"
  cfg "$B" '.root.path = "no-such-rootfs"'
  create_fails
  [[ "$stderr" == *no-such-rootfs* ]]
  no_state_left
}

@test "a missing executable fails create, names it, leaves no state and no process" {
  make_bundle "$B" /nonexistent
  cfg "$B" '.linux.cgroupsPath = $p' --arg p "/ctrtest-$ID"
  CTR_TEST_MARK=$ID create_fails
  [[ "$stderr" == */nonexistent* ]]
  no_state_left
  [ -z "$(procs_marked "$ID")" ]
  # nothing is left in the container's cgroup either
  for procs in /sys/fs/cgroup/*/ctrtest-"$ID"/cgroup.procs /sys/fs/cgroup/ctrtest-"$ID"/cgroup.procs; do
    [ ! -e "$procs" ] || [ -z "$(cat "$procs")" ]
  done
}

@test "a missing executable fails run with a non-zero status" {
  make_bundle "$B" /nonexistent
  run --separate-stderr rt run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$stderr" == */nonexistent* ]]
  no_state_left
}

@test "a non-executable file as process fails create" {
  make_bundle "$B" /etc/passwd
  create_fails
  [[ "$stderr" == */etc/passwd* ]]
  no_state_left
}

@test "a cwd that is a file fails create and names it" {
  make_bundle "$B"
  cfg "$B" '.process.cwd = "/etc/passwd"'
  create_fails
  [[ "$stderr" == */etc/passwd* ]]
  no_state_left
}

@test "a relative cwd is refused" {
  make_bundle "$B"
  cfg "$B" '.process.cwd = "relative/dir"'
  create_fails
  no_state_left
}

@test "ctr-run refuses linux.intelRdt and names it" {
  require_ctr_run "runc accepts intelRdt and fails later or not at all"
  make_bundle "$B"
  cfg "$B" '.linux.intelRdt = {"closID": "test", "l3CacheSchema": "L3:0=ff"}'
  create_fails
  [[ "$stderr" == *intelRdt* ]]
  no_state_left
}

@test "invalid container IDs are refused and never escape the state root" {
  make_bundle "$B"
  mkdir -p "$STATE"
  for bad in ../escape a/b .. ''; do
    run rt create --bundle "$B" "$bad"
    echo "'$bad' -> $status"
    [ "$status" -ne 0 ]
  done
  [ ! -e "$BATS_TEST_TMPDIR/escape" ]
  no_state_left
}

@test "--log --log-format json: errors are JSON lines with level, msg, time" {
  log=$BATS_TEST_TMPDIR/log.json
  run rt --log "$log" --log-format json start no-such-container
  [ "$status" -ne 0 ]
  cat "$log"
  # every line is a JSON object and at least one is the error
  jq -se 'length > 0 and all(type == "object")' "$log"
  jq -se 'map(select(.level == "error")) | length > 0 and
          all(has("msg") and has("time") and (.msg | type == "string" and length > 0))' "$log"
}

@test "--log: the text format has level=error and msg=" {
  log=$BATS_TEST_TMPDIR/log.txt
  run rt --log "$log" --log-format text start no-such-container
  [ "$status" -ne 0 ]
  cat "$log"
  grep -E 'level=error' "$log" | grep -E 'msg=' | grep -q 'time='
}

@test "--log appends to an existing file" {
  log=$BATS_TEST_TMPDIR/log.json
  echo '{"level":"info","msg":"earlier line","time":"2020-01-01T00:00:00Z"}' >"$log"
  run rt --log "$log" --log-format json state no-such-container
  [ "$status" -ne 0 ]
  [ "$(head -1 "$log" | jq -r .msg)" = "earlier line" ]
  jq -se 'map(select(.level == "error")) | length > 0' "$log"
}

@test "--debug adds debug entries to the log" {
  make_bundle "$B" true
  log=$BATS_TEST_TMPDIR/log.json
  run rt --debug --log "$log" --log-format json run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  jq -se 'map(select(.level == "debug")) | length > 0' "$log"
  # without --debug there are none
  log2=$BATS_TEST_TMPDIR/log2.json
  run rt --log "$log2" --log-format json run --bundle "$B" "$ID-2"
  [ "$status" -eq 0 ]
  [ ! -s "$log2" ] || jq -se 'map(select(.level == "debug")) | length == 0' "$log2"
}

@test "--version prints the version and the spec version" {
  run rt --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *version* ]]
  printf '%s\n' "${lines[@]}" | grep -qE '^spec: 1\.'
}

@test "ctr-run --version starts with 'ctr-run version'" {
  require_ctr_run "version line format"
  run rt --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "ctr-run version "* ]]
  printf '%s\n' "${lines[@]}" | grep -qE '^spec: 1\.'
}

@test "an unknown flag or command fails" {
  run rt --no-such-flag list
  [ "$status" -ne 0 ]
  run rt no-such-command
  [ "$status" -ne 0 ]
  run rt create --no-such-flag "$ID"
  [ "$status" -ne 0 ]
  no_state_left
}

@test "ctr-run usage errors exit with status 2" {
  require_ctr_run "usage errors exit 2"
  run rt --no-such-flag list
  [ "$status" -eq 2 ]
  run rt no-such-command
  [ "$status" -eq 2 ]
  run rt create --no-such-flag "$ID"
  [ "$status" -eq 2 ]
  run rt start
  [ "$status" -eq 2 ]
  run rt kill
  [ "$status" -eq 2 ]
  # Usage errors follow the one-line error contract too.
  run --separate-stderr rt create
  [ "$status" -eq 2 ]
  [[ "$stderr" == "ctr-run: error: "* ]]
  [ "${#stderr_lines[@]}" -eq 1 ]
}

@test "ctr-run errors are one line on stderr: 'ctr-run: error: '" {
  require_ctr_run "error message format"
  run --separate-stderr rt state no-such-container
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "${stderr_lines[0]}" == "ctr-run: error: "*no-such-container* ]]

  make_bundle "$B"
  echo 'not json' >"$B/config.json"
  run --separate-stderr rt create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "${stderr_lines[0]}" == "ctr-run: error: "*config.json* ]]

  make_bundle "$B" /nonexistent
  run --separate-stderr rt run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "${stderr_lines[0]}" == "ctr-run: error: "*/nonexistent* ]]
}

@test "errors from state of an unknown container print nothing on stdout" {
  run --separate-stderr rt state no-such-container
  [ "$status" -ne 0 ]
  [ -z "$output" ]
  [ -n "$stderr" ]
}

@test "a command line error names the unknown command and reaches the --log file" {
  require_ctr_run "message text"
  run --separate-stderr rt --log "$BATS_TEST_TMPDIR/log.json" --log-format json checkpoint --image-path x "$ID"
  [ "$status" -eq 2 ]
  [ "$stderr" = 'ctr-run: error: unknown command "checkpoint" (see --help)' ]
  [ "$(jq -r 'select(.level == "error") | .msg' "$BATS_TEST_TMPDIR/log.json")" = 'unknown command "checkpoint" (see --help)' ]
}
