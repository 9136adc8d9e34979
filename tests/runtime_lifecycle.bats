#!/usr/bin/env bats
# Container lifecycle: spec, create, start, state, list, kill, delete, run.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "spec writes a runc-compatible config.json" {
  mkdir -p "$B"
  run rt spec --bundle "$B"
  [ "$status" -eq 0 ]
  [ -f "$B/config.json" ]
  jq -e '.ociVersion | startswith("1.")' "$B/config.json"
  jq -e '.process.terminal == true and .process.args == ["sh"]' "$B/config.json"
  jq -e '.root.path == "rootfs"' "$B/config.json"
  jq -e '[.linux.namespaces[].type] | index("pid") != null and index("mount") != null' "$B/config.json"
  jq -e '[.mounts[].destination] | index("/proc") != null and index("/dev") != null' "$B/config.json"
}

@test "spec without --bundle writes to the current directory" {
  mkdir -p "$B"
  cd "$B"
  run rt spec
  [ "$status" -eq 0 ]
  jq -e .process "$B/config.json"
}

@test "spec refuses to overwrite an existing config.json" {
  mkdir -p "$B"
  echo '{"keep":"me"}' >"$B/config.json"
  run rt spec --bundle "$B"
  [ "$status" -ne 0 ]
  [ "$(jq -r .keep "$B/config.json")" = me ]
}

@test "spec --rootless maps the current user" {
  mkdir -p "$B"
  run rt spec --rootless --bundle "$B"
  [ "$status" -eq 0 ]
  jq -e '[.linux.namespaces[].type] | index("user") != null' "$B/config.json"
  jq -e '.linux.uidMappings[0].hostID == '"$(id -u)"' and .linux.uidMappings[0].size == 1' "$B/config.json"
}

@test "create: state is created, pid > 0, pid file matches" {
  make_bundle "$B" sleep 100
  ct_create "$ID" --pid-file "$BATS_TEST_TMPDIR/pid"
  run rt state "$ID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg id "$ID" '.id == $id and .status == "created" and .pid > 0'
  echo "$output" | jq -e --arg b "$B" '.bundle == $b and (.rootfs | endswith("rootfs"))'
  echo "$output" | jq -e '.ociVersion | startswith("1.")'
  echo "$output" | jq -e 'has("created") and has("owner")'
  pid=$(echo "$output" | jq .pid)
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
  kill -0 "$pid"
  [ -d "$STATE/$ID" ]
}

@test "create does not run the process before start" {
  make_bundle "$B" sh -c 'echo started > /tmp/marker'
  cfg "$B" '.root.readonly = false'
  ct_create "$ID"
  [ "$(ct_status "$ID")" = created ]
  [ ! -e "$B/rootfs/tmp/marker" ]
  rt start "$ID"
  wait_for_file "$B/rootfs/tmp/marker"
  [ "$(cat "$B/rootfs/tmp/marker")" = started ]
}

@test "start: created -> running, kill -> stopped, delete removes state" {
  make_bundle "$B" sleep 100
  ct_create "$ID"
  pid=$(ct_pid "$ID")
  run rt start "$ID"
  [ "$status" -eq 0 ]
  [ "$(ct_status "$ID")" = running ]
  [ "$(ct_pid "$ID")" = "$pid" ]
  # the init has become the user's process
  [ "$(readlink "/proc/$pid/exe")" = /bin/busybox ]
  run rt kill "$ID" KILL
  [ "$status" -eq 0 ]
  wait_for_status "$ID" stopped
  run rt delete "$ID"
  [ "$status" -eq 0 ]
  [ ! -e "$STATE/$ID" ]
  run rt state "$ID"
  [ "$status" -ne 0 ]
}

@test "kill without a signal sends SIGTERM" {
  make_bundle "$B" sh -c 'trap "echo got-term; exit 0" TERM; sleep 100 & wait'
  ct_start_running "$ID"
  run rt kill "$ID"
  [ "$status" -eq 0 ]
  wait_for_status "$ID" stopped
  grep -q got-term "$BATS_TEST_TMPDIR/$ID.out"
}

