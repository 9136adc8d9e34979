#!/usr/bin/env bats
# OCI hooks: when each runs, where, with what on stdin, and what a failure does.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  # hooks write here; the container sees the same directory as /hooks
  H=$BATS_TEST_TMPDIR/hooks
  mkdir -p "$H"
}
teardown() { common_teardown; }

# hook NAME DIR: a hook (host /bin/sh) that saves the state from stdin as
# DIR/NAME.json and appends NAME to DIR/order.
hook() {
  jq -cn --arg n "$1" --arg d "$2" '{
    path: "/bin/sh",
    args: ["sh", "-c", "cat > \($d)/\($n).json; echo \($n) >> \($d)/order"],
    env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
}

# add_hook STAGE HOOK-JSON: append a hook to .hooks[STAGE] of $B.
add_hook() {
  cfg "$B" '.hooks[$s] += [$h]' --arg s "$1" --argjson h "$2"
}

# all_hooks: one recording hook per stage. startContainer runs in the
# container, so it uses the container's /bin/sh and the /hooks bind mount.
all_hooks() {
  cfg "$B" '.mounts += [{"destination": "/hooks", "type": "bind", "source": $h, "options": ["rbind"]}]
            | .root.readonly = false' --arg h "$H"
  local stage
  for stage in prestart createRuntime createContainer poststart poststop; do
    add_hook "$stage" "$(hook "$stage" "$H")"
  done
  add_hook startContainer "$(jq -cn --arg b "$B" '{
    path: "/bin/sh",
    args: ["sh", "-c", "cat > /hooks/startContainer.json; echo startContainer >> /hooks/order; hostname > /hooks/startContainer.hostname; if [ -e \($b)/config.json ]; then echo host-visible; else echo host-invisible; fi > /hooks/startContainer.where"],
    env: ["PATH=/bin"]}')"
}

# line_of NAME: line number of NAME in $H/order (0 if absent).
line_of() { grep -nx "$1" "$H/order" | cut -d: -f1 | head -1 || true; }

@test "create runs prestart, createRuntime, createContainer; start runs startContainer" {
  make_bundle "$B" sleep 100
  all_hooks
  ct_create "$ID"
  for s in prestart createRuntime createContainer; do [ -s "$H/$s.json" ]; done
  [ ! -e "$H/startContainer.json" ]
  rt start "$ID"
  [ -s "$H/startContainer.json" ]
  # poststart runs before start returns
  [ -s "$H/poststart.json" ]
  [ ! -e "$H/poststop.json" ]
}

@test "poststart runs during start, after startContainer" {
  skip_if_runc "runc runs poststart hooks during create (opencontainers/runc#1710, fixed by #5186)"
  make_bundle "$B" sleep 100
  all_hooks
  ct_create "$ID"
  [ ! -e "$H/poststart.json" ]
  rt start "$ID"
  [ -s "$H/poststart.json" ]
  cat "$H/order"
  [ "$(line_of startContainer)" -lt "$(line_of poststart)" ]
}

@test "hooks run in order: prestart, createRuntime, createContainer, startContainer" {
  make_bundle "$B" sleep 100
  all_hooks
  ct_start_running "$ID"
  cat "$H/order"
  [ "$(line_of prestart)" -ge 1 ]
  [ "$(line_of prestart)" -lt "$(line_of createRuntime)" ]
  [ "$(line_of createRuntime)" -lt "$(line_of createContainer)" ]
  [ "$(line_of createContainer)" -lt "$(line_of startContainer)" ]
  [ "$(line_of createContainer)" -lt "$(line_of poststart)" ]
  [ "$(wc -l <"$H/order")" -eq 5 ]
}

@test "hooks get the container state on stdin" {
  make_bundle "$B" sleep 100
  all_hooks
  ct_start_running "$ID"
  pid=$(ct_pid "$ID")
  for s in prestart createRuntime createContainer startContainer poststart; do
    echo "$s: $(cat "$H/$s.json")"
    jq -e --arg id "$ID" --arg b "$B" \
      '.id == $id and .bundle == $b and (.ociVersion | startswith("1."))
       and (.status | IN("creating", "created", "running"))' "$H/$s.json"
  done
  # the pid as seen where the hook runs: the host's for runtime-namespace
  # hooks, the container's (pid namespace: 1) for container-namespace hooks
  for s in prestart createRuntime poststart; do
    jq -e --argjson pid "$pid" '.pid == $pid' "$H/$s.json"
  done
  for s in createContainer startContainer; do
    jq -e '.pid == 1' "$H/$s.json"
  done
}

