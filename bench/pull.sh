#!/usr/bin/env bash
# bench/pull.sh: how long pulling an image of about 100 MB (compressed, four
# gzip layers of files from this host's /usr) from a local registry takes, and
# how much memory it needs, with ctr-pull and with skopeo. Both do the same
# work: the same image from the same docker-registry on 127.0.0.1 (plain
# HTTP), into a fresh OCI layout each run:
#   skopeo copy --src-tls-verify=false docker://127.0.0.1:PORT/bench:v1 oci:DIR:bench
#   ctr-pull --dest oci:DIR:bench 127.0.0.1:PORT/bench:v1
# (both with their quiet option). Runs of the two alternate, after `sync`.
#
# Target: ctr-pull median wall time <= 0.70 x skopeo.
#
# Usage: bench/pull.sh [CTR_PULL_BINARY]
#   CTR_PULL_BINARY  default: $(dirname "$0")/../_build/registry/ctr-pull;
#                    if it does not exist, only skopeo is measured.
#   RUNS=N           timed runs per tool (default 5), after WARMUP=N untimed
#                    runs (default 1) whose results are checked blob by blob
#   IMAGE_MB=N       compressed image size to aim for, in MB (default 100)
#
# The image is built once, as an OCI layout, and kept in
# ${XDG_CACHE_HOME:-$HOME/.cache}/ctr-bench/pull-v1-NMB; delete that
# directory to build it again. Each run starts its own registry (a temp dir
# as storage, a free port) and pushes the image to it with skopeo.
# Peak RSS is GNU time's %M: the largest maximum resident set, in KiB, over
# the timed runs.
#
# Needs: docker-registry skopeo jq time curl gzip tar (Debian packages).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_args 1 "$@"

here=$(cd "$(dirname "$0")" && pwd)
ctr_pull=${1:-$here/../_build/registry/ctr-pull}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
IMAGE_MB=${IMAGE_MB:-100}
TAG=v1


[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$RUNS'"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a number, not '$WARMUP'"
[[ $IMAGE_MB =~ ^[1-9][0-9]*$ ]] || die "IMAGE_MB must be a positive integer, not '$IMAGE_MB'"
for p in docker-registry skopeo jq curl gzip tar sha256sum; do
	command -v "$p" >/dev/null || die "$p not found (apt-get install docker-registry skopeo jq curl time)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"

# The registry is on loopback: never send requests to it through a proxy.
export no_proxy=127.0.0.1,localhost${no_proxy:+,$no_proxy}
export NO_PROXY=$no_proxy

cache=${XDG_CACHE_HOME:-$HOME/.cache}/ctr-bench
image=$cache/pull-v1-${IMAGE_MB}MB
work=$(mktemp -d "${TMPDIR:-/tmp}/ctr-bench-pull.XXXXXX")
build=
registry_pid=

cleanup() {
	set +e
	if [[ -n $registry_pid ]]; then
		kill "$registry_pid" 2>/dev/null
		wait "$registry_pid" 2>/dev/null
	fi
	[[ -n $build ]] && rm -rf "$build"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- image -------------------------------------------------------------------

# Put the file $1 into the layout $2 as a blob; print its digest and size.
add_blob() {
	local file=$1 layout=$2 sum size
	sum=$(sha256sum "$file" | cut -d' ' -f1)
	size=$(stat -c %s "$file")
	mv "$file" "$layout/blobs/sha256/$sum"
	echo "sha256:$sum $size"
}

# All regular files and symbolic links below the directories $@, sorted by
# path, as "SIZE<tab>PATH" with PATH relative to /.
list_files() {
	find "$@" \( -type f -readable -o -type l \) -printf '%s\t%p\n' 2>/dev/null |
		awk -F'\t' '{ sub(/^\/+/, "", $2); print $1 "\t" $2 }' |
		LC_ALL=C sort -t "$(printf '\t')" -k2,2
}

# Write to $3 the first files of the list $1 that add up to $2 bytes, each
# preceded by the directories above it that are not listed yet. Files over
# 4 MB are left out: the picked set then only grows with the budget, so the
# layer size does too, in steps small enough to aim at.
pick_files() {
	awk -F'\t' -v budget="$2" '
		$1 > 4000000 { next }
		{
			n = split($2, part, "/"); d = ""
			for (i = 1; i < n; i++) {
				d = d (i > 1 ? "/" : "") part[i]
				if (!(d in seen)) { seen[d] = 1; print d }
			}
			print $2
			total += $1
			if (total >= budget) exit
		}' "$1" >"$3"
}

# Make one gzip layer of about $1 bytes compressed from the directories
# $3...; $2 is the directory to work in. Prints "DIFFID UNCOMPRESSED_SIZE
# FILES", leaves the layer in $2/layer.tar.gz; prints nothing when the
# directories have no files.
make_layer() {
	local target=$1 dir=$2 budget total c try lo hi
	shift 2
	list_files "$@" >"$dir/all"
	[[ -s $dir/all ]] || return 0
	total=$(awk -F'\t' '$1 <= 4000000 { s += $1 } END { printf "%d", s }' "$dir/all")
	# Scale the budget by how far off the last try was, kept between the
	# budgets known to give too little (lo) and too much (hi).
	budget=$((target * 3)) lo=0 hi=0
	for ((try = 0; try < 8; try++)); do
		pick_files "$dir/all" "$budget" "$dir/files"
		tar -C / -cf "$dir/layer.tar" --format=gnu --numeric-owner --no-recursion \
			--verbatim-files-from -T "$dir/files"
		gzip -n -6 -c "$dir/layer.tar" >"$dir/layer.tar.gz"
		c=$(stat -c %s "$dir/layer.tar.gz")
		# Within 5% of the target, or every file is in and still short.
		if ((c * 100 > target * 95 && c * 100 < target * 105)); then break; fi
		if ((c < target && budget >= total)); then break; fi
		if ((c < target)); then lo=$budget; else hi=$budget; fi
		budget=$((budget * target / c + 1))
		if ((budget <= lo || (hi > 0 && budget >= hi))); then
			budget=$(((lo + (hi > 0 ? hi : 2 * lo)) / 2))
		fi
	done
	printf '%s %s %s\n' "sha256:$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)" \
		"$(stat -c %s "$dir/layer.tar")" "$(grep -c . "$dir/files")"
	rm -f "$dir/layer.tar"
}

go_arch() {
	case $(dpkg --print-architecture 2>/dev/null || uname -m) in
	amd64 | x86_64) echo amd64 ;;
	arm64 | aarch64) echo arm64 ;;
	armhf | armel | arm*) echo arm ;;
	i386 | i686) echo 386 ;;
	ppc64el | ppc64le) echo ppc64le ;;
	*) uname -m ;;
	esac
}

