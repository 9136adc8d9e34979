#!/usr/bin/env bats
# podman (with conmon) using ctr-run as its OCI runtime: run, exit status,
# detach/stop, exec, pause, memory limits, terminals, errors, pods.
#
#   CTR_RUN=/path/to/ctr-run bats tests/engine_podman.bats
#
# podman.bash sets up a private store and a wrapper that logs every runtime
# call to $PM_CALLS (PM_CALLS_COPY=FILE keeps it); a failed test prints the
# calls it made. Containers run with --network none: there is no network.

load helpers
load registry
load podman

setup_file() { podman_setup_file; }
teardown_file() { podman_teardown_file; }
setup() { podman_setup; }
teardown() { podman_teardown; }

# pmrun ARGS...: bats' run of `podman run --network none ARGS`, stderr apart.
pmrun() { run --separate-stderr pm run --network none "$@"; }

# show: the last run's result, for the failure report.
show() { echo "status=$status"$'\n'"stdout: $output"$'\n'"stderr: ${stderr:-}"; }

@test "podman run --rm: output and exit 0; no container, runtime state or cgroup is left" {
  pmrun --rm --cidfile "$BATS_TEST_TMPDIR/cid" "$PM_IMAGE" echo hi
  show
  [ "$status" -eq 0 ]
  [ "$output" = hi ]
  local cid
  cid=$(cat "$BATS_TEST_TMPDIR/cid")
  [ ${#cid} -eq 64 ]
  # podman and conmon drove the runtime through the whole life cycle.
  pm_calls "$cid" | grep -q ": .*create --bundle .*$cid\$"
  pm_calls "$cid" | grep -q ": .*start $cid\$"
  pm_calls "$cid" | grep -q ": .*delete --force $cid\$"
  run pm ps -a -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ ! -e "$PM_STATE_ROOT/$cid" ]
  [ -z "$(pm_cgroup_left "$cid")" ]
}

@test "podman run: the container's exit status is podman's; stdout and stderr stay apart" {
  pmrun --rm "$PM_IMAGE" sh -c 'exit 7'
  show
  [ "$status" -eq 7 ]
  pmrun --rm "$PM_IMAGE" sh -c 'echo out; echo err >&2; exit 0'
  [ "$status" -eq 0 ]
  [ "$output" = out ]
  [ "$stderr" = err ]
}

@test "podman run -i: podman's stdin is the container's" {
  run --separate-stderr pm_input $'line1\nline2\n' run -i --rm --network none "$PM_IMAGE" sh -c 'wc -l; echo done'
  show
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | xargs)" = "2 done" ]
}

@test "podman run/exec --preserve-fds: an open fd of podman's is the container's fd 3" {
  echo fd-content >"$BATS_TEST_TMPDIR/fd"
  run --separate-stderr pm_fd3 "$BATS_TEST_TMPDIR/fd" run --rm --network none --preserve-fds 1 "$PM_IMAGE" cat /proc/self/fd/3
  show
  [ "$status" -eq 0 ]
  [ "$output" = fd-content ]
  run pm_calls
  [[ $output == *" create "*"--preserve-fds 1"* ]]
  run pm run -d --network none --name fds "$PM_IMAGE" sleep 1000
  [ "$status" -eq 0 ]
  run --separate-stderr pm_fd3 "$BATS_TEST_TMPDIR/fd" exec --preserve-fds 1 fds cat /proc/self/fd/3
  show
  [ "$status" -eq 0 ]
  [ "$output" = fd-content ]
}

@test "podman create, init, start: the runtime's created state, then the process runs" {
  run pm create --network none --name later "$PM_IMAGE" sh -c 'echo started'
  [ "$status" -eq 0 ]
  local cid=$output
  run pm init later
  [ "$status" -eq 0 ]
  [ "$(pm_status later)" = initialized ]
  # The runtime says so too: created, its init waiting for start.
  run "$CTR_RUN" --root "$PM_STATE_ROOT" state "$cid"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$output")" = created ]
  if pm_calls "$cid" | grep -q ": .*start $cid\$"; then
    echo "podman init started the container" >&2
    return 1
  fi
  run --separate-stderr pm start -a later
  show
  [ "$status" -eq 0 ]
  [ "$output" = started ]
  [ "$(pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' later)" = "exited 0" ]
}

