#!/usr/bin/env bash
# bench/runtime.sh: how long `run` of /bin/true takes, and how much memory it
# needs, with ctr-run, crun and runc. Each runtime does the same work: the
# same bundle and the same config.json (from `runc spec`, terminal off, args
# ["/bin/true"]), its own --root state directory, and a cgroup of its own.
# Then more measurements with the same runtimes:
#   exec        `exec ID /bin/true` in a running container (`sleep 1000`, the
#               same rootfs), one container per runtime in turn;
#   sequential  a loop of SEQ `run`s of /bin/true, one after the other, timed
#               whole (one hyperfine command per runtime, through sh);
#   protections the run with seccomp, CAP_SYS_PTRACE or a user namespace on,
#               and what each costs over the plain run.
# A ctr-run without an `exec` subcommand is reported as such, not measured.
#
# Target: ctr-run median wall time <= 0.6 x crun, and peak RSS <= crun.
#
# Usage: bench/runtime.sh [CTR_RUN_BINARY]     (run as root)
#   CTR_RUN_BINARY  default: $(dirname "$0")/../_build/runtime/ctr-run;
#                   if it does not exist, only crun and runc are measured.
#   RUNS=N          timed runs per runtime (default 100), after 5 warm-up runs
#   RSS_RUNS=N      runs under /usr/bin/time -f %M per runtime (default 5)
#   EXEC_RUNS=N     timed execs per runtime (default: RUNS), after 5 warm-up execs
#   SEQ=N           containers in each sequential loop (default 100, or RUNS if
#                   that is smaller)
#   SEQ_RUNS=N      timed sequential loops per runtime (default 3), after one
#                   warm-up loop
#
# Times come from hyperfine (-N, no shell; the sequential loops through sh)
# when it is installed, otherwise from a loop timed with date +%s%N. Peak RSS
# is GNU time's %M: the largest maximum resident set, in KiB, of the runtime
# process and the children it reaped.
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
EXEC_RUNS=${EXEC_RUNS:-$RUNS}
SEQ=${SEQ:-$((RUNS < 100 ? RUNS : 100))}
SEQ_RUNS=${SEQ_RUNS:-3}

for v in RSS_RUNS EXEC_RUNS SEQ SEQ_RUNS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
((EUID == 0)) || die "must run as root (the runtimes create namespaces and cgroups)"

busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox not found (apt-get install busybox-static)"

work=$(mktemp -d /tmp/ctr-bench.XXXXXX)
bundle=$work/bundle
sleeper=$work/sleeper # the running container for exec: same rootfs, sleep 1000
id=ctr-bench-$$
exec_id=$id-exec

declare -A bin      # runtime name -> binary
declare -A median   # runtime name -> median wall time in ms
declare -A rss      # runtime name -> peak RSS in KiB
declare -A note     # runtime name -> why it was not measured
declare -A exec_ms  # runtime name -> median exec wall time in ms
declare -A exec_note
declare -A seq_ms   # runtime name -> median wall time of a sequential loop in ms
declare -A seq_note
names=()

cleanup() {
	local name
	set +e
	for name in "${names[@]}"; do
		[[ -n ${bin[$name]:-} ]] || continue
		"${bin[$name]}" --root "$work/state/$name" delete --force "$id" >/dev/null 2>&1
		"${bin[$name]}" --root "$work/state/$name" delete --force "$exec_id" >/dev/null 2>&1
	done
	# Remove cgroups a failed run may have left, then the hierarchies we made.
	find /sys/fs/cgroup -depth -mindepth 2 -maxdepth 6 -type d \( -name "$id" -o -name "$exec_id" \) \
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
	# The exec bundle: the same config and rootfs, running sleep 1000.
	mkdir -p "$sleeper"
	if command -v jq >/dev/null; then
		jq --arg root "$bundle/rootfs" --arg cg "/$exec_id" \
			'.root.path = $root | .process.args = ["/bin/sleep", "1000"] | .linux.cgroupsPath = $cg' \
			"$bundle/config.json" >"$sleeper/config.json"
	else
		sed -e "s|\"path\": \"rootfs\"|\"path\": \"$bundle/rootfs\"|" \
			-e 's|"/bin/true"|"/bin/sleep", "1000"|' \
			"$bundle/config.json" >"$sleeper/config.json"
	fi
	grep -q '"/bin/sleep"' "$sleeper/config.json" || die "could not write $sleeper/config.json"
}

# --- runtimes ----------------------------------------------------------------

