# Shared helpers for the ctr-run integration tests (bats).
#
# Every test can run against any runc-compatible runtime:
#   RUNTIME=$(command -v runc) bats tests/
# Tests that check ctr-run's own message formats call require_ctr_run.

bats_require_minimum_version 1.5.0

RUNTIME=${RUNTIME:-$BATS_TEST_DIRNAME/../_build/runtime/ctr-run}
case $RUNTIME in
  /*) ;;
  */*) RUNTIME=$(cd "$(dirname "$RUNTIME")" 2>/dev/null && pwd)/$(basename "$RUNTIME") ;;
  *) RUNTIME=$(command -v "$RUNTIME" || echo "$RUNTIME") ;;
esac
RUNTIME_NAME=$(basename "$RUNTIME")
TOOLS_DIR=$BATS_TEST_DIRNAME/tools
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
# A runtime call never hangs the suite: it is killed after this many seconds.
RT_TIMEOUT=${RT_TIMEOUT:-30}

is_ctr_run() { [ "$RUNTIME_NAME" = ctr-run ]; }

require_ctr_run() {
  is_ctr_run || skip "ctr-run-specific (${1:-message format}); RUNTIME is $RUNTIME_NAME"
}

# skip_if_runc_before VERSION REASON: skip for a runc older than VERSION
# (a known gap of the reference runtime, not of the test).
skip_if_runc_before() {
  [ "$RUNTIME_NAME" = runc ] || return 0
  local have
  have=$("$RUNTIME" --version | sed -n 's/^runc version \([0-9.]*\).*/\1/p')
  if [ "$(printf '%s\n%s\n' "$have" "$1" | sort -V | head -1)" != "$1" ]; then
    skip "runc $have < $1: $2"
  fi
}

# skip_if_runc REASON: skip for runc, for a known runc deviation from the
# OCI spec that is not fixed in a released version we can name.
skip_if_runc() {
  [ "$RUNTIME_NAME" != runc ] || skip "known runc deviation: $1"
}

# rt ARGS...: the runtime under test with this test's own state root.
# fd 3 (bats' output channel) is closed so a leaked fd can never hang bats.
rt() {
  timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$STATE" "$@" 3>&-
}

# make_rootfs DIR: a busybox rootfs with every applet, users and groups.
make_rootfs() {
  local dir=$1 applet
  mkdir -p "$dir"/{bin,proc,sys,dev,tmp,etc,root,home/test}
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
  chmod 1777 "$dir/tmp"
  cat >"$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
test:x:1000:1000:test:/home/test:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$dir/etc/group" <<'EOF'
root:x:0:
wheel:x:10:
uucp:x:20:
test:x:1000:
nogroup:x:65534:
EOF
  echo "127.0.0.1 localhost" >"$dir/etc/hosts"
  chown 1000:1000 "$dir/home/test"
}

# make_bundle DIR [ARGS...]: the runtime's default spec plus a copy of the
# per-file rootfs; terminal off, process.args set to ARGS (default: true).
make_bundle() {
  local dir=$1
  shift
  mkdir -p "$dir"
  [ -d "$dir/rootfs" ] || cp -a "$ROOTFS_TEMPLATE" "$dir/rootfs"
  rm -f "$dir/config.json"
  rt spec --bundle "$dir" || { echo "make_bundle: '$RUNTIME_NAME spec' failed" >&2; return 1; }
  [ $# -gt 0 ] || set -- true
  cfg "$dir" '.process.terminal = false | .process.args = $a' --argjson a "$(json_array "$@")"
}

# json_array ARGS...: the arguments as a JSON array of strings.
json_array() { jq -cn '$ARGS.positional' --args -- "$@"; }

# cfg DIR FILTER [JQ-OPTIONS...]: edit DIR/config.json in place with jq.
cfg() {
  local dir=$1 filter=$2
  shift 2
  jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.tmp" &&
    mv "$dir/config.json.tmp" "$dir/config.json"
}

# set_args DIR ARGS...: replace process.args.
set_args() {
  local dir=$1
  shift
  cfg "$dir" '.process.args = $a' --argjson a "$(json_array "$@")"
}

# ct_create ID [FLAGS...]: create container ID from bundle $B (or $BUNDLE).
# The container's stdio goes to files, never to a pipe bats waits on.
ct_create() {
  local id=$1
  shift
  rt create --bundle "${BUNDLE:-$B}" "$@" "$id" \
    </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" || {
    local rc=$?
    echo "create $id failed ($rc):" >&2
    cat "$BATS_TEST_TMPDIR/$id.err" >&2
    return $rc
  }
}

# ct_start_running ID: create + start + wait until running.
ct_start_running() {
  ct_create "$@" || return
  rt start "$1" || return
  wait_for_status "$1" running
}

ct_status() { rt state "$1" 2>/dev/null | jq -r .status; }
ct_pid() { rt state "$1" | jq -r .pid; }