@test "podman run -d, ps, logs, stop: SIGTERM reaches the container, else SIGKILL after -t" {
  run pm run -d --network none --name term "$PM_IMAGE" \
    sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
  [ "$status" -eq 0 ]
  local cid=$output
  run pm run -d --network none --name deaf "$PM_IMAGE" sleep 1000
  [ "$status" -eq 0 ]
  pm_wait_status term running
  pm_wait_status deaf running
  run pm ps --filter status=running --format '{{.Names}}'
  [ "$(echo "$output" | sort | xargs)" = "deaf term" ]
  # The container's stdout reaches conmon's log.
  local deadline=$((SECONDS + 10))
  until [[ $(pm logs term 2>&1) == *ready* ]]; do
    [ $SECONDS -lt $deadline ] || { pm logs term; return 1; }
    sleep 0.05
  done

  # A trap for TERM: stop returns long before its 20s timeout, exit status 3.
  local t0=$SECONDS
  run pm stop -t 20 term
  [ "$status" -eq 0 ]
  [ $((SECONDS - t0)) -lt 15 ]
  [ "$(pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' term)" = "exited 3" ]
  [[ $(pm logs term) == *got-term* ]]
  pm_calls "$cid" | grep -q ": .*kill $cid 15\$"

  # sleep as pid 1 ignores SIGTERM: SIGKILL after 1s, exit status 137.
  run pm stop -t 1 deaf
  [ "$status" -eq 0 ]
  [ "$(pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' deaf)" = "exited 137" ]
  run pm ps -a --filter status=exited --format '{{.Names}}'
  [ "$(echo "$output" | sort | xargs)" = "deaf term" ]
  run pm ps -q
  [ -z "$output" ]
}

@test "podman exec: output, exit status, errors" {
  run pm run -d --network none --name ex --hostname exhost "$PM_IMAGE" sleep 1000
  [ "$status" -eq 0 ]
  pm_wait_status ex running
  run --separate-stderr pm exec ex cat /etc/hostname
  show
  [ "$status" -eq 0 ]
  [ "$output" = exhost ]
  run --separate-stderr pm exec ex echo hello from exec
  [ "$status" -eq 0 ]
  [ "$output" = "hello from exec" ]
  run --separate-stderr pm exec ex sh -c 'exit 5'
  [ "$status" -eq 5 ]
  # The process joins the container: its pid namespace, its cgroup.
  run --separate-stderr pm exec ex sh -c 'tr "\0" " " </proc/1/cmdline'
  show
  [ "$status" -eq 0 ]
  [ "$output" = "sleep 1000 " ]
  local pid ns
  pid=$(pm_pid ex)
  run --separate-stderr pm exec ex cat /proc/self/cgroup
  [ "$status" -eq 0 ]
  [ "$(grep memory <<<"$output")" = "$(grep memory "/proc/$pid/cgroup")" ]
  for ns in pid mnt uts ipc net cgroup; do
    run --separate-stderr pm exec ex readlink /proc/self/ns/$ns
    [ "$output" = "$(readlink "/proc/$pid/ns/$ns")" ]
  done
  # A missing program: 127, with the runtime's reason.
  run -127 --separate-stderr pm exec ex /no-such-program
  show
  [ "$status" -eq 127 ]
  [[ $stderr == *no-such-program* ]]
  # exec -d: a background process the container's ps sees.
  run pm exec -d ex sleep 777
  [ "$status" -eq 0 ]
  local deadline=$((SECONDS + 10))
  until pm exec ex ps -o args | grep -q '^sleep 777'; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
  # Not in a stopped container.
  pm stop -t 0 ex
  run --separate-stderr pm exec ex true
  [ "$status" -ne 0 ]
}

