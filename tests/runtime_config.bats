#!/usr/bin/env bats
# config.json fields, each checked by what the container itself observes.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# run_ct ARGS...: set process.args of $B and run it in the foreground as $ID.
run_ct() {
  set_args "$B" "$@"
  rerun_ct "$ID"
}

# rerun_ct ID: run $B in the foreground as ID.
rerun_ct() {
  run --separate-stderr rt run --bundle "$B" "$1"
  if [ "$status" -ne 0 ]; then
    echo "run failed ($status): $stderr" >&2
  fi
}

@test "process.args, env and cwd" {
  make_bundle "$B"
  cfg "$B" '.process.env = ["PATH=/bin", "FOO=bar baz"] | .process.cwd = "/tmp"'
  run_ct sh -c 'echo "$FOO"; pwd; echo "$0-$1"; env | grep -c BATS_ || true' zero one
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "bar baz" ]
  [ "${lines[1]}" = /tmp ]
  [ "${lines[2]}" = zero-one ]
  # the runtime's own environment does not leak in
  [ "${lines[3]}" = 0 ]
}

@test "process.args[0] is looked up in the container's PATH" {
  make_bundle "$B"
  mkdir -p "$B/rootfs/opt/tools"
  printf '#!/bin/sh\necho from-opt-tools\n' >"$B/rootfs/opt/tools/mytool"
  chmod +x "$B/rootfs/opt/tools/mytool"
  cfg "$B" '.process.env = ["PATH=/opt/tools:/bin"]'
  run_ct mytool
  [ "$status" -eq 0 ]
  [ "$output" = from-opt-tools ]
}

@test "process.cwd that does not exist yet is created" {
  make_bundle "$B"
  cfg "$B" '.process.cwd = "/work/dir"'
  run_ct pwd
  [ "$status" -eq 0 ]
  [ "$output" = /work/dir ]
}

@test "process.user: uid, gid, additionalGids" {
  make_bundle "$B"
  cfg "$B" '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}'
  run_ct sh -c 'id -u; id -g; id -G'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 1000 ]
  [ "$(echo "${lines[2]}" | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "10 20 1000 " ]
}

@test "process.user: uid 65534 without additionalGids has no supplementary groups" {
  make_bundle "$B"
  cfg "$B" '.process.user = {"uid": 65534, "gid": 65534}'
  run_ct sh -c 'id -u; id -G'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 65534 ]
  [ "${lines[1]}" = 65534 ]
}

@test "process.user.umask" {
  make_bundle "$B"
  cfg "$B" '.process.user.umask = 23'
  run_ct sh -c 'umask'
  [ "$status" -eq 0 ]
  [ "$output" = 0027 ]
  cfg "$B" '.process.user.umask = 63'
  rerun_ct "$ID-2"
  [ "$output" = 0077 ]
}

@test "process.rlimits: RLIMIT_NOFILE soft and hard" {
  make_bundle "$B"
  cfg "$B" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000}]'
  run_ct sh -c 'ulimit -Sn; ulimit -Hn'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 512 ]
  [ "${lines[1]}" = 1000 ]
}

@test "process.capabilities: only CAP_CHOWN" {
  make_bundle "$B"
  cfg "$B" '.process.capabilities = {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"]}'
  run_ct sh -c 'grep -E "^Cap(Eff|Bnd|Prm|Inh|Amb):" /proc/self/status'
  [ "$status" -eq 0 ]
  echo "$output" | grep -qx $'CapEff:\t0000000000000001'
  echo "$output" | grep -qx $'CapBnd:\t0000000000000001'
  echo "$output" | grep -qx $'CapPrm:\t0000000000000001'
  echo "$output" | grep -qx $'CapInh:\t0000000000000000'
  echo "$output" | grep -qx $'CapAmb:\t0000000000000000'
}