@test "startContainer runs inside the container" {
  make_bundle "$B" sleep 100
  cfg "$B" '.hostname = "inside-ct"'
  all_hooks
  ct_start_running "$ID"
  # the container's uts namespace and mount namespace (root), not the host's
  [ "$(cat "$H/startContainer.hostname")" = inside-ct ]
  [ "$(cat "$H/startContainer.where")" = host-invisible ]
}

@test "poststop runs on delete, with the state on stdin" {
  make_bundle "$B" true
  all_hooks
  ct_create "$ID"
  rt start "$ID"
  wait_for_status "$ID" stopped
  [ ! -e "$H/poststop.json" ]
  run rt delete "$ID"
  [ "$status" -eq 0 ]
  [ -s "$H/poststop.json" ]
  cat "$H/poststop.json"
  jq -e --arg id "$ID" '.id == $id and .status == "stopped"' "$H/poststop.json"
  [ "$(tail -1 "$H/order")" = poststop ]
}

@test "poststop runs on delete --force of a running container" {
  make_bundle "$B" sleep 100
  add_hook poststop "$(hook poststop "$H")"
  ct_start_running "$ID"
  run rt delete --force "$ID"
  [ "$status" -eq 0 ]
  [ -s "$H/poststop.json" ]
}

@test "run runs the hooks, poststop included" {
  make_bundle "$B" true
  all_hooks
  run rt run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  cat "$H/order"
  [ "$(sort "$H/order" | tr '\n' ' ')" = "createContainer createRuntime poststart poststop prestart startContainer " ]
  [ "$(head -1 "$H/order")" = prestart ]
  [ "$(tail -1 "$H/order")" = poststop ]
}

@test "hook args, env and the absence of the runtime's environment" {
  make_bundle "$B" true
  add_hook createRuntime "$(jq -cn --arg d "$H" '{path: "/bin/sh",
    args: ["sh", "-c", "echo \"$0 $1 $HOOKVAR\" > \($d)/args; env > \($d)/env", "first", "second"],
    env: ["HOOKVAR=hook-value", "PATH=/bin"]}')"
  ct_create "$ID"
  [ "$(cat "$H/args")" = "first second hook-value" ]
  ! grep -q '^BATS_' "$H/env"
}

@test "a failing prestart hook fails create and leaves no state" {
  make_bundle "$B" sleep 100
  add_hook prestart '{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}'
  run rt create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  run rt list -q
  [ -z "$output" ]
  [ ! -e "$STATE/$ID" ]
}

@test "a failing createRuntime hook fails create, leaves no state, stops later hooks" {
  make_bundle "$B" sleep 100
  cfg "$B" '.linux.cgroupsPath = $p' --arg p "/ctrtest-$ID"
  add_hook createRuntime '{"path": "/bin/false", "args": ["false"]}'
  add_hook createContainer "$(hook createContainer "$H")"
  run rt create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  run rt list -q
  [ -z "$output" ]
  [ ! -e "$H/createContainer.json" ]
  for procs in /sys/fs/cgroup/*/ctrtest-"$ID"/cgroup.procs /sys/fs/cgroup/ctrtest-"$ID"/cgroup.procs; do
    [ ! -e "$procs" ] || [ -z "$(cat "$procs")" ]
  done
}

@test "a hook whose path does not exist fails create" {
  make_bundle "$B" sleep 100
  add_hook createRuntime '{"path": "/no/such/hook", "args": ["hook"]}'
  run rt create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  run rt list -q
  [ -z "$output" ]
}

@test "a hook that outlives its timeout fails create in bounded time" {
  make_bundle "$B" sleep 100
  add_hook createRuntime '{"path": "/bin/sleep", "args": ["sleep", "100"], "timeout": 1}'
  start=$SECONDS
  run rt create --bundle "$B" "$ID"
  elapsed=$((SECONDS - start))
  echo "status=$status elapsed=${elapsed}s"
  [ "$status" -ne 0 ]
  [ "$elapsed" -lt 10 ]
  run rt list -q
  [ -z "$output" ]
}
