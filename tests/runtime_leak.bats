#!/usr/bin/env bats
# Leaks: after many create/start/kill/delete cycles, after `delete --force` of
# running containers, after failed creates and after execs, the host has what
# it had before: the same cgroup directories (under every cgroup and cgroup2
# mount in /proc/self/mountinfo, so v1, v2 and hybrid hosts alike), the same
# mounts, the same entries under --root, and no process, zombie or open fd
# left of the containers or of the runtime.
#
# Each test runs one good container first (warm-up): what a runtime makes
# once and keeps, such as a parent cgroup shared by all its containers, is not
# a leak. The host is shared: cgroups and mounts that other users make while
# a test runs (they hold other processes, or live under other engines' and
# other test runs' directories) are told apart from ours; see new_cgroups and
# new_mounts. LEAK_CYCLES (default 200) sets the cycles of the first test.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  LEAK_CYCLES=${LEAK_CYCLES:-200}
  BUNDLES=$BATS_TEST_TMPDIR/bundles
  B=$BUNDLES/ok
  # Set in the environment of every runtime call (not of the container: its
  # env comes from config.json), so a runtime process left running shows.
  MARK=leak-$ID
  mkdir -p "$STATE"
  leak_bundle "$B" sleep 1000
  ancestors=$(our_ancestors)
}
teardown() { common_teardown; }

# leak_bundle DIR ARGS...: make_bundle, with busybox run through a link of
# its own name: the container's process (and its zombie) then has a name,
# busybox-ctrleak, that no other user of the host has. (busybox runs the
# applet in argv[1] when argv[0] starts with "busybox".)
leak_bundle() {
  local dir=$1
  shift
  make_bundle "$dir" /bin/busybox-ctrleak "$@" &&
    ln -s busybox "$dir/rootfs/bin/busybox-ctrleak"
}

# mrt ARGS...: rt with this test's mark in the runtime's environment.
mrt() { CTR_TEST_MARK=$MARK rt "$@"; }

# our_ancestors: this shell's pid and those of its ancestors, space-separated
# (a container init that lost its parent goes to one of them or to pid 1).
our_ancestors() {
  local pid=$BASHPID out=
  while [ "${pid:-0}" -gt 1 ]; do
    out+="$pid "
    pid=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null)
  done
  echo "$out"
}

# --- what the host has -------------------------------------------------------

# cgroup_mounts: the mount point of every cgroup and cgroup2 mount. The file
# system type is the first field after the "-" separator.
cgroup_mounts() {
  awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) ~ /^cgroup2?$/) print $5; break } }' \
    /proc/self/mountinfo | sort -u
}

# mount_entries: one line per mount, without the mount ids, which change:
# "ROOT MOUNTPOINT FSTYPE SOURCE".
mount_entries() {
  awk '{ for (i = 7; i < NF; i++) if ($i == "-") { print $4, $5, $(i + 1), $(i + 2); break } }' \
    /proc/self/mountinfo
}

# zombies: "PID PPID COMM" of zombies of our containers (whoever their parent
# is), or children of this test or its ancestors. Other zombies of pid 1
# are other users', and pid 1 may take a while to reap them.
zombies() {
  ps -eo pid=,ppid=,stat=,comm= | awk -v a=" $ancestors" \
    '$3 ~ /^Z/ && ($4 == "busybox-ctrleak" || index(a, " " $2 " ")) { print $1, $2, $4 }'
}

# snapshot NAME: the host's cgroup directories, mounts, state entries and
# zombies, in $BATS_TEST_TMPDIR/NAME.*.
snapshot() {
  local s=$BATS_TEST_TMPDIR/$1
  # shellcheck disable=SC2046
  find $(cgroup_mounts) -type d 2>/dev/null | sort >"$s.cgroups"
  mount_entries | sort >"$s.mounts"
  grep -c '' /proc/self/mountinfo >"$s.mountinfo"
  find "$STATE" -mindepth 1 2>/dev/null | sort >"$s.state"
  zombies | sort >"$s.zombies"
}

