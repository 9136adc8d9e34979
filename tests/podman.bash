# podman driving ctr-run as its OCI runtime (bats): a private podman store,
# configuration and image per test file, nothing read from or written to the
# host's podman store or configuration.
#
#   load helpers      # make_rootfs (for the image), wait_for_file, ...
#   load registry     # make_busybox_image (umoci)
#   load podman
#
#   setup_file() { podman_setup_file; }        # records a skip reason when a tool is missing
#   teardown_file() { podman_teardown_file; }  # removes every container, mount, state dir, cgroup
#   setup() { podman_setup; }                  # skips with that reason
#   teardown() { podman_teardown; }            # removes this test's containers; on failure
#                                              # prints the runtime calls the test made
#
# The runtime is $CTR_RUN (default: the build tree's ctr-run); any
# runc-compatible runtime works as a reference: CTR_RUN=$(command -v runc)
# (all tests pass with runc 1.1.5).
# podman runs it through a wrapper, $PM_DIR/bin/<runtime name>, that appends
# every call (who made it, its arguments, its exit status) to $PM_CALLS.
# PM_CALLS_COPY=FILE keeps a copy of that log after the file's tests.
#
# Host facts these helpers assume or work around:
# - systemd is not running: --cgroup-manager cgroupfs, --events-backend file.
# - No CAP_SYS_RESOURCE: podman's default RLIMIT_NOFILE/NPROC (1048576) cannot
#   be set; containers.conf sets default_ulimits to 1024 (infra containers too).
# - A runtime whose `features` says seccomp is disabled gets seccomp_profile =
#   "unconfined" in containers.conf; the test of the default profile skips.
# - podman (4.3, as root) passes no --root to the runtime: its state is in the
#   runtime's default root ($PM_STATE_ROOT, /run/ctr for ctr-run). podman's
#   --runtime-flag cannot move it: the `podman container cleanup` that conmon
#   runs at exit is not given the runtime flags, and would delete from the
#   default root. teardown_file deletes what this file's containers left there.
# - lock_type = "file" (in $PM_DIR/tmp), not the host-wide /dev/shm/libpod_lock.
# - The one thing shared with the host is containers/image's blob-info cache
#   (/var/lib/containers/cache), which podman updates when it pulls: it has no
#   setting to move it for root.

bats_require_minimum_version 1.5.0

# The runtime: $CTR_RUN, else helpers.bash's $RUNTIME (so that
# `RUNTIME=$(command -v runc) bats tests/` covers this file too), else the
# build tree's ctr-run.
CTR_RUN=${CTR_RUN:-${RUNTIME:-$BATS_TEST_DIRNAME/../_build/runtime/ctr-run}}
case $CTR_RUN in
  /*) ;;
  */*) CTR_RUN=$(cd "$(dirname "$CTR_RUN")" 2>/dev/null && pwd)/$(basename "$CTR_RUN") ;;
  *) CTR_RUN=$(command -v "$CTR_RUN" || echo "$CTR_RUN") ;;
esac
CTR_RUN_NAME=$(basename "$CTR_RUN")
# A podman call never hangs the suite: it is killed after this many seconds.
PM_TIMEOUT=${PM_TIMEOUT:-60}
PM_IMAGE=localhost/busybox:latest

# podman_require: the tools these helpers need. In setup_file it records the
# reason in PM_MISSING (tests then skip in podman_setup); non-zero if missing.
podman_require() {
  local tool missing=()
  for tool in podman conmon umoci jq script timeout findmnt; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ -x /bin/busybox ] || missing+=(busybox-static)
  [ "$(id -u)" -eq 0 ] || missing+=(root)
  [ -x "$CTR_RUN" ] || missing+=("runtime $CTR_RUN (not built?)")
  if [ ${#missing[@]} -gt 0 ]; then
    export PM_MISSING="missing: ${missing[*]}"
    return 1
  fi
}

# _pm_default_root NAME: where runtime NAME keeps its state without --root.
_pm_default_root() {
  case $1 in
    ctr-run) echo /run/ctr ;;
    runc) echo /run/runc ;;
    crun) echo /run/crun ;;
    *) echo "/run/$1" ;;
  esac
}

