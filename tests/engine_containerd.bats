#!/usr/bin/env bats
# containerd 1.6 running containers with ctr-run as its OCI runtime:
# `ctr run --runc-binary ctr-run` through containerd-shim-runc-v2, with a
# private containerd daemon (containerd.bash) and the busybox test image
# pulled from a docker-registry on 127.0.0.1 (registry.bash).
#
#   CTR_RUN=/path/to/ctr-run bats tests/engine_containerd.bats
#
# The shim calls ctr-run through an arg-logging wrapper, so every test can
# check that ctr-run (not runc) did the work, and a failed test prints the
# calls, ctr-run's --log file and the daemon's log lines for its containers.

load helpers
load registry
load containerd

setup_file() {
  registry_require || return 0
  containerd_require || return 0
  make_busybox_image "$BATS_FILE_TMPDIR/img"
  registry_start
  export IMAGE=$REG_HOST/busybox:latest
  registry_push_oci "$BATS_FILE_TMPDIR/img:latest" "$IMAGE"
  containerd_start
  ctrc images pull --plain-http "$IMAGE" >"$BATS_FILE_TMPDIR/pull.log" 2>&1 || {
    echo "setup_file: ctr images pull $IMAGE failed:" >&2
    tail -20 "$BATS_FILE_TMPDIR/pull.log" >&2
    return 1
  }
}

teardown_file() {
  containerd_stop
  registry_stop
}

setup() {
  registry_setup
  containerd_setup
}

teardown() {
  containerd_teardown
  registry_teardown
}

# run_ctr FUNC ARGS...: bats' run of a ctr helper (ctr_run, ctr_exec,
# ctrc) with stdin from /dev/null, stdout in $output and stderr in $stderr.
run_ctr() { run_tool ctr "$@" </dev/null; }

# ran_with_ctr_run ID SUBCOMMAND...: the shim called ctr-run (through the
# wrapper, not runc) with each SUBCOMMAND for container ID.
ran_with_ctr_run() {
  local id=$1 sub subs
  shift
  subs=$(runtime_subcommands "$id")
  for sub in "$@"; do
    grep -qx -- "$sub" <<<"$subs" || {
      echo "ctr-run was not called with '$sub' for $id; calls:"
      runtime_calls "$id"
      return 1
    }
  done
}

# init_pid ID: the task's pid as `ctr task ls` shows it.
init_pid() { ctrc task ls | awk -v id="$1" '$1 == id { print $2 }'; }

# task_pids ID: the pids `ctr task ps` lists (runtime `ps --format json`).
task_pids() { ctrc task ps "$1" | awk 'NR > 1 { print $1 }' | sort -n; }

# wait_for_pid_count ID N [SECONDS]: poll `ctr task ps` until it lists N pids.
wait_for_pid_count() {
  local id=$1 n=$2 deadline=$((SECONDS + ${3:-5})) got
  while :; do
    got=$(task_pids "$id" | wc -l)
    [ "$got" -eq "$n" ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      echo "wait_for_pid_count: $id has $got pids, wanted $n" >&2
      ctrc task ps "$id" >&2
      return 1
    fi
    sleep 0.05
  done
}

@test "run --rm: output, stderr and exit status go through containerd" {
  run_ctr ctr_run --rm "$IMAGE" "$CID" echo hi
  [ "$status" -eq 0 ]
  [ "$output" = hi ]
  ran_with_ctr_run "$CID" create start delete

  CIDS+=("$CID-2")
  run_ctr ctr_run --rm "$IMAGE" "$CID-2" sh -c 'echo out; echo err >&2; exit 7'
  [ "$status" -eq 7 ]
  [ "$output" = out ]
  [ "$stderr" = err ]
  ran_with_ctr_run "$CID-2" create start delete

  # --rm removed both containers, and the shims left nothing behind.
  run ctrc container ls -q
  [ "$(grep -cx -e "$CID" -e "$CID-2" <<<"$output")" -eq 0 ]
  wait_for_no_leftovers "$CID" "$CID-2"
}

@test "run --rm: stdin reaches the container; the image's config applies" {
  run --separate-stderr ctr_run --rm "$IMAGE" "$CID" sh -c 'read l; echo "got-$l"; cat /etc/hello; echo "$PATH"' <<<"line-in"
  echo "status=$status output=$output stderr=$stderr"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = got-line-in ]
  [ "${lines[1]}" = "hello from the second layer" ]
  [[ "${lines[2]}" == */bin* ]]
  ran_with_ctr_run "$CID" create start
}

