#!/usr/bin/env bash
# bench/bundle.sh: how long it takes to run /bin/true in a container made from
# an image, warm, with ctr and with podman, and how much memory that needs.
# The image is a one-layer busybox image built offline (Debian's static
# /bin/busybox, its applet symlinks, /etc/passwd and /etc/group), put in a ctr
# store with `ctr-layer import` and given to podman with `ctr-image save` +
# `podman load` (the same image id), or `podman import` of the same tar if
# that fails. Each timed run does:
#   ctr:    ctr-layer --root STORE bundle bench/busybox:latest DIR -- /bin/true
#           && ctr-run --root STATE run -b DIR ID && ctr-layer --root STORE rm DIR
#           (the layer cache is filled by one untimed `ctr-layer unpack`, so
#           bundle only mounts an overlay and writes config.json; DIR and ID
#           are the same each run: the run before removed them)
#   podman: podman run --rm --network none --ulimit nofile=1024:1024
#           --ulimit nproc=1024:1024 IMAGE /bin/true, with podman's default
#           OCI runtime (crun here) and again with --runtime runc
# podman gets storage of its own in the work directory (--root, --runroot,
# --tmpdir; overlay driver; --events-backend none), --cgroup-manager cgroupfs
# (no systemd here) and a --cgroup-parent of its own; the host's podman state
# is not touched. Each column gets one untimed probe run, then hyperfine's
# warm-up runs. Commands run through sh (hyperfine subtracts the shell's
# start-up time), both tools alike.
#
# Target: ctr bundle+run+rm median wall time <= 0.5 x podman run --rm (default
# runtime).
#
# Usage: bench/bundle.sh [CTR_LAYER_BINARY [CTR_RUN_BINARY [CTR_IMAGE_BINARY]]]
#                                                  (run as root)
#   CTR_LAYER_BINARY  default: $(dirname "$0")/../_build/image/layer/ctr-layer
#   CTR_RUN_BINARY    default: $(dirname "$0")/../_build/runtime/ctr-run
#   CTR_IMAGE_BINARY  default: $(dirname "$0")/../_build/image/tool/ctr-image
#   RUNS=N            timed runs per column (default 20), after 3 warm-up runs;
#                     in 4 rounds, the order of the columns rotating, each
#                     round after one more warm-up run
#   RSS_RUNS=N        runs under /usr/bin/time -f %M per column (default 3)
#
# Peak RSS is GNU time's %M: the largest maximum resident set, in KiB, of any
# one process the command waited for: for ctr the largest of ctr-layer and
# ctr-run; for podman the podman process only (conmon daemonizes, so neither
# it nor the OCI runtime under it is counted).
#
# crun 1.8 refuses a hybrid host whose cgroup2 hierarchy has controllers
# ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2").
# If podman's default runtime fails so, this script moves those controllers
# (here: hugetlb) to v1 hierarchies of their own, as bench/runtime.sh does, e.g.
#   mkdir -p /sys/fs/cgroup/hugetlb
#   mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
# and unmounts them again on exit. All columns are timed on the same layout.
# A column that cannot run is skipped, with the reason.
#
# Needs: busybox-static hyperfine jq podman runc (crun) time (Debian packages).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_args 3 "$@"

here=$(cd "$(dirname "$0")" && pwd)
ctr_layer=${1:-$here/../_build/image/layer/ctr-layer}
ctr_run=${2:-$here/../_build/runtime/ctr-run}
ctr_image=${3:-$here/../_build/image/tool/ctr-image}
RUNS=${RUNS:-20}
RSS_RUNS=${RSS_RUNS:-3}
WARMUP=3
ROUNDS=4