build_image() {
	local layout=$build/layout tmp=$build/tmp
	local want=$((IMAGE_MB * 1000000)) done_bytes=0 left i target
	local diffid usize nfiles digest size created arch cfg man
	local -a groups srcs layers=() history=()
	mkdir -p "$layout/blobs/sha256" "$tmp"
	# Layers, smallest sources first: a short layer leaves its share of the
	# target to the next ones, and the multiarch library directory can take
	# whatever is left.
	groups=(
		"/usr/lib/python3* /usr/lib/gcc /usr/include /usr/libexec /usr/lib/jvm"
		"/usr/bin /usr/sbin"
		"/usr/share"
		"$(printf '%s ' /usr/lib/*-linux-gnu*)"
	)
	created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	for ((i = 0; i < ${#groups[@]}; i++)); do
		srcs=()
		for d in ${groups[i]}; do
			[[ -d $d ]] && srcs+=("$d")
		done
		((${#srcs[@]})) || continue
		left=$((${#groups[@]} - i))
		target=$(((want - done_bytes) / left))
		((target > 0)) || break
		msg "image: layer $((${#layers[@]} + 1)): about $((target / 1000000)) MB gzipped from ${srcs[*]}"
		make_layer "$target" "$tmp" "${srcs[@]}" >"$tmp/layer.info"
		read -r diffid usize nfiles <"$tmp/layer.info" || continue
		read -r digest size < <(add_blob "$tmp/layer.tar.gz" "$layout")
		done_bytes=$((done_bytes + size))
		layers+=("$(jq -nc --arg d "$digest" --argjson s "$size" --arg id "$diffid" \
			'{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s, diffid: $id}')")
		history+=("$(jq -nc --arg c "$created" \
			--arg by "bench/pull.sh: tar of $nfiles paths from ${srcs[*]} ($((usize / 1000000)) MB)" \
			'{created: $c, created_by: $by}')")
	done
	((${#layers[@]})) || die "no files found for the image layers"
	arch=$(go_arch)
	cfg=$tmp/config.json
	printf '%s\n' "${layers[@]}" | jq -sc --arg c "$created" --arg arch "$arch" \
		--argjson h "$(printf '%s\n' "${history[@]}" | jq -sc .)" '{
			created: $c, architecture: $arch, os: "linux",
			config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
				Cmd: ["/bin/sh"]},
			rootfs: {type: "layers", diff_ids: map(.diffid)},
			history: $h}' >"$cfg"
	read -r digest size < <(add_blob "$cfg" "$layout")
	man=$tmp/manifest.json
	printf '%s\n' "${layers[@]}" | jq -sc --arg d "$digest" --argjson s "$size" '{
			schemaVersion: 2,
			mediaType: "application/vnd.oci.image.manifest.v1+json",
			config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $d, size: $s},
			layers: map(del(.diffid))}' >"$man"
	read -r digest size < <(add_blob "$man" "$layout")
	jq -nc --arg d "$digest" --argjson s "$size" '{
			schemaVersion: 2,
			manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
				digest: $d, size: $s,
				annotations: {"org.opencontainers.image.ref.name": "bench"}}]}' \
		>"$layout/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
	skopeo inspect "oci:$layout:bench" >/dev/null ||
		die "skopeo cannot read the image just built in $layout"
	rm -rf "$image"
	mv "$layout" "$image"
}

# The manifest of the cached image; fails if a blob is missing or the wrong size.
image_manifest() {
	local digest
	digest=$(jq -er '.manifests[0].digest' "$1/index.json" 2>/dev/null) || return 1
	[[ -f $1/blobs/${digest/://} ]] || return 1
	jq -r '(.layers[], .config) | "\(.digest) \(.size)"' "$1/blobs/${digest/://}" |
		while read -r d s; do
			[[ $(stat -c %s "$1/blobs/${d/://}" 2>/dev/null) == "$s" ]] || return 1
		done || return 1
	cat "$1/blobs/${digest/://}"
}

if ! manifest=$(image_manifest "$image"); then
	msg "building the image in $image (once; it is kept for the next runs)"
	mkdir -p "$cache"
	build=$(mktemp -d "$cache/.build.XXXXXX")
	build_image
	rm -rf "$build"
	build=
	manifest=$(image_manifest "$image") || die "the image built in $image is incomplete"
fi
nlayers=$(jq '.layers | length' <<<"$manifest")
image_bytes=$(jq '[.layers[].size, .config.size] | add' <<<"$manifest")
image_mb=$(awk -v b="$image_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
layer_mb=$(jq -r '[.layers[].size / 1e6 | . * 10 | round / 10 | tostring] | join(" + ")' <<<"$manifest")
msg "image: $image: $nlayers layers, $image_mb MB ($layer_mb MB)"

# --- registry ----------------------------------------------------------------

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_registry() {
	local try i port
	for ((try = 0; try < 10; try++)); do
		port=$((20000 + RANDOM % 40000))
		port_in_use "$port" && continue
		cat >"$work/registry.yml" <<-EOF
			version: 0.1
			log:
			  level: error
			  accesslog:
			    disabled: true
			storage:
			  cache:
			    blobdescriptor: inmemory
			  filesystem:
			    rootdirectory: $work/registry
			http:
			  addr: 127.0.0.1:$port
		EOF
		docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
		registry_pid=$!
		for ((i = 0; i < 100; i++)); do
			if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; then
				registry_port=$port
				return 0
			fi
			kill -0 "$registry_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$registry_pid" 2>/dev/null || true
		wait "$registry_pid" 2>/dev/null || true
		registry_pid=
		grep -qi 'address already in use' "$work/registry.log" ||
			die "docker-registry did not start: $(tail -n 1 "$work/registry.log")"
	done
	die "no free port found for docker-registry"
}

start_registry
ref=127.0.0.1:$registry_port/bench:$TAG
msg "registry: docker-registry $(docker-registry --version 2>/dev/null | awk '{ print $NF }') on 127.0.0.1:$registry_port (pid $registry_pid)"
skopeo copy --quiet --dest-tls-verify=false --digestfile "$work/pushed" \
	"oci:$image:bench" "docker://$ref" >&2 ||
	die "skopeo could not push the image to $ref"
pushed=$(cat "$work/pushed")
msg "pushed $ref@$pushed"

# --- tools -------------------------------------------------------------------

declare -A median   # tool -> median wall time in s
declare -A fastest  # tool -> fastest run in s
declare -A rss      # tool -> peak RSS in KiB
declare -A note     # tool -> why it was not measured
declare -A version  # tool -> version string
tools=(skopeo ctr-pull)

version[skopeo]=$(skopeo --version | awk '{ print $NF }')
if [[ -x $ctr_pull ]]; then
	ctr_pull=$(cd "$(dirname "$ctr_pull")" && pwd)/$(basename "$ctr_pull")
	version[ctr-pull]=$("$ctr_pull" --version 2>/dev/null | head -n 1 | awk '{ print $NF }') || true
else
	msg "$ctr_pull does not exist: timing skopeo only"
	note[ctr-pull]="binary not found: $ctr_pull"
fi

# The command line that pulls the image into the new OCI layout $2 with tool $1.
pull_cmd() {
	case $1 in
	skopeo) printf '%s\n' skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$2:bench" ;;
	ctr-pull) printf '%s\n' "$ctr_pull" -q --dest "oci:$2:bench" "$ref" ;;
	esac
}

# Does the layout $1 hold the pushed image under "bench", with every blob of
# the source layout? With $2 = full, also check every blob's digest.
check_result() {
	local dest=$1 got b
	got=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "bench") | .digest' \
		"$dest/index.json" 2>/dev/null) || { echo "no readable index.json"; return 1; }
	[[ $got == "$pushed" ]] || { echo "index.json names manifest '${got:-none}', not $pushed"; return 1; }
	for b in "$image"/blobs/sha256/*; do
		b=${b##*/}
		if [[ $(stat -c %s "$dest/blobs/sha256/$b" 2>/dev/null) != "$(stat -c %s "$image/blobs/sha256/$b")" ]]; then
			echo "blob sha256:$b missing or of the wrong size"
			return 1
		fi
		if [[ ${2:-} == full && $(sha256sum "$dest/blobs/sha256/$b" | cut -d' ' -f1) != "$b" ]]; then
			echo "blob sha256:$b has the wrong content"
			return 1
		fi
	done
}

# Pull once with tool $1 into a fresh layout; set last_ns to the wall time
# in ns and last_kib to the peak RSS in KiB. $2 = full checks the result
# blob by blob. On failure, says why in note[$1].
pull_once() {
	local tool=$1 dest=$work/dest/$1 t0 t1 why
	local -a cmd
	rm -rf "$dest"
	mkdir -p "$work/dest"
	mapfile -t cmd < <(pull_cmd "$tool" "$dest")
	sync
	t0=$(date +%s%N)
	if ! /usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" </dev/null >"$work/out" 2>"$work/err"; then
		note[$tool]="pull failed: $(grep -v '^Command exited' "$work/err" | tail -n 1)"
		return 1
	fi
	t1=$(date +%s%N)
	if ! why=$(check_result "$dest" "${2:-}"); then
		note[$tool]="wrong result: $why"
		return 1
	fi
	rm -rf "$dest"
	last_ns=$((t1 - t0))
	last_kib=$(tail -n 1 "$work/rss")
}

measured() { [[ -z ${note[$1]:-} ]]; }

# --- runs --------------------------------------------------------------------

msg "$WARMUP warm-up run(s) per tool (checked blob by blob), then $RUNS timed runs, alternating"
for ((i = 0; i < WARMUP; i++)); do
	for tool in "${tools[@]}"; do
		measured "$tool" || continue
		pull_once "$tool" full || msg "$tool: ${note[$tool]}; continuing without it"
	done
done
declare -A times
for ((i = 0; i < RUNS; i++)); do
	order=("${tools[@]}")
	((i % 2)) && order=(ctr-pull skopeo)
	for tool in "${order[@]}"; do
		measured "$tool" || continue
		if pull_once "$tool"; then
			record_run "$tool" $((i + 1))
		else
			msg "$tool: ${note[$tool]}; continuing without it"
		fi
	done
done

stats() { # durations in ns -> "median fastest" in s
	tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.3f %.3f\n", m / 1e9, v[1] / 1e9 }'
}
for tool in "${tools[@]}"; do
	measured "$tool" || continue
	read -r m f < <(stats "${times[$tool]}")
	median[$tool]=$m
	fastest[$tool]=$f
done

# --- summary -----------------------------------------------------------------


echo
echo "pull.sh: pull of $nlayers gzip layers, $image_mb MB ($layer_mb MB), from docker-registry on 127.0.0.1 over HTTP"
echo "         into a new OCI layout; median of $RUNS runs, peak RSS over them"
printf '%-9s %-10s %10s %10s %10s %8s  %s\n' tool version "median s" "fastest s" "MB/s" "RSS KiB" note
for tool in "${tools[@]}"; do
	mbs=-
	if [[ -n ${median[$tool]:-} ]]; then
		mbs=$(awk -v b="$image_bytes" -v s="${median[$tool]}" 'BEGIN { printf "%.0f", b / 1e6 / s }')
	fi
	printf '%-9s %-10s %10s %10s %10s %8s  %s\n' "$tool" "${version[$tool]:--}" \
		"${median[$tool]:--}" "${fastest[$tool]:--}" "$mbs" "${rss[$tool]:--}" "${note[$tool]:-}"
done
echo
printf 'wall time  ctr-pull/skopeo: %s (target <= 0.70)\n' "$(ratio "${median[ctr-pull]:-}" "${median[skopeo]:-}")"
printf 'peak RSS   ctr-pull/skopeo: %s\n' "$(ratio "${rss[ctr-pull]:-}" "${rss[skopeo]:-}")"
