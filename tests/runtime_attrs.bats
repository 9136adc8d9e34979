#!/usr/bin/env bats
# Attributes of the container's process that the runtime sets before it runs:
# linux.personality, linux.timeOffsets (time namespace), process.ioPriority,
# process.scheduler, the LSM labels (apparmorProfile, selinuxLabel) and
# linux.intelRdt where the host cannot honour them, and the fds the process
# gets. Each is checked by what the process or the host observes, so a field
# that is parsed but ignored fails the test.
#
# runc 1.1 (Debian bookworm) has no personality, timeOffsets, ioPriority or
# scheduler: those tests skip for a runc older than 1.2.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  make_bundle "$B" true
  cfg "$B" '.root.readonly = false'
}
teardown() { common_teardown; }

# run_ct ARGS...: set process.args of $B and run it in the foreground as $ID.
run_ct() {
  set_args "$B" "$@"
  rerun_ct "$ID"
}

# rerun_ct ID: run $B in the foreground as ID.
rerun_ct() {
  run --separate-stderr rt run --bundle "$B" "$1" </dev/null
  [ "$status" -eq 0 ] || echo "run $1 failed ($status): $stderr" >&2
}

# start_ready ID: create and start $B as ID with a process that prints
# "ready" once it runs, then sleeps. Returns when it has printed it (all the
# runtime's setup is done by then); $pid is its host pid.
start_ready() {
  set_args "$B" sh -c 'echo ready; exec sleep 600'
  ct_start_running "$1"
  wait_for_grep ready "$BATS_TEST_TMPDIR/$1.out"
  pid=$(ct_pid "$1")
  [ "${pid:-0}" -gt 0 ]
}

# lsm_enabled apparmor|selinux: the host has that LSM on (as runc tells).
lsm_enabled() {
  case $1 in
    apparmor) [ -d /sys/kernel/security/apparmor ] &&
      [ "$(cut -c1 /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] ;;
    selinux) [ -e /sys/fs/selinux/enforce ] ;;
  esac
}

