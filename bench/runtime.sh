#!/usr/bin/env bash
# bench/runtime.sh: how long `run` of /bin/true takes, and how much memory it
# needs, with ctr-run, crun and runc. Each runtime does the same work: the
# same bundle and the same config.json (from `runc spec`, terminal off, args
# ["/bin/true"]), its own --root state directory, and a cgroup of its own.
#
# Target: ctr-run median wall time <= 0.6 x crun, and peak RSS <= crun.
#
# Usage: bench/runtime.sh [CTR_RUN_BINARY]     (run as root)
#   CTR_RUN_BINARY  default: $(dirname "$0")/../_build/runtime/ctr-run;
#                   if it does not exist, only crun and runc are measured.
#   RUNS=N          timed runs per runtime (default 100), after 5 warm-up runs
#   RSS_RUNS=N      runs under /usr/bin/time -f %M per runtime (default 5)
#
# Times come from hyperfine (-N, no shell) when it is installed, otherwise from
# a loop timed with date +%s%N. Peak RSS is GNU time's %M: the largest maximum
# resident set, in KiB, of the runtime process and the children it reaped.
#
# crun 1.8 refuses a hybrid host whose cgroup2 hierarchy has controllers
# ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2").
# If that happens, this script moves those controllers (on the reference host:
# hugetlb only) to v1 hierarchies of their own, e.g.
#   mkdir -p /sys/fs/cgroup/hugetlb
#   mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
# and unmounts them again on exit, which gives the controller back to cgroup2.
# All three runtimes are timed on the same layout.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_args 1 "$@"

here=$(cd "$(dirname "$0")" && pwd)
ctr_run=${1:-$here/../_build/runtime/ctr-run}
RUNS=${RUNS:-100}
RSS_RUNS=${RSS_RUNS:-5}
WARMUP=5