# container_procs: the pids of the processes whose root directory is the
# rootfs of one of our bundles. /proc/PID/root of a container process reads
# "/", so this compares device and inode numbers.
container_procs() {
  local roots
  roots=$(stat -c '%d:%i' "$BUNDLES"/*/rootfs | xargs)
  stat -Lc '%d:%i %n' /proc/[0-9]*/root 2>/dev/null |
    awk -v r=" $roots " 'index(r, " " $1 " ") { split($2, p, "/"); print p[3] }'
}

# ours PIDS...: whether one of PIDS is a process of our containers.
ours() {
  local pid procs
  procs=" $(container_procs | xargs) "
  for pid in "$@"; do
    [[ $procs == *" $pid "* ]] && return 0
  done
  return 1
}

# new_cgroups: cgroup directories that were not there before, as "ours DIR"
# (named after one of our containers, or holding one of their processes),
# "empty DIR" or "other DIR" (holding other processes). Other users of the
# host (the session's per-command cgroups, other engines, other test runs)
# make and remove cgroups while this test runs.
new_cgroups() {
  local d pids
  comm -13 "$BATS_TEST_TMPDIR/before.cgroups" "$BATS_TEST_TMPDIR/after.cgroups" |
    while read -r d; do
      mapfile -t pids < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
      if [[ $d == *"/$ID-"* ]] || { ((${#pids[@]})) && ours "${pids[@]}"; }; then
        echo "ours $d${pids[*]:+ (processes: ${pids[*]})}"
      elif ((${#pids[@]} == 0)); then
        echo "empty $d"
      else
        echo "other $d"
      fi
    done
}

# new_mounts: mounts that were not there before, but for those of other
# engines and other test runs, which may come and go while this test runs.
new_mounts() {
  comm -13 "$BATS_TEST_TMPDIR/before.mounts" "$BATS_TEST_TMPDIR/after.mounts" |
    awk -v run="${BATS_RUN_TMPDIR:-/nonexistent}" '
      $2 ~ "^/(var/lib|run)/(containerd|containers|docker|netns)(/|$)" { next }
      $2 ~ "^/tmp/bats-run-" && index($2, run) != 1 { next }
      { print }'
}

# left_processes: processes left of the runtime (they carry $MARK) or of the
# containers (their root is one of our rootfs), and any process with its
# root, cwd or an open fd in one of our bundles or in the state root.
left_processes() {
  local pid
  # shellcheck disable=SC2013 # pids, one a line
  for pid in $(grep -lsz -- "^CTR_TEST_MARK=$MARK\$" /proc/[0-9]*/environ | cut -d/ -f3); do
    echo "runtime process left: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
  done
  for pid in $(container_procs); do
    echo "container process left: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
  done
  find /proc/[0-9]*/root /proc/[0-9]*/cwd -maxdepth 0 \
    \( -lname "$BUNDLES/*" -o -lname "$STATE/*" \) -printf 'root or cwd left in a bundle: %p -> %l\n' 2>/dev/null
  find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 \
    \( -lname "$BUNDLES/*" -o -lname "$STATE" -o -lname "$STATE/*" \) -printf 'fd left open: %p -> %l\n' 2>/dev/null
  true
}

# leaks CYCLES: what is there now and was not in the "before" snapshot, one
# line each. New empty cgroups not named after our containers count only if
# there are at least as many as CYCLES, one a cycle, in one hierarchy at least:
# a few are other users'; they are listed in $BATS_TEST_TMPDIR/ignored.
leaks() {
  local s=$BATS_TEST_TMPDIR cycles=$1 m n most=0
  snapshot after
  new_cgroups >"$s/new.cgroups"
  : >"$s/ignored"
  sed -n 's/^ours /cgroup left: /p' "$s/new.cgroups"
  for m in $(cgroup_mounts); do
    n=$(grep -c "^empty $m/" "$s/new.cgroups" || true)
    ((n > most)) && most=$n
  done
  if ((most >= cycles)); then
    sed -n 's/^empty /cgroup left (empty, not named after a container): /p' "$s/new.cgroups"
  else
    grep -v '^ours ' "$s/new.cgroups" | sed 's/^/new cgroup, not ours: /' >"$s/ignored"
  fi
  new_mounts | sed 's/^/mount left: /'
  comm -13 "$s/before.state" "$s/after.state" | sed 's/^/state left: /'
  comm -13 "$s/before.zombies" "$s/after.zombies" | sed 's/^/zombie left (pid ppid comm): /'
  left_processes
}

# nothing_left CYCLES: poll until leaks CYCLES finds nothing, for
# LEAK_DEADLINE seconds (default 5: pid 1 reaps orphans, and other users'
# cgroups and mounts come and go, asynchronously); print the counts before
# and after, what was ignored, and what is left.
nothing_left() {
  local deadline=$((SECONDS + ${LEAK_DEADLINE:-5})) left n
  while :; do
    left=$(leaks "$1")
    [ -z "$left" ] && break
    [ $SECONDS -lt $deadline ] || break
    sleep 0.1
  done
  for n in cgroups mountinfo state zombies; do
    if [ "$n" = mountinfo ]; then
      echo "mountinfo lines: before $(cat "$BATS_TEST_TMPDIR/before.$n"), after $(cat "$BATS_TEST_TMPDIR/after.$n")"
    else
      echo "$n: before $(grep -c '' "$BATS_TEST_TMPDIR/before.$n"), after $(grep -c '' "$BATS_TEST_TMPDIR/after.$n")"
    fi
  done
  [ ! -s "$BATS_TEST_TMPDIR/ignored" ] || head -n 20 "$BATS_TEST_TMPDIR/ignored"
  if [ -n "$left" ]; then
    echo "$left" | head -n 50
    echo "($(grep -c '' <<<"$left") left)"
    return 1
  fi
}

# --- cycles --------------------------------------------------------------------

# create_ok ID [BUNDLE]: create ID; stderr kept in $BATS_TEST_TMPDIR/err.
create_ok() {
  mrt create --bundle "${2:-$B}" "$1" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" || {
    echo "create $1 failed ($?): $(cat "$BATS_TEST_TMPDIR/err")"
    return 1
  }
}

# wait_stopped ID: poll state until ID is stopped, for 10 s at most; more
# often than wait_for_status, as this is most of a cycle's time.
wait_stopped() {
  local deadline=$((SECONDS + 10)) got
  while :; do
    got=$(ct_status "$1")
    [ "$got" = stopped ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      echo "wait_stopped: $1 is '$got' 10 s after kill KILL"
      return 1
    fi
    sleep 0.01
  done
}

# kill_cycle ID: create, start, kill KILL, wait until stopped, delete.
kill_cycle() {
  create_ok "$1" || return
  mrt start "$1" || { echo "start $1 failed"; return 1; }
  kill_cycle_end "$1"
}

# kill_cycle_end ID: kill KILL, wait until stopped, delete.
kill_cycle_end() {
  mrt kill "$1" KILL || { echo "kill $1 failed"; return 1; }
  wait_stopped "$1" || return
  mrt delete "$1" || { echo "delete $1 failed"; return 1; }
}

# force_cycle ID: create, start, delete --force while it runs.
force_cycle() {
  create_ok "$1" || return
  mrt start "$1" || { echo "start $1 failed"; return 1; }
  mrt delete --force "$1" || { echo "delete --force $1 failed"; return 1; }
  ! rt state "$1" >/dev/null 2>&1 || { echo "$1 still has a state after delete --force"; return 1; }
}

# failed_cycle ID BUNDLE: a create that must fail. A runtime whose create
# succeeds anyway must fail start; then the container is deleted.
failed_cycle() {
  if mrt create --bundle "$2" "$1" </dev/null >/dev/null 2>&1; then
    ! mrt start "$1" 2>/dev/null || { echo "$1 from $2: create and start succeeded"; return 1; }
    mrt delete --force "$1"
  fi
  ! rt state "$1" >/dev/null 2>&1 || { echo "$1 has a state after its create failed"; return 1; }
}

@test "nothing leaks after 200 create/start/kill/delete cycles" {
  kill_cycle "$ID-warm"
  snapshot before
  local i
  for ((i = 1; i <= LEAK_CYCLES; i++)); do
    kill_cycle "$ID-$i" || { echo "cycle $i of $LEAK_CYCLES failed"; false; }
  done
  nothing_left "$LEAK_CYCLES"
}

@test "nothing leaks after 40 delete --force of running containers" {
  kill_cycle "$ID-warm"
  snapshot before
  local i
  for ((i = 1; i <= 40; i++)); do
    force_cycle "$ID-$i" || { echo "cycle $i failed"; false; }
  done
  nothing_left 40
}

@test "nothing leaks after 45 failed creates: missing executable, bind source, bad tmpfs size" {
  # Each fails in the container's init, after its cgroup was made.
  make_bundle "$BUNDLES/noexec" /nonexistent
  leak_bundle "$BUNDLES/nosource" sleep 1000
  # shellcheck disable=SC2016 # a jq variable
  cfg "$BUNDLES/nosource" '.mounts += [{"destination": "/mnt", "type": "bind",
    "source": $s, "options": ["rbind"]}]' --arg s "$BATS_TEST_TMPDIR/no-such-source"
  leak_bundle "$BUNDLES/badtmpfs" sleep 1000
  cfg "$BUNDLES/badtmpfs" '.mounts += [{"destination": "/mnt", "type": "tmpfs",
    "source": "tmpfs", "options": ["size=bogus"]}]'
  kill_cycle "$ID-warm"
  snapshot before
  local i b
  for ((i = 1; i <= 15; i++)); do
    for b in noexec nosource badtmpfs; do
      failed_cycle "$ID-$b$i" "$BUNDLES/$b" || { echo "$b, cycle $i failed"; false; }
    done
  done
  nothing_left 45
}

@test "nothing leaks after 50 execs into a running container, 10 of them failing" {
  rt exec --help >/dev/null 2>&1 && rt --help 2>&1 | grep -qE '^[[:space:]]+exec([[:space:]]|$)' ||
    skip "$RUNTIME_NAME has no exec"
  kill_cycle "$ID-warm"
  snapshot before
  create_ok "$ID-x"
  mrt start "$ID-x"
  local i pid
  pid=$(ct_pid "$ID-x")
  for ((i = 1; i <= 40; i++)); do
    mrt exec "$ID-x" true </dev/null || { echo "exec $i failed"; false; }
  done
  for ((i = 1; i <= 10; i++)); do
    ! mrt exec "$ID-x" /nonexistent </dev/null 2>/dev/null || { echo "exec of /nonexistent $i succeeded"; false; }
  done
  # The container has its init and nothing else: no exec'd process is left
  # running or as a zombie of the init (sleep reaps none).
  [ "$(container_procs | xargs)" = "$pid" ] || { echo "container processes: $(container_procs | xargs), init $pid"; false; }
  [ -z "$(ps -o pid=,stat=,comm= --ppid "$pid")" ] || { echo "children of init: $(ps -o pid=,stat=,comm= --ppid "$pid")"; false; }
  kill_cycle_end "$ID-x"
  nothing_left 50
}

@test "the leak checks see a leaked cgroup, mount, state entry and process" {
  # The checks themselves: a container left running, a bind mount under the
  # bundle and an fd open on its config.json must all be reported.
  snapshot before
  create_ok "$ID-kept"
  mrt start "$ID-kept"
  mkdir -p "$BUNDLES/m"
  mount --bind "$BUNDLES/m" "$BUNDLES/m"
  local fd
  exec {fd}<"$B/config.json"
  LEAK_DEADLINE=0 run nothing_left 1
  exec {fd}<&-
  umount "$BUNDLES/m"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"fd left open: /proc/"*"/fd/$fd -> $B/config.json"* ]]
  [[ $output == *"cgroup left: "* ]]
  [[ $output == *"mount left: "*"$BUNDLES/m"* ]]
  [[ $output == *"state left: $STATE/$ID-kept"* ]]
  [[ $output == *"container process left: "*"busybox-ctrleak sleep 1000"* ]]
}
