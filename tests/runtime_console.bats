#!/usr/bin/env bats
# process.terminal: --console-socket, a foreground pty, consoleSize.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

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