[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$RUNS'"
[[ $RSS_RUNS =~ ^[0-9]+$ ]] || die "RSS_RUNS must be a number, not '$RSS_RUNS'"
((EUID == 0)) || die "must run as root (the runtimes create namespaces, mounts and cgroups)"
busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox not found (apt-get install busybox-static)"
for p in hyperfine jq tar; do
	command -v "$p" >/dev/null || die "$p not found (apt-get install $p)"
done

abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ctr-bench-bundle.XXXXXX")
store=$work/store
state=$work/state
bundle=$work/bundle
id=ctr-bench-$$
cgparent=/ctr-bench-podman-$$ # podman's --cgroup-parent
image=bench/busybox:latest
podman_base=(podman --root "$work/podman/root" --runroot "$work/podman/run"
	--tmpdir "$work/podman/tmp" --storage-driver overlay --events-backend none
	--cgroup-manager cgroupfs)

declare -A cmd      # column -> shell command line of one timed run
declare -A what     # column -> short description
declare -A median   # column -> median wall time in ms
declare -A min max  # column -> fastest and slowest run in ms
declare -A rss      # column -> peak RSS in KiB
declare -A note     # column -> why it was not measured
columns=(ctr podman podman-runc)

cleanup() {
	local c m p mounts
	set +e
	if [[ -n ${ctr_layer_abs:-} && -e $bundle ]]; then
		"$ctr_layer_abs" --root "$store" rm "$bundle" >/dev/null 2>&1
	fi
	if [[ -n ${ctr_run_abs:-} ]]; then
		"$ctr_run_abs" --root "$state" delete --force "$id" >/dev/null 2>&1
	fi
	if [[ -d $work/podman/root ]]; then
		"${podman_base[@]}" rm --all --force >/dev/null 2>&1
		"${podman_base[@]}" rmi --all --force >/dev/null 2>&1
	fi
	# Processes of ours that outlived their run (a conmon, a container).
	for p in $(pgrep -f -- "$work/"); do
		msg "warning: process $p was left running: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null); killing it"
		kill -KILL "$p"
	done
	# Mounts a failed run left below the work directory, innermost first.
	mapfile -t mounts < <(awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	for m in "${mounts[@]}"; do
		umount -l "$m" || msg "warning: could not unmount $m"
	done
	# The cgroups of the runs, then the hierarchies we made for crun.
	find /sys/fs/cgroup -depth -mindepth 2 -maxdepth 8 -type d \
		\( -name "$id" -o -path "*$cgparent" -o -path "*$cgparent/*" \) \
		-exec rmdir {} + 2>/dev/null
	for c in "${moved_controllers[@]}"; do
		# Our own hierarchy: nothing else should be in it (ctr-run's /ctr).
		find "/sys/fs/cgroup/$c" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null
	done
	give_back_controllers
	rm -rf "$work" || msg "warning: could not remove $work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- image -------------------------------------------------------------------

make_rootfs_tar() {
	local rootfs=$work/rootfs applet
	mkdir -p "$rootfs/bin" "$rootfs"/{dev,proc,sys,tmp,etc,root}
	chmod 1777 "$rootfs/tmp"
	cp "$busybox" "$rootfs/bin/busybox"
	for applet in $("$busybox" --list); do
		[[ $applet == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
		'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$rootfs/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$rootfs/etc/group"
	tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
	rm -rf "$rootfs"
}

make_rootfs_tar
applets=$(tar -tf "$work/rootfs.tar" | grep -c '^\./bin/')
msg "image: busybox $("$busybox" | head -n 1 | awk '{ print $2 }'), $applets files in /bin, $(($(stat -c %s "$work/rootfs.tar") / 1024)) KiB tar"

# ctr: import, then fill the layer cache (untimed).
if [[ -x $ctr_layer && -x $ctr_run ]]; then
	ctr_layer_abs=$(abspath "$ctr_layer") ctr_run_abs=$(abspath "$ctr_run")
	mkdir -p "$store" "$state"
	if ! "$ctr_layer_abs" --root "$store" import "$work/rootfs.tar" "$image" >"$work/out" 2>"$work/err"; then
		note[ctr]="ctr-layer import failed: $(tail -n 1 "$work/err")"
	elif ! "$ctr_layer_abs" --root "$store" unpack "$image" >"$work/out" 2>"$work/err"; then
		note[ctr]="ctr-layer unpack failed: $(tail -n 1 "$work/err")"
	else
		msg "ctr: imported and unpacked $image"
	fi
else
	note[ctr]="binary not found: $ctr_layer or $ctr_run"
fi

# podman: the same image, from an OCI archive of the ctr store if possible.
if ! command -v podman >/dev/null; then
	note[podman]="podman not installed (apt-get install podman)"
	note[podman-runc]=${note[podman]}
else
	mkdir -p "$work/podman"
	podman_image=
	if [[ -z ${note[ctr]:-} && -x $ctr_image ]] &&
		"$(abspath "$ctr_image")" --root "$store" save --format oci-archive -o "$work/image.tar" "$image" 2>"$work/err" &&
		"${podman_base[@]}" load -i "$work/image.tar" >"$work/out" 2>>"$work/err"; then
		podman_image=$(sed -n 's/^Loaded image: //p' "$work/out" | head -n 1)
		how="ctr-image save + podman load"
	else
		[[ -s $work/err ]] && msg "ctr-image save + podman load failed: $(tail -n 1 "$work/err"); using podman import"
		if podman_image=$("${podman_base[@]}" import "$work/rootfs.tar" "$image" 2>"$work/err" | tail -n 1); then
			how="podman import"
		else
			podman_image=
			note[podman]="podman import failed: $(tail -n 1 "$work/err")"
			note[podman-runc]=${note[podman]}
		fi
	fi
	rm -f "$work/image.tar"
	if [[ -n $podman_image ]]; then
		msg "podman: $how: $podman_image, id $("${podman_base[@]}" image inspect --format '{{.Id}}' "$podman_image" | cut -c 1-12)"
	fi
fi

# --- commands ----------------------------------------------------------------

q() { printf '%q ' "$@"; }

if [[ -z ${note[ctr]:-} ]]; then
	cmd[ctr]="$(q "$ctr_layer_abs" --root "$store" bundle "$image" "$bundle" -- /bin/true)>/dev/null"
	cmd[ctr]+=" && $(q "$ctr_run_abs" --root "$state" run -b "$bundle" "$id")"
	cmd[ctr]+=" && $(q "$ctr_layer_abs" --root "$store" rm "$bundle")"
fi
what[ctr]="ctr-layer bundle + ctr-run run + ctr-layer rm"

podman_runtime=$("${podman_base[@]}" info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null) || podman_runtime=default
runc=$(command -v runc) || runc=
podman_run() { # [RUNTIME]: the command line of one podman run
	local -a rt=()
	[[ -n ${1:-} ]] && rt=(--runtime "$1")
	q "${podman_base[@]}" "${rt[@]}" run --rm --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		--cgroup-parent "$cgparent" "$podman_image" /bin/true
}
if [[ -z ${note[podman]:-} ]]; then
	cmd[podman]=$(podman_run)
	if [[ $podman_runtime == runc ]]; then
		note[podman-runc]="podman's default runtime is runc already"
	elif [[ -z $runc ]]; then
		note[podman-runc]="runc not installed"
	else
		cmd[podman-runc]=$(podman_run "$runc")
	fi
fi
what[podman]="podman run --rm ($podman_runtime, podman's default)"
what[podman-runc]="podman run --rm --runtime $runc"

# --- probes ------------------------------------------------------------------

# Run column $1 once, untimed; succeed only if it exits 0 and leaves nothing.
probe() {
	local col=$1 left
	if ! sh -c "${cmd[$col]}" </dev/null >"$work/out" 2>&1; then
		note[$col]="run failed: $(grep . "$work/out" | tail -n 1)"
		return 1
	fi
	if [[ $col == ctr ]]; then
		if [[ -e $bundle ]]; then
			note[$col]="left its bundle behind: $bundle"
			return 1
		fi
		if left=$(left_behind "$state" "$id"); then
			note[$col]=$left
			return 1
		fi
	elif [[ -n $("${podman_base[@]}" ps --all --quiet) ]]; then
		note[$col]="podman run --rm left a container behind"
		return 1
	fi
}

# Order matters: the cgroup layout is settled (crun) before anyone is timed.
if [[ -n ${cmd[podman]:-} ]]; then
	probe_crun podman "podman ($podman_runtime)"
fi
for col in ctr podman-runc; do
	if [[ -n ${cmd[$col]:-} ]] && ! probe "$col"; then
		msg "$col: ${note[$col]}; continuing without it"
	fi
done
for col in "${columns[@]}"; do
	[[ -z ${cmd[$col]:-} && -z ${note[$col]:-} ]] && note[$col]="not measured"
done

measured() { [[ -n ${cmd[$1]:-} && -z ${note[$1]:-} ]]; }

# --- wall time ---------------------------------------------------------------

# The runs are split into ROUNDS rounds, each column's order rotating, so that
# a change in the host's load hits all columns alike.
rounds=$((RUNS < ROUNDS ? RUNS : ROUNDS))
msg "timing with $(hyperfine --version), $RUNS runs in $rounds rounds after $WARMUP warm-up runs"
for ((r = 0; r < rounds; r++)); do
	n=$((RUNS / rounds + (r < RUNS % rounds ? 1 : 0)))
	order=("${columns[@]:r%3}" "${columns[@]:0:r%3}")
	for col in "${order[@]}"; do
		measured "$col" || continue
		json=$work/$col.$r.json
		if ! hyperfine --shell sh --warmup $((r ? 1 : WARMUP)) --runs "$n" --export-json "$json" \
			--command-name "$col, round $((r + 1))/$rounds" "${cmd[$col]}" >&2; then
			note[$col]="timing failed: hyperfine exited non-zero"
		fi
		if [[ $col == ctr && -e $bundle ]]; then
			note[$col]="a run left its bundle behind: $bundle"
			"$ctr_layer_abs" --root "$store" rm "$bundle" >/dev/null 2>&1 || true
		fi
	done
done
for col in "${columns[@]}"; do
	measured "$col" || continue
	read -r m lo hi < <(jq -s -r '[.[].results[0].times[]] | sort
		| [(if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end),
		   .[0], .[-1]] | map(. * 1000) | @tsv' "$work/$col".*.json)
	median[$col]=$m min[$col]=$lo max[$col]=$hi
done

# --- peak RSS ----------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
	msg "/usr/bin/time not found (apt-get install time): no RSS figures"
elif ((RSS_RUNS > 0)); then
	for col in "${columns[@]}"; do
		measured "$col" || continue
		peak=0
		for ((i = 0; i < RSS_RUNS; i++)); do
			if ! /usr/bin/time -f %M -o "$work/rss" sh -c "${cmd[$col]}" </dev/null >/dev/null 2>&1; then
				peak=failed
				break
			fi
			kib=$(tail -n 1 "$work/rss")
			if ((kib > peak)); then peak=$kib; fi
		done
		rss[$col]=$peak
	done
fi

# --- summary -----------------------------------------------------------------

ms() { [[ -n ${1:-} ]] && printf '%.1f' "$1" || printf -- '-'; }

echo
echo "bundle.sh: /bin/true in a busybox container, warm; median of $RUNS runs (after $WARMUP warm-up), peak RSS over $RSS_RUNS runs"
printf '%-12s %-50s %9s %8s %8s %9s  %s\n' column command "median ms" "min ms" "max ms" "RSS KiB" note
for col in "${columns[@]}"; do
	printf '%-12s %-50s %9s %8s %8s %9s  %s\n' "$col" "${what[$col]}" "$(ms "${median[$col]:-}")" \
		"$(ms "${min[$col]:-}")" "$(ms "${max[$col]:-}")" "${rss[$col]:--}" "${note[$col]:-}"
done
echo
echo "versions: $("$ctr_run" --version 2>/dev/null | head -n 1 || echo ctr-run ?);" \
	"$(podman --version 2>/dev/null || echo podman ?);" \
	"$( (command -v "$podman_runtime" >/dev/null && "$podman_runtime" --version | head -n 1) || echo "$podman_runtime ?");" \
	"$( ([[ -n $runc ]] && "$runc" --version | head -n 1) || echo runc ?)"
printf 'wall time  ctr/podman: %s (target <= 0.50; podman with %s)   ctr/podman-runc: %s\n' \
	"$(ratio "${median[ctr]:-}" "${median[podman]:-}")" "$podman_runtime" \
	"$(ratio "${median[ctr]:-}" "${median[podman-runc]:-}")"
printf 'peak RSS   ctr/podman: %s   ctr/podman-runc: %s\n' \
	"$(ratio "${rss[ctr]:-}" "${rss[podman]:-}")" "$(ratio "${rss[ctr]:-}" "${rss[podman-runc]:-}")"
moved_controllers_line
