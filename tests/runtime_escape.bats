#!/usr/bin/env bats
# Escapes that runc has had CVEs for, each tried from a container: the host
# runtime binary through /proc/PID/exe (CVE-2019-5736), host fds as the
# working directory (CVE-2024-21626), mounts and masks through symlinks out
# of the rootfs (CVE-2019-16884, CVE-2021-30465 class), masks undone.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  make_bundle "$B" true
  cfg "$B" '.root.readonly = false'
}
teardown() { common_teardown; }

run_ct() {
  set_args "$B" "$@"
  run --separate-stderr rt run --bundle "$B" "$ID"
}

# host_mounts: the host's mount table without ids (what a container must not change).
host_mounts() { awk '{ print $4, $5, $9 }' /proc/self/mountinfo | sort; }

@test "CVE-2019-5736: the container cannot reach the runtime binary through /proc/PID/exe" {
  local sum
  sum=$(sha256sum "$RUNTIME" | cut -d' ' -f1)
  # startContainer hooks run in the container while its init is still the
  # runtime's own code, before the execve of the process.
  cfg "$B" '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c",
    "readlink /proc/1/exe >/tmp/link 2>&1; echo rc=$? >>/tmp/link; echo x >>/proc/1/exe 2>/tmp/write; echo $? >>/tmp/write; cat /proc/1/exe >/tmp/copy 2>/dev/null; true"]}]'
  run_ct true
  [ "$status" -eq 0 ]
  # Unreadable (ctr-run), or a sealed copy (runc's memfd): never the host file.
  local link
  link=$(cat "$B/rootfs/tmp/link")
  [[ $link != *"$(realpath "$RUNTIME")"* ]]
  ! is_ctr_run || [ "$link" = rc=1 ]
  [ "$(tail -n 1 "$B/rootfs/tmp/write")" != 0 ]
  [ "$(sha256sum "$RUNTIME" | cut -d' ' -f1)" = "$sum" ]
  is_ctr_run || return 0
  [ ! -s "$B/rootfs/tmp/copy" ]
}

@test "CVE-2019-5736 with CAP_SYS_PTRACE: init and exec run from a protected binary, the host's stays" {
  require_ctr_run
  local sum
  # A copy: if the protection fails, the attack below overwrites the binary.
  cp "$RUNTIME" "$BATS_TEST_TMPDIR/ctr-run"
  RUNTIME=$BATS_TEST_TMPDIR/ctr-run
  sum=$(sha256sum "$RUNTIME" | cut -d' ' -f1)
  cfg "$B" '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
  # The attack: a startContainer hook (in the container, with its caps) opens
  # init's /proc/1/exe while init is still the runtime, and keeps the fd in a
  # background process. Once no runtime process runs the binary (the test
  # creates /tmp/go after start has returned) it writes through the fd.
  cfg "$B" '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c",
    "readlink /proc/1/exe >/tmp/link; exec 5</proc/1/exe; (until [ -e /tmp/go ]; do :; done; (echo x >>/proc/self/fd/5) 2>/tmp/write; echo rc=$? >>/tmp/write) >/dev/null 2>&1 &"]}]'
  set_args "$B" sh -c 'until [ -s /tmp/write ]; do :; done'
  rt create --bundle "$B" "$ID"
  rt start "$ID"
  touch "$B/rootfs/tmp/go"
  wait_for_status "$ID" stopped 20
  cat "$B/rootfs/tmp/link" "$B/rootfs/tmp/write"
  # A read-only bind of the binary in no mount namespace (its root is the
  # file, so it reads as "/"), or a sealed memfd on old kernels.
  grep -Eq '^(/|/memfd:ctr-run.*)$' "$B/rootfs/tmp/link"
  grep -Eq 'Read-only file system|Operation not permitted' "$B/rootfs/tmp/write"
  [ "$(sha256sum "$RUNTIME" | cut -d' ' -f1)" = "$sum" ]
  rt delete "$ID"
  # exec: a process already in the container may ptrace, so exec re-executes first.
  cfg "$B" 'del(.hooks)'
  set_args "$B" sleep 600
  rt run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  run --separate-stderr rt --debug exec "$ID" true
  [ "$status" -eq 0 ]
  [[ $stderr == *"read-only bind"* ]]
}

