#!/usr/bin/env bats
# ctr-run and runc side by side on the same bundle: the same exit codes, the
# same output, the same state JSON keys. runc is the reference here; crun
# refuses this project's hybrid cgroup hosts, so it is only used where the
# host lets it run.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  is_ctr_run || skip "compares ctr-run with runc; RUNTIME is $RUNTIME_NAME"
  REF=$(command -v runc) || skip "runc is not installed"
  REF_STATE=$BATS_TEST_TMPDIR/ref-state
}
teardown() {
  local id
  for id in $("$REF" --root "$REF_STATE" list -q 2>/dev/null); do
    "$REF" --root "$REF_STATE" delete --force "$id" >/dev/null 2>&1
  done
  common_teardown
}

ref() { timeout -k 5 "$RT_TIMEOUT" "$REF" --root "$REF_STATE" "$@" 3>&-; }

# both_run ARGS...: run the bundle $B with each runtime; sets ours_out,
# ours_rc, ref_out, ref_rc (stdout and stderr together).
both_run() {
  set_args "$B" "$@"
  ours_out=$(rt run --bundle "$B" "$ID" </dev/null 2>&1) && ours_rc=0 || ours_rc=$?
  ref_out=$(ref run --bundle "$B" "$ID-ref" </dev/null 2>&1) && ref_rc=0 || ref_rc=$?
  printf 'ctr-run (%s): %s\nrunc (%s): %s\n' "$ours_rc" "$ours_out" "$ref_rc" "$ref_out"
}

@test "same exit codes as runc" {
  make_bundle "$B"
  for code in 0 1 3 42 255; do
    both_run sh -c "exit $code"
    [ "$ours_rc" -eq "$code" ]
    [ "$ours_rc" -eq "$ref_rc" ]
  done
  # pid 1 of a pid namespace ignores signals it has no handler for, even its own.
  both_run sh -c 'kill -TERM $$; echo survived'
  [ "$ours_rc" -eq "$ref_rc" ]
  [ "$ours_out" = survived ]
}

@test "same process view as runc: ids, env, cwd, hostname, pid, capabilities, limits" {
  make_bundle "$B"
  cfg "$B" '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}
            | .process.env += ["FOO=bar"] | .process.cwd = "/tmp" | .hostname = "cmp"'
  both_run sh -c 'id; echo $FOO; pwd; hostname; echo $$; grep -E "^(Cap|NoNewPrivs)" /proc/self/status; ulimit -n; umask'
  [ "$ours_rc" -eq 0 ]
  [ "$ours_out" = "$ref_out" ]
}

@test "same filesystem view as runc: mounts, devices, masked and read-only paths" {
  make_bundle "$B"
  # Compare what a process sees: mount points with their ro/rw flag, /dev,
  # and writability. /sys/fs/cgroup differs by design: ctr-run makes the tmpfs
  # read-only as the mount's "ro" option asks (runc leaves it writable), and
  # on hybrid hosts it also binds the unified hierarchy, as systemd lays it out.
  both_run sh -c 'awk "{split(\$4, o, \",\"); print \$2, o[1]}" /proc/mounts | sort -u |
                    grep -v -e "^/sys/fs/cgroup ro" -e "^/sys/fs/cgroup rw" -e "^/sys/fs/cgroup/unified "
                  ls /dev | sort; ls -l /dev/null | cut -c1-10
                  cat /proc/keys | wc -c; touch /proc/sys/x 2>/dev/null && echo sys-rw || echo sys-ro
                  touch /x 2>/dev/null && echo root-rw || echo root-ro'
  [ "$ours_rc" -eq 0 ]
  [ "$ours_out" = "$ref_out" ]
}

@test "same state JSON keys and statuses as runc through the lifecycle" {
  make_bundle "$B" sleep 100
  ct_create "$ID"
  ref create --bundle "$B" "$ID-ref" </dev/null >/dev/null 2>&1
  keys() { jq -c 'del(.annotations) | keys'; }
  [ "$(rt state "$ID" | keys)" = "$(ref state "$ID-ref" | keys)" ]
  [ "$(ct_status "$ID")" = "$(ref state "$ID-ref" | jq -r .status)" ]
  rt start "$ID"
  ref start "$ID-ref"
  [ "$(ct_status "$ID")" = running ]
  [ "$(ref state "$ID-ref" | jq -r .status)" = running ]
  rt kill "$ID" KILL
  ref kill "$ID-ref" KILL
  wait_for_status "$ID" stopped
  [ "$(rt state "$ID" | keys)" = "$(ref state "$ID-ref" | keys)" ]
  # Both refuse to start a stopped container, and both delete it.
  run rt start "$ID"
  [ "$status" -ne 0 ]
  run ref start "$ID-ref"
  [ "$status" -ne 0 ]
  rt delete "$ID"
  ref delete "$ID-ref"
  run rt state "$ID"
  [ "$status" -ne 0 ]
}

@test "same refusals as runc for bad bundles" {
  make_bundle "$B"
  for filter in '.process.args = ["/nonexistent"]' '.process.cwd = "relative"' \
                '.root.path = "/nonexistent-root"' '.process.args = []'; do
    cp "$B/config.json" "$B/config.json.orig"
    cfg "$B" "$filter"
    run rt create --bundle "$B" "$ID"
    ours=$status
    run ref create --bundle "$B" "$ID-ref"
    echo "$filter: ctr-run $ours, runc $status"
    [ "$ours" -ne 0 ]
    [ "$status" -ne 0 ]
    [ -z "$(rt list -q)" ]
    mv "$B/config.json.orig" "$B/config.json"
  done
}
