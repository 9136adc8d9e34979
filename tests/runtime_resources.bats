#!/usr/bin/env bats
# linux.resources: memory, cpu, cpuset and pids limits are written to the
# container's cgroup and enforced, on whichever cgroup mode this host has
# (v1, v2 or hybrid: each controller where the host mounts it).

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() {
  common_teardown
  local d
  for d in ${HUGETLB_OFF:-}; do
    echo -hugetlb >"$d/cgroup.subtree_control" 2>/dev/null || true
  done
}

# v1_dir CONTROLLER: the host's v1 hierarchy of CONTROLLER ("cpu,cpuacct"
# or "memory"), empty when the controller is on the unified hierarchy. The
# container sees its hierarchies under the same names.
v1_dir() {
  local d name
  [ -e /sys/fs/cgroup/cgroup.controllers ] && return 0
  for d in /sys/fs/cgroup/*/; do
    name=$(basename "$d")
    [[ ",$name," == *",$1,"* ]] && { echo "$name"; return 0; }
  done
}

# cg_path CONTROLLER V1FILE V2FILE: where the container reads that limit
# (a hybrid host's v2 controllers are in /sys/fs/cgroup/unified).
cg_path() {
  local v1
  v1=$(v1_dir "$1")
  if [ -n "$v1" ]; then
    echo "/sys/fs/cgroup/$v1/$2"
  elif [ -d /sys/fs/cgroup/unified ]; then
    echo "/sys/fs/cgroup/unified/$3"
  else
    echo "/sys/fs/cgroup/$3"
  fi
}

# A block device of this host as MAJOR:MINOR.
some_block_device() { cat "$(ls -d /sys/block/*/ | grep -v /loop | head -1)dev"; }

run_limited() {
  local filter=$1
  shift
  make_bundle "$B" "$@"
  cfg "$B" "$filter"
  run --separate-stderr rt run --bundle "$B" "$ID"
}

# refused FILTER WANT: the bundle $B, edited with FILTER, is refused by `run`:
# exit status 1 and a stderr that matches the glob pattern *WANT*.
refused() {
  cfg "$B" "$1"
  run --separate-stderr rt run --bundle "$B" "$ID"
  [ "$status" -eq 1 ] || { echo "$1: exit status $status, wanted 1"; return 1; }
  [[ $stderr == *$2* ]] || { echo "$1: stderr '$stderr' lacks: $2"; return 1; }
}

@test "memory.limit is written to the container's cgroup" {
  local f
  f=$(cg_path memory memory.limit_in_bytes memory.max)
  run_limited '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432}' cat "$f"
  [ "$status" -eq 0 ]
  [ "$output" = 67108864 ]
}

@test "a container over its memory limit is OOM-killed; under it, it finishes" {
  local hog='x=$(head -c 48000000 /dev/zero | tr "\0" a); echo done'
  # swap equal to the limit: no swap to escape to.
  run_limited '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}' sh -c "$hog"
  echo "status $status, output '$output', stderr '$stderr'"
  [ "$status" -eq 137 ]
  [ "$output" != done ]
  rm -rf "$B"
  run_limited '.linux.resources.memory = {"limit": 536870912}' sh -c "$hog"
  [ "$status" -eq 0 ]
  [ "$output" = done ]
}

@test "pids.limit: fork fails past the limit" {
  local f
  f=$(cg_path pids pids.max pids.max)
  # busybox sh gives up at the first fork that fails.
  run_limited '.linux.resources.pids = {"limit": 8}' sh -c \
    "cat $f; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 60 & done; echo all-started"
  echo "status $status, output '$output', stderr '$stderr'"
  [ "$status" -ne 0 ]
  [ "$output" = 8 ]
  [[ $stderr == *"can't fork"* ]]
}

@test "cpu quota, period and shares are read back" {
  local cmd v1
  v1=$(v1_dir cpu)
  if [ -n "$v1" ]; then
    cmd="cd /sys/fs/cgroup/$v1 && cat cpu.cfs_quota_us cpu.cfs_period_us cpu.shares"
    run_limited '.linux.resources.cpu = {"quota": 50000, "period": 100000, "shares": 512}' sh -c "$cmd"
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "50000 100000 512" ]
  else
    run_limited '.linux.resources.cpu = {"quota": 50000, "period": 100000, "shares": 1024}' \
      cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "50000 100000 39" ]
  fi
}