@test "process.capabilities: CAP_CHOWN and CAP_KILL, ambient for a non-root user" {
  make_bundle "$B"
  cfg "$B" '.process.user = {"uid": 1000, "gid": 1000}
    | .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"],
        "permitted": ["CAP_CHOWN", "CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
  run_ct sh -c 'grep -E "^Cap(Eff|Prm|Bnd|Amb):" /proc/self/status'
  [ "$status" -eq 0 ]
  # a non-root user keeps across execve only what is ambient
  echo "$output" | grep -qx $'CapEff:\t0000000000000020'
  echo "$output" | grep -qx $'CapPrm:\t0000000000000020'
  echo "$output" | grep -qx $'CapBnd:\t0000000000000021'
  echo "$output" | grep -qx $'CapAmb:\t0000000000000020'
}

@test "process.noNewPrivileges" {
  make_bundle "$B"
  cfg "$B" '.process.noNewPrivileges = true'
  run_ct grep NoNewPrivs /proc/self/status
  [ "$status" -eq 0 ]
  [ "$output" = $'NoNewPrivs:\t1' ]
  cfg "$B" '.process.noNewPrivileges = false'
  rerun_ct "$ID-2"
  [ "$output" = $'NoNewPrivs:\t0' ]
}

@test "process.oomScoreAdj" {
  cur=$(cat /proc/self/oom_score_adj)
  want=$((cur > 500 ? cur : 500))
  make_bundle "$B"
  cfg "$B" '.process.oomScoreAdj = $v' --argjson v "$want"
  run_ct cat /proc/self/oom_score_adj
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ]
}

@test "root.readonly" {
  make_bundle "$B"
  cfg "$B" '.root.readonly = true'
  run_ct sh -c 'touch /x && echo writable || echo read-only'
  [ "${lines[-1]}" = read-only ]
  [ ! -e "$B/rootfs/x" ]
  cfg "$B" '.root.readonly = false'
  rerun_ct "$ID-2"
  [ "${lines[-1]}" = writable ]
  [ -e "$B/rootfs/x" ]
}

@test "root.path may be absolute" {
  make_bundle "$B"
  mv "$B/rootfs" "$BATS_TEST_TMPDIR/elsewhere"
  cfg "$B" '.root.path = $p' --arg p "$BATS_TEST_TMPDIR/elsewhere"
  touch "$BATS_TEST_TMPDIR/elsewhere/i-am-elsewhere"
  run_ct ls /i-am-elsewhere
  [ "$status" -eq 0 ]
}

@test "hostname" {
  make_bundle "$B"
  cfg "$B" '.hostname = "ctr-test-host"'
  run_ct sh -c 'hostname; cat /proc/sys/kernel/hostname'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = ctr-test-host ]
  [ "${lines[1]}" = ctr-test-host ]
  [ "$(hostname)" != ctr-test-host ]
}

@test "domainname" {
  skip_if_runc_before 1.2 "domainname is ignored before runc 1.2"
  make_bundle "$B"
  cfg "$B" '.domainname = "example.test"'
  run_ct cat /proc/sys/kernel/domainname
  [ "$status" -eq 0 ]
  [ "$output" = example.test ]
}

@test "mounts: tmpfs with size and mode, mount point created" {
  make_bundle "$B"
  cfg "$B" '.mounts += [{"destination": "/mnt/scratch", "type": "tmpfs", "source": "tmpfs",
                         "options": ["nosuid", "size=1m", "mode=1777"]}]'
  run_ct sh -c 'grep " /mnt/scratch " /proc/self/mounts; stat -c %a /mnt/scratch; echo ok > /mnt/scratch/f && cat /mnt/scratch/f'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "tmpfs /mnt/scratch tmpfs "* ]]
  [[ "${lines[0]}" == *size=1024k* ]]
  [[ "${lines[0]}" == *nosuid* ]]
  [ "${lines[1]}" = 1777 ]
  [ "${lines[2]}" = ok ]
}

@test "mounts: tmpcopyup fills a tmpfs with what the image has there" {
  make_bundle "$B"
  mkdir -p "$B/rootfs/etc/conf.d/sub"
  echo image-data >"$B/rootfs/etc/conf.d/sub/file"
  ln -s sub/file "$B/rootfs/etc/conf.d/link"
  chown 1000:1000 "$B/rootfs/etc/conf.d"
  chmod 0751 "$B/rootfs/etc/conf.d"
  cfg "$B" '.mounts += [{"destination": "/etc/conf.d", "type": "tmpfs", "source": "tmpfs",
                         "options": ["nosuid", "tmpcopyup", "size=1m"]}]'
  run_ct sh -c 'grep " /etc/conf.d " /proc/self/mounts; stat -c %a:%u:%g /etc/conf.d
                cat /etc/conf.d/link; readlink /etc/conf.d/link; echo new >/etc/conf.d/sub/file'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "tmpfs /etc/conf.d tmpfs "*size=1024k* ]]
  # runc keeps the mode only; ctr-run the owner too, as the image has it.
  if is_ctr_run; then [ "${lines[1]}" = 751:1000:1000 ]; else [[ ${lines[1]} == 751:* ]]; fi
  [ "${lines[2]}" = image-data ]
  [ "${lines[3]}" = sub/file ]
  # The write went to the tmpfs, not to the image.
  [ "$(cat "$B/rootfs/etc/conf.d/sub/file")" = image-data ]
}