@test "run -d: task ls, ps, exec, kill, delete; nothing is left behind" {
  run_ctr ctr_run -d "$IMAGE" "$CID" sh -c 'trap "exit 42" TERM; sleep 1000 & wait'
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  pid=$(init_pid "$CID")
  [ "$pid" -gt 0 ]
  # ctr-run's own state agrees with containerd's.
  run rt_ctrd state "$CID"
  echo "$output"
  [ "$status" -eq 0 ]
  jq -e --argjson p "$pid" '.status == "running" and .pid == $p' <<<"$output"
  [ "$(jq -r .bundle <<<"$output")" = "$(ctrd_bundle "$CID")" ]

  # ps: the shell and its sleep, both in the container's pid namespace.
  wait_for_pid_count "$CID" 2
  task_pids "$CID" | grep -qx "$pid"
  for p in $(task_pids "$CID"); do
    [ "$(readlink "/proc/$p/ns/pid")" = "$(readlink "/proc/$pid/ns/pid")" ]
  done
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]

  # exec: output, exit status, and the process joins the container's cgroups.
  run_ctr ctr_exec --exec-id x1 "$CID" cat /etc/hello
  [ "$status" -eq 0 ]
  [ "$output" = "hello from the second layer" ]
  run_ctr ctr_exec --exec-id x2 "$CID" sh -c 'echo err >&2; exit 5'
  [ "$status" -eq 5 ]
  [ "$stderr" = err ]
  run_ctr ctr_exec --exec-id x3 "$CID" cat /proc/self/cgroup
  [ "$status" -eq 0 ]
  [ "$output" = "$(cat "/proc/$pid/cgroup")" ]
  grep -q ":/$CTRD_NS/$CID\$" <<<"$output"
  # exec --user/--cwd.
  run_ctr ctr_exec --exec-id x4 --user 1000 --cwd /tmp "$CID" sh -c 'echo "$(id -u):$(id -g):$(pwd)"'
  [ "$status" -eq 0 ]
  [ "$output" = "1000:1000:/tmp" ]
  # The execs are gone from ps.
  wait_for_pid_count "$CID" 2

  # kill: SIGTERM reaches init, which exits 42.
  run_ctr ctrc task kill "$CID"
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" STOPPED
  run_ctr ctrc task delete "$CID"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"exit with non-zero exit code 42"* ]]
  run_ctr ctrc container delete "$CID"
  [ "$status" -eq 0 ]
  ran_with_ctr_run "$CID" create start ps exec kill delete
  wait_for_no_leftovers "$CID"
  run rt_ctrd list -q
  [ "$(grep -cx "$CID" <<<"$output")" -eq 0 ]
}

@test "kill -s SIGKILL and kill --all; exec'd processes die with the container" {
  run_ctr ctr_run -d "$IMAGE" "$CID" sleep 1000
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  run_ctr ctr_exec -d --exec-id bg "$CID" sleep 900
  [ "$status" -eq 0 ]
  wait_for_pid_count "$CID" 2
  bgpid=$(task_pids "$CID" | grep -vx "$(init_pid "$CID")")

  # --exec-id: the shim signals the exec'd process itself.
  run_ctr ctrc task kill --exec-id bg -s SIGKILL "$CID"
  [ "$status" -eq 0 ]
  wait_for_exit "$bgpid"
  wait_for_pid_count "$CID" 1

  run_ctr ctr_exec -d --exec-id bg2 "$CID" sleep 900
  [ "$status" -eq 0 ]
  wait_for_pid_count "$CID" 2
  pids=$(task_pids "$CID")
  run_ctr ctrc task kill --all -s SIGKILL "$CID"
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" STOPPED
  for p in $pids; do wait_for_exit "$p"; done
  grep -q -- ' kill --all '"$CID"' 9$' "$CTRD_ARGS_LOG"
  run_ctr ctrc task delete "$CID"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"exit with non-zero exit code 137"* ]]
}

