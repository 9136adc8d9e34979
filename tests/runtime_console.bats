#!/usr/bin/env bats
# process.terminal: --console-socket, a foreground pty, consoleSize.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  SOCK=$BATS_TEST_TMPDIR/console.sock
  CONSOLE_OUT=$BATS_TEST_TMPDIR/console.out
}
teardown() { common_teardown; }

# start_receiver [OPTIONS]: console_recv.py in the background on $SOCK,
# output to $CONSOLE_OUT; returns once the socket accepts connections.
start_receiver() {
  "$PYTHON" "$TOOLS_DIR/console_recv.py" "$SOCK" "$CONSOLE_OUT" --timeout 20 "$@" \
    </dev/null 2>"$BATS_TEST_TMPDIR/recv.err" 3>&- &
  RECV_PID=$!
  bg_track "$RECV_PID"
  local deadline=$((SECONDS + 10))
  until [ -S "$SOCK" ]; do
    kill -0 "$RECV_PID" 2>/dev/null || { cat "$BATS_TEST_TMPDIR/recv.err" >&2; return 1; }
    [ $SECONDS -lt $deadline ] || { echo "receiver did not listen" >&2; return 1; }
    sleep 0.05
  done
}

# wait_receiver: wait for the receiver to see EOF/EIO; $console_lines holds
# what it got, without the terminal's carriage returns.
wait_receiver() {
  local rc=0
  wait "$RECV_PID" || rc=$?
  cat "$BATS_TEST_TMPDIR/recv.err" >&2
  mapfile -t console_lines < <(tr -d '\r' <"$CONSOLE_OUT")
  printf 'console: %s\n' "${console_lines[@]}"
  return $rc
}

@test "create --console-socket sends the pty master; the process has a terminal" {
  make_bundle "$B" sh -c 'echo hello-tty; tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; stat -c "%t" /dev/console'
  cfg "$B" '.process.terminal = true'
  start_receiver
  ct_create "$ID" --console-socket "$SOCK"
  [ "$(ct_status "$ID")" = created ]
  rt start "$ID"
  wait_receiver
  [ "${console_lines[0]}" = hello-tty ]
  [[ "${console_lines[1]}" == /dev/pts/0 || "${console_lines[1]}" == /dev/console ]]
  [ "${console_lines[2]}" = all-ttys ]
  # /dev/console is the pty slave (major 136 = 0x88)
  [ "${console_lines[3]}" = 88 ]
  wait_for_status "$ID" stopped
}

@test "consoleSize sets the terminal's rows and columns" {
  make_bundle "$B" stty size
  cfg "$B" '.process.terminal = true | .process.consoleSize = {"height": 40, "width": 100}'
  start_receiver
  ct_create "$ID" --console-socket "$SOCK"
  rt start "$ID"
  wait_receiver
  [ "${console_lines[0]}" = "40 100" ]
}

@test "run --detach --console-socket" {
  make_bundle "$B" sh -c 'echo detached-tty'
  cfg "$B" '.process.terminal = true'
  start_receiver
  rt run --detach --console-socket "$SOCK" --bundle "$B" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err"
  wait_receiver
  [ "${console_lines[0]}" = detached-tty ]
  wait_for_status "$ID" stopped
}

@test "the pty carries input to the container" {
  make_bundle "$B" sh -c 'read line; echo "got:$line"'
  cfg "$B" '.process.terminal = true'
  start_receiver --input $'typed-line\n'
  ct_create "$ID" --console-socket "$SOCK"
  rt start "$ID"
  wait_receiver
  # the terminal echoes the line, then the process prints it
  printf '%s\n' "${console_lines[@]}" | grep -qx 'got:typed-line'
}

@test "foreground run with a terminal" {
  command -v script >/dev/null || skip "script (util-linux) not installed"
  make_bundle "$B" sh -c 'echo hello-run-tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty; exit 7'
  cfg "$B" '.process.terminal = true'
  run timeout 30 script -qec "$RUNTIME --root $STATE run --bundle $B $ID" /dev/null </dev/null
  echo "$output"
  [ "$status" -eq 7 ]
  [[ "$output" == *hello-run-tty* ]]
  [[ "$output" == *is-a-tty* ]]
}

@test "create with terminal=true and no --console-socket fails" {
  make_bundle "$B" true
  cfg "$B" '.process.terminal = true'
  run rt create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  run rt list -q
  [ -z "$output" ]
}

@test "--console-socket with terminal=false fails" {
  make_bundle "$B" true
  start_receiver
  run rt create --console-socket "$SOCK" --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  run rt list -q
  [ -z "$output" ]
}