@test "podman exec --env --workdir --user -i, and exec -t on a terminal" {
  run pm run -d --network none --name ex2 --env FROM_RUN=1 "$PM_IMAGE" sleep 1000
  [ "$status" -eq 0 ]
  pm_wait_status ex2 running
  run --separate-stderr pm exec --env A=b --workdir /tmp --user 1000:10 ex2 \
    sh -c 'echo "$A $FROM_RUN"; pwd; id -u; id -g; [ -t 0 ] && echo tty || echo notty'
  show
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "b 1" ]
  [ "${lines[1]}" = /tmp ]
  [ "${lines[2]}" = 1000 ]
  [ "${lines[3]}" = 10 ]
  [ "${lines[4]}" = notty ]
  run --separate-stderr pm exec --user test ex2 sh -c 'id -un; echo $HOME'
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | xargs)" = "test /home/test" ]
  run --separate-stderr pm_input piped exec -i ex2 cat
  [ "$status" -eq 0 ]
  [ "$output" = piped ]
  pm_on_tty exec -t ex2 sh -c 'tty; [ -t 1 ] && echo stdout-tty'
  show
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == /dev/pts/* ]]
  [ "${lines[1]}" = stdout-tty ]
}

@test "podman pause/unpause: the container makes no progress while paused, then resumes" {
  mkdir "$BATS_TEST_TMPDIR/vol"
  run pm run -d --network none --name counter -v "$BATS_TEST_TMPDIR/vol:/vol" "$PM_IMAGE" \
    sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/vol/n.tmp; mv /vol/n.tmp /vol/n; usleep 10000; done'
  [ "$status" -eq 0 ]
  local cid=$output n1 n2 pid deadline
  wait_for_file "$BATS_TEST_TMPDIR/vol/n" 10
  # Running, the counter moves (about 100 steps a second).
  n1=$(cat "$BATS_TEST_TMPDIR/vol/n")
  deadline=$((SECONDS + 5))
  until [ "$(cat "$BATS_TEST_TMPDIR/vol/n")" != "$n1" ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.02
  done

  run pm pause counter
  [ "$status" -eq 0 ]
  [ "$(pm_status counter)" = paused ]
  run pm ps --filter status=paused --format '{{.Names}}'
  [ "$output" = counter ]
  pid=$(pm_pid counter)
  [ "$(kernel_freezer_state "$pid")" = FROZEN ]
  pm_calls "$cid" | grep -q ": .*pause $cid\$"
  # No progress is the absence of an event: it takes a wait. The counter
  # steps every 10ms when running, so 0.5s paused would show ~50 steps.
  n1=$(cat "$BATS_TEST_TMPDIR/vol/n")
  sleep 0.5
  n2=$(cat "$BATS_TEST_TMPDIR/vol/n")
  [ "$n1" = "$n2" ]

  run pm unpause counter
  [ "$status" -eq 0 ]
  [ "$(pm_status counter)" = running ]
  [ "$(kernel_freezer_state "$pid")" = THAWED ]
  pm_calls "$cid" | grep -q ": .*resume $cid\$"
  deadline=$((SECONDS + 5))
  until [ "$(cat "$BATS_TEST_TMPDIR/vol/n")" != "$n2" ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.02
  done
}

@test "podman rm -f of a paused container leaves no runtime state and no cgroup" {
  run pm run -d --network none --name frozen "$PM_IMAGE" sleep 1000
  [ "$status" -eq 0 ]
  local cid=$output
  pm_wait_status frozen running
  pm pause frozen
  run pm rm -f -t 0 frozen
  [ "$status" -eq 0 ]
  run pm ps -a -q
  [ -z "$output" ]
  [ ! -e "$PM_STATE_ROOT/$cid" ]
  [ -z "$(pm_cgroup_left "$cid")" ]
}

@test "podman run -m 64m: the v1 memory limit is set, and a memory hog is OOM-killed" {
  [ -d /sys/fs/cgroup/memory ] || skip "no cgroup v1 memory controller on this host"
  pmrun --rm -m 64m "$PM_IMAGE" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  show
  [ "$status" -eq 0 ]
  [ "$output" = 67108864 ]
  pmrun --name hog -m 64m "$PM_IMAGE" sh -c 'x=a; while :; do x=$x$x; done'
  show
  [ "$status" -eq 137 ]
  # Proof that the kernel's OOM killer (not some other SIGKILL) ended it:
  # conmon's eventfd on the container's memory.oom_control fired. podman
  # 4.3 says so in OOMKilled only when conmon wrote its "oom" file into the
  # bundle; conmon 2.1.6 writes it into its cwd (pm runs in $PM_CWD).
  run pm inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' hog
  echo "inspect: $output"
  [ "$output" = "true 137" ] || [ -e "$PM_CWD/oom" ]
}

@test "podman run -t: the container's stdio is a pty of its own /dev/pts" {
  pm_on_tty run --rm -t --network none "$PM_IMAGE" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty; ls /dev/pts'
  show
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == /dev/pts/[0-9]* ]]
  [ "${lines[1]}" = both-tty ]
  [[ $output == *ptmx* ]]
  run pm_calls
  [[ $output == *"create "*"--console-socket "* ]]
}

@test "runtime errors reach podman's message: missing program 127, not executable 126; conmon reads the JSON --log" {
  run -127 --separate-stderr pm run --network none --name missing "$PM_IMAGE" /does-not-exist
  show
  [ "$status" -eq 127 ]
  [[ $stderr == *"$CTR_RUN_NAME"* ]]
  [[ $stderr == *"/does-not-exist"* ]]
  [[ $stderr == *[Nn]"o such file or directory"* ]] || [[ $stderr == *"not found"* ]]
  # podman passed --log-format=json --log FILE; the error message conmon
  # gave podman is the "msg" of the runtime's error line in FILE.
  local cid log msg
  cid=$(pm_cid missing)
  log=$(pm_calls "$cid" | grep -m1 ': --log-format=json --log [^ ]* create ' | sed 's/.* --log \([^ ]*\) create .*/\1/')
  [ -n "$log" ]
  cat "$log"
  msg=$(jq -rs 'map(select(.level == "error")) | last | .msg' "$log")
  [ -n "$msg" ] && [ "$msg" != null ]
  [[ $stderr == *"$msg"* ]]
  pm rm missing

  run -126 --separate-stderr pm run --rm --network none "$PM_IMAGE" /etc/hello
  show
  [ "$status" -eq 126 ]
  [[ $stderr == *"/etc/hello"* ]]
  [[ $stderr == *[Pp]"ermission denied"* ]]

  # Without JSON logs (a runtime not in runtime_supports_json), conmon
  # passes on the runtime's stderr instead.
  sed 's/^runtime_supports_json = .*/runtime_supports_json = ["no-such-runtime"]/' \
    "$PM_DIR/conf/containers.conf" >"$BATS_TEST_TMPDIR/text.conf"
  PM_CONTAINERS_CONF=$BATS_TEST_TMPDIR/text.conf run -127 --separate-stderr \
    pm run --rm --network none --name text "$PM_IMAGE" /does-not-exist
  show
  [ "$status" -eq 127 ]
  [[ $stderr == *"/does-not-exist"* ]]
  [[ $stderr == *[Nn]"o such file or directory"* ]] || [[ $stderr == *"not found"* ]]
  run pm_calls
  [[ $output == *"conmon: create --bundle "* ]]
}