@test "kill of a stopped task: containerd sees 'process already finished'" {
  # containerd maps the runtime's kill error to NotFound only when it says
  # "container not running", "no such process" or "does not exist" (runc:
  # "container not running"); anything else is "unknown error after kill".
  run_ctr ctr_run -d "$IMAGE" "$CID" sleep 1000
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  run_ctr ctrc task kill -s SIGKILL "$CID"
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" STOPPED
  run_ctr ctrc task kill "$CID"
  [ "$status" -ne 0 ]
  # The shim did ask ctr-run (the state is still "stopped", not deleted).
  [ "$(runtime_calls "$CID" | grep -c " kill $CID 15\$")" -eq 1 ]
  [[ "$stderr" == *"process already finished: not found"* ]]
  [[ "$stderr" != *"unknown error after kill"* ]]
}

@test "init exits in a shared pid namespace: the shim's kill --all ends the rest" {
  # Without a pid namespace of its own, a container's other processes
  # outlive its init; the shim then calls `kill --all ID 9` on the stopped
  # container (runc signals what is left in its cgroups).
  mkdir -p "$BATS_TEST_TMPDIR/out"
  run_ctr ctr_run -d --with-ns "pid:/proc/$$/ns/pid" \
    --mount "type=bind,src=$BATS_TEST_TMPDIR/out,dst=/out,options=rbind:rw" \
    "$IMAGE" "$CID" sh -c 'sleep 1000 & echo $! >/out/pid; exit 0'
  [ "$status" -eq 0 ]
  wait_for_file "$BATS_TEST_TMPDIR/out/pid"
  child=$(cat "$BATS_TEST_TMPDIR/out/pid")
  wait_for_task_status "$CID" STOPPED
  ran_with_ctr_run "$CID" create start kill
  grep -q -- " kill --all $CID 9\$" "$CTRD_ARGS_LOG"
  wait_for_exit "$child"
  runtime_calls "$CID" | grep -A1 -- " kill --all $CID 9\$" | grep -q '< rc=0$'
}

@test "pause and resume: PAUSED/RUNNING, the freezer cgroup follows" {
  run_ctr ctr_run -d "$IMAGE" "$CID" sleep 1000
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  freezer=/sys/fs/cgroup/freezer/$CTRD_NS/$CID/freezer.state
  [ -f "$freezer" ] || skip "no freezer cgroup v1 hierarchy at $freezer"

  run_ctr ctrc task pause "$CID"
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" PAUSED
  [ "$(cat "$freezer")" = FROZEN ]
  run rt_ctrd state "$CID"
  jq -e '.status == "paused"' <<<"$output"

  run_ctr ctrc task resume "$CID"
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  [ "$(cat "$freezer")" = THAWED ]
  run_ctr ctr_exec --exec-id after "$CID" echo alive
  [ "$status" -eq 0 ]
  [ "$output" = alive ]
  ran_with_ctr_run "$CID" pause resume
}

@test "SIGKILL kills a paused task (the runtime thaws it, as runc does)" {
  # cgroup v1: a frozen process dies of SIGKILL only once thawed. runc's
  # kill thaws a paused container after SIGKILL; containerd relies on it
  # (task delete --force, kill of a paused task).
  run_ctr ctr_run -d "$IMAGE" "$CID" sleep 1000
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  pid=$(init_pid "$CID")
  run_ctr ctrc task pause "$CID"
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" PAUSED
  run_ctr ctrc task kill -s SIGKILL "$CID"
  [ "$status" -eq 0 ]
  ran_with_ctr_run "$CID" pause kill
  wait_for_task_status "$CID" STOPPED 10
  wait_for_exit "$pid"
}

@test "task delete --force removes a running task" {
  run_ctr ctr_run -d "$IMAGE" "$CID" sleep 1000
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  pid=$(init_pid "$CID")
  run_ctr ctrc task delete --force "$CID"
  [ "$status" -eq 0 ]
  wait_for_exit "$pid"
  wait_for_no_task "$CID"
  run_ctr ctrc container delete "$CID"
  [ "$status" -eq 0 ]
  ran_with_ctr_run "$CID" kill delete
  wait_for_no_leftovers "$CID"
}

