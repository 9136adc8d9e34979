#!/usr/bin/env bats
# --systemd-cgroup: the container's cgroup is a transient scope that systemd
# makes over D-Bus. This host does not run systemd, so the file boots one:
# Debian's systemd as the init of a container (run by the runtime under
# test) whose root is an overlay of the host's /, stopped at basic.target
# (journald and the D-Bus socket, no services). The runtime under test runs
# inside it with --systemd-cgroup, and systemctl says what systemd made.

load helpers

SD_ID=systemd-host

setup_file() {
  common_setup_file
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  [ -x /lib/systemd/systemd ] || skip "systemd is not installed"
  [ -x /usr/bin/dbus-daemon ] || skip "dbus is not installed"
  export SD=$BATS_FILE_TMPDIR/sd SD_STATE=$BATS_FILE_TMPDIR/sd-state
  # Controllers on the unified hierarchy (hierarchy 0) now: systemd mounts
  # the ones no v2 cgroup uses as v1 hierarchies, which outlive it.
  export SD_V2_CONTROLLERS
  SD_V2_CONTROLLERS=$(awk '$2 == 0 { print $1 }' /proc/cgroups | tr '\n' ' ')
  mkdir -p "$SD"/{up,work,rootfs}
  mount -t overlay -o "lowerdir=/,upperdir=$SD/up,workdir=$SD/work" overlay "$SD/rootfs" ||
    skip "cannot mount an overlay of / for the systemd container"
  mkdir -p "$SD/rootfs/usr/local/bin"
  cp "$RUNTIME" "$SD/rootfs/usr/local/bin/rt-under-test"
  sd_config
  "$RUNTIME" --root "$SD_STATE" run -d --bundle "$SD" "$SD_ID" </dev/null >"$SD/out.log" 2>&1 || {
    cat "$SD/out.log" >&2
    return 1
  }
  local deadline=$((SECONDS + 30)) s=
  until [ "$s" = running ] || [ "$s" = degraded ]; do
    [ $SECONDS -lt $deadline ] || { echo "systemd in the container is '$s'" >&2; return 1; }
    sleep 0.1
    s=$(in_sd systemctl is-system-running 2>/dev/null) || true
  done
}

teardown_file() {
  "$RUNTIME" --root "$SD_STATE" delete --force "$SD_ID" 2>/dev/null || true
  umount "$SD/rootfs" 2>/dev/null || true
  give_back_v2_controllers
}

# Controllers systemd moved to v1 hierarchies of their own (hugetlb,
# perf_event, net_cls,net_prio here) go back to v2 once such a hierarchy
# has no cgroups and no mounts: mount each (with all its controllers),
# remove what is in it, unmount; the kernel drops the hierarchy at an
# unmount that finds it empty, so mount and unmount again until it has.
give_back_v2_controllers() {
  local c id set tries mnt=$BATS_FILE_TMPDIR/v1
  mkdir -p "$mnt"
  for c in ${SD_V2_CONTROLLERS:-}; do
    id=$(awk -v c="$c" '$1 == c { print $2 }' /proc/cgroups)
    [ "$id" != 0 ] || continue
    grep -qE " - cgroup [^ ]+ ([^ ]*,)?$c(,|$)" /proc/self/mountinfo && continue
    set=$(awk -v id="$id" '$2 == id { print $1 }' /proc/cgroups | paste -sd,)
    for tries in 1 2 3 4 5; do
      mount -t cgroup -o "$set" none "$mnt" || break
      find "$mnt" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
      umount "$mnt"
      [ "$(awk -v c="$c" '$1 == c { print $2 }' /proc/cgroups)" = 0 ] && break
      sleep 0.2  # rmdir'd cgroups go offline asynchronously
    done
  done
}

setup() { common_setup; }
teardown() { common_teardown; }

# The systemd container's config: systemd as init with every capability
# this host has, a cgroup namespace and a writable /sys/fs/cgroup of its
# own, a tmpfs /run.
sd_config() {
  local caps
  caps=$(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' | tr a-z A-Z | jq -R . | jq -sc .)
  rm -f "$SD/config.json"
  "$RUNTIME" spec --bundle "$SD"
  jq --argjson caps "$caps" --arg root "$SD/rootfs" '
      .root = {path: $root, readonly: false}
    | .process.terminal = false
    | .process.args = ["/lib/systemd/systemd", "--unit=basic.target"]
    | .process.env += ["container=ctr-test"]
    | .process.noNewPrivileges = false
    | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
    | .mounts |= map(if .type == "cgroup" then .options = ["nosuid", "noexec", "nodev", "rw"] else . end)
    | .mounts += [{destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]}]
    | .linux.namespaces |= map(select(.type != "cgroup")) + [{type: "cgroup"}]
    | .linux.maskedPaths = [] | .linux.readonlyPaths = []' "$SD/config.json" >"$SD/config.json.tmp"
  mv "$SD/config.json.tmp" "$SD/config.json"
}

# in_sd CMD...: a command in the systemd container.
in_sd() { timeout -k 5 60 "$RUNTIME" --root "$SD_STATE" exec "$SD_ID" "$@" </dev/null 3>&-; }