[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$RUNS'"
[[ $RSS_RUNS =~ ^[1-9][0-9]*$ ]] || die "RSS_RUNS must be a positive integer, not '$RSS_RUNS'"
((EUID == 0)) || die "must run as root (the runtimes create namespaces and cgroups)"

busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox not found (apt-get install busybox-static)"

work=$(mktemp -d /tmp/ctr-bench.XXXXXX)
bundle=$work/bundle
id=ctr-bench-$$

declare -A bin      # runtime name -> binary
declare -A median   # runtime name -> median wall time in ms
declare -A rss      # runtime name -> peak RSS in KiB
declare -A note     # runtime name -> why it was not measured
names=()

cleanup() {
	local name
	set +e
	for name in "${names[@]}"; do
		[[ -n ${bin[$name]:-} ]] || continue
		"${bin[$name]}" --root "$work/state/$name" delete --force "$id" >/dev/null 2>&1
	done
	# Remove cgroups a failed run may have left, then the hierarchies we made.
	find /sys/fs/cgroup -depth -mindepth 2 -maxdepth 6 -type d -name "$id" \
		-exec rmdir {} + 2>/dev/null
	give_back_controllers
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- bundle ------------------------------------------------------------------

make_bundle() {
	local applet
	mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs"/{dev,proc,sys,tmp,etc,root}
	cp "$busybox" "$bundle/rootfs/bin/busybox"
	for applet in $("$busybox" --list); do
		[[ $applet == busybox ]] || ln -s busybox "$bundle/rootfs/bin/$applet"
	done
	(cd "$bundle" && runc spec)
	if command -v jq >/dev/null; then
		# A top-level cgroup named after the id: every runtime removes it
		# whole, so a v1 hierarchy made for crun can be destroyed afterwards.
		jq --arg cg "/$id" '.process.terminal = false | .process.args = ["/bin/true"]
			| .linux.cgroupsPath = $cg' \
			"$bundle/config.json" >"$bundle/config.json.new"
	else
		sed -e 's/"terminal": true/"terminal": false/' \
			-e 's/^\([[:space:]]*\)"sh"$/\1"\/bin\/true"/' \
			"$bundle/config.json" >"$bundle/config.json.new"
	fi
	mv "$bundle/config.json.new" "$bundle/config.json"
	if ! grep -q '"terminal": false' "$bundle/config.json" ||
		! grep -q '"/bin/true"' "$bundle/config.json"; then
		die "could not edit $bundle/config.json"
	fi
}

# --- runtimes ----------------------------------------------------------------

# The command line that runs the bench container once with runtime $1.
run_cmd() {
	printf '%s\n' "${bin[$1]}" --root "$work/state/$1" run --bundle "$bundle" "$id"
}

# Run the container once; succeed only if it exits 0 and `run` removed both
# its state directory and its cgroups, so the next run can reuse the id.
probe() {
	local name=$1 out left
	local -a cmd
	mapfile -t cmd < <(run_cmd "$name")
	if ! out=$("${cmd[@]}" </dev/null 2>&1); then
		note[$name]="run failed: $(printf '%s' "$out" | tail -n 1)"
		return 1
	fi
	if left=$(left_behind "$work/state/$name" "$id"); then
		note[$name]="run $left"
		return 1
	fi
	return 0
}

add_runtime() {
	local name=$1 path=$2
	names+=("$name")
	bin[$name]=$path
	mkdir -p "$work/state/$name"
}

make_bundle

if [[ -x $ctr_run ]]; then
	add_runtime ctr-run "$(cd "$(dirname "$ctr_run")" && pwd)/$(basename "$ctr_run")"
else
	msg "$ctr_run does not exist: measuring crun and runc only"
	names+=(ctr-run)
	note[ctr-run]="binary not found: $ctr_run"
fi
for r in crun runc; do
	if p=$(command -v "$r"); then
		add_runtime "$r" "$p"
	else
		names+=("$r")
		note[$r]="not installed"
	fi
done

# Order matters: the cgroup layout is settled (crun) before anyone is timed.
if [[ -n ${bin[crun]:-} ]]; then
	probe_crun crun crun
fi
for name in ctr-run runc; do
	if [[ -n ${bin[$name]:-} ]] && ! probe "$name"; then
		msg "$name: ${note[$name]}; continuing without it"
	fi
done

measured() { [[ -n ${bin[$1]:-} && -z ${note[$1]:-} ]]; }

# --- wall time ---------------------------------------------------------------

median_ms() { # durations in ns on stdin -> their median in ms
	sort -n | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f\n", m / 1e6 }'
}

time_hyperfine() {
	local name=$1 json=$work/$1.json
	local -a cmd
	mapfile -t cmd < <(run_cmd "$name")
	hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" \
		--command-name "$name" "$(printf '%q ' "${cmd[@]}")" >&2 || return 1
	if command -v jq >/dev/null; then
		jq '.results[0].median * 1000' "$json"
	else
		awk -F'[:,]' '/"median"/ { print $2 * 1000; exit }' "$json"
	fi
}

time_loop() {
	local name=$1 i t0 t1
	local -a cmd
	mapfile -t cmd < <(run_cmd "$name")
	for ((i = 0; i < WARMUP; i++)); do
		"${cmd[@]}" </dev/null >/dev/null 2>&1 || return 1
	done
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		"${cmd[@]}" </dev/null >/dev/null 2>&1 || return 1
		t1=$(date +%s%N)
		echo $((t1 - t0))
	done | median_ms
}

if command -v hyperfine >/dev/null; then
	timer=time_hyperfine
	msg "timing with $(hyperfine --version), $RUNS runs after $WARMUP warm-up runs"
else
	timer=time_loop
	msg "hyperfine not found: timing a loop of $RUNS runs with date +%s%N"
fi
for name in "${names[@]}"; do
	measured "$name" || continue
	if m=$($timer "$name") && [[ -n $m ]]; then
		median[$name]=$m
	else
		note[$name]="timing failed"
	fi
done

# --- peak RSS ----------------------------------------------------------------

if [[ -x /usr/bin/time ]]; then
	for name in "${names[@]}"; do
		measured "$name" || continue
		mapfile -t cmd < <(run_cmd "$name")
		max=0
		for ((i = 0; i < RSS_RUNS; i++)); do
			/usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" </dev/null >/dev/null 2>&1 || { max=; break; }
			kib=$(tail -n 1 "$work/rss")
			if ((kib > max)); then max=$kib; fi
		done
		rss[$name]=${max:-failed}
	done
else
	msg "/usr/bin/time not found (apt-get install time): no RSS figures"
fi

# --- summary -----------------------------------------------------------------


echo
echo "runtime.sh: run of /bin/true, median of $RUNS runs, peak RSS over $RSS_RUNS runs"
printf '%-8s %-32s %12s %14s  %s\n' runtime version "median ms" "peak RSS KiB" note
for name in "${names[@]}"; do
	ver=-
	if [[ -n ${bin[$name]:-} ]]; then
		ver=$("${bin[$name]}" --version 2>/dev/null | head -n 1 | sed 's/ version / /') || ver=-
	fi
	ms=-
	[[ -n ${median[$name]:-} ]] && ms=$(printf '%.2f' "${median[$name]}")
	printf '%-8s %-32s %12s %14s  %s\n' "$name" "${ver:--}" "$ms" "${rss[$name]:--}" "${note[$name]:-}"
done
echo
printf 'wall time  ctr-run/crun: %s (target <= 0.60)   ctr-run/runc: %s   crun/runc: %s\n' \
	"$(ratio "${median[ctr-run]:-}" "${median[crun]:-}")" \
	"$(ratio "${median[ctr-run]:-}" "${median[runc]:-}")" \
	"$(ratio "${median[crun]:-}" "${median[runc]:-}")"
printf 'peak RSS   ctr-run/crun: %s (target <= 1.00)   ctr-run/runc: %s   crun/runc: %s\n' \
	"$(ratio "${rss[ctr-run]:-}" "${rss[crun]:-}")" \
	"$(ratio "${rss[ctr-run]:-}" "${rss[runc]:-}")" \
	"$(ratio "${rss[crun]:-}" "${rss[runc]:-}")"
moved_controllers_line