# rt_budget: SCHED_FIFO needs real-time CPU time in the process's cgroup
# where the host rations it (cgroup v1 cpu controller with
# CONFIG_RT_GROUP_SCHED: cpu.rt_runtime_us), and a new cgroup has none:
# sched_setattr fails with EPERM. Give $B's container a cgroup right below
# the root (an intermediate cgroup would have no budget to hand down either)
# with 10 ms per second of it. A no-op on hosts that do not ration it.
rt_budget() {
  local f
  for f in /sys/fs/cgroup/*/cpu.rt_runtime_us; do
    [ -e "$f" ] || continue
    cfg "$B" '.linux.cgroupsPath = $p | .linux.resources.cpu.realtimePeriod = 1000000
              | .linux.resources.cpu.realtimeRuntime = 10000' --arg p "/ctr-test-rt-$ID"
    return 0
  done
}

@test "linux.personality: LINUX32 makes uname -m say i686; LINUX leaves x86_64" {
  skip_if_runc_before 1.2 "linux.personality is new in runc 1.2"
  [ "$(uname -m)" = x86_64 ] || skip "LINUX32 is checked on an x86_64 host; this is $(uname -m)"
  cfg "$B" '.linux.personality = {"domain": "LINUX32"}'
  run_ct sh -c 'uname -m; cat /proc/self/personality'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = i686 ]
  # PER_LINUX32 is 0x0008; it is inherited across fork and execve.
  [ "${lines[1]}" = 00000008 ]
  cfg "$B" '.linux.personality = {"domain": "LINUX"}'
  rerun_ct "$ID-2"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = x86_64 ]
  [ "${lines[1]}" = 00000000 ]
}

@test "linux.personality: an unknown domain is refused at create, naming the field" {
  skip_if_runc_before 1.2 "linux.personality is new in runc 1.2 (1.1 ignores it)"
  cfg "$B" '.linux.personality = {"domain": "LINUX64X"}'
  refused linux.personality LINUX64X
}

@test "linux.timeOffsets: a time namespace with the offsets, seen in /proc/uptime and timens_offsets" {
  skip_if_runc_before 1.2 "time namespaces are new in runc 1.2"
  [ -e /proc/self/ns/time ] || skip "this kernel has no time namespaces (CONFIG_TIME_NS)"
  local mono=$((86400 * 3)) boot=$((86400 * 5)) host diff
  cfg "$B" '.linux.namespaces += [{"type": "time"}]
    | .linux.timeOffsets = {"monotonic": {"secs": $m, "nanosecs": 0}, "boottime": {"secs": $b, "nanosecs": 0}}' \
    --argjson m "$mono" --argjson b "$boot"
  host=$(cut -d. -f1 /proc/uptime)
  run_ct sh -c 'cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets; readlink /proc/self/ns/time'
  [ "$status" -eq 0 ]
  # /proc/uptime is CLOCK_BOOTTIME: the host's plus the boottime offset
  # (plus the few seconds the run took).
  diff=$((lines[0] - host))
  echo "uptime: ${lines[0]} s inside, $host s on the host: +$diff s"
  [ "$diff" -ge "$boot" ]
  [ "$diff" -le $((boot + 60)) ]
  [ "$(echo "${lines[1]}" | xargs)" = "monotonic $mono 0" ]
  [ "$(echo "${lines[2]}" | xargs)" = "boottime $boot 0" ]
  [[ ${lines[3]} == time:* ]]
  [ "${lines[3]}" != "$(readlink /proc/self/ns/time)" ]
  # The host's clocks are untouched.
  [ "$(awk '{ print $2 }' /proc/self/timens_offsets | xargs)" = "0 0" ]
}

@test "linux.timeOffsets: exec joins the container's time namespace" {
  skip_if_runc_before 1.2 "time namespaces are new in runc 1.2"
  [ -e /proc/self/ns/time ] || skip "this kernel has no time namespaces (CONFIG_TIME_NS)"
  local boot=$((86400 * 7)) host
  cfg "$B" '.linux.namespaces += [{"type": "time"}]
    | .linux.timeOffsets = {"boottime": {"secs": $b, "nanosecs": 0}}' --argjson b "$boot"
  start_ready "$ID"
  host=$(cut -d. -f1 /proc/uptime)
  run --separate-stderr rt exec "$ID" sh -c 'cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time' </dev/null
  [ "$status" -eq 0 ]
  [ $((lines[0] - host)) -ge "$boot" ]
  [ $((lines[0] - host)) -le $((boot + 60)) ]
  [ "${lines[1]}" = "$(readlink "/proc/$pid/ns/time")" ]
}

@test "linux.timeOffsets without a time namespace is refused" {
  skip_if_runc_before 1.2 "time namespaces are new in runc 1.2 (1.1 ignores timeOffsets)"
  cfg "$B" '.linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}}'
  refused linux.timeOffsets "time namespace"
}

@test "process.ioPriority: IOPRIO_CLASS_IDLE, and IOPRIO_CLASS_BE with priority 6, seen by ionice on the host" {
  skip_if_runc_before 1.2 "process.ioPriority is new in runc 1.2"
  command -v ionice >/dev/null || skip "no ionice (util-linux) on the host"
  # priority is REQUIRED in the runtime-spec, even where the class has no levels.
  cfg "$B" '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
  start_ready "$ID"
  run ionice -p "$pid"
  [ "$status" -eq 0 ]
  [ "$output" = idle ]
  cfg "$B" '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
  start_ready "$ID-be"
  run ionice -p "$pid"
  [ "$output" = "best-effort: prio 6" ]
}

@test "process.ioPriority: an unknown class or a priority out of 0..7 is refused" {
  skip_if_runc_before 1.2 "process.ioPriority is new in runc 1.2 (1.1 ignores it)"
  cfg "$B" '.process.ioPriority = {"class": "IOPRIO_CLASS_FAST", "priority": 0}'
  refused process.ioPriority IOPRIO_CLASS_FAST
  cfg "$B" '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 8}'
  refused process.ioPriority
}

@test "process.scheduler: SCHED_BATCH with nice 5, seen by chrt on the host" {
  skip_if_runc_before 1.2 "process.scheduler is new in runc 1.2"
  command -v chrt >/dev/null || skip "no chrt (util-linux) on the host"
  cfg "$B" '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
  start_ready "$ID"
  run chrt -p "$pid"
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == *"scheduling policy: SCHED_BATCH" ]]
  [[ ${lines[1]} == *"scheduling priority: 0" ]]
  # /proc/PID/stat field 19 is the nice value (comm is "sh" or "sleep": no spaces).
  [ "$(awk '{ print $19 }' "/proc/$pid/stat")" = 5 ]
}

@test "process.scheduler: SCHED_FIFO priority 10, seen by chrt and /proc/PID/sched" {
  skip_if_runc_before 1.2 "process.scheduler is new in runc 1.2"
  command -v chrt >/dev/null || skip "no chrt (util-linux) on the host"
  rt_budget
  cfg "$B" '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 10}'
  start_ready "$ID"
  run chrt -p "$pid"
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == *"scheduling policy: SCHED_FIFO" ]]
  [[ ${lines[1]} == *"scheduling priority: 10" ]]
  # SCHED_FIFO is policy 1.
  [ "$(awk '$1 == "policy" { print $3 }' "/proc/$pid/sched")" = 1 ]
}

@test "process.scheduler: an unknown policy, or a priority out of range, is refused" {
  skip_if_runc_before 1.2 "process.scheduler is new in runc 1.2 (1.1 ignores it)"
  cfg "$B" '.process.scheduler = {"policy": "SCHED_SOMETIMES"}'
  refused process.scheduler SCHED_SOMETIMES
  # Real-time priorities are 1..99.
  cfg "$B" '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 100}'
  refused process.scheduler
  cfg "$B" '.process.scheduler = {"policy": "SCHED_RR", "priority": 0}'
  refused process.scheduler
}

@test "linux.intelRdt on a host without resctrl mounted is refused, naming it and resctrl" {
  skip_if_runc "runc ignores linux.intelRdt when resctrl is not mounted"
  ! grep -qs ' resctrl ' /proc/self/mounts || skip "resctrl is mounted on this host"
  cfg "$B" '.linux.intelRdt = {"closID": "x"}'
  refused linux.intelRdt resctrl
}

@test "process.apparmorProfile: refused on a host without AppArmor; \"\" means none" {
  ! lsm_enabled apparmor || skip "AppArmor is enabled on this host"
  cfg "$B" '.process.apparmorProfile = "x"'
  # The error says why: the host has no AppArmor (not "unsupported").
  refused process.apparmorProfile AppArmor
  # runc's (and containerd's) "" is "no profile", not an error.
  cfg "$B" '.process.apparmorProfile = ""'
  run_ct echo ran
  [ "$status" -eq 0 ]
  [ "$output" = ran ]
}

@test "process.selinuxLabel: refused on a host without SELinux; \"\" means none" {
  ! lsm_enabled selinux || skip "SELinux is enabled on this host"
  cfg "$B" '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
  refused process.selinuxLabel SELinux
  cfg "$B" '.process.selinuxLabel = ""'
  run_ct echo ran
  [ "$status" -eq 0 ]
  [ "$output" = ran ]
}

# The container's own view of its fds (runtime_config.bats checks init's fds
# from the host): `ls` is a child of the container's sh and inherits all it
# has, plus the fd ls opens on /proc/self/fd, the lowest free one. busybox
# ls sorts by name, hence sort -n.
FD_LIST='ls /proc/self/fd | sort -n | xargs; cat /proc/self/fd/3 /proc/self/fd/4 2>/dev/null || true'

@test "fds inside the container: 0, 1, 2 and the --preserve-fds, nothing else (run and exec)" {
  local f=$BATS_TEST_TMPDIR/fd
  echo three >"$f.3"
  echo four >"$f.4"
  echo five >"$f.5"
  echo seven >"$f.7"
  set_args "$B" sh -c "$FD_LIST"
  # run: fds 3 and 4 are passed, 5 and 7 are not; fd 5 is then ls's own.
  run --separate-stderr timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$STATE" run --preserve-fds 2 \
    --bundle "$B" "$ID" 3<"$f.3" 4<"$f.4" 5<"$f.5" 7<"$f.7" </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0 1 2 3 4 5" ]
  [ "${lines[1]}" = three ]
  [ "${lines[2]}" = four ]
  # run without --preserve-fds: fd 3 is ls's own.
  run --separate-stderr timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$STATE" run \
    --bundle "$B" "$ID-2" 3<"$f.3" 4<"$f.4" 5<"$f.5" 7<"$f.7" </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0 1 2 3" ]
  [ "${#lines[@]}" -eq 1 ]
  # exec into a running container, with and without --preserve-fds.
  set_args "$B" sleep 600
  ct_start_running "$ID-x"
  run --separate-stderr timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$STATE" exec --preserve-fds 2 \
    "$ID-x" sh -c "$FD_LIST" 3<"$f.3" 4<"$f.4" 5<"$f.5" 7<"$f.7" </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0 1 2 3 4 5" ]
  [ "${lines[1]}" = three ]
  [ "${lines[2]}" = four ]
  run --separate-stderr timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$STATE" exec \
    "$ID-x" sh -c "$FD_LIST" 3<"$f.3" 4<"$f.4" 5<"$f.5" 7<"$f.7" </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0 1 2 3" ]
  [ "${#lines[@]}" -eq 1 ]
}