@test "kill accepts signal names with and without SIG, and numbers" {
  make_bundle "$B" sh -c 'trap "echo got-usr1" USR1; trap "echo got-hup" HUP; trap "echo got-int; exit 0" INT; while :; do sleep 100 & wait; done'
  ct_start_running "$ID"
  out=$BATS_TEST_TMPDIR/$ID.out
  rt kill "$ID" USR1
  wait_for_file "$out"
  rt kill "$ID" SIGHUP
  wait_for_grep got-hup "$out"
  rt kill "$ID" 2
  wait_for_status "$ID" stopped
  run cat "$out"
  [ "${lines[0]}" = got-usr1 ]
  [ "${lines[1]}" = got-hup ]
  [ "${lines[2]}" = got-int ]
}

@test "kill with KILL, SIGKILL and 9 stops the container" {
  make_bundle "$B" sleep 100
  for sig in KILL SIGKILL 9; do
    ct_start_running "$ID-$sig"
    run rt kill "$ID-$sig" "$sig"
    [ "$status" -eq 0 ]
    wait_for_status "$ID-$sig" stopped
  done
}

@test "kill with an unknown signal fails" {
  make_bundle "$B" sleep 100
  ct_start_running "$ID"
  run rt kill "$ID" NOSUCHSIG
  [ "$status" -ne 0 ]
  [ "$(ct_status "$ID")" = running ]
}

@test "kill --all signals every process of the container" {
  # Without a handler, init (pid 1 of its namespace) ignores TERM from
  # outside; only its child, reached through --all, dies of it.
  make_bundle "$B" sh -c 'sleep 100 & wait $!; echo "child-exit:$?"; exec sleep 100'
  ct_start_running "$ID"
  run rt kill --all "$ID" TERM
  [ "$status" -eq 0 ]
  wait_for_file "$BATS_TEST_TMPDIR/$ID.out"
  [ "$(cat "$BATS_TEST_TMPDIR/$ID.out")" = "child-exit:143" ]
  [ "$(ct_status "$ID")" = running ]
  rt kill --all "$ID" KILL
  wait_for_status "$ID" stopped
}

@test "state follows the real process: a short-lived process becomes stopped" {
  make_bundle "$B" true
  ct_create "$ID"
  rt start "$ID"
  wait_for_status "$ID" stopped
}

@test "state is stopped after the init is killed directly" {
  make_bundle "$B" sleep 100
  ct_start_running "$ID"
  pid=$(ct_pid "$ID")
  kill -9 "$pid"
  wait_for_status "$ID" stopped
}

@test "state is stopped when the init is killed before start" {
  make_bundle "$B" sleep 100
  ct_create "$ID"
  kill -9 "$(ct_pid "$ID")"
  wait_for_status "$ID" stopped
  run rt start "$ID"
  [ "$status" -ne 0 ]
}

@test "start twice fails" {
  make_bundle "$B" sleep 100
  ct_create "$ID"
  rt start "$ID"
  run rt start "$ID"
  [ "$status" -ne 0 ]
  [ "$(ct_status "$ID")" = running ]
}

@test "start of a stopped container fails" {
  make_bundle "$B" true
  ct_create "$ID"
  rt start "$ID"
  wait_for_status "$ID" stopped
  run rt start "$ID"
  [ "$status" -ne 0 ]
}

@test "delete of a running container fails without --force" {
  make_bundle "$B" sleep 100
  ct_start_running "$ID"
  pid=$(ct_pid "$ID")
  run rt delete "$ID"
  [ "$status" -ne 0 ]
  [ "$(ct_status "$ID")" = running ]
  run rt delete --force "$ID"
  [ "$status" -eq 0 ]
  [ ! -e "$STATE/$ID" ]
  wait_for_exit "$pid"
  run rt state "$ID"
  [ "$status" -ne 0 ]
}

@test "delete of a created container: --force kills the waiting init" {
  make_bundle "$B" sleep 100
  ct_create "$ID"
  pid=$(ct_pid "$ID")
  run rt delete --force "$ID"
  [ "$status" -eq 0 ]
  wait_for_exit "$pid"
  run rt list -q
  [ -z "$output" ]
}

@test "delete removes the container's cgroup" {
  make_bundle "$B" sleep 100
  cfg "$B" '.linux.cgroupsPath = $p' --arg p "/ctrtest-$ID"
  ct_start_running "$ID"
  found=0
  for d in /sys/fs/cgroup/*/ctrtest-"$ID" /sys/fs/cgroup/ctrtest-"$ID"; do
    [ -d "$d" ] && found=1
  done
  [ "$found" -eq 1 ]
  rt delete --force "$ID"
  for d in /sys/fs/cgroup/*/ctrtest-"$ID" /sys/fs/cgroup/ctrtest-"$ID"; do
    [ ! -d "$d" ]
  done
}

