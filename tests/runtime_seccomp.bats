#!/usr/bin/env bats
# linux.seccomp: filters compiled with libseccomp and loaded before the
# container's process runs; exec'd processes get them too.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  make_bundle "$B" true
  cfg "$B" '.root.readonly = false | .process.noNewPrivileges = false'
}
teardown() { common_teardown; }

# with_filter JSON: set linux.seccomp.
with_filter() { cfg "$B" '.linux.seccomp = $f' --argjson f "$1"; }

run_ct() {
  set_args "$B" "$@"
  run --separate-stderr rt run --bundle "$B" "$ID"
}

DENY_MKDIR='{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
               {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]}]}'

@test "seccomp: an errno rule with errnoRet, and one that compares an argument" {
  with_filter "$DENY_MKDIR"
  run_ct sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/d; touch /tmp/f
                chmod 777 /tmp/f || echo 777-refused; chmod 755 /tmp/f && echo 755-ok'
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == Seccomp:*2 ]]
  [[ $stderr == *"mkdir: can't create directory '/tmp/d': Permission denied"* ]]
  [[ $stderr == *"chmod: /tmp/f: Operation not permitted"* ]]
  [ "${lines[1]}" = 777-refused ]
  [ "${lines[2]}" = 755-ok ]
  [ ! -e "$B/rootfs/tmp/d" ]
}

@test "seccomp: an allow list with defaultErrnoRet; unknown syscall names are skipped" {
  # The plain allow rules of the containers default profile (those for no
  # capability in particular, or for this architecture).
  [ "$(uname -m)" = x86_64 ] || skip "the allow list is taken for amd64"
  local allow
  allow=$(jq -c '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW" and ((.args // []) | length) == 0
                  and ((.includes // {}) | . == {} or (keys == ["arches"] and (.arches | index("amd64")))))
                  | .names[]] + ["no_such_syscall"]' \
    /usr/share/containers/seccomp.json 2>/dev/null) || skip "no /usr/share/containers/seccomp.json"
  with_filter "$(jq -cn --argjson a "$allow" '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38,
                  syscalls: [{names: $a, action: "SCMP_ACT_ALLOW"}]}')"
  # swapoff is not on the list: ENOSYS (38) instead of ENOENT.
  run_ct sh -c 'echo running; swapoff /nonexistent'
  [ "${lines[0]}" = running ]
  [[ $stderr == *"Function not implemented"* ]]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills with SIGSYS" {
  with_filter '{"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
  # exec: busybox sh would run mkdir in a child of its own.
  run_ct sh -c 'echo before; exec mkdir /tmp/k'
  [ "$status" -eq $((128 + 31)) ]
  [ "$output" = before ]
}

@test "seccomp: a non-root process gets the filter, with and without no_new_privs" {
  with_filter "$DENY_MKDIR"
  cfg "$B" '.process.user = {"uid": 1000, "gid": 1000}'
  run_ct sh -c 'id -u; grep "^Seccomp:" /proc/self/status; mkdir /tmp/u'
  [ "${lines[0]}" = 1000 ]
  [[ ${lines[1]} == Seccomp:*2 ]]
  [[ $stderr == *"Permission denied"* ]]
  cfg "$B" '.process.noNewPrivileges = true'
  run_ct sh -c 'grep "^NoNewPrivs:" /proc/self/status; mkdir /tmp/u'
  [[ ${lines[0]} == NoNewPrivs:*1 ]]
  [[ $stderr == *"Permission denied"* ]]
}

@test "seccomp: flags are taken, and exec'd processes get the container's filter" {
  local filter=$DENY_MKDIR
  # runc 1.1 refuses every flag ("seccomp flags are not yet supported").
  is_ctr_run && filter=$(jq -c '.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]' <<<"$filter")
  with_filter "$filter"
  set_args "$B" sleep 600
  ct_start_running "$ID"
  run --separate-stderr rt exec "$ID" sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x' </dev/null
  [[ ${lines[0]} == Seccomp:*2 ]]
  [[ $stderr == *"Permission denied"* ]]
}

@test "seccomp: a bad profile is refused at create, naming the field" {
  require_ctr_run "message text"
  with_filter '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_SOMETIMES"}]}'
  run --separate-stderr rt run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = 'ctr-run: error: linux.seccomp.syscalls[0].action: unknown seccomp action "SCMP_ACT_SOMETIMES"' ]
  [ ! -e "$STATE/$ID" ]
}

# start_listener [CONNECTIONS]: seccomp_listener.py on $L in the background; returns once it listens.
start_listener() {
  L=$BATS_TEST_TMPDIR/listener.sock
  LOUT=$BATS_TEST_TMPDIR/listener.json
  rm -f "$L" "$LOUT" "$LOUT.log"
  "$PYTHON" "$TOOLS_DIR/seccomp_listener.py" "$L" "$LOUT" "${1:-1}" </dev/null 2>"$BATS_TEST_TMPDIR/listener.err" 3>&- &
  LPID=$!
  bg_track "$LPID"
  wait_for_socket "$L" "$LPID" "$BATS_TEST_TMPDIR/listener.err"
}

notify_mkdir() {
  jq -cn --arg l "$1" '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $l, "listenerMetadata": "hello=1",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
}

@test "seccomp: SCMP_ACT_NOTIFY hands the fd and the state to listenerPath, which answers for the kernel" {
  for nnp in false true; do
    start_listener
    with_filter "$(notify_mkdir "$L")"
    cfg "$B" '.process.noNewPrivileges = $n' --argjson n "$nnp"
    # The listener says mkdir succeeded without running it: the directory is not there.
    run_ct sh -c 'mkdir /tmp/notified && echo made; [ -d /tmp/notified ] && echo exists || echo absent'
    echo "nnp=$nnp: $output / $stderr"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'made\nabsent')" ]
    jq -e --arg id "$ID" '.fds == ["seccompFd"] and .metadata == "hello=1" and .state.id == $id
      and .state.status == "creating" and .pid == .state.pid and .pid > 0' "$LOUT"
    grep -Eq '^(83|258) ' "$LOUT.log"
    # Every process under the filter is gone: the fd hangs up and the listener ends.
    wait "$LPID"
  done
}

@test "seccomp: an exec'd process's notification fd goes to the listener too" {
  start_listener 2
  with_filter "$(notify_mkdir "$L")"
  set_args "$B" sleep 600
  rt run -d --bundle "$B" "$ID"
  wait_for_file "$LOUT"
  run --separate-stderr rt exec "$ID" sh -c 'mkdir /tmp/by-exec && echo made; [ -d /tmp/by-exec ] || echo absent'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'made\nabsent')" ]
  jq -e --arg id "$ID" '.fds == ["seccompFd"] and .state.id == $id and .state.status == "running"
    and .pid != .state.pid' "$LOUT.2"
  rt kill "$ID" KILL
  wait "$LPID"
}

@test "seccomp: an unreachable listenerPath fails create, naming it; nothing is left" {
  with_filter "$(notify_mkdir "$BATS_TEST_TMPDIR/nobody.sock")"
  run_ct true
  [ "$status" -ne 0 ]
  if is_ctr_run; then
    [[ "$stderr" == *"listenerPath"*"nobody.sock"* ]]
    [ "$(wc -l <<<"$stderr")" -eq 1 ]
  fi
  run rt state "$ID"
  [ "$status" -ne 0 ]
}