# wait_for_output WANT SECONDS CMD...: poll CMD until it prints WANT.
wait_for_output() {
  local want=$1 deadline=$((SECONDS + $2)) got
  shift 2
  while :; do
    got=$("$@" 2>/dev/null)
    [ "$got" = "$want" ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      echo "waited for '$*' to print '$want'; it prints '$got'" >&2
      return 1
    fi
    sleep 0.05
  done
}

# wait_for_status ID STATUS [SECONDS]: poll `state` until STATUS (default 5s).
wait_for_status() { wait_for_output "$2" "${3:-5}" ct_status "$1"; }

# kernel_freezer_state PID: what the kernel says of the freezer cgroup of PID
# (v1 freezer.state, or v2 cgroup.events on a host without the v1 freezer):
# FROZEN or THAWED (or FREEZING, v1).
kernel_freezer_state() {
  local rel
  rel=$(awk -F: '$2 ~ /(^|,)freezer(,|$)/ { print $3 }' "/proc/$1/cgroup")
  if [ -n "$rel" ] && [ -d /sys/fs/cgroup/freezer ]; then
    cat "/sys/fs/cgroup/freezer$rel/freezer.state"
  else
    rel=$(awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup")
    grep -q '^frozen 1' "/sys/fs/cgroup$rel/cgroup.events" && echo FROZEN || echo THAWED
  fi
}

# wait_for_file FILE [SECONDS]: poll until FILE exists and is not empty.
wait_for_file() {
  local f=$1 deadline=$((SECONDS + ${2:-5}))
  until [ -s "$f" ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "wait_for_file: $f did not appear" >&2
      return 1
    fi
    sleep 0.05
  done
}

# wait_for_grep PATTERN FILE [SECONDS]: poll until FILE has a line matching PATTERN.
wait_for_grep() {
  local pat=$1 f=$2 deadline=$((SECONDS + ${3:-5}))
  until grep -q -- "$pat" "$f" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "wait_for_grep: '$pat' not in $f" >&2
      return 1
    fi
    sleep 0.05
  done
}

# wait_for_exit PID [SECONDS]: poll until process PID is gone.
wait_for_exit() {
  local pid=$1 deadline=$((SECONDS + ${2:-5}))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "wait_for_exit: $pid still alive" >&2
      return 1
    fi
    sleep 0.05
  done
}

# refused WORD...: `create` of $B fails, and leaves no container; ctr-run's
# error is one line that has every WORD in it (runc's wording is its own).
# The container's stdio goes to files, so a create that wrongly succeeds
# cannot keep bats waiting on a pipe.
# $stderr is the runtime's stderr.
refused() {
  local rc=0 w
  rt create --bundle "$B" "$ID" </dev/null >"$BATS_TEST_TMPDIR/refused.out" \
    2>"$BATS_TEST_TMPDIR/refused.err" || rc=$?
  stderr=$(cat "$BATS_TEST_TMPDIR/refused.err")
  echo "create: status $rc, stderr: $stderr"
  [ "$rc" -ne 0 ] || { echo "create succeeded: the field was ignored"; return 1; }
  [ -z "$(rt list -q 2>/dev/null)" ] || { echo "containers left: $(rt list -q)"; return 1; }
  is_ctr_run || return 0
  [ "$rc" -eq 1 ] || { echo "exit status $rc, wanted 1"; return 1; }
  [ "$(wc -l <"$BATS_TEST_TMPDIR/refused.err")" -eq 1 ] || { echo "stderr is not one line"; return 1; }
  for w; do
    [[ $stderr == *"$w"* ]] || { echo "stderr lacks: $w"; return 1; }
  done
}

# bg_track PID: kill this background process in teardown if still alive.
bg_track() { BG_PIDS+=("$1"); }

# start_receiver [OPTIONS]: console_recv.py (a --console-socket receiver) in
# the background on $SOCK, output to $CONSOLE_OUT; returns once the socket accepts connections.
start_receiver() {
  "$PYTHON" "$TOOLS_DIR/console_recv.py" "$SOCK" "$CONSOLE_OUT" --timeout 20 "$@" \
    </dev/null 2>"$BATS_TEST_TMPDIR/recv.err" 3>&- &
  RECV_PID=$!
  bg_track "$RECV_PID"
  wait_for_socket "$SOCK" "$RECV_PID" "$BATS_TEST_TMPDIR/recv.err"
}

# wait_for_socket SOCKET PID ERRFILE: poll until the server PID listens on
# SOCKET; if it dies first (or 10 s pass), show its ERRFILE and fail.
wait_for_socket() {
  local deadline=$((SECONDS + 10))
  until [ -S "$1" ]; do
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; return 1; }
    [ $SECONDS -lt $deadline ] || { echo "nothing listens on $1" >&2; return 1; }
    sleep 0.05
  done
}

# wait_receiver: wait for the receiver to see EOF/EIO; $console_lines holds
# what it got, without the terminal's carriage returns.
wait_receiver() {
  local rc=0
  wait "$RECV_PID" || rc=$?
  cat "$BATS_TEST_TMPDIR/recv.err" >&2
  mapfile -t console_lines < <(tr -d '\r' <"$CONSOLE_OUT")
  printf 'console: %s\n' "${console_lines[@]}"
  return $rc
}

common_setup_file() {
  export ROOTFS_TEMPLATE=$BATS_FILE_TMPDIR/rootfs
  make_rootfs "$ROOTFS_TEMPLATE"
}

common_setup() {
  [ -x "$RUNTIME" ] || skip "runtime not built: $RUNTIME"
  command -v jq >/dev/null || skip "jq not installed"
  [ -x /bin/busybox ] || skip "busybox-static not installed"
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  STATE=$BATS_TEST_TMPDIR/state
  B=$BATS_TEST_TMPDIR/bundle
  ID=t${BASHPID}-${BATS_TEST_NUMBER}
  SOCK=$BATS_TEST_TMPDIR/console.sock
  CONSOLE_OUT=$BATS_TEST_TMPDIR/console.out
  BG_PIDS=()
}

common_teardown() {
  local id pid mnt
  [ -n "${STATE:-}" ] || return 0
  for pid in "${BG_PIDS[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -d "$STATE" ]; then
    for id in $(rt list -q 2>/dev/null); do
      rt delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  # Host mounts a test made under its tmpdir (deepest first).
  for mnt in $(findmnt -rn -o TARGET | grep "^$BATS_TEST_TMPDIR/" | sort -r); do
    umount -l "$mnt" 2>/dev/null || true
  done
}