@test "run --memory-limit and --cpus: limits seen from inside, metrics, OOM kill and event" {
  limit=$((32 * 1024 * 1024))
  events=$BATS_TEST_TMPDIR/events
  ctrd_events_start "$events"
  # The container sees its own cgroups through a read-only bind of the
  # host's hierarchies (ctr's default spec mounts no /sys/fs/cgroup).
  run_ctr ctr_run --rm --memory-limit "$limit" --cpus 0.5 \
    --mount type=bind,src=/sys/fs/cgroup,dst=/hostcg,options=rbind:ro \
    "$IMAGE" "$CID" sh -c '
      m=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)
      c=$(sed -n "s/^[0-9]*:cpu\(,cpuacct\)\{0,1\}://p" /proc/self/cgroup)
      echo "mem $m $(cat /hostcg/memory$m/memory.limit_in_bytes)"
      echo "cpu $(cat /hostcg/cpu$c/cpu.cfs_quota_us) $(cat /hostcg/cpu$c/cpu.cfs_period_us)"'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "mem /$CTRD_NS/$CID $limit" ]
  [ "${lines[1]}" = "cpu 50000 100000" ]
  ran_with_ctr_run "$CID" create start
  # (and `ctr events` is subscribed by now)
  wait_for_grep "/tasks/exit {\"container_id\":\"$CID\"" "$events"

  # The shim reads its metrics from the cgroup ctr-run put the task in.
  CIDS+=("$CID-m")
  run_ctr ctr_run -d --memory-limit "$limit" "$IMAGE" "$CID-m" sleep 1000
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID-m" RUNNING
  run_ctr ctrc task metrics "$CID-m"
  [ "$status" -eq 0 ]
  grep -Eq "^memory.limit_in_bytes +$limit( |\$)" <<<"$output"

  # Over the limit (there is no swap to escape to): the kernel kills init.
  [ "$(awk 'NR > 1' /proc/swaps | wc -l)" -eq 0 ] || skip "swap is on: no OOM kill to expect"
  CIDS+=("$CID-oom")
  run_ctr ctr_run --rm --memory-limit "$limit" "$IMAGE" "$CID-oom" tail /dev/zero
  [ "$status" -eq 137 ]
  ran_with_ctr_run "$CID-oom" create start
  # The shim watches the memory cgroup ctr-run put the task in.
  wait_for_grep "/tasks/oom {\"container_id\":\"$CID-oom\"}" "$events"
}

@test "a failing create shows ctr-run's reason in ctr's error" {
  run_ctr ctr_run --rm "$IMAGE" "$CID" /no/such/exe
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"OCI runtime create failed"* ]]
  # The shim took the reason from ctr-run's --log (JSON, level "error").
  log=$CTRD_DIR/runtime-logs/$CID.log.json
  [ -s "$log" ]
  msg=$(jq -rs '[.[] | select(.level == "error")] | last | .msg' "$log")
  [[ "$msg" == *"/no/such/exe"* ]]
  [[ "$stderr" == *"$msg"* ]]
  ran_with_ctr_run "$CID" create
  [ "$(runtime_subcommands "$CID" | grep -cx start)" -eq 0 ]
  # Nothing stays: no container (ctr --rm), no runtime state, no cgroup.
  run ctrc container ls -q
  [ "$(grep -cx "$CID" <<<"$output")" -eq 0 ]
  wait_for_no_leftovers "$CID"
}

@test "a failing exec shows ctr-run's reason; the task keeps running" {
  run_ctr ctr_run -d "$IMAGE" "$CID" sleep 1000
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  run_ctr ctr_exec --exec-id bad "$CID" /no/such/exe
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"OCI runtime exec failed"* ]]
  [[ "$stderr" == *"/no/such/exe"* ]]
  [[ "$stderr" != *"did not terminate successfully"* ]]
  [ "$(task_status "$CID")" = RUNNING ]
  wait_for_pid_count "$CID" 1
}