@test "without CAP_SYS_PTRACE there is no re-exec: non-dumpable is enough" {
  require_ctr_run
  local log=$BATS_TEST_TMPDIR/debug.log
  set_args "$B" sleep 600
  rt --debug --log "$log" run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  rt --debug --log "$log" exec "$ID" true
  grep -q "init released" "$log"
  ! grep -q "sealed copy" "$log"
}

@test "CVE-2024-21626: no host fd can be the working directory, of init or of exec" {
  skip_if_runc_before 1.1.12 "CVE-2024-21626 is fixed in runc 1.1.12"
  local n
  for n in $(seq 3 20); do
    cfg "$B" '.process.cwd = $c' --arg c "/proc/self/fd/$n"
    run_ct sh -c 'pwd; ls ../../.. 2>&1 | head -3'
    [ "$status" -ne 0 ] || { echo "cwd /proc/self/fd/$n: ran in $output"; false; }
  done
  cfg "$B" '.process.cwd = "/"'
  set_args "$B" sleep 600
  ct_start_running "$ID"
  for n in $(seq 3 20); do
    run rt exec --cwd "/proc/self/fd/$n" "$ID" pwd </dev/null
    [ "$status" -ne 0 ] || { echo "exec --cwd /proc/self/fd/$n: ran in $output"; false; }
  done
}

@test "a mount destination that is a symlink to a host path stays inside the rootfs" {
  local before
  before=$(host_mounts)
  ln -s /etc "$B/rootfs/etc-link"
  mkdir -p "$B/rootfs/etc"
  cfg "$B" '.mounts += [{"destination": "/etc-link", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
  run_ct sh -c 'echo in-container >/etc/from-container; grep " /etc " /proc/self/mountinfo | wc -l'
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
  [ ! -e /etc/from-container ]
  [ "$(host_mounts)" = "$before" ]
}

@test "a rootfs whose /proc is a symlink to / cannot put proc on the host's /" {
  local before
  before=$(host_mounts)
  rm -rf "$B/rootfs/proc"
  ln -s / "$B/rootfs/proc"
  run_ct true
  # Refused, or mounted inside the rootfs: the host's table is unchanged.
  [ "$(host_mounts)" = "$before" ]
  if [ "$status" -eq 0 ]; then
    [ -L "$B/rootfs/proc" ] || [ -d "$B/rootfs/proc" ]
  fi
}

@test "masked and read-only paths through symlinks to host files mask the rootfs's files" {
  local before
  before=$(host_mounts)
  mkdir -p "$B/rootfs/secret"
  echo rootfs-secret >"$B/rootfs/secret/file"
  ln -s /secret/file "$B/rootfs/masklink"
  ln -s /etc "$B/rootfs/rolink"
  cfg "$B" '.linux.maskedPaths = ["/masklink"] | .linux.readonlyPaths = ["/rolink"]'
  run_ct sh -c 'cat /secret/file; echo x >/etc/ro-test && echo etc-writable'
  [ "$(host_mounts)" = "$before" ]
  [ -r /etc/passwd ]
  [ ! -e /etc/ro-test ]
  if [ "$status" -eq 0 ]; then
    [ "${lines[0]}" = "" ] || [ "${lines[0]}" = rootfs-secret ]
  fi
}

@test "masks cannot be undone from inside a container with the default capabilities" {
  [ -e /proc/timer_list ] || skip "no /proc/timer_list on this kernel"
  run_ct sh -c 'wc -c </proc/timer_list; umount /proc/timer_list 2>&1 || echo umount-refused
                mount -o remount,rw /proc/sys 2>&1 || echo remount-refused
                mkdir -p /tmp/p; mount -t proc proc /tmp/p 2>&1 || echo mount-refused
                echo 1 >/proc/sys/kernel/sysrq 2>&1 || echo sysctl-refused'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [[ $output == *umount-refused* ]]
  [[ $output == *remount-refused* ]]
  [[ $output == *mount-refused* ]]
  [[ $output == *sysctl-refused* ]]
}