@test "mounts: bind of a host directory and of a host file" {
  make_bundle "$B"
  mkdir -p "$BATS_TEST_TMPDIR/hostdir"
  echo from-host >"$BATS_TEST_TMPDIR/hostdir/hello.txt"
  echo single-file >"$BATS_TEST_TMPDIR/hostfile"
  cfg "$B" '.mounts += [
      {"destination": "/mnt/host", "type": "bind", "source": $d, "options": ["bind"]},
      {"destination": "/etc/extra.conf", "type": "bind", "source": $f, "options": ["bind"]}]' \
    --arg d "$BATS_TEST_TMPDIR/hostdir" --arg f "$BATS_TEST_TMPDIR/hostfile"
  run_ct sh -c 'cat /mnt/host/hello.txt; cat /etc/extra.conf; echo from-container > /mnt/host/back.txt'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = from-host ]
  [ "${lines[1]}" = single-file ]
  [ "$(cat "$BATS_TEST_TMPDIR/hostdir/back.txt")" = from-container ]
}

@test "mounts: read-only bind" {
  make_bundle "$B"
  mkdir -p "$BATS_TEST_TMPDIR/hostdir"
  echo from-host >"$BATS_TEST_TMPDIR/hostdir/hello.txt"
  cfg "$B" '.mounts += [{"destination": "/mnt/ro", "type": "bind", "source": $d, "options": ["bind", "ro"]}]' \
    --arg d "$BATS_TEST_TMPDIR/hostdir"
  run_ct sh -c 'cat /mnt/ro/hello.txt; echo x > /mnt/ro/new && echo writable || echo read-only'
  [ "${lines[0]}" = from-host ]
  [ "${lines[-1]}" = read-only ]
  [ ! -e "$BATS_TEST_TMPDIR/hostdir/new" ]
}

@test "mounts: rbind carries submounts, bind does not" {
  make_bundle "$B"
  mkdir -p "$BATS_TEST_TMPDIR/hostdir/sub"
  mount -t tmpfs tmpfs "$BATS_TEST_TMPDIR/hostdir/sub"
  echo in-submount >"$BATS_TEST_TMPDIR/hostdir/sub/file"
  cfg "$B" '.mounts += [
      {"destination": "/mnt/r", "type": "bind", "source": $d, "options": ["rbind"]},
      {"destination": "/mnt/b", "type": "bind", "source": $d, "options": ["bind"]}]' \
    --arg d "$BATS_TEST_TMPDIR/hostdir"
  run_ct sh -c 'cat /mnt/r/sub/file; ls /mnt/b/sub | wc -l'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = in-submount ]
  [ "${lines[1]}" = 0 ]
}

@test "mounts: proc, sysfs, mqueue, devpts, shm from the default spec" {
  make_bundle "$B"
  run_ct cat /proc/self/mounts
  [ "$status" -eq 0 ]
  echo "$output" | grep -E '^proc /proc proc '
  echo "$output" | grep -E '^sysfs /sys sysfs '
  echo "$output" | grep -E '^mqueue /dev/mqueue mqueue '
  echo "$output" | grep -E '^devpts /dev/pts devpts '
  echo "$output" | grep -E ' /dev/shm tmpfs '
  echo "$output" | grep -E ' /dev tmpfs '
}

@test "mounts: proc shows the container's pid namespace" {
  make_bundle "$B"
  run_ct sh -c 'ls -d /proc/[0-9]* | wc -l; readlink /proc/self'
  [ "$status" -eq 0 ]
  # sh, ls and wc at most: no host processes
  [ "${lines[0]}" -le 3 ]
}

@test "mounts: cgroup filesystem is present" {
  make_bundle "$B"
  run_ct sh -c 'ls /sys/fs/cgroup | wc -l; ls /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs 2>/dev/null | wc -l'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" -gt 0 ]
  [ "${lines[1]}" -gt 0 ]
}

@test "namespaces: pid (the process is pid 1)" {
  make_bundle "$B"
  run_ct sh -c 'echo $$'
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
}