@test "spec options from ctr: env, cwd, read-only, bind mounts, caps, no-new-privs, net-host" {
  mkdir -p "$BATS_TEST_TMPDIR/share"
  echo shared >"$BATS_TEST_TMPDIR/share/f"
  run_ctr ctr_run --rm --env FOO=bar --cwd /tmp --read-only \
    --mount "type=bind,src=$BATS_TEST_TMPDIR/share,dst=/share,options=rbind:ro" \
    "$IMAGE" "$CID" sh -c 'echo "$FOO $(pwd) $(cat /share/f)"
      touch /x 2>/dev/null && echo root-writable
      touch /share/y 2>/dev/null && echo share-writable
      grep -E "^(CapEff|NoNewPrivs):" /proc/self/status'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "bar /tmp shared" ]
  [ "${#lines[@]}" -eq 3 ]
  ran_with_ctr_run "$CID" create start
  # ctr's default capabilities (docker's set), no_new_privs on.
  [[ "${lines[1]}" == *00000000a80425fb ]]
  [[ "${lines[2]}" == *1 ]]

  CIDS+=("$CID-caps")
  run_ctr ctr_run --rm --cap-add CAP_SYS_ADMIN --cap-drop CAP_CHOWN --allow-new-privs \
    "$IMAGE" "$CID-caps" sh -c 'grep -E "^(CapEff|NoNewPrivs):" /proc/self/status'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *00000000a82425fa ]]
  [[ "${lines[1]}" == *0 ]]
  ran_with_ctr_run "$CID-caps" create start

  CIDS+=("$CID-net")
  run_ctr ctr_run --rm --net-host "$IMAGE" "$CID-net" readlink /proc/self/ns/net
  [ "$status" -eq 0 ]
  [ "$output" = "$(readlink /proc/self/ns/net)" ]
  ran_with_ctr_run "$CID-net" create start

  # (Not --no-pivot: ctr then replaces the runtime options, --runc-binary
  # included, and the shim falls back to runc.)
}

@test "run --seccomp: containerd's default profile is applied" {
  "$CTR_RUN" features 2>/dev/null | jq -e '.linux.seccomp.enabled' >/dev/null ||
    skip "$(basename "$CTR_RUN") features: linux.seccomp.enabled is false"
  run_ctr ctr_run --rm --seccomp "$IMAGE" "$CID" grep Seccomp: /proc/self/status
  [ "$status" -eq 0 ]
  [[ "$output" == *2 ]]
}

@test "run -t: a pty through --console-socket, input, window size, exit status" {
  command -v script >/dev/null || skip "script (util-linux) not installed"
  f=$BATS_TEST_TMPDIR/tty.sh
  # ctr sends the window size after start: the shell waits for it (5s).
  ctrd_tty_script "$f" run --runc-binary "$CTRD_WRAPPER" --runc-root "$CTRD_RUNC_ROOT" \
    --fifo-dir "$CTRD_DIR/fifo" --rm -t "$IMAGE" "$CID" sh
  run_in_pty $'tty\ni=0; while [ "$(stty size 2>/dev/null)" = "" -o "$(stty size 2>/dev/null)" = "0 0" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; echo "size=$(stty size)"\necho from-$((6*7))\nexit 4\n' "$f"
  [ "$status" -eq 0 ]
  grep -qx '/dev/pts/[0-9]*' <<<"$output"
  grep -qx 'from-42' <<<"$output"
  grep -qx 'size=30 100' <<<"$output"
  grep -qx 'rc=4' <<<"$output"
  runtime_calls "$CID" | grep -q -- ' create .*--console-socket '
  wait_for_no_leftovers "$CID"
}

@test "exec -t: a pty for an exec'd process" {
  command -v script >/dev/null || skip "script (util-linux) not installed"
  run_ctr ctr_run -d "$IMAGE" "$CID" sleep 1000
  [ "$status" -eq 0 ]
  wait_for_task_status "$CID" RUNNING
  f=$BATS_TEST_TMPDIR/tty.sh
  ctrd_tty_script "$f" task exec --fifo-dir "$CTRD_DIR/fifo" -t --exec-id tty "$CID" sh
  run_in_pty $'tty\necho from-$((6*7))\nexit 6\n' "$f"
  [ "$status" -eq 0 ]
  grep -qx '/dev/pts/[0-9]*' <<<"$output"
  grep -qx 'from-42' <<<"$output"
  grep -qx 'rc=6' <<<"$output"
  runtime_calls "$CID" | grep -q -- ' exec .*--console-socket '
}