# The command line that runs the bench container once with runtime $1.
run_cmd() {
	printf '%s\n' "${bin[$1]}" --root "$work/state/$1" run --bundle "${2:-$bundle}" "$id"
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
	# A controller enabled in cgroup2's subtree_control (ctr-run enables
	# hugetlb there for a container with hugepageLimits, and leaves it) cannot
	# be moved to v1: the mount fails with "already mounted" (EBUSY).
	# Nor can one that cgroup2 still has dying cgroups of (nr_dying_subsys_*).
	if [[ -n ${note[crun]:-} ]]; then
		if enabled=$(cat /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null) && [[ -n $enabled ]]; then
			msg "crun: cgroup2 has $enabled enabled in" \
				"/sys/fs/cgroup/unified/cgroup.subtree_control, which keeps it off v1; to let crun" \
				"run, write -CONTROLLER to the cgroup.subtree_control files that have it, deepest first"
		fi
		if dying=$(awk '/^nr_dying_subsys_/ && $2 > 0 { sub("nr_dying_subsys_", "", $1); d = d sep $1 ": " $2; sep = ", " }
			END { print d }' /sys/fs/cgroup/unified/cgroup.stat 2>/dev/null) && [[ -n $dying ]]; then
			msg "crun: cgroup2 still has dying cgroups of $dying" \
				"(/sys/fs/cgroup/unified/cgroup.stat), which keep those controllers off v1 until they" \
				"are freed (a process or a cgroup namespace may hold them)"
		fi
	fi
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

# hyperfine_ms LABEL WARMUP RUNS COMMAND [HYPERFINE-OPTIONS...]: hyperfine's
# median of COMMAND in ms on stdout; its report on stderr.
hyperfine_ms() {
	local label=$1 warmup=$2 runs=$3 command=$4 json
	shift 4
	json=$work/$(tr -c 'a-zA-Z0-9.-' _ <<<"$label").json
	hyperfine "$@" --warmup "$warmup" --runs "$runs" --export-json "$json" \
		--command-name "$label" "$command" >&2 || return 1
	if command -v jq >/dev/null; then
		jq '.results[0].median * 1000' "$json"
	else
		awk -F'[:,]' '/"median"/ { print $2 * 1000; exit }' "$json"
	fi
}

# loop_ms WARMUP RUNS COMMAND...: without hyperfine, the median in ms of RUNS
# runs of COMMAND timed with date +%s%N, after WARMUP untimed ones.
loop_ms() {
	local warmup=$1 runs=$2 i t0 t1
	shift 2
	for ((i = 0; i < warmup; i++)); do
		"$@" </dev/null >/dev/null 2>&1 || return 1
	done
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$@" </dev/null >/dev/null 2>&1 || return 1
		t1=$(date +%s%N)
		echo $((t1 - t0))
	done | median_ms
}

time_hyperfine() {
	local name=$1
	local -a cmd
	mapfile -t cmd < <(run_cmd "$name")
	hyperfine_ms "$name" "$WARMUP" "$RUNS" "$(printf '%q ' "${cmd[@]}")" -N
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

# --- exec --------------------------------------------------------------------

# has_exec BINARY: whether the runtime has an exec subcommand. Not just
# `exec --help` succeeding: a ctr-run without exec printed its top-level help
# for it and exited 0. Its subcommand list names exec when it has one.
has_exec() {
	"$1" exec --help >/dev/null 2>&1 &&
		"$1" --help 2>&1 | grep -qE '^[[:space:]]+exec([[:space:]]|$)'
}

# exec_cmd NAME ARGS...: the command line of `exec` in runtime NAME's sleeper.
exec_cmd() {
	local name=$1
	shift
	printf '%s\n' "${bin[$name]}" --root "$work/state/$name" exec "$exec_id" "$@"
}

# time_exec NAME: start NAME's sleeper, time `exec ID /bin/true` in it and
# delete it again; sets exec_ms[NAME], or exec_note[NAME] if any step failed.
time_exec() {
	local name=$1 out m="" left
	local -a rt cmd
	rt=("${bin[$name]}" --root "$work/state/$name")
	# The container keeps create's stdio: files, not a pipe we would wait on.
	if ! "${rt[@]}" create --bundle "$sleeper" "$exec_id" </dev/null >"$work/exec.out" 2>"$work/exec.err"; then
		exec_note[$name]="create of the sleep container failed: $(tail -n 1 "$work/exec.err")"
		"${rt[@]}" delete --force "$exec_id" >/dev/null 2>&1 || true
		return
	fi
	if ! out=$("${rt[@]}" start "$exec_id" 2>&1); then
		exec_note[$name]="start of the sleep container failed: $(printf '%s' "$out" | tail -n 1)"
		"${rt[@]}" delete --force "$exec_id" >/dev/null 2>&1 || true
		return
	fi
	mapfile -t cmd < <(exec_cmd "$name" /bin/true)
	if ! out=$("${cmd[@]}" </dev/null 2>&1); then
		exec_note[$name]="exec failed: $(printf '%s' "$out" | tail -n 1)"
	elif [[ $timer == time_hyperfine ]]; then
		m=$(hyperfine_ms "$name exec" "$WARMUP" "$EXEC_RUNS" "$(printf '%q ' "${cmd[@]}")" -N) || m=
	else
		m=$(loop_ms "$WARMUP" "$EXEC_RUNS" "${cmd[@]}") || m=
	fi
	if [[ -z $m && -z ${exec_note[$name]:-} ]]; then
		exec_note[$name]="timing failed"
	fi
	if ! out=$("${rt[@]}" delete --force "$exec_id" 2>&1); then
		exec_note[$name]="delete --force of the sleep container failed: $(printf '%s' "$out" | tail -n 1)"
	elif left=$(left_behind "$work/state/$name" "$exec_id"); then
		exec_note[$name]="the sleep container $left"
	elif [[ -n $m ]]; then
		exec_ms[$name]=$m
	fi
}

msg "exec: $EXEC_RUNS timed execs of /bin/true per runtime, in a running sleep 1000"
for name in "${names[@]}"; do
	if ! measured "$name"; then
		exec_note[$name]="not measured"
	elif [[ $name == ctr-run ]] && ! has_exec "${bin[$name]}"; then
		exec_note[$name]="skipped: ctr-run has no exec"
	else
		time_exec "$name"
	fi
	[[ ${exec_note[$name]:-not measured} == "not measured" ]] || msg "exec: $name: ${exec_note[$name]}"
done

# --- sequential runs -----------------------------------------------------------

# seq_cmd NAME: a sh command line running the bench container SEQ times, one
# after the other, stopping at the first failure.
# shellcheck disable=SC2016 # $i is for sh
seq_cmd() {
	local -a cmd
	mapfile -t cmd < <(run_cmd "$1")
	printf 'i=0; while [ $i -lt %d ]; do %s </dev/null >/dev/null 2>&1 || exit 1; i=$((i + 1)); done' \
		"$SEQ" "$(printf '%q ' "${cmd[@]}")"
}

msg "sequential: $SEQ_RUNS timed loops of $SEQ runs of /bin/true per runtime, after one warm-up loop"
for name in "${names[@]}"; do
	if ! measured "$name"; then
		seq_note[$name]="not measured"
		continue
	fi
	if [[ $timer == time_hyperfine ]]; then
		m=$(hyperfine_ms "$name x $SEQ" 1 "$SEQ_RUNS" "$(seq_cmd "$name")" --shell sh) || m=
	else
		m=$(loop_ms 1 "$SEQ_RUNS" sh -c "$(seq_cmd "$name")") || m=
	fi
	if [[ -n $m ]]; then
		seq_ms[$name]=$m
	else
		seq_note[$name]="timing failed (a run in the loop failed?)"
	fi
	if left=$(left_behind "$work/state/$name" "$id"); then
		seq_note[$name]="$left"
		unset "seq_ms[$name]"
	fi
done

# --- protections ----------------------------------------------------------------

# The same run with one protection on at a time; what it costs is the
# difference to the plain run.
#   seccomp  a profile like podman's default: deny by default (ENOSYS), allow
#            what the containers default profile allows on amd64 with no
#            argument checks
#   ptrace   CAP_SYS_PTRACE in every capability set: ctr-run then re-executes
#            from a sealed memfd copy of itself (CVE-2019-5736)
#   userns   a user namespace, container root = host 100000 (65536 ids)
declare -A prot_ms   # "runtime protection" -> median run time in ms
declare -A prot_desc
prots=()

sec_profile() {
	jq -c '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{action: "SCMP_ACT_ALLOW", names: [.syscalls[]
			| select(.action == "SCMP_ACT_ALLOW" and ((.args // []) | length) == 0
				and ((.includes // {}) | . == {} or (keys == ["arches"] and (.arches | index("amd64")))))
			| .names[]]}]}' /usr/share/containers/seccomp.json
}

# add_protection NAME DESCRIPTION JQ_FILTER [JQ_ARGS...]: a bundle $work/NAME
# on the same rootfs, its config.json changed by the filter.
add_protection() {
	local name=$1 desc=$2 filter=$3
	shift 3
	mkdir -p "$work/$name"
	jq --arg root "$bundle/rootfs" "$@" ".root.path = \$root | $filter" \
		"$bundle/config.json" >"$work/$name/config.json" || die "could not write $work/$name/config.json"
	prots+=("$name")
	prot_desc[$name]=$desc
}

if command -v jq >/dev/null; then
	if [[ $(uname -m) == x86_64 && -r /usr/share/containers/seccomp.json ]] && profile=$(sec_profile); then
		add_protection seccomp "profile allowing $(jq '.syscalls[0].names | length' <<<"$profile") syscalls" \
			'.linux.seccomp = $p' --argjson p "$profile"
	else
		msg "seccomp: not measured (needs amd64 and /usr/share/containers/seccomp.json)"
	fi
	add_protection ptrace "CAP_SYS_PTRACE granted" '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
	# The container's root must be able to reach the rootfs through $work.
	chmod 0711 "$work"
	add_protection userns "user namespace, root = host 100000" \
		'.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
else
	msg "protections: not measured (needs jq)"
fi
for prot in "${prots[@]}"; do
	msg "$prot: $RUNS runs with ${prot_desc[$prot]}"
	for name in "${names[@]}"; do
		measured "$name" || continue
		mapfile -t cmd < <(run_cmd "$name" "$work/$prot")
		if [[ $timer == time_hyperfine ]]; then
			m=$(hyperfine_ms "$name $prot" "$WARMUP" "$RUNS" "$(printf '%q ' "${cmd[@]}")" -N) || m=
		else
			m=$(loop_ms "$WARMUP" "$RUNS" "${cmd[@]}") || m=
		fi
		[[ -n $m ]] && prot_ms["$name $prot"]=$m
	done
done

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

echo
echo "exec of /bin/true in a running container (sleep 1000), median of $EXEC_RUNS execs;"
echo "$SEQ runs of /bin/true one after another, median of $SEQ_RUNS loops"
printf '%-8s %14s %14s %16s  %s\n' runtime "exec ms" "${SEQ} runs s" "ms per run" note
for name in "${names[@]}"; do
	ems=- sec=- per=- why=
	[[ -n ${exec_ms[$name]:-} ]] && ems=$(printf '%.2f' "${exec_ms[$name]}")
	if [[ -n ${seq_ms[$name]:-} ]]; then
		sec=$(awk -v m="${seq_ms[$name]}" 'BEGIN { printf "%.3f", m / 1000 }')
		per=$(awk -v m="${seq_ms[$name]}" -v n="$SEQ" 'BEGIN { printf "%.2f", m / n }')
	fi
	[[ -n ${exec_note[$name]:-} ]] && why="exec: ${exec_note[$name]}"
	[[ -n ${seq_note[$name]:-} ]] && why="${why:+$why; }sequential: ${seq_note[$name]}"
	printf '%-8s %14s %14s %16s  %s\n' "$name" "$ems" "$sec" "$per" "$why"
done
echo
printf 'exec       ctr-run/crun: %s   ctr-run/runc: %s   crun/runc: %s\n' \
	"$(ratio "${exec_ms[ctr-run]:-}" "${exec_ms[crun]:-}")" \
	"$(ratio "${exec_ms[ctr-run]:-}" "${exec_ms[runc]:-}")" \
	"$(ratio "${exec_ms[crun]:-}" "${exec_ms[runc]:-}")"
printf '%-10s ctr-run/crun: %s   ctr-run/runc: %s   crun/runc: %s\n' "$SEQ runs" \
	"$(ratio "${seq_ms[ctr-run]:-}" "${seq_ms[crun]:-}")" \
	"$(ratio "${seq_ms[ctr-run]:-}" "${seq_ms[runc]:-}")" \
	"$(ratio "${seq_ms[crun]:-}" "${seq_ms[runc]:-}")"
if ((${#prots[@]})); then
	echo
	echo "run of /bin/true with one protection on, median of $RUNS runs: ms (cost over the plain run)"
	printf '%-8s' runtime
	printf ' %22s' "${prots[@]}"
	echo
	for name in "${names[@]}"; do
		printf '%-8s' "$name"
		for prot in "${prots[@]}"; do
			cell=-
			if [[ -n ${prot_ms["$name $prot"]:-} && -n ${median[$name]:-} ]]; then
				cell=$(awk -v a="${prot_ms["$name $prot"]}" -v b="${median[$name]}" \
					'BEGIN { printf "%.2f (%+.2f)", a, a - b }')
			fi
			printf ' %22s' "$cell"
		done
		echo
	done
	for prot in "${prots[@]}"; do
		printf '%-10s ctr-run/crun: %s   ctr-run/runc: %s\n' "$prot" \
			"$(ratio "${prot_ms["ctr-run $prot"]:-}" "${prot_ms["crun $prot"]:-}")" \
			"$(ratio "${prot_ms["ctr-run $prot"]:-}" "${prot_ms["runc $prot"]:-}")"
	done
fi
moved_controllers_line