@test "cpu.cpus and mems pin the container to a cpuset" {
  local f
  f=$(cg_path cpuset cpuset.cpus cpuset.cpus)
  run_limited '.linux.resources.cpu = {"cpus": "0", "mems": "0"}' sh -c "cat $f; grep Cpus_allowed_list /proc/self/status"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [[ ${lines[1]} == *$'\t'0 ]]
}

@test "blockIO throttles and weight are written to the container's cgroup" {
  local dev f w
  dev=$(some_block_device) || skip "no block device in /sys/block"
  f=$(cg_path blkio blkio.throttle.read_bps_device io.max)
  run_limited ".linux.resources.blockIO = {
      throttleReadBpsDevice: [{major: ${dev%:*}, minor: ${dev#*:}, rate: 1048576}],
      throttleWriteIOPSDevice: [{major: ${dev%:*}, minor: ${dev#*:}, rate: 100}]}" \
    sh -c "cat $f; cat ${f%/*}/blkio.throttle.write_iops_device 2>/dev/null || true"
  [ "$status" -eq 0 ]
  if [ -n "$(v1_dir blkio)" ]; then
    [ "${lines[0]}" = "$dev 1048576" ]
    [ "${lines[1]}" = "$dev 100" ]
  else
    [ "${lines[0]}" = "$dev rbps=1048576 wbps=max riops=max wiops=100" ]
  fi
  # The weight goes to the BFQ file where the kernel has no CFQ one.
  w=$(cg_path blkio blkio.weight io.weight)
  run_limited '.linux.resources.blockIO = {"weight": 500}' sh -c "cat $w 2>/dev/null || cat ${w%.weight}.bfq.weight"
  [ "$status" -eq 0 ] || skip "no blkio weight on this kernel: $stderr"
  [[ $output == 500 || $output == "default 500" || $output == "default 5045" ]]
}

@test "hugepageLimits and unified files are written where the host has them" {
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this host"
  if [ -z "$(v1_dir hugetlb)" ] && [ -d /sys/fs/cgroup/unified ]; then
    skip_if_runc "runc does not set hugetlb in a hybrid host's unified hierarchy"
  fi
  local f
  f=$(cg_path hugetlb hugetlb.2MB.limit_in_bytes hugetlb.2MB.max)
  # The runtime enables hugetlb down to the container's cgroup and leaves
  # it (as runc and crun do on v2); give the host back what it had, as
  # another test's crun needs hugetlb off the unified hierarchy.
  local uroot=/sys/fs/cgroup/unified
  [ -e /sys/fs/cgroup/cgroup.controllers ] && uroot=/sys/fs/cgroup
  if ! grep -qw hugetlb "$uroot/cgroup.subtree_control"; then
    HUGETLB_OFF="$uroot/ctr $uroot"
  fi
  run_limited '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]' cat "$f"
  [ "$status" -eq 0 ]
  [ "$output" = 4194304 ]
  [ -e /sys/fs/cgroup/unified ] || [ -e /sys/fs/cgroup/cgroup.controllers ] || skip "no cgroup v2 hierarchy"
  f=$(cg_path none x cgroup.max.descendants)
  run_limited '.linux.resources.unified = {"cgroup.max.descendants": "5"}' cat "$f"
  [ "$status" -eq 0 ]
  [ "$output" = 5 ]
}

@test "resources the host cannot give are refused naming the field and the reason" {
  require_ctr_run
  make_bundle "$B"
  refused '.linux.resources.hugepageLimits = [{"pageSize": "3MB", "limit": 1}]' \
    "linux.resources.hugepageLimits: this host has no 3MB huge pages (it has: "
  refused 'del(.linux.resources.hugepageLimits) | .linux.resources.blockIO = {"weight": 5}' \
    "linux.resources.blockIO.weight: expected 10 to 1000, got 5"
  refused 'del(.linux.resources.blockIO) | .linux.resources.unified = {"../x": "1"}' \
    'linux.resources.unified: "../x" is not a cgroup file name'
  if [ -z "$(v1_dir net_cls)" ]; then
    refused 'del(.linux.resources.unified) | .linux.resources.network = {"classID": 1048577}' \
      "linux.resources.network: no cgroup hierarchy on this host has the net_cls controller"
  fi
  [ ! -e "$STATE/$ID" ]
}

@test "bad limits are refused naming the field, and nothing is left behind" {
  require_ctr_run
  make_bundle "$B"
  refused '.linux.resources.memory = {"limit": -5}' "linux.resources.memory.limit: expected bytes or -1"
  refused '.linux.resources.memory = {"limit": 67108864, "swap": 1048576}' \
    "linux.resources.memory.swap:*cannot be below the limit"
  refused 'del(.linux.resources.memory) | .linux.resources.cpu = {"quota": 10}' \
    "linux.resources.cpu.quota: expected at least 1000"
  refused '.linux.resources.cpu = {"shares": "many"}' "linux.resources.cpu.shares"
  # A value the kernel refuses is reported with the file it went to.
  refused '.linux.resources.cpu = {"cpus": "4096"}' "linux.resources.cpu: write 4096 to cpuset.cpus"
  [ "$(echo "$stderr" | wc -l)" -eq 1 ]
  [ ! -e "$STATE/$ID" ]
  run rt list -q
  [ -z "$output" ]
  for h in /sys/fs/cgroup/*/ctr/"$ID" /sys/fs/cgroup/ctr/"$ID"; do
    [ ! -e "$h" ]
  done
}

# host_cg_file PID CONTROLLER V1FILE V2FILE: the host path of that limit of
# PID's cgroup.
host_cg_file() {
  local v1 rel
  v1=$(v1_dir "$2")
  if [ -n "$v1" ]; then
    rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
    echo "/sys/fs/cgroup/$v1$rel/$3"
  else
    rel=$(awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup")
    echo "/sys/fs/cgroup$rel/$4"
  fi
}

@test "update changes the limits of a running container, from flags or a resources file" {
  make_bundle "$B" sleep 600
  cfg "$B" '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 10}'
  ct_start_running "$ID"
  local pid mem pids
  pid=$(ct_pid "$ID")
  mem=$(host_cg_file "$pid" memory memory.limit_in_bytes memory.max)
  pids=$(host_cg_file "$pid" pids pids.max pids.max)
  [ "$(cat "$mem")" = 67108864 ]
  rt update --memory 134217728 --memory-swap 134217728 --pids-limit 20 "$ID"
  [ "$(cat "$mem")" = 134217728 ]
  [ "$(cat "$pids")" = 20 ]
  echo '{"memory": {"limit": 33554432, "swap": 33554432}, "pids": {"limit": 5}}' >"$BATS_TEST_TMPDIR/r.json"
  rt update --resources "$BATS_TEST_TMPDIR/r.json" "$ID"
  [ "$(cat "$mem")" = 33554432 ]
  [ "$(cat "$pids")" = 5 ]
  echo '{"pids": {"limit": 7}}' | rt update -r - "$ID"
  [ "$(cat "$pids")" = 7 ]
  # Up again from a swap limit (v1 memsw) of 32 MiB: memsw must go first.
  rt update --memory 67108864 --memory-swap 67108864 "$ID"
  [ "$(cat "$mem")" = 67108864 ]
}

@test "update refuses bad limits and stopped containers" {
  require_ctr_run
  make_bundle "$B" sleep 600
  ct_start_running "$ID"
  echo '{"memory": {"limit": -7}}' >"$BATS_TEST_TMPDIR/r.json"
  run --separate-stderr rt update -r "$BATS_TEST_TMPDIR/r.json" "$ID"
  [ "$status" -eq 1 ]
  [[ $stderr == *"linux.resources.memory.limit: expected bytes or -1"* ]]
  run --separate-stderr rt update --cpuset-cpus 4096 "$ID"
  [ "$status" -eq 1 ]
  [[ $stderr == *"write 4096 to cpuset.cpus"* ]]
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  run --separate-stderr rt update --pids-limit 5 "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = "ctr-run: error: cannot update container \"$ID\": it is stopped" ]
}