@test "namespaces: uts, ipc, mount, cgroup differ from the host" {
  make_bundle "$B"
  cfg "$B" 'if ([.linux.namespaces[].type] | index("cgroup")) then . else .linux.namespaces += [{"type": "cgroup"}] end'
  run_ct sh -c 'for n in uts ipc mnt cgroup pid net; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup'
  [ "$status" -eq 0 ]
  i=0
  for n in uts ipc mnt cgroup pid net; do
    [ "${lines[$i]}" != "$(readlink /proc/self/ns/$n)" ]
    [[ "${lines[$i]}" == $n:* ]]
    i=$((i + 1))
  done
  # in its own cgroup namespace the container's cgroups are all roots
  for l in "${lines[@]:6}"; do
    [[ "$l" == *:/ ]]
  done
}

@test "namespaces: a namespace left out is shared with the host" {
  make_bundle "$B"
  cfg "$B" '.linux.namespaces |= map(select(.type != "ipc"))'
  run_ct readlink /proc/self/ns/ipc
  [ "$status" -eq 0 ]
  [ "$output" = "$(readlink /proc/self/ns/ipc)" ]
}

@test "namespaces: network has only lo" {
  make_bundle "$B"
  run_ct sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
  [ "$status" -eq 0 ]
  [ "$output" = lo ]
}

@test "namespaces: joining an existing namespace by path" {
  make_bundle "$BATS_TEST_TMPDIR/a" sleep 100
  cfg "$BATS_TEST_TMPDIR/a" '.hostname = "aaa"'
  BUNDLE=$BATS_TEST_TMPDIR/a ct_start_running "$ID-a"
  pida=$(ct_pid "$ID-a")
  make_bundle "$B" sh -c 'hostname; readlink /proc/self/ns/uts'
  cfg "$B" 'del(.hostname) | .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)' \
    --arg p "/proc/$pida/ns/uts"
  run --separate-stderr rt run --bundle "$B" "$ID-b"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = aaa ]
  [ "${lines[1]}" = "$(readlink "/proc/$pida/ns/uts")" ]
}

@test "linux.devices: a character device with the right numbers and mode" {
  make_bundle "$B"
  cfg "$B" '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                               "fileMode": 438, "uid": 0, "gid": 0}]'
  run_ct stat -c '%t:%T %F %a' /dev/fuse
  [ "$status" -eq 0 ]
  [ "$output" = "a:e5 character special file 666" ]
}

@test "default devices exist and are usable" {
  make_bundle "$B"
  run_ct sh -c '
    for d in null zero full random urandom tty; do
      [ -c /dev/$d ] && echo "$d $(stat -c %t:%T /dev/$d)"
    done
    echo x > /dev/null && echo null-writable
    head -c 4 /dev/zero | wc -c
    head -c 4 /dev/urandom | wc -c'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "null 1:3" ]
  [ "${lines[1]}" = "zero 1:5" ]
  [ "${lines[2]}" = "full 1:7" ]
  [ "${lines[3]}" = "random 1:8" ]
  [ "${lines[4]}" = "urandom 1:9" ]
  [ "${lines[5]}" = "tty 5:0" ]
  [ "${lines[6]}" = null-writable ]
  [ "${lines[7]}" = 4 ]
  [ "${lines[8]}" = 4 ]
}

@test "/dev symlinks: fd, stdin, stdout, stderr, ptmx" {
  make_bundle "$B"
  run_ct sh -c 'for l in fd stdin stdout stderr; do readlink /dev/$l; done; test -e /dev/ptmx && echo ptmx'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /proc/self/fd ]
  [ "${lines[1]}" = /proc/self/fd/0 ]
  [ "${lines[2]}" = /proc/self/fd/1 ]
  [ "${lines[3]}" = /proc/self/fd/2 ]
  [ "${lines[4]}" = ptmx ]
}

@test "linux.maskedPaths: files read empty, directories are empty" {
  make_bundle "$B"
  echo secret >"$B/rootfs/secret.txt"
  mkdir -p "$B/rootfs/secretdir"
  echo secret >"$B/rootfs/secretdir/inside"
  cfg "$B" '.linux.maskedPaths += ["/secret.txt", "/secretdir", "/proc/keys", "/sys/firmware", "/does/not/exist"]'
  run_ct sh -c 'wc -c < /secret.txt; ls -A /secretdir | wc -l; cat /proc/keys | wc -c; ls -A /sys/firmware | wc -l'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  [ "${lines[2]}" = 0 ]
  [ "${lines[3]}" = 0 ]
  # masking is per container: the rootfs itself is untouched
  [ "$(cat "$B/rootfs/secret.txt")" = secret ]
}

