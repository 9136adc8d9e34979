# Shared by the bench/ scripts: argument checking against the script's own
# header comment, messages, ratios, the check that a run left nothing behind,
# and the cgroup moves that let crun 1.8 run on a hybrid host (undone by the
# script's EXIT trap). Source it after `set -euo pipefail`:
#   . "$(dirname "$0")/lib.sh"; bench_args MAX_ARGS "$@"

BENCH_NAME=$(basename "$0")

usage() {
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
}

# bench_args MAX ARGS...: --help prints the header; more than MAX arguments is a usage error.
bench_args() {
	local max=$1
	shift
	case "${1:-}" in
	-h | --help) usage; exit 0 ;;
	esac
	if (($# > max)); then
		usage >&2
		exit 2
	fi
}

msg() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

# record_run TOOL RUN: a timed run's last_ns and last_kib (set by the
# caller's run function) added to the caller's times[TOOL] (ns, a list)
# and rss[TOOL] (the largest KiB), and said on stderr.
# shellcheck disable=SC2154 # last_ns and last_kib are the caller's
record_run() {
	times[$1]+="$last_ns "
	((last_kib > ${rss[$1]:-0})) && rss[$1]=$last_kib
	msg "run $2 $1: $(awk -v n="$last_ns" 'BEGIN { printf "%.3f", n / 1e9 }') s, $last_kib KiB"
}

ratio() { # a b -> a/b with two decimals, or - if either is missing
	if [[ ${1:-} =~ ^[0-9.]+$ && ${2:-} =~ ^[0-9.]+$ ]]; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	else
		printf -- '-'
	fi
}

# --- runs that must leave nothing behind ---------------------------------------

# left_behind STATE ID: whether a run of container ID left its state
# directory (STATE/ID) or a cgroup named ID behind; if so, says which on
# stdout ("left its state behind: PATH") and succeeds.
left_behind() {
	local state=$1 id=$2 left
	if [[ -e $state/$id ]]; then
		echo "left its state behind: $state/$id"
		return 0
	fi
	left=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name "$id" 2>/dev/null | head -n 1)
	if [[ -n $left ]]; then
		echo "left its cgroup behind: $left"
		return 0
	fi
	return 1
}

# --- crun on a hybrid cgroup host ------------------------------------------------

# crun 1.8 refuses a hybrid host whose cgroup2 hierarchy has controllers
# ("cgroups in hybrid mode not supported, drop all controllers from
# cgroupv2"). make_crun_work moves each such controller to a v1 hierarchy of
# its own and records it in moved_controllers; give_back_controllers, from the
# script's EXIT trap, unmounts them again.
moved_controllers=()

# make_crun_work: mounts each controller of the cgroup2 hierarchy on
# /sys/fs/cgroup/CONTROLLER; fails if there is none or a mount fails.
make_crun_work() {
	local unified=/sys/fs/cgroup/unified c controllers
	controllers=$(cat "$unified/cgroup.controllers" 2>/dev/null) || return 1
	[[ -n $controllers ]] || return 1
	for c in $controllers; do
		mkdir -p "/sys/fs/cgroup/$c"
		if mountpoint -q "/sys/fs/cgroup/$c"; then
			continue
		fi
		if mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"; then
			moved_controllers+=("$c")
			msg "crun: mounted the $c controller on its own v1 hierarchy: mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c"
		else
			rmdir "/sys/fs/cgroup/$c" 2>/dev/null || true
			return 1
		fi
	done
}

# probe_crun NAME LABEL: the script's `probe NAME` (which sets note[NAME] when
# it fails) for a column that runs crun; if crun refuses this hybrid host,
# make_crun_work and probe again. LABEL names the column in the messages.
# shellcheck disable=SC2154 # note is the script's
probe_crun() {
	local name=$1 label=$2
	probe "$name" && return 0
	msg "$label: ${note[$name]}"
	if [[ ${note[$name]} == *"hybrid mode not supported"* ]] && make_crun_work && probe "$name"; then
		unset "note[$name]"
		msg "$label: runs now"
	else
		msg "$label: still cannot run here; continuing without it"
	fi
}

# give_back_controller CONTROLLER: unmounts its v1 hierarchy. That destroys the
# hierarchy, and so gives the controller back to cgroup2, only if it has no
# child cgroups then, and the cgroups the runtimes just removed can still be
# dying. An unmounted hierarchy that survived stays until it is mounted and
# unmounted again, so retry until it is gone.
give_back_controller() {
	local c=$1 try poll
	for ((try = 0; try < 20; try++)); do
		umount "/sys/fs/cgroup/$c" || return 1
		for ((poll = 0; poll < 10; poll++)); do
			if awk -v c="$c" '$1 == c && $2 == 0 { found = 1 } END { exit !found }' /proc/cgroups; then
				rmdir "/sys/fs/cgroup/$c"
				return 0
			fi
			sleep 0.1
		done
		mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || return 1
	done
	umount "/sys/fs/cgroup/$c"
	return 1
}

# give_back_controllers: give_back_controller for each of moved_controllers,
# saying how it went.
give_back_controllers() {
	local c
	for c in "${moved_controllers[@]}"; do
		if give_back_controller "$c"; then
			msg "unmounted the v1 $c hierarchy: $c is back on cgroup2"
		else
			msg "warning: $c is still on a v1 hierarchy; check /proc/cgroups"
		fi
	done
}

# moved_controllers_line: for the summary, a line saying which controllers
# were moved for crun (none if none were).
moved_controllers_line() {
	if ((${#moved_controllers[@]})); then
		echo "cgroups: moved ${moved_controllers[*]} from cgroup2 to v1 for crun during the run (undone on exit)"
	fi
}
