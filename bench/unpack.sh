#!/usr/bin/env bash
# bench/unpack.sh: how long extracting the layers of the ~100 MB 4-layer
# image of bench/pull.sh takes, and how much memory it needs, with
# ctr-layer, with plain tar and with umoci. Caches are kept warm (no
# drop_caches; only a `sync` before each run), the same for all; each run
# gets a fresh target (earlier ones are moved aside and deleted at the end):
#   ctr:   ctr-layer --root STORE unpack NAME   (no STORE/layers at first;
#          the image is put in STORE once with `ctr-image load` of an OCI
#          archive of the layout, NAME is what load printed before the @)
#   tar:   tar -xzf BLOB -C DIR, for each layer in manifest order, one DIR
#   umoci: umoci unpack --image LAYOUT:bench DIR
#
# Targets: ctr median wall time <= 0.5 x tar and about 0.2 x umoci.
#
# ext4 allocates inodes slowly for up to 5 minutes after many deletions (it
# skips recently deleted ones; perf shows recently_deleted and
# find_inode_bit on top): start this on a disk left alone that long, e.g.
# not right after a previous run's clean-up or a test suite.
#
# Usage: bench/unpack.sh [CTR_LAYER_BINARY [CTR_IMAGE_BINARY]]
#   CTR_LAYER_BINARY  default: $(dirname "$0")/../_build/image/layer/ctr-layer
#   CTR_IMAGE_BINARY  default: $(dirname "$0")/../_build/image/tool/ctr-image
#   RUNS=N            timed runs per tool (default 5), alternating tools
#   IMAGE_MB=N        which cached image to use (default 100)
#
# The image is the one bench/pull.sh builds and keeps in
# ${XDG_CACHE_HOME:-$HOME/.cache}/ctr-bench/pull-v1-NMB; run that first.
# A tool that is missing is skipped with a note. Peak RSS is GNU time's %M:
# the largest maximum resident set, in KiB, over the timed runs.
#
# Needs: jq time tar gzip, and umoci for its column (Debian packages).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_args 2 "$@"

here=$(cd "$(dirname "$0")" && pwd)
ctr_layer=${1:-$here/../_build/image/layer/ctr-layer}
ctr_image=${2:-$here/../_build/image/tool/ctr-image}
RUNS=${RUNS:-5}
IMAGE_MB=${IMAGE_MB:-100}


[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$RUNS'"
for p in jq tar gzip; do
	command -v "$p" >/dev/null || die "$p not found (apt-get install jq tar gzip time)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"

image=${XDG_CACHE_HOME:-$HOME/.cache}/ctr-bench/pull-v1-${IMAGE_MB}MB
if [[ ! -f $image/index.json ]]; then
	msg "no cached image in $image: run bench/pull.sh first (it builds the image once)"
	exit 0
fi
mdigest=$(jq -er '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "bench") | .digest' \
	"$image/index.json") || die "$image/index.json has no image named bench"
manifest=$image/blobs/${mdigest/://}
mapfile -t blobs < <(jq -r '.layers[].digest | sub(":"; "/")' "$manifest")
for b in "${blobs[@]}"; do
	[[ -f $image/blobs/$b ]] || die "layer blob $b missing from $image: run bench/pull.sh again"
done
image_mb=$(jq '[.layers[].size] | add / 1e6 | . * 10 | round / 10' "$manifest")
msg "image: $image: ${#blobs[@]} layers, $image_mb MB"

work=$(mktemp -d "${TMPDIR:-/tmp}/ctr-bench-unpack.XXXXXX")
cleanup() {
	set +e
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools -------------------------------------------------------------------

declare -A note times rss median
trashed=0
tools=(ctr tar umoci)
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

if [[ -x $ctr_layer && -x $ctr_image ]]; then
	ctr_layer=$(abspath "$ctr_layer") ctr_image=$(abspath "$ctr_image")
	store=$work/store
	tar -C "$image" -cf "$work/archive.tar" .
	mkdir -p "$store"
	if loaded=$("$ctr_image" --root "$store" load -i "$work/archive.tar" 2>"$work/err"); then
		name=$(head -n 1 <<<"$loaded")
		name=${name%%@*}
		rm -f "$work/archive.tar"
		msg "ctr: loaded as $name"
	else
		note[ctr]="ctr-image load failed: $(tail -n 1 "$work/err")"
	fi
else
	note[ctr]="binary not found: $ctr_layer or $ctr_image"
fi
command -v umoci >/dev/null || note[umoci]="umoci not found (apt-get install umoci)"
for t in "${tools[@]}"; do
	[[ -n ${note[$t]:-} ]] && msg "skipping $t: ${note[$t]}"
done

# Prepare a fresh target for tool $1 (not timed); print the command, one word a line.
# The last target is moved aside, not deleted, until the end: ext4 makes
# creating files slow for a while after many deletions (its inode allocator
# skips recently deleted inodes, a scan that dominated the runs), which
# would charge each tool for the clean-up of the one before.
prepare() {
	local dir=$work/dest
	mkdir -p "$work/trash"
	[[ ! -e $dir ]] || mv "$dir" "$work/trash/dest.$((++trashed))"
	case $1 in
	ctr)
		[[ ! -e $store/layers ]] || mv "$store/layers" "$work/trash/layers.$((++trashed))"
		printf '%s\n' "$ctr_layer" --root "$store" unpack "$name"
		;;
	tar)
		mkdir -p "$dir"
		# One shell running the tars in sequence, so %M is the largest tar's.
		printf '%s\n' bash -c 'd=$1; shift; for b; do tar -xzf "$b" -C "$d" || exit; done' \
			tar-seq "$dir" "${blobs[@]/#/$image/blobs/}"
		;;
	umoci) printf '%s\n' umoci unpack --image "$image:bench" "$dir" ;;
	esac
}