@test "create with a duplicate ID fails and leaves the first container alone" {
  make_bundle "$B" sleep 100
  ct_create "$ID"
  pid=$(ct_pid "$ID")
  run rt create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [ "$(ct_pid "$ID")" = "$pid" ]
  [ "$(ct_status "$ID")" = created ]
}

@test "state, start, kill and delete of an unknown ID fail" {
  for cmd in state start kill delete; do
    run rt "$cmd" nosuch-container
    echo "$cmd -> $status"
    [ "$status" -ne 0 ]
  done
}

@test "list shows containers as table, json and -q" {
  make_bundle "$B" sleep 100
  ct_create "$ID-a"
  ct_start_running "$ID-b"
  run rt list
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == ID* ]]
  [[ "${lines[0]}" == *STATUS* ]]
  echo "$output" | grep -E "^$ID-a +[0-9]+ +created "
  echo "$output" | grep -E "^$ID-b +[0-9]+ +running "
  run rt list --format json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg id "$ID-a" '.[] | select(.id == $id) | .status == "created" and .pid > 0'
  echo "$output" | jq -e --arg id "$ID-b" --arg b "$B" '.[] | select(.id == $id) | .status == "running" and .bundle == $b'
  run rt list -q
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "$ID-a $ID-b " ]
}

@test "list of an empty root prints only the header" {
  run rt list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run rt list --format json
  [ "$status" -eq 0 ]
  # runc prints null for no containers; [] is as good
  echo "$output" | jq -e '. == null or . == []'
}

@test "run propagates stdout and stderr" {
  make_bundle "$B" sh -c 'echo to-stdout; echo to-stderr >&2'
  run --separate-stderr rt run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = to-stdout ]
  [[ "$stderr" == *to-stderr* ]]
}

@test "run passes stdin to the container" {
  make_bundle "$B" sh -c 'read line; echo "got:$line"'
  run rt run --bundle "$B" "$ID" <<<"from-stdin"
  [ "$status" -eq 0 ]
  [ "$output" = got:from-stdin ]
}

@test "run exits with the container's exit status" {
  make_bundle "$B" sh -c 'exit 3'
  run rt run --bundle "$B" "$ID"
  [ "$status" -eq 3 ]
  make_bundle "$B" false
  run rt run --bundle "$B" "$ID-2"
  [ "$status" -eq 1 ]
}

@test "run removes the container when it exits" {
  make_bundle "$B" true
  run rt run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  run rt list -q
  [ -z "$output" ]
  run rt state "$ID"
  [ "$status" -ne 0 ]
}

@test "run exits with 128+N when the container is killed by signal N" {
  make_bundle "$B" sleep 100
  rt run --bundle "$B" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
  runpid=$!
  bg_track $runpid
  wait_for_status "$ID" running
  rt kill "$ID" KILL
  rc=0
  wait $runpid || rc=$?
  [ "$rc" -eq 137 ]
}

@test "run uses the current directory as the bundle by default" {
  make_bundle "$B" echo from-cwd-bundle
  cd "$B"
  run rt run "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = from-cwd-bundle ]
}

@test "run --detach returns with the container running" {
  make_bundle "$B" sleep 100
  # the container inherits stdio: never a pipe that bats' `run` waits on
  rt run --detach --bundle "$B" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err"
  [ "$(ct_status "$ID")" = running ]
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(ct_pid "$ID")" ]
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
  run rt list -q
  [ -z "$output" ]
}

@test "run --detach: a process that exits becomes stopped" {
  make_bundle "$B" sh -c 'exit 5'
  rt run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  wait_for_status "$ID" stopped
}

@test "--root keeps containers of different roots apart" {
  make_bundle "$B" sleep 100
  ct_create "$ID"
  run timeout 10 "$RUNTIME" --root "$BATS_TEST_TMPDIR/other" list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run timeout 10 "$RUNTIME" --root "$BATS_TEST_TMPDIR/other" state "$ID"
  [ "$status" -ne 0 ]
  [ -d "$STATE/$ID" ]
}