@test "podman run with the default seccomp profile: the filter is on" {
  [ "$PM_SECCOMP" = true ] || skip "$CTR_RUN_NAME features: linux.seccomp.enabled is false"
  pmrun --rm --security-opt seccomp=/usr/share/containers/seccomp.json "$PM_IMAGE" grep '^Seccomp:' /proc/self/status
  show
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | awk '{ print $2 }')" = 2 ]
}

@test "podman run --read-only and --tmpfs: tmpfs mounts with podman's options (tmpcopyup)" {
  pmrun --rm --read-only "$PM_IMAGE" sh -c 'touch /tmp/ok && echo tmp-writable; touch /nope 2>/dev/null || echo root-ro'
  show
  [ "$status" -eq 0 ]
  [ "$output" = $'tmp-writable\nroot-ro' ]
  pmrun --rm --tmpfs /mnt:size=1m "$PM_IMAGE" sh -c 'df -k /mnt | tail -1'
  show
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | awk '{ print $1, $2 }')" = "tmpfs 1024" ]
  # tmpcopyup: the image's files under the tmpfs' mount point are copied in.
  pmrun --rm --tmpfs /etc "$PM_IMAGE" sh -c 'df -k /etc | tail -1 | cut -d" " -f1; cat /etc/hello'
  show
  [ "$status" -eq 0 ]
  [ "$output" = $'tmpfs\nhello from the second layer' ]
}

@test "podman pod: a container joins the infra container's namespaces" {
  run pm pod create --name pod1 --network none
  show
  [ "$status" -eq 0 ]
  run pm run -d --pod pod1 --name inpod "$PM_IMAGE" sleep 1000
  show
  [ "$status" -eq 0 ]
  pm_wait_status inpod running
  local infra pid ipid ns
  infra=$(pm pod inspect --format '{{.InfraContainerID}}' pod1)
  pid=$(pm_pid inpod)
  ipid=$(pm_pid "$infra")
  [ "$pid" -gt 0 ] && [ "$ipid" -gt 0 ]
  for ns in uts ipc net; do
    [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/$ipid/ns/$ns")" ]
  done
  # Not the pid namespace: podman does not share it by default.
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink "/proc/$ipid/ns/pid")" ]
  run pm exec inpod hostname
  [ "$output" = pod1 ]
}

@test "podman run --uidmap: a user namespace" {
  feature_enabled '.linux.namespaces | index("user")' ||
    skip "$CTR_RUN_NAME features: no user namespace in linux.namespaces"
  pmrun --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$PM_IMAGE" cat /proc/self/uid_map
  show
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | xargs)" = "0 100000 65536" ]
}

@test "podman pod with --uidmap: members join the pod's user namespace, with a pid namespace of their own" {
  feature_enabled '.linux.namespaces | index("user")' ||
    skip "$CTR_RUN_NAME features: no user namespace in linux.namespaces"
  run pm pod create --name upod --network none --uidmap 0:100000:65536 --gidmap 0:100000:65536
  show
  [ "$status" -eq 0 ]
  run pm run -d --pod upod --name inupod "$PM_IMAGE" sleep 1000
  show
  [ "$status" -eq 0 ]
  pm_wait_status inupod running
  local infra pid ipid
  infra=$(pm pod inspect --format '{{.InfraContainerID}}' upod)
  pid=$(pm_pid inupod)
  ipid=$(pm_pid "$infra")
  [ "$(readlink "/proc/$pid/ns/user")" = "$(readlink "/proc/$ipid/ns/user")" ]
  [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink "/proc/$ipid/ns/pid")" ]
  run pm exec inupod sh -c 'cat /proc/self/uid_map; ls /proc/1/cmdline'
  show
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[0]}" | xargs)" = "0 100000 65536" ]
}