# Time tool $1 once; set last_ns and last_kib.
run_once() {
	local t0 t1
	local -a cmd
	prepare "$1" >"$work/cmd"
	mapfile -t cmd <"$work/cmd"
	sync # write back the previous run's files now, not during this one
	t0=$(date +%s%N)
	if ! /usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" </dev/null >"$work/out" 2>"$work/err"; then
		note[$1]="failed: $(grep -v '^Command exited' "$work/err" | tail -n 1)"
		return 1
	fi
	t1=$(date +%s%N)
	last_ns=$((t1 - t0))
	last_kib=$(tail -n 1 "$work/rss")
}

measured() { [[ -z ${note[$1]:-} ]]; }

# --- runs --------------------------------------------------------------------

msg "$RUNS timed runs per tool, rotating the order, warm caches"
for ((i = 0; i < RUNS; i++)); do
	order=("${tools[@]:i%3}" "${tools[@]:0:i%3}")
	for tool in "${order[@]}"; do
		measured "$tool" || continue
		if run_once "$tool"; then
			record_run "$tool" $((i + 1))
		else
			msg "$tool: ${note[$tool]}; continuing without it"
		fi
	done
done
rm -rf "$work/dest"

med() { # durations in ns -> median in s
	tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.3f\n", m / 1e9 }'
}
for tool in "${tools[@]}"; do
	measured "$tool" && median[$tool]=$(med "${times[$tool]}")
done

# --- summary -----------------------------------------------------------------


echo
echo "unpack.sh: extracting ${#blobs[@]} gzip layers, $image_mb MB, warm caches; median of $RUNS runs, peak RSS over them"
printf '%-6s %10s %8s %10s  %s\n' tool "median s" "MB/s" "RSS KiB" note
for tool in "${tools[@]}"; do
	mbs=-
	[[ -n ${median[$tool]:-} ]] && mbs=$(awk -v b="$image_mb" -v s="${median[$tool]}" 'BEGIN { printf "%.0f", b / s }')
	printf '%-6s %10s %8s %10s  %s\n' "$tool" "${median[$tool]:--}" "$mbs" "${rss[$tool]:--}" "${note[$tool]:-}"
done
echo
printf 'wall time  ctr/tar:   %s (target <= 0.50)\n' "$(ratio "${median[ctr]:-}" "${median[tar]:-}")"
printf 'wall time  ctr/umoci: %s (target ~ 0.20)\n' "$(ratio "${median[ctr]:-}" "${median[umoci]:-}")"
printf 'peak RSS   ctr/tar:   %s   ctr/umoci: %s\n' "$(ratio "${rss[ctr]:-}" "${rss[tar]:-}")" \
	"$(ratio "${rss[ctr]:-}" "${rss[umoci]:-}")"