# feature_enabled JQ-PATH: the runtime's `features` says JQ-PATH is true (a
# runtime without `features` is taken to have everything).
feature_enabled() {
  local doc
  doc=$("$CTR_RUN" features 2>/dev/null) || return 0
  jq -e "$1" <<<"$doc" >/dev/null
}

# pm ARGS...: podman with the private store and the runtime wrapper; run in
# $PM_CWD (conmon inherits the cwd and drops its "oom" file there).
pm() {
  (cd "${PM_CWD:-$PM_DIR/cwd}" && timeout -k 5 "$PM_TIMEOUT" "$PM_DIR/bin/pm" "$@" 3>&-)
}

# pm_fd3 FILE ARGS...: pm ARGS with FILE open on fd 3 (for --preserve-fds;
# pm closes bats' fd 3 otherwise).
pm_fd3() {
  local file=$1
  shift
  (cd "${PM_CWD:-$PM_DIR/cwd}" && timeout -k 5 "$PM_TIMEOUT" "$PM_DIR/bin/pm" "$@" 3<"$file")
}

# pm_input DATA ARGS...: pm ARGS with DATA on its stdin.
pm_input() {
  local data=$1
  shift
  printf '%s' "$data" | pm "$@"
}

# pm_calls [ID]: the runtime calls logged since this test began (of container
# ID only, when given), one line each: "[pid] caller: args" / "[pid] exit N".
pm_calls() {
  local mark=${PM_CALLS_MARK:-0}
  if [ -n "${1:-}" ]; then
    tail -n +"$((mark + 1))" "$PM_CALLS" | grep -F -- "$1"
  else
    tail -n +"$((mark + 1))" "$PM_CALLS"
  fi
}

# _pm_write_files: the wrapper, the pm command and the configuration.
_pm_write_files() {
  local driver=$1 seccomp=$2
  mkdir -p "$PM_DIR"/{bin,conf,root,runroot,tmp,netconf,cwd}
  : >"$PM_CALLS"
  # The runtime wrapper. Its name is the runtime's: podman decides by name
  # whether a runtime takes --log-format=json (runtime_supports_json).
  cat >"$PM_WRAPPER" <<EOF
#!/bin/sh
# Logs a call of the OCI runtime (by podman or conmon), then makes it.
{
  printf '[%s] %s:' "\$\$" "\$(cat /proc/\$PPID/comm 2>/dev/null)"
  for a in "\$@"; do printf ' %s' "\$a"; done
  echo
} >>'$PM_CALLS'
'$CTR_RUN' "\$@"
rc=\$?
echo "[\$\$] exit \$rc" >>'$PM_CALLS'
exit \$rc
EOF
  cat >"$PM_DIR/conf/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
$([ "$seccomp" = true ] || echo 'seccomp_profile = "unconfined"')

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
lock_type = "file"
runtime_supports_json = ["$CTR_RUN_NAME", "crun", "runc"]

[network]
network_config_dir = "$PM_DIR/netconf"
EOF
  cat >"$PM_DIR/conf/storage.conf" <<EOF
[storage]
driver = "$driver"
graphroot = "$PM_DIR/root"
runroot = "$PM_DIR/runroot"
EOF
  : >"$PM_DIR/conf/registries.conf"
  echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$PM_DIR/conf/policy.json"
  # pm: podman with every global option this store needs. An executable, not
  # only a function, so that script(1) can run it on a terminal.
  # PM_CONTAINERS_CONF=FILE replaces containers.conf for one call.
  cat >"$PM_DIR/bin/pm" <<EOF
#!/bin/sh
export CONTAINERS_CONF="\${PM_CONTAINERS_CONF:-$PM_DIR/conf/containers.conf}"
export CONTAINERS_STORAGE_CONF='$PM_DIR/conf/storage.conf'
export CONTAINERS_REGISTRIES_CONF='$PM_DIR/conf/registries.conf'
exec podman --root '$PM_DIR/root' --runroot '$PM_DIR/runroot' --tmpdir '$PM_DIR/tmp' \\
  --storage-driver '$driver' --runtime '$PM_WRAPPER' \\
  --cgroup-manager cgroupfs --events-backend file "\$@"
EOF
  chmod +x "$PM_WRAPPER" "$PM_DIR/bin/pm"
}

