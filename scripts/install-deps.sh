#!/usr/bin/env bash
# Installs every Debian package ctr needs to build, test and benchmark.
# Runs apt only when something is missing, so it is cheap to call again.
set -euo pipefail

packages=(
  # build
  g++ meson ninja-build pkg-config
  libcli11-dev nlohmann-json3-dev doctest-dev libfmt-dev libcap-dev libseccomp-dev
  libcurl4-openssl-dev libssl-dev libarchive-dev libzstd-dev zlib1g-dev libisal-dev
  scdoc
  # tests, demo and cross-checks
  bats jq busybox-static runc crun util-linux procps iproute2 python3
  docker-registry skopeo umoci oci-image-tool apache2-utils openssl curl ca-certificates zstd
  podman containerd systemd dbus
  # fuzzing (scripts/fuzz.sh): libFuzzer and the sanitizer runtimes, llvm-symbolizer for stacks
  clang libclang-rt-14-dev llvm
  # benchmarks
  hyperfine time
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
