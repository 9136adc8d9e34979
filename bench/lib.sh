# Shared by the bench/ scripts: argument checking against the script's own
# header comment, messages, and ratios. Source it after `set -euo pipefail`:
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

ratio() { # a b -> a/b with two decimals, or - if either is missing
	if [[ ${1:-} =~ ^[0-9.]+$ && ${2:-} =~ ^[0-9.]+$ ]]; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	else
		printf -- '-'
	fi
}