# podman_setup_file: the private store with image $PM_IMAGE (a busybox
# image built with umoci). Exports PM_DIR PM_CALLS PM_WRAPPER PM_STATE_ROOT
# PM_SECCOMP PM_DRIVER.
podman_setup_file() {
  podman_require || return 0
  export PM_DIR=$BATS_FILE_TMPDIR/pm
  export PM_CALLS=$PM_DIR/runtime-calls.log
  export PM_WRAPPER=$PM_DIR/bin/$CTR_RUN_NAME
  export PM_STATE_ROOT=${PM_STATE_ROOT:-$(_pm_default_root "$CTR_RUN_NAME")}
  # What was there before us, so that teardown_file removes only ours.
  export PM_STATE_ROOT_EXISTED=
  [ ! -d "$PM_STATE_ROOT" ] || PM_STATE_ROOT_EXISTED=1
  mkdir -p "$PM_DIR"
  _pm_cgroup_dirs >"$PM_DIR/cgroups.before"
  ls "$PM_STATE_ROOT" >"$PM_DIR/state.before" 2>/dev/null || true

  export PM_SECCOMP=false
  feature_enabled '.linux.seccomp.enabled' && PM_SECCOMP=true
  # overlay on overlay does not work: vfs when the temp dir is on overlayfs.
  export PM_DRIVER=overlay
  [ "$(stat -f -c %T "$BATS_FILE_TMPDIR")" != overlayfs ] || PM_DRIVER=vfs
  _pm_write_files "$PM_DRIVER" "$PM_SECCOMP"

  # The image: an OCI layout (umoci) as an oci-archive whose ref.name is
  # $PM_IMAGE, which podman load takes for the image's name.
  local lay=$BATS_FILE_TMPDIR/pm-image
  make_busybox_image "$BATS_FILE_TMPDIR/img" || return 1
  mkdir -p "$lay" && cp -a "$BATS_FILE_TMPDIR/img/." "$lay/" &&
    jq --arg n "$PM_IMAGE" '.manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] == "latest")
      | .annotations["org.opencontainers.image.ref.name"] = $n)' \
      "$BATS_FILE_TMPDIR/img/index.json" >"$lay/index.json" &&
    tar -C "$lay" -cf "$lay.tar" . || return 1
  pm load -q --signature-policy "$PM_DIR/conf/policy.json" -i "$lay.tar" >/dev/null ||
    { echo "podman_setup_file: podman load of $lay.tar failed" >&2; return 1; }
  pm image exists "$PM_IMAGE" || { echo "podman_setup_file: no $PM_IMAGE after load" >&2; return 1; }
}

podman_setup() {
  [ -z "${PM_MISSING:-}" ] || skip "$PM_MISSING"
  [ -n "${PM_DIR:-}" ] || skip "podman_setup_file did not run"
  PM_CWD=$BATS_TEST_TMPDIR
  PM_CALLS_MARK=$(wc -l <"$PM_CALLS")
}

# _pm_remove_all: every container and pod of the store, killed at once.
_pm_remove_all() {
  pm pod rm -a -f -t 0 >/dev/null 2>&1 || true
  pm rm -a -f -t 0 >/dev/null 2>&1 || true
}

