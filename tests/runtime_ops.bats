#!/usr/bin/env bats
# Operations on a running container: pause/resume with the cgroup freezer
# (v1 freezer.state or v2 cgroup.freeze, whichever the host has) and ps.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# A container whose init has a child: sh waiting on a background sleep.
start_two() {
  make_bundle "$B" sh -c 'sleep 600 & echo started >/tmp/ready; wait'
  cfg "$B" '.root.readonly = false'
  ct_start_running "$ID"
  wait_for_file "$B/rootfs/tmp/ready"
}

@test "pause freezes every process; resume thaws them; state and list say so" {
  start_two
  local pid
  pid=$(ct_pid "$ID")
  rt pause "$ID"
  [ "$(ct_status "$ID")" = paused ]
  [ "$(kernel_freezer_state "$pid")" = FROZEN ]
  run rt list
  [[ $output == *"$ID"*paused* ]]
  rt resume "$ID"
  [ "$(ct_status "$ID")" = running ]
  [ "$(kernel_freezer_state "$pid")" = THAWED ]
  # Thawed, it acts on a signal again.
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
}

@test "pause and resume refuse containers in the wrong state" {
  require_ctr_run
  make_bundle "$B" sleep 600
  ct_create "$ID"
  run --separate-stderr rt pause "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = "ctr-run: error: cannot pause container \"$ID\": it is created" ]
  rt start "$ID"
  wait_for_status "$ID" running
  run --separate-stderr rt resume "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = "ctr-run: error: cannot resume container \"$ID\": it is running" ]
  run --separate-stderr rt pause nosuch
  [ "$status" -eq 1 ]
  [[ $stderr == *"nosuch"*"does not exist"* ]]
}

@test "a paused container is deleted only with --force, and leaves no cgroup" {
  start_two
  rt pause "$ID"
  run rt delete "$ID"
  [ "$status" -ne 0 ]
  [ "$(ct_status "$ID")" = paused ]
  rt delete --force "$ID"
  run rt state "$ID"
  [ "$status" -ne 0 ]
  [ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$ID" 2>/dev/null)" ]
}

@test "ps lists the container's processes: pids as JSON, or ps -ef lines" {
  start_two
  local pid child
  pid=$(ct_pid "$ID")
  child=$(pgrep -P "$pid" sleep)
  [ -n "$child" ]
  run rt ps --format json "$ID"
  [ "$status" -eq 0 ]
  [ "$(jq -c 'sort' <<<"$output")" = "$(jq -cn --argjson a "$pid" --argjson b "$child" '[$a, $b] | sort')" ]
  run rt ps "$ID"
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == UID*PID*CMD ]]
  [ "${#lines[@]}" -eq 3 ]
  [[ $output == *"sleep 600"* ]]
  # ps's own options after the id, as runc takes them.
  run rt ps "$ID" -o pid,comm
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[0]}" | xargs)" = "PID COMMAND" ]
  [ "$(printf '%s\n' "${lines[@]:1}" | awk '{ print $1 }' | sort -n | xargs)" = "$(printf '%s\n' "$pid" "$child" | sort -n | xargs)" ]
}

@test "ps of a stopped container lists nothing" {
  skip_if_runc "runc prints null, not an empty JSON array"
  make_bundle "$B" true
  ct_start_running "$ID" || true
  wait_for_status "$ID" stopped
  run rt ps --format json "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "[]" ]
}

@test "features: the OCI features document, as runc prints it, of what ctr-run accepts" {
  run --separate-stderr rt features
  [ "$status" -eq 0 ]
  jq -e '.ociVersionMin == "1.0.0" and (.ociVersionMax | startswith("1."))' <<<"$output" >/dev/null
  jq -e '(.hooks | index("createContainer")) and (.mountOptions | index("rbind"))' <<<"$output" >/dev/null
  jq -e '(.linux.namespaces | index("pid")) and (.linux.capabilities | index("CAP_SYS_ADMIN"))' <<<"$output" >/dev/null
  jq -e '.linux.cgroup.v1 and .linux.cgroup.v2' <<<"$output" >/dev/null
  # Every mount option it claims is one config.json may use: a bundle with
  # all of them on a tmpfs is accepted (the flags cancel each other out;
  # idmap and ridmap are for bind mounts only).
  if is_ctr_run; then
    jq -e '.linux.seccomp.enabled == true and .linux.cgroup.systemd == true' <<<"$output" >/dev/null
    make_bundle "$B" true
    cfg "$B" '.mounts += [{"destination": "/opts", "type": "tmpfs", "source": "tmpfs",
      "options": [$o[] | select(test("^(r?bind|remount|ro|mand|r?unbindable|r?shared|r?slave|r?idmap)$") | not)]}]' \
      --argjson o "$(jq -c .mountOptions <<<"$output")"
    run --separate-stderr rt run -b "$B" "$ID"
    [ "$status" -eq 0 ]
  fi
}

@test "SIGKILL ends a pause; kill --all reaches what is left after init" {
  start_two
  rt pause "$ID"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  # A stopped container: kill --all signals what is left in the cgroup (none
  # here) and succeeds, as runc; a plain kill says what engines look for.
  rt kill --all "$ID" KILL
  run --separate-stderr rt kill "$ID" TERM
  [ "$status" -ne 0 ]
  [[ $stderr == *"container not running"* ]]
}

@test "kill --all reaches init's children in a container without its own pid namespace" {
  make_bundle "$B" sh -c 'sleep 600 & echo $! >/tmp/child; exec sleep 601'
  cfg "$B" '.root.readonly = false | .linux.namespaces |= map(select(.type != "pid"))'
  ct_start_running "$ID"
  wait_for_file "$B/rootfs/tmp/child"
  local child
  child=$(cat "$B/rootfs/tmp/child")
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  kill -0 "$child"
  rt kill --all "$ID" KILL
  wait_for_exit "$child"
}

@test "delete removes the cgroups a container made below its own" {
  make_bundle "$B" sh -c 'for d in /sys/fs/cgroup/*/; do mkdir -p "$d/sub/deeper"; done; echo made >/tmp/made; sleep 600'
  cfg "$B" '.root.readonly = false
            | .mounts |= map(if .type == "cgroup" then .options = ["nosuid", "noexec", "nodev", "rw"] else . end)'
  ct_start_running "$ID"
  wait_for_file "$B/rootfs/tmp/made"
  [ -n "$(find /sys/fs/cgroup -type d -path "*/sub/deeper" 2>/dev/null | grep -F "$ID")" ]
  rt delete --force "$ID"
  [ -z "$(find /sys/fs/cgroup -type d -path "*$ID*" 2>/dev/null)" ]
}
