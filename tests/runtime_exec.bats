#!/usr/bin/env bats
# exec: one more process in a running container, in all its namespaces and
# its cgroup, with settings from flags or a process JSON.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  make_bundle "$B" sleep 600
  cfg "$B" '.root.readonly = false | .process.noNewPrivileges = false | .process.env += ["FROM_CONFIG=yes"]'
  ct_start_running "$ID"
}
teardown() { common_teardown; }

# ex ARGS...: `exec` with stdin from /dev/null unless the test gives one.
ex() { rt exec "$@" </dev/null; }

# exec_detached PIDFILE ARGS...: exec -d; the process's host pid in $xpid.
exec_detached() {
  local pidfile=$1
  shift
  rt exec -d --pid-file "$pidfile" "$ID" "$@" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/x.err" || {
    cat "$BATS_TEST_TMPDIR/x.err" >&2
    return 1
  }
  xpid=$(cat "$pidfile")
  [ -n "$xpid" ] && kill -0 "$xpid"
}

@test "exec joins every namespace, the root and the cgroup of the container's init" {
  exec_detached "$BATS_TEST_TMPDIR/x.pid" sleep 600
  local init ns
  init=$(ct_pid "$ID")
  for ns in mnt uts ipc net pid cgroup; do
    [ "$(readlink "/proc/$xpid/ns/$ns")" = "$(readlink "/proc/$init/ns/$ns")" ]
  done
  [ "$(readlink "/proc/$xpid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
  [ "$(stat -L -c %d:%i "/proc/$xpid/root/")" = "$(stat -L -c %d:%i "/proc/$init/root/")" ]
  diff "/proc/$init/cgroup" "/proc/$xpid/cgroup"
  # ps sees it, with the container's own pids inside.
  run rt ps --format json "$ID"
  [[ $output == *"$xpid"* ]]
  run ex "$ID" sh -c 'ps -o pid,args | grep -c "^ *[0-9]* sleep 600$"'
  [ "$output" = 2 ]
}

@test "exec returns the process's status and passes stdio through" {
  run --separate-stderr ex "$ID" sh -c 'echo out; echo err >&2; exit 7'
  [ "$status" -eq 7 ]
  [ "$output" = out ]
  [ "$stderr" = err ]
  run rt exec "$ID" sh -c 'tr a-z A-Z' <<<"piped in"
  [ "$status" -eq 0 ]
  [ "$output" = "PIPED IN" ]
  run ex "$ID" sh -c 'kill -TERM $$'
  [ "$status" -eq 143 ]
}

@test "exec flags: --env over the config's env, --cwd, --user, -g, --no-new-privs, --cap" {
  run ex --env FOO=bar --env FROM_CONFIG=over --cwd /tmp "$ID" sh -c 'echo $FOO $FROM_CONFIG; pwd'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "bar over" ]
  [ "${lines[1]}" = /tmp ]
  run ex "$ID" sh -c 'echo $FROM_CONFIG'
  [ "$output" = yes ]
  run ex --user 1000:1000 --additional-gids 10 --additional-gids 20 "$ID" id
  [ "$output" = "uid=1000(test) gid=1000(test) groups=10(wheel),20(uucp)" ]
  run ex --no-new-privs "$ID" grep NoNewPrivs /proc/self/status
  [[ $output == *1 ]]
  run ex "$ID" grep NoNewPrivs /proc/self/status
  [[ $output == *0 ]]
  # CAP_SYS_ADMIN (bit 21) is not in the default set; --cap adds it.
  run ex "$ID" sh -c 'grep CapEff /proc/self/status'
  [ $(( 0x${output##*[[:space:]]} >> 21 & 1 )) -eq 0 ]
  run ex --cap CAP_SYS_ADMIN "$ID" sh -c 'grep CapEff /proc/self/status'
  [ $(( 0x${output##*[[:space:]]} >> 21 & 1 )) -eq 1 ]
}

@test "exec --process takes the whole process from a JSON file or stdin" {
  cat >"$BATS_TEST_TMPDIR/p.json" <<'EOF'
{"args": ["sh", "-c", "echo $ONLY; pwd; id -u"], "env": ["ONLY=this", "PATH=/bin"],
 "cwd": "/home/test", "user": {"uid": 1000, "gid": 1000}}
EOF
  run ex --process "$BATS_TEST_TMPDIR/p.json" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "this /home/test 1000" ]
  skip_if_runc "runc has no --process - (stdin)"
  run rt exec --process - "$ID" <"$BATS_TEST_TMPDIR/p.json"
  [ "${lines[0]}" = this ]
}

@test "exec --detach --pid-file: the process runs on; delete --force takes it too" {
  exec_detached "$BATS_TEST_TMPDIR/x.pid" sleep 600
  grep -q '^sleep' "/proc/$xpid/cmdline"
  rt delete --force "$ID"
  wait_for_exit "$xpid"
}

@test "exec --tty in the foreground: ctr-run proxies a new pty" {
  skip_if_runc "runc needs its own stdin to be a terminal to proxy one"
  run ex --tty "$ID" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo ttys'
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == /dev/pts/* ]]
  [ "$(echo "${lines[1]}" | tr -d '\r')" = ttys ]
}

@test "exec --tty --detach sends the pty master to --console-socket" {
  start_receiver
  rt exec --tty --detach --console-socket "$SOCK" "$ID" sh -c 'echo via-socket; tty' </dev/null
  wait_receiver
  [ "${console_lines[0]}" = via-socket ]
  [[ ${console_lines[1]} == /dev/pts/* ]]
}

@test "exec --preserve-fds passes fds 3 and up" {
  timeout 30 "$RUNTIME" --root "$STATE" exec --preserve-fds 1 "$ID" sh -c 'echo kept >&3' \
    3>"$BATS_TEST_TMPDIR/fd3" </dev/null
  [ "$(cat "$BATS_TEST_TMPDIR/fd3")" = kept ]
  # Without it, fd 3 is closed in the process.
  run timeout 30 "$RUNTIME" --root "$STATE" exec "$ID" sh -c 'echo no >&3' 3>"$BATS_TEST_TMPDIR/fd3b" </dev/null
  [ "$status" -ne 0 ]
  [ ! -s "$BATS_TEST_TMPDIR/fd3b" ]
}

@test "a signal to exec in the foreground reaches the process" {
  rt exec "$ID" sh -c 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done' \
    </dev/null >"$BATS_TEST_TMPDIR/fg.out" 2>&1 &
  local fg=$!
  bg_track "$fg"
  wait_for_grep ready "$BATS_TEST_TMPDIR/fg.out"
  # rt is timeout(1) around the runtime: signal the runtime itself.
  kill -TERM "$(pgrep -P "$fg")"
  local rc=0
  wait "$fg" || rc=$?
  [ "$rc" -eq 42 ]
  grep -q got-term "$BATS_TEST_TMPDIR/fg.out"
}

@test "exec errors: missing executable, unknown, stopped and paused containers" {
  run --separate-stderr ex "$ID" /no/such/program
  [ "$status" -ne 0 ]
  [[ $stderr == *"/no/such/program"* ]]
  [[ $stderr == *"no such file or directory"* || $stderr == *"No such file or directory"* ]]
  run --separate-stderr ex nosuch true
  [ "$status" -ne 0 ]
  [[ $stderr == *nosuch* || $stderr == *"does not exist"* ]]
  require_ctr_run "message text"
  run --separate-stderr ex --tty --detach "$ID" true
  [ "$status" -eq 1 ]
  [ "$stderr" = "ctr-run: error: --tty with --detach needs --console-socket to receive the pty" ]
  run --separate-stderr ex "$ID" nosuchcmd
  [ "$status" -eq 1 ]
  [[ $stderr == 'ctr-run: error: process.args[0]: executable "nosuchcmd" not found in $PATH'* ]]
  rt pause "$ID"
  run --separate-stderr ex "$ID" true
  [ "$status" -eq 1 ]
  [ "$stderr" = "ctr-run: error: cannot exec in container \"$ID\": it is paused (resume it first)" ]
  rt resume "$ID"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  run --separate-stderr ex "$ID" true
  [ "$status" -eq 1 ]
  [ "$stderr" = "ctr-run: error: cannot exec in container \"$ID\": it is stopped" ]
}

@test "exec into a container made with --no-pivot lands in its root" {
  rt delete --force "$ID"
  ct_create "$ID" --no-pivot
  rt start "$ID"
  wait_for_status "$ID" running
  run ex "$ID" sh -c 'ls /bin/busybox && cat /proc/self/mountinfo | wc -l'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /bin/busybox ]
}