@test "linux.readonlyPaths" {
  make_bundle "$B"
  mkdir -p "$B/rootfs/rodir" "$B/rootfs/rwdir"
  cfg "$B" '.root.readonly = false | .linux.readonlyPaths += ["/rodir", "/proc/sys"]'
  run_ct sh -c '
    touch /rodir/x 2>/dev/null && echo rodir-writable || echo rodir-read-only
    touch /rwdir/x 2>/dev/null && echo rwdir-writable || echo rwdir-read-only
    awk "\$2 == \"/proc/sys\" { split(\$4, o, \",\"); print o[1] }" /proc/self/mounts'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = rodir-read-only ]
  [ "${lines[1]}" = rwdir-writable ]
  [ "${lines[2]}" = ro ]
}

@test "linux.sysctl" {
  make_bundle "$B"
  cfg "$B" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "12345"}'
  run_ct sh -c 'cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/msgmax'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 12345 ]
  [ "$(cat /proc/sys/kernel/msgmax)" != 12345 ]
}

@test "linux.rootfsPropagation: valid values are accepted, a bogus one is refused" {
  make_bundle "$B" echo ran
  for p in private rprivate slave rslave shared rshared; do
    cfg "$B" '.linux.rootfsPropagation = $p' --arg p "$p"
    run rt run --bundle "$B" "$ID-$p"
    echo "$p: $status $output"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = ran ]
  done
  cfg "$B" '.linux.rootfsPropagation = "bogus"'
  run rt run --bundle "$B" "$ID-bogus"
  [ "$status" -ne 0 ]
  [[ "$output" != *ran* ]]
}

@test "annotations appear in state" {
  make_bundle "$B" sleep 100
  cfg "$B" '.annotations = {"org.example.key": "value", "other": "x y"}'
  ct_create "$ID"
  run rt state "$ID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.annotations["org.example.key"] == "value" and .annotations.other == "x y"'
}

# fds_of PID: the open fd numbers of PID, seen from the host, space-separated.
fds_of() { ls "/proc/$1/fd" | sort -n | tr '\n' ' '; }

@test "--preserve-fds passes extra fds to the container" {
  make_bundle "$B" sh -c 'cat <&3; exec sleep 100'
  echo preserved-content >"$BATS_TEST_TMPDIR/fdfile"
  timeout 30 "$RUNTIME" --root "$STATE" run --detach --preserve-fds 1 --bundle "$B" "$ID" \
    3<"$BATS_TEST_TMPDIR/fdfile" 4</dev/null </dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
  wait_for_file "$BATS_TEST_TMPDIR/out"
  [ "$(cat "$BATS_TEST_TMPDIR/out")" = preserved-content ]
  # fd 3 is passed; fd 4 is beyond --preserve-fds and is not
  [ "$(fds_of "$(ct_pid "$ID")")" = "0 1 2 3 " ]
}

@test "only fds 0, 1 and 2 are open in the container (run)" {
  make_bundle "$B" sleep 100
  rt run --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 4</dev/null 5>"$BATS_TEST_TMPDIR/fd5" 7<"$B/config.json" &
  bg_track $!
  wait_for_status "$ID" running
  [ "$(fds_of "$(ct_pid "$ID")")" = "0 1 2 " ]
}

@test "only fds 0, 1 and 2 are open in the container (create, start)" {
  make_bundle "$B" sleep 100
  ct_create "$ID" 4</dev/null 6>"$BATS_TEST_TMPDIR/fd6"
  rt start "$ID"
  wait_for_status "$ID" running
  [ "$(fds_of "$(ct_pid "$ID")")" = "0 1 2 " ]
}

@test "--no-pivot runs in the rootfs" {
  make_bundle "$B" sh -c 'test -e /bin/busybox && echo has-busybox; test -e /work || test -e /usr/bin/bats || echo no-host-files; echo $$'
  run --separate-stderr rt run --no-pivot --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = has-busybox ]
  [ "${lines[1]}" = no-host-files ]
  [ "${lines[2]}" = 1 ]
}

@test "--no-new-keyring is accepted" {
  make_bundle "$B" echo ran
  run rt run --no-new-keyring --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = ran ]
}

@test "unknown properties in config.json are ignored" {
  make_bundle "$B" echo ran
  cfg "$B" '.["org.example.unknown"] = {"a": 1} | .process["x-unknown"] = true | .linux["x-unknown"] = [1]'
  run rt run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = ran ]
}