podman_teardown() {
  [ -n "${PM_DIR:-}" ] && [ -z "${PM_MISSING:-}" ] || return 0
  if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
    echo "# runtime calls of this test ($PM_CALLS):"
    pm_calls | sed 's/^/#   /'
    echo "# podman ps -a:"
    pm ps -a 2>&1 | sed 's/^/#   /'
  fi
  _pm_remove_all
}

podman_teardown_file() {
  [ -n "${PM_DIR:-}" ] && [ -d "$PM_DIR" ] || return 0
  local mnt dir id c
  [ -z "${PM_CALLS_COPY:-}" ] || cp "$PM_CALLS" "$PM_CALLS_COPY" || true
  if [ -x "$PM_DIR/bin/pm" ]; then
    _pm_remove_all
    pm system reset -f >/dev/null 2>&1 || true
  fi
  # Mounts podman left under the store (deepest first).
  for mnt in $(findmnt -rn -o TARGET | grep "^$PM_DIR/" | sort -r); do
    umount -l "$mnt" 2>/dev/null || true
  done
  # Runtime state our containers left in the runtime's default root.
  if [ -d "$PM_STATE_ROOT" ]; then
    for dir in "$PM_STATE_ROOT"/*; do
      [ -e "$dir" ] || continue
      id=$(basename "$dir")
      ! grep -qxF -- "$id" "$PM_DIR/state.before" || continue
      timeout 10 "$CTR_RUN" --root "$PM_STATE_ROOT" delete --force "$id" >/dev/null 2>&1 || true
      rm -rf "${PM_STATE_ROOT:?}/$id"
    done
    [ -n "$PM_STATE_ROOT_EXISTED" ] || rmdir "$PM_STATE_ROOT" 2>/dev/null || true
  fi
  # Empty cgroups made for this file: podman's cgroupfs parents, and pods'
  # cgroups, which podman 4.3 removes from the v1 controllers it knows but
  # not from the name=systemd and unified hierarchies (with runc too).
  for c in $(_pm_cgroup_dirs); do
    grep -qxF -- "$c" "$PM_DIR/cgroups.before" || rmdir "$c" 2>/dev/null || true
  done
}

# _pm_cgroup_dirs: podman's cgroupfs directories, deepest first.
_pm_cgroup_dirs() {
  find /sys/fs/cgroup/*/libpod_parent -maxdepth 2 -type d 2>/dev/null | sort -r
}

# --- helpers for tests ---

# pm_cid NAME: the full id of container NAME.
pm_cid() { pm inspect --format '{{.Id}}' "$1"; }

# pm_status NAME: podman's status of container NAME (running, paused, exited...).
pm_status() { pm inspect --format '{{.State.Status}}' "$1"; }

# pm_pid NAME: the host pid of container NAME's init.
pm_pid() { pm inspect --format '{{.State.Pid}}' "$1"; }

# pm_wait_status NAME STATUS [SECONDS]: poll podman until NAME is in STATUS.
pm_wait_status() { wait_for_output "$2" "${3:-10}" pm_status "$1"; }

# pm_on_tty CMD...: podman ARGS run by script(1) on a new terminal; its
# output (CRs removed) in $output, its status in $status (bats run).
pm_on_tty() {
  local cmd
  cmd=$(printf '%q ' "$PM_DIR/bin/pm" "$@")
  # script runs CMD with $SHELL -c: bash, for printf %q's quoting.
  run bash -c 'cd "$1" && SHELL=/bin/bash timeout -k 5 "$2" script -qec "$3" /dev/null </dev/null 3>&- |
    tr -d "\r"; exit ${PIPESTATUS[0]}' _ "$PM_CWD" "$PM_TIMEOUT" "$cmd"
}

# pm_cgroup_left ID: the cgroup directories of container ID that still exist.
pm_cgroup_left() {
  find /sys/fs/cgroup -maxdepth 4 -type d -name "*$1*" 2>/dev/null
}