# inner_bundle NAME FILTER ARGS...: a bundle at /var/tmp/NAME in the systemd
# container (made through the overlay), config edited with FILTER.
inner_bundle() {
  local name=$1 filter=$2
  shift 2
  local dir=$SD/rootfs/var/tmp/$name
  make_bundle "$dir" "$@"
  cfg "$dir" "$filter"
}

# sd_detached BUNDLE: run -d of /var/tmp/BUNDLE as $ID with --systemd-cgroup
# in the systemd container; the container's stdio goes to a file there.
sd_detached() {
  in_sd sh -c "rt-under-test --systemd-cgroup run -d --bundle /var/tmp/$1 $ID >/var/tmp/$1.out 2>&1 ||
               { cat /var/tmp/$1.out; false; }"
}

# show UNIT PROPERTY: systemctl's value of PROPERTY for UNIT.
show() { in_sd systemctl show -P "$2" "$1"; }

@test "--systemd-cgroup: the container's cgroup is a systemd scope, with its limits" {
  inner_bundle b1 '.linux.cgroupsPath = "system.slice:ctr:'"$ID"'"
                   | .linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 50' sleep 600
  sd_detached b1
  [ "$(show "ctr-$ID.scope" ActiveState)" = active ]
  [ "$(show "ctr-$ID.scope" ControlGroup)" = "/system.slice/ctr-$ID.scope" ]
  local pid
  pid=$(in_sd rt-under-test state "$ID" | jq .pid)
  [ "$(show "ctr-$ID.scope" MainPID)" = "$pid" ] || in_sd systemctl status "ctr-$ID.scope" | grep -q "$pid"
  run in_sd cat "/proc/$pid/cgroup"
  [[ $output == *"memory:/system.slice/ctr-$ID.scope"* || $output == *"0::/system.slice/ctr-$ID.scope"* ]]
  [[ $output == *"pids:/system.slice/ctr-$ID.scope"* || $output == *"0::/system.slice/ctr-$ID.scope"* ]]
  # Limits are written after systemd has made the scope, so they stay.
  run in_sd sh -c "cat /sys/fs/cgroup/memory/system.slice/ctr-$ID.scope/memory.limit_in_bytes 2>/dev/null ||
                   cat /sys/fs/cgroup/system.slice/ctr-$ID.scope/memory.max"
  [ "$output" = 67108864 ]
  in_sd rt-under-test delete --force "$ID"
  [ "$(show "ctr-$ID.scope" LoadState)" = not-found ]
  run in_sd sh -c "ls -d /sys/fs/cgroup/*/system.slice/ctr-$ID.scope /sys/fs/cgroup/system.slice/ctr-$ID.scope 2>/dev/null"
  [ -z "$output" ]
}

@test "--systemd-cgroup: default and nested slice paths; run in the foreground" {
  inner_bundle b2 '.linux.cgroupsPath = ""' sleep 600
  sd_detached b2
  # ctr-run's default is system.slice:ctr:ID; runc's system.slice:runc:ID.
  local unit=ctr-$ID.scope
  is_ctr_run || unit=$RUNTIME_NAME-$ID.scope
  [ "$(show "$unit" ControlGroup)" = "/system.slice/$unit" ]
  in_sd rt-under-test delete --force "$ID"
  inner_bundle b3 '.linux.cgroupsPath = "ctrtest-sub.slice:p:'"$ID"'"' sleep 600
  sd_detached b3
  [ "$(show "p-$ID.scope" ControlGroup)" = "/ctrtest.slice/ctrtest-sub.slice/p-$ID.scope" ]
  in_sd rt-under-test delete --force "$ID"
  [ "$(show "p-$ID.scope" LoadState)" = not-found ]
  inner_bundle b6 '.linux.cgroupsPath = "system.slice:fg:'"$ID"'"' sh -c 'echo hi; exit 3'
  run in_sd rt-under-test --systemd-cgroup run --bundle /var/tmp/b6 "$ID"
  [ "$status" -eq 3 ]
  [ "$output" = hi ]
  [ "$(show "fg-$ID.scope" LoadState)" = not-found ]
}

@test "--systemd-cgroup errors: bad paths, and a host without systemd" {
  require_ctr_run "message text"
  inner_bundle b4 '.linux.cgroupsPath = "not-a-path"' true
  run in_sd rt-under-test --systemd-cgroup run --bundle /var/tmp/b4 "$ID"
  [ "$status" -eq 1 ]
  [[ $output == *'linux.cgroupsPath: "not-a-path" is not slice:prefix:name, as --systemd-cgroup needs'* ]]
  inner_bundle b5 '.linux.cgroupsPath = "system.slice:ctr:'"$ID"'"' true
  run in_sd rt-under-test run --bundle /var/tmp/b5 "$ID"
  [ "$status" -eq 1 ]
  [[ $output == *"is a systemd slice:prefix:name path; it needs --systemd-cgroup"* ]]
  # This host itself runs no systemd.
  [ ! -e /run/systemd/system ] || skip "the host runs systemd"
  make_bundle "$B" true
  run --separate-stderr rt --systemd-cgroup run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ $stderr == *"--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)"* ]]
  [ ! -e "$STATE/$ID" ]
}
