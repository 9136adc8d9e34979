#!/usr/bin/env bats
# ctr-pull against a real docker-registry on 127.0.0.1: references and their
# normalisation, OCI and Docker schema2 manifests, multi-arch indexes, --dest,
# basic auth, TLS, the store, faults injected by tools/fault_proxy.py, and
# concurrent pulls. Results are cross-checked with skopeo, umoci and
# sha256sum. The "infra:" tests check the test infrastructure itself and run
# without ctr-pull; every other test skips until ctr-pull is built.

load helpers
load registry

CTR_PULL=${CTR_PULL:-$BATS_TEST_DIRNAME/../_build/registry/ctr-pull}
PULL_TIMEOUT=${PULL_TIMEOUT:-60}
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_INDEX=application/vnd.oci.image.index.v1+json
DOCKER_MANIFEST=application/vnd.docker.distribution.manifest.v2+json

setup_file() {
  registry_require || return 0
  export IMG=$BATS_FILE_TMPDIR/img ARCH OTHER
  ARCH=$(go_arch)
  OTHER=$(other_arch)
  # latest: 2 layers, host arch; extra: latest + 1 layer; other: latest + 1
  # layer, the other arch; multi: an index of latest and other.
  make_busybox_image "$IMG" latest
  add_layer_image "$IMG" latest extra /etc/extra "a third layer"
  add_layer_image "$IMG" latest other /etc/arch "$OTHER" "$OTHER"
  make_index "$IMG" multi latest other
  add_compression_image "$IMG" latest mixed
  export FOREIGN_LAYER
  FOREIGN_LAYER=$(add_foreign_layer_image "$IMG" latest foreign)

  registry_start
  export PLAIN=$REG_HOST
  registry_push_oci "$IMG:latest" "$PLAIN/busybox:latest"
  registry_push_docker "$IMG:latest" "$PLAIN/busybox-docker:latest"
  registry_push_oci "$IMG:extra" "$PLAIN/busybox-extra:latest"
  registry_push_oci "$IMG:multi" "$PLAIN/busybox-multi:latest"
  registry_push_raw "$IMG:mixed" "$PLAIN/busybox-mixed:latest"
  registry_push_raw "$IMG:foreign" "$PLAIN/busybox-foreign:latest"
  registry_push_oci "$IMG:latest" "$PLAIN/library/busybox:latest" # Docker Hub's stand-in

  registry_start --auth
  export AUTH=$REG_HOST AUTH_USER=$REG_USER AUTH_PASS=$REG_PASS
  registry_push_oci "$IMG:latest" "$AUTH/busybox:latest" --creds "$AUTH_USER:$AUTH_PASS"

  registry_start --tls
  export TLS=$REG_HOST TLS_CERTS=$REG_CERTS
  registry_push_oci "$IMG:latest" "$TLS/busybox:latest" --tls

  # The image's blobs, as pushed: config, the busybox layer, the /etc/hello layer.
  local blobs
  mapfile -t blobs < <(manifest_blobs "$IMG" "$(layout_digest "$IMG" latest)")
  export BB_CONFIG=${blobs[0]} BB_LAYER=${blobs[1]} BB_HELLO=${blobs[2]}
}

teardown_file() { registry_stop; }

setup() {
  registry_setup
  BG_PIDS=()
  STORE=$BATS_TEST_TMPDIR/store
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
  # No credentials, certificates or store from the machine running the tests.
  export HOME=$BATS_TEST_TMPDIR/home XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  unset REGISTRY_AUTH_FILE CTR_ROOT DOCKER_CONFIG
  case $BATS_TEST_DESCRIPTION in
    infra:*) ;;
    *) [ -x "$CTR_PULL" ] || skip "ctr-pull not built: $CTR_PULL" ;;
  esac
}

teardown() {
  local pid
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  registry_teardown
}

# pull ARGS...: ctr-pull with this test's store, bounded in time.
pull() { timeout -k 5 "$PULL_TIMEOUT" "$CTR_PULL" --root "$STORE" "$@" 3>&-; }

# run_pull ARGS...: run pull, keeping stdout in $output and stderr in $stderr.
run_pull() { run_tool ctr-pull pull "$@"; }

# pull_ok ARGS...: run_pull that must succeed.
pull_ok() {
  run_pull "$@"
  [ "$status" -eq 0 ]
}

one_error_line() { one_error_line_of ctr-pull; }

# check_blob DIR DIGEST SIZE: the blob is in layout DIR with that size.
check_blob() {
  local f
  f=$(layout_blob "$1" "$2")
  [ -f "$f" ] || { echo "check_blob: $2 missing from $1"; return 1; }
  [ "$(stat -c %s "$f")" -eq "$3" ] || { echo "check_blob: $2 has size $(stat -c %s "$f"), not $3"; return 1; }
}

# check_entry DIR NAME [ARCH]: layout DIR has exactly one entry NAME whose
# descriptor matches its blob, resolving (for an index) to the linux/ARCH
# (default: host) manifest, with its config and layers present. Sets
# ENTRY_DIGEST (the entry's digest), ENTRY_TYPE, MANIFEST_DIGEST and
# MANIFEST_LAYERS (the image manifest's layer digests, space-separated).
check_entry() {
  local dir=$1 name=$2 arch=${3:-$ARCH} desc blob mt
  desc=$(jq -c --arg n "$name" '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n)]' "$dir/index.json")
  [ "$(jq length <<<"$desc")" -eq 1 ] || { echo "check_entry: $(jq length <<<"$desc") entries named $name in $dir"; return 1; }
  ENTRY_DIGEST=$(jq -r '.[0].digest' <<<"$desc")
  ENTRY_TYPE=$(jq -r '.[0].mediaType' <<<"$desc")
  check_blob "$dir" "$ENTRY_DIGEST" "$(jq -r '.[0].size' <<<"$desc")" || return
  blob=$(layout_blob "$dir" "$ENTRY_DIGEST")
  mt=$(jq -r '.mediaType // empty' "$blob")
  [ -z "$mt" ] || [ "$mt" = "$ENTRY_TYPE" ] ||
    { echo "check_entry: entry says $ENTRY_TYPE, blob says $mt"; return 1; }
  MANIFEST_DIGEST=$ENTRY_DIGEST
  if [ "$ENTRY_TYPE" = "$OCI_INDEX" ] || [ "$ENTRY_TYPE" = application/vnd.docker.distribution.manifest.list.v2+json ]; then
    desc=$(jq -c --arg a "$arch" '[.manifests[] | select(.platform.os == "linux" and .platform.architecture == $a)]' "$blob")
    [ "$(jq length <<<"$desc")" -eq 1 ] || { echo "check_entry: no linux/$arch in index $ENTRY_DIGEST"; return 1; }
    MANIFEST_DIGEST=$(jq -r '.[0].digest' <<<"$desc")
    check_blob "$dir" "$MANIFEST_DIGEST" "$(jq -r '.[0].size' <<<"$desc")" || return
    blob=$(layout_blob "$dir" "$MANIFEST_DIGEST")
  fi
  check_blob "$dir" "$(jq -r .config.digest "$blob")" "$(jq -r .config.size "$blob")" || return
  while read -r d s; do
    check_blob "$dir" "$d" "$s" || return
  done < <(jq -r '.layers[] | "\(.digest) \(.size)"' "$blob")
  MANIFEST_LAYERS=$(jq -r '[.layers[].digest] | join(" ")' "$blob")
  [ "$(jq -r .architecture "$(layout_blob "$dir" "$(jq -r .config.digest "$blob")")")" = "$arch" ] ||
    { echo "check_entry: $name is not $arch"; return 1; }
}

# cross_check DIR NAME [ARCH]: after check_entry, skopeo and umoci read the
# same image from layout DIR under NAME.
cross_check() {
  local dir=$1 name=$2 arch=${3:-$ARCH} info
  info=$(timeout 30 skopeo inspect --override-os linux --override-arch "$arch" "oci:$dir:$name") ||
    { echo "cross_check: skopeo inspect oci:$dir:$name failed"; return 1; }
  [ "$(jq -r .Architecture <<<"$info")" = "$arch" ] || { echo "cross_check: skopeo: $info"; return 1; }
  [ "$(jq -r '.Layers | join(" ")' <<<"$info")" = "$MANIFEST_LAYERS" ] ||
    { echo "cross_check: skopeo sees other layers: $info"; return 1; }
  timeout 30 umoci ls --layout "$dir" | grep -qxF -- "$name" ||
    { echo "cross_check: umoci ls does not list $name"; return 1; }
  if [ "$ENTRY_TYPE" = "$OCI_MANIFEST" ]; then
    timeout 30 umoci stat --image "$dir:$name" >/dev/null ||
      { echo "cross_check: umoci stat $dir:$name failed"; return 1; }
  fi
}

# store_names: the names in the store's index.json.
store_names() {
  [ -f "$STORE/oci/index.json" ] || return 0
  jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] // empty' "$STORE/oci/index.json"
}

# ---------------------------------------------------------------------------
# The infrastructure itself

@test "infra: the registry serves the OCI, Docker schema2 and multi-arch images" {
  local m
  m=$(registry_manifest "$PLAIN/busybox:latest")
  [ "$(jq '.layers | length' <<<"$m")" -ge 2 ]
  [ "$(jq -r '.config.mediaType' <<<"$m")" = application/vnd.oci.image.config.v1+json ]
  [ "$(registry_digest "$PLAIN/busybox:latest")" = "$(layout_digest "$IMG" latest)" ]
  m=$(registry_manifest "$PLAIN/busybox-docker:latest")
  [ "$(jq -r .mediaType <<<"$m")" = "$DOCKER_MANIFEST" ]
  [ "$(jq -r '.layers[0].digest' <<<"$m")" = "$BB_LAYER" ]
  m=$(registry_manifest "$PLAIN/busybox-multi:latest")
  [ "$(jq -r .mediaType <<<"$m")" = "$OCI_INDEX" ]
  [ "$(jq -r '[.manifests[].platform.architecture] | sort | join(",")' <<<"$m")" = \
    "$(printf '%s\n' "$ARCH" "$OTHER" | sort | paste -sd,)" ]
  run timeout 30 skopeo inspect --tls-verify=false --config "docker://$PLAIN/busybox-extra:latest"
  [ "$status" -eq 0 ]
  [ "$(jq -c .config.Cmd <<<"$output")" = '["sh"]' ]
  [ "$(jq '.rootfs.diff_ids | length' <<<"$output")" -eq 3 ]
}

@test "infra: the auth registry wants the password" {
  run timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://$AUTH/v2/"
  [ "$output" = 401 ]
  run timeout 10 curl -s -o /dev/null -w '%{http_code}' -u "$AUTH_USER:$AUTH_PASS" "http://$AUTH/v2/"
  [ "$output" = 200 ]
  run timeout 30 skopeo inspect --raw --tls-verify=false --creds "$AUTH_USER:nope" "docker://$AUTH/busybox:latest"
  [ "$status" -ne 0 ]
  registry_manifest "$AUTH/busybox:latest" --creds "$AUTH_USER:$AUTH_PASS" >/dev/null
}

@test "infra: the TLS registry verifies with REG_CERTS and only with it" {
  [ -f "$TLS_CERTS/ca.crt" ]
  [ "$(find "$TLS_CERTS" -name '*.key' | wc -l)" -eq 0 ]
  run timeout 10 curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS_CERTS/ca.crt" "https://$TLS/v2/"
  [ "$output" = 200 ]
  run timeout 10 curl -s -o /dev/null "https://localhost:${TLS#*:}/v2/" --cacert "$TLS_CERTS/ca.crt"
  [ "$status" -eq 0 ]
  run timeout 10 curl -s -o /dev/null "https://$TLS/v2/"
  [ "$status" -eq 60 ] # certificate problem
  run timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://$TLS/v2/"
  [ "$output" = 400 ] # plain HTTP to a TLS port
  run timeout 30 skopeo inspect --raw --cert-dir "$TLS_CERTS" "docker://$TLS/busybox:latest"
  [ "$status" -eq 0 ]
  run timeout 30 skopeo inspect --raw --tls-verify=true "docker://$TLS/busybox:latest"
  [ "$status" -ne 0 ]
  [[ "$output" == *certificate* ]]
}

@test "infra: a registry started by a test listens on 127.0.0.1 only and stops" {
  registry_start
  local port=${REG_HOST#*:} pid=$REG_PID
  [[ "$REG_HOST" == 127.0.0.1:* ]]
  run ss -Hltn "sport = :$port"
  [ "${#lines[@]}" -eq 1 ]
  [[ "${lines[0]}" == *" 127.0.0.1:$port "* ]]
  registry_push_oci "$IMG:latest" "$REG_HOST/t:1"
  grep -q 'PUT /v2/t/manifests/1' "$REG_LOG"
  registry_stop
  run kill -0 "$pid"
  [ "$status" -ne 0 ]
  run timeout 10 curl -s "http://$REG_HOST/v2/"
  [ "$status" -eq 7 ] # connection refused
}

@test "infra: fault_proxy forwards, and corrupts, truncates, fails and drops blob GETs" {
  local url size out=$BATS_TEST_TMPDIR/blob
  size=$(stat -c %s "$(layout_blob "$IMG" "$BB_LAYER")")

  fault_proxy_start "$PLAIN"
  url=http://$PROXY/v2/busybox/blobs/$BB_LAYER
  timeout 10 curl -sf -o "$out" "$url"
  [ "sha256:$(sha256sum <"$out" | cut -d' ' -f1)" = "$BB_LAYER" ]
  timeout 10 curl -sf -o /dev/null -H "Accept: $OCI_MANIFEST" "http://$PROXY/v2/busybox/manifests/latest"
  run timeout 10 curl -s -o /dev/null "https://$PROXY/v2/" # TLS first: a prompt refusal
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
  [ "$(proxy_blob_gets)" -eq 1 ]
  [ "$(proxy_blob_gets "$BB_LAYER")" -eq 1 ]
  fault_proxy_stop

  fault_proxy_start "$PLAIN" --corrupt-byte --blob "$BB_LAYER"
  timeout 10 curl -sf -o "$out" "http://$PROXY/v2/busybox/blobs/$BB_LAYER"
  [ "$(stat -c %s "$out")" -eq "$size" ]
  [ "sha256:$(sha256sum <"$out" | cut -d' ' -f1)" != "$BB_LAYER" ]
  [ "$(jq -r .sent_sha256 "$PROXY_LOG")" = "sha256:$(sha256sum <"$out" | cut -d' ' -f1)" ]
  timeout 10 curl -sf -o "$out" "http://$PROXY/v2/busybox/blobs/$BB_CONFIG" # not the chosen blob
  [ "sha256:$(sha256sum <"$out" | cut -d' ' -f1)" = "$BB_CONFIG" ]
  fault_proxy_stop

  fault_proxy_start "$PLAIN" --truncate 1000
  run timeout 10 curl -s -o "$out" -w '%{http_code} %{size_download}' "http://$PROXY/v2/busybox/blobs/$BB_LAYER"
  [ "$output" = "200 1000" ]
  fault_proxy_stop

  fault_proxy_start "$PLAIN" --status 429 --times 2
  run timeout 10 curl -s -D - -o /dev/null "http://$PROXY/v2/busybox/blobs/$BB_LAYER"
  [[ "$output" == "HTTP/1.1 429 "* ]] && [[ "$output" == *"Retry-After: 0"* ]]
  run timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://$PROXY/v2/busybox/blobs/$BB_LAYER"
  [ "$output" = 429 ]
  run timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://$PROXY/v2/busybox/blobs/$BB_LAYER"
  [ "$output" = 200 ]
  fault_proxy_stop

  fault_proxy_start "$PLAIN" --drop-after 100000 --times 1
  url=http://$PROXY/v2/busybox/blobs/$BB_LAYER
  rm -f "$out"
  run timeout 10 curl -s -o "$out" "$url"
  [ "$status" -eq 18 ] # partial file
  [ "$(stat -c %s "$out")" -eq 100000 ]
  timeout 10 curl -sf -C - -o "$out" "$url"
  [ "sha256:$(sha256sum <"$out" | cut -d' ' -f1)" = "$BB_LAYER" ]
  [ "$(jq -rs '.[1].range' "$PROXY_LOG")" = "bytes=100000-" ]
  [ "$(jq -rs '.[1].status' "$PROXY_LOG")" = 206 ]
}

@test "infra: skopeo and umoci address layout entries named by full references" {
  # The store names images by full reference (127.0.0.1:PORT/busybox:latest).
  # skopeo's oci: transport splits at the first ':' after the path, so
  # oci:DIR:127.0.0.1:PORT/busybox:latest selects that entry among several.
  local dir=$BATS_TEST_TMPDIR/layout d
  cp -a "$IMG" "$dir"
  d=$(layout_digest "$IMG" latest)
  jq --arg p "$PLAIN" --arg d "$d" '.manifests |= map(.annotations["org.opencontainers.image.ref.name"] |=
      ({"latest": "\($p)/busybox:latest", "other": "\($p)/busybox:other",
        "extra": "\($p)/busybox@\($d)", "multi": "\($p)/busybox-multi:latest"}[.]))' \
    "$IMG/index.json" >"$dir/index.json"
  run timeout 30 skopeo inspect "oci:$dir:$PLAIN/busybox:latest"
  [ "$status" -eq 0 ]
  [ "$(jq -r .Architecture <<<"$output")" = "$ARCH" ]
  run timeout 30 skopeo inspect "oci:$dir:$PLAIN/busybox:other"
  [ "$(jq -r .Architecture <<<"$output")" = "$OTHER" ]
  run timeout 30 skopeo inspect "oci:$dir:$PLAIN/busybox@$d"
  [ "$status" -eq 0 ]
  run timeout 30 skopeo inspect --override-arch "$OTHER" "oci:$dir:$PLAIN/busybox-multi:latest"
  [ "$(jq -r .Architecture <<<"$output")" = "$OTHER" ]
  run timeout 30 skopeo inspect "oci:$dir:$PLAIN/busybox:nope"
  [ "$status" -ne 0 ]
  run timeout 30 umoci ls --layout "$dir"
  [[ "$output" == *"$PLAIN/busybox:latest"* ]]
  timeout 30 umoci stat --image "$dir:$PLAIN/busybox:latest" >/dev/null
}

# ---------------------------------------------------------------------------
# References and output

@test "pull by tag stores the image under its full name and prints NAME@DIGEST" {
  local digest
  digest=$(registry_digest "$PLAIN/busybox:latest")
  pull_ok "$PLAIN/busybox:latest"
  [ "$output" = "$PLAIN/busybox:latest@$digest" ]
  [ -z "$stderr" ] # progress only on a terminal
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PLAIN/busybox:latest"
  [ "$ENTRY_DIGEST" = "$digest" ]
  [ "$ENTRY_TYPE" = "$OCI_MANIFEST" ]
  [ "$MANIFEST_LAYERS" = "$BB_LAYER $BB_HELLO" ]
  check_blob "$STORE/oci" "$BB_CONFIG" "$(stat -c %s "$(layout_blob "$IMG" "$BB_CONFIG")")"
  cross_check "$STORE/oci" "$PLAIN/busybox:latest"
}

@test "several references print one line each, in order; -q and -j change nothing" {
  local d1 d2
  d1=$(registry_digest "$PLAIN/busybox-extra:latest")
  d2=$(registry_digest "$PLAIN/busybox:latest")
  pull_ok -q -j 1 "$PLAIN/busybox-extra:latest" "$PLAIN/busybox:latest"
  [ "${#lines[@]}" -eq 2 ]
  [ "${lines[0]}" = "$PLAIN/busybox-extra:latest@$d1" ]
  [ "${lines[1]}" = "$PLAIN/busybox:latest@$d2" ]
  [ -z "$stderr" ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PLAIN/busybox-extra:latest"
  check_entry "$STORE/oci" "$PLAIN/busybox:latest"
  [ "$(store_names | wc -l)" -eq 2 ]
  STORE=$BATS_TEST_TMPDIR/store2
  pull_ok --jobs 8 "$PLAIN/busybox-extra:latest"
  [ "$output" = "$PLAIN/busybox-extra:latest@$d1" ]
  check_layout "$STORE/oci"
}

@test "progress goes to stderr only on a terminal; stdout stays one line; -q silences it" {
  command -v script >/dev/null || skip "script (bsdutils) not installed"
  local digest out=$BATS_TEST_TMPDIR/stdout tty=$BATS_TEST_TMPDIR/tty cmd
  digest=$(registry_digest "$PLAIN/busybox:latest")
  # script(1) gives the command a terminal; stdout goes to a file.
  cmd="$(printf '%q ' "$CTR_PULL" --root "$STORE" "$PLAIN/busybox:latest") >$(printf '%q' "$out")"
  timeout 60 script -qec "$cmd" /dev/null >"$tty" </dev/null
  [ "$(cat "$out")" = "$PLAIN/busybox:latest@$digest" ]
  [ -s "$tty" ] # some progress was drawn on the terminal
  rm -rf "$STORE"
  cmd="$(printf '%q ' "$CTR_PULL" -q --root "$STORE" "$PLAIN/busybox:latest") >$(printf '%q' "$out")"
  timeout 60 script -qec "$cmd" /dev/null >"$tty" </dev/null
  [ "$(cat "$out")" = "$PLAIN/busybox:latest@$digest" ]
  [ ! -s "$tty" ]
}

@test "--insecure HOST and --creds take one value each; what follows them is a reference" {
  local digest
  digest=$(registry_digest "$PLAIN/busybox:latest")
  pull_ok --insecure example.invalid --insecure "$PLAIN" "$PLAIN/busybox:latest" "$PLAIN/busybox:latest"
  [ "${#lines[@]}" -eq 2 ]
  [ "${lines[0]}" = "$PLAIN/busybox:latest@$digest" ]
  [ "${lines[1]}" = "$PLAIN/busybox:latest@$digest" ]
  pull_ok --creds "$AUTH_USER:$AUTH_PASS" "$AUTH/busybox:latest" "$PLAIN/busybox:latest"
  [ "${#lines[@]}" -eq 2 ]
}

@test "pull by digest stores NAME@DIGEST" {
  local digest
  digest=$(registry_digest "$PLAIN/busybox:latest")
  pull_ok "$PLAIN/busybox@$digest"
  [ "$output" = "$PLAIN/busybox@$digest" ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PLAIN/busybox@$digest"
  [ "$ENTRY_DIGEST" = "$digest" ]
  cross_check "$STORE/oci" "$PLAIN/busybox@$digest"
}

@test "a digest that the registry does not have fails with one error line" {
  local bogus=sha256:0000000000000000000000000000000000000000000000000000000000000000
  run_pull "$PLAIN/busybox@$bogus"
  one_error_line
  [[ "$ERR_LINE" == *"$PLAIN/busybox@$bogus"* ]]
  [ -z "$output" ]
  [ -z "$(store_names)" ]
}

@test "a missing tag fails with one error line naming the reference" {
  run_pull "$PLAIN/busybox:no-such-tag"
  one_error_line
  [[ "$ERR_LINE" == *"$PLAIN/busybox:no-such-tag"* ]]
  [ -z "$(store_names)" ]
}

@test "a reference without a tag means :latest and is stored under its full name" {
  pull_ok "$PLAIN/busybox"
  [[ "$output" == "$PLAIN/busybox:latest@sha256:"* ]]
  [[ "$output" =~ ^[^@]+@sha256:[0-9a-f]{64}$ ]]
  check_entry "$STORE/oci" "$PLAIN/busybox:latest"
  [ "$(store_names)" = "$PLAIN/busybox:latest" ]
  cross_check "$STORE/oci" "$PLAIN/busybox:latest"
}

@test "localhost:PORT is a plain-HTTP registry by default too" {
  local ref=localhost:${PLAIN#*:}/busybox
  pull_ok "$ref"
  [[ "$output" == "$ref:latest@sha256:"* ]]
  check_entry "$STORE/oci" "$ref:latest"
}

@test "a Docker Hub short name is normalised to docker.io/library and fails quickly offline" {
  if timeout 5 curl -s -o /dev/null https://registry-1.docker.io/v2/ 2>/dev/null; then
    skip "Docker Hub is reachable: this test needs a machine without network"
  fi
  local start=$SECONDS
  PULL_TIMEOUT=20 run_pull busybox
  [ "$status" -ne 124 ] # failed by itself, not killed
  one_error_line
  [[ "$ERR_LINE" == *docker.io* ]]
  [ $((SECONDS - start)) -lt 20 ]
  [ -z "$output" ]
  [ -z "$(store_names)" ]
}

@test "Docker Hub names are normalised to docker.io/library/NAME:latest (a local stand-in for Docker Hub)" {
  # fault_proxy plays the network: as https_proxy it refuses the tunnel to
  # registry-1.docker.io, and as http_proxy it forwards the plain-HTTP
  # requests that --insecure docker.io then allows to the local registry,
  # which has library/busybox. Hermetic with or without network.
  local digest l refs=(busybox docker.io/busybox:latest library/busybox index.docker.io/library/busybox)
  digest=$(registry_digest "$PLAIN/library/busybox:latest")
  fault_proxy_start "$PLAIN"
  http_proxy=http://$PROXY https_proxy=http://$PROXY pull_ok "${refs[@]}" --insecure docker.io
  [ "${#lines[@]}" -eq "${#refs[@]}" ] # one line per REF
  for l in "${lines[@]}"; do [ "$l" = "docker.io/library/busybox:latest@$digest" ]; done
  [ "$(store_names)" = docker.io/library/busybox:latest ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" docker.io/library/busybox:latest
  cross_check "$STORE/oci" docker.io/library/busybox:latest
  # Docker Hub's API endpoint and the library/ repository were asked for.
  [ "$(jq -rs '[.[] | select(.method == "GET") | .host] | unique | join(",")' "$PROXY_LOG")" = registry-1.docker.io ]
  jq -es 'any(.[]; .path == "/v2/library/busybox/manifests/latest")' "$PROXY_LOG" >/dev/null
}

@test "usage errors exit 2; a malformed reference is one error line" {
  run_pull
  [ "$status" -eq 2 ]
  run_pull --no-such-option "$PLAIN/busybox"
  [ "$status" -eq 2 ]
  run_pull --jobs
  [ "$status" -eq 2 ]
  run_pull "$PLAIN/BusyBox:Bad Tag"
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "$stderr" == "ctr-pull: error: "* ]]
  [ -z "$(store_names)" ]
  run timeout 10 "$CTR_PULL" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *--platform* ]]
}

# ---------------------------------------------------------------------------
# Manifest kinds and platforms

@test "a Docker schema2 image prints the registry's digest and is stored readable by skopeo and umoci" {
  local digest
  digest=$(registry_digest "$PLAIN/busybox-docker:latest")
  [ "$(jq -r .mediaType <<<"$(registry_manifest "$PLAIN/busybox-docker:latest")")" = "$DOCKER_MANIFEST" ]
  pull_ok "$PLAIN/busybox-docker:latest"
  [ "$output" = "$PLAIN/busybox-docker:latest@$digest" ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PLAIN/busybox-docker:latest"
  [ "$MANIFEST_LAYERS" = "$BB_LAYER $BB_HELLO" ]
  [ "$(jq -r .config.digest "$(layout_blob "$STORE/oci" "$MANIFEST_DIGEST")")" = "$BB_CONFIG" ]
  # The store is an OCI layout that skopeo and umoci read (DESIGN.md). Both
  # only see index.json entries with OCI media types: skopeo 1.9 answers
  # "no descriptor found for reference" for a Docker-typed entry, umoci 0.4.7
  # "not implemented: application/vnd.docker.distribution.manifest.v2+json".
  cross_check "$STORE/oci" "$PLAIN/busybox-docker:latest"
  [ "$ENTRY_TYPE" = "$OCI_MANIFEST" ] || [ "$ENTRY_TYPE" = "$OCI_INDEX" ]
  # The printed digest is the one to pull by.
  pull_ok "$PLAIN/busybox-docker@$digest"
  [ "$output" = "$PLAIN/busybox-docker@$digest" ]
  check_entry "$STORE/oci" "$PLAIN/busybox-docker@$digest"
  [ "$MANIFEST_LAYERS" = "$BB_LAYER $BB_HELLO" ]
  check_layout "$STORE/oci"
}

@test "an index: the default platform is the host's" {
  local index ours theirs
  index=$(registry_manifest "$PLAIN/busybox-multi:latest")
  ours=$(jq -r --arg a "$ARCH" '.manifests[] | select(.platform.architecture == $a) | .digest' <<<"$index")
  theirs=$(jq -r --arg a "$OTHER" '.manifests[] | select(.platform.architecture == $a) | .digest' <<<"$index")
  pull_ok "$PLAIN/busybox-multi:latest"
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PLAIN/busybox-multi:latest" "$ARCH"
  [ "$MANIFEST_DIGEST" = "$ours" ]
  [ "$output" = "$PLAIN/busybox-multi:latest@$ENTRY_DIGEST" ]
  # The other platform's manifest and its own layer were not fetched.
  [ ! -e "$(layout_blob "$STORE/oci" "$theirs")" ]
  cross_check "$STORE/oci" "$PLAIN/busybox-multi:latest" "$ARCH"
}

@test "an index with --platform linux/OTHER picks that manifest" {
  local index ours theirs
  index=$(registry_manifest "$PLAIN/busybox-multi:latest")
  ours=$(jq -r --arg a "$ARCH" '.manifests[] | select(.platform.architecture == $a) | .digest' <<<"$index")
  theirs=$(jq -r --arg a "$OTHER" '.manifests[] | select(.platform.architecture == $a) | .digest' <<<"$index")
  pull_ok --platform "linux/$OTHER" "$PLAIN/busybox-multi:latest"
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PLAIN/busybox-multi:latest" "$OTHER"
  [ "$MANIFEST_DIGEST" = "$theirs" ]
  [ "$output" = "$PLAIN/busybox-multi:latest@$ENTRY_DIGEST" ]
  [ ! -e "$(layout_blob "$STORE/oci" "$ours")" ]
  # Its third layer (/etc/arch) is there.
  [ "$(wc -w <<<"$MANIFEST_LAYERS")" -eq 3 ]
  cross_check "$STORE/oci" "$PLAIN/busybox-multi:latest" "$OTHER"
}

@test "--platform that the index does not have fails with one error line" {
  run_pull --platform linux/s390x "$PLAIN/busybox-multi:latest"
  one_error_line
  [[ "$ERR_LINE" == *s390x* ]]
  [ -z "$(store_names)" ]
}

@test "--dest oci:DIR:TAG writes a layout that skopeo and umoci read; the store is untouched" {
  local dest=$BATS_TEST_TMPDIR/dest digest
  digest=$(registry_digest "$PLAIN/busybox:latest")
  pull_ok --dest "oci:$dest:mytag" "$PLAIN/busybox:latest"
  [ "$output" = "$PLAIN/busybox:latest@$digest" ]
  check_layout "$dest"
  check_entry "$dest" mytag
  [ "$ENTRY_DIGEST" = "$digest" ]
  cross_check "$dest" mytag
  run timeout 30 skopeo inspect "oci:$dest:mytag"
  [ "$(jq -r .Digest <<<"$output")" = "$digest" ]
  [ -z "$(store_names)" ]

  # Without TAG: the full normalised reference, as in the store. A second
  # image joins the layout.
  pull_ok --dest "oci:$dest" "$PLAIN/busybox-extra:latest"
  check_layout "$dest"
  check_entry "$dest" mytag
  check_entry "$dest" "$PLAIN/busybox-extra:latest"
  cross_check "$dest" "$PLAIN/busybox-extra:latest"
  # A TAG names one image: two references with one TAG are refused.
  run_pull --dest "oci:$dest:two" "$PLAIN/busybox:latest" "$PLAIN/busybox-extra:latest"
  [ "$status" -ne 0 ]
}

# ---------------------------------------------------------------------------
# Authentication

@test "auth: without credentials the pull fails with 401/unauthorized" {
  run_pull "$AUTH/busybox:latest"
  one_error_line
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* ]]
  [ -z "$(store_names)" ]
}

@test "auth: --creds user:pass" {
  pull_ok --creds "$AUTH_USER:$AUTH_PASS" "$AUTH/busybox:latest"
  [[ "$output" == "$AUTH/busybox:latest@sha256:"* ]]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$AUTH/busybox:latest"
  cross_check "$STORE/oci" "$AUTH/busybox:latest"
}

# write_authfile FILE: an auth.json for the auth registry.
write_authfile() {
  mkdir -p "$(dirname "$1")"
  jq -n --arg h "$AUTH" --arg a "$(printf '%s' "$AUTH_USER:$AUTH_PASS" | base64 -w0)" \
    '{auths: {($h): {auth: $a}}}' >"$1"
}

@test "auth: --authfile FILE" {
  write_authfile "$BATS_TEST_TMPDIR/auth.json"
  pull_ok --authfile "$BATS_TEST_TMPDIR/auth.json" "$AUTH/busybox:latest"
  check_entry "$STORE/oci" "$AUTH/busybox:latest"
}

@test "auth: REGISTRY_AUTH_FILE" {
  write_authfile "$BATS_TEST_TMPDIR/auth.json"
  REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/auth.json pull_ok "$AUTH/busybox:latest"
  check_entry "$STORE/oci" "$AUTH/busybox:latest"
}

@test "auth: \$XDG_RUNTIME_DIR/containers/auth.json, then ~/.docker/config.json" {
  write_authfile "$XDG_RUNTIME_DIR/containers/auth.json"
  pull_ok "$AUTH/busybox:latest"
  check_entry "$STORE/oci" "$AUTH/busybox:latest"
  rm -rf "$XDG_RUNTIME_DIR/containers" "$STORE"
  write_authfile "$HOME/.docker/config.json"
  pull_ok "$AUTH/busybox:latest"
  check_entry "$STORE/oci" "$AUTH/busybox:latest"
}

@test "auth: a wrong password fails clearly, leaves the store unchanged and is not echoed" {
  pull_ok "$PLAIN/busybox:latest"
  local before
  before=$(store_snapshot)
  run_pull --creds "$AUTH_USER:wrong-$AUTH_PASS" "$AUTH/busybox:latest"
  one_error_line
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* ]]
  [[ "$ERR_LINE" == *"$AUTH/busybox:latest"* ]]
  [[ "$stderr" != *"wrong-$AUTH_PASS"* ]]
  [ -z "$output" ]
  [ "$(store_snapshot)" = "$before" ]
}

# ---------------------------------------------------------------------------
# TLS

@test "tls: --cert-dir with the registry's CA" {
  pull_ok --cert-dir "$TLS_CERTS" "$TLS/busybox:latest"
  [[ "$output" == "$TLS/busybox:latest@sha256:"* ]]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$TLS/busybox:latest"
  cross_check "$STORE/oci" "$TLS/busybox:latest"
  # --tls-verify=true forbids the plain-HTTP fallback: this was real TLS.
  rm -rf "$STORE"
  pull_ok --tls-verify=true --cert-dir "$TLS_CERTS" "$TLS/busybox:latest"
  check_entry "$STORE/oci" "$TLS/busybox:latest"
}

@test "tls: --tls-verify=true without the CA fails on the certificate" {
  run_pull --tls-verify=true "$TLS/busybox:latest"
  one_error_line
  [[ "${ERR_LINE,,}" == *certificate* || "${ERR_LINE,,}" == *ssl* || "${ERR_LINE,,}" == *tls* ]]
  [ -z "$(store_names)" ]
}

@test "tls: --tls-verify=false accepts the unknown certificate" {
  pull_ok --tls-verify=false "$TLS/busybox:latest"
  check_entry "$STORE/oci" "$TLS/busybox:latest"
}

@test "tls: --tls-verify=true refuses a plain-HTTP registry (no fallback)" {
  run_pull --tls-verify=true "$PLAIN/busybox:latest"
  one_error_line
  [[ "$ERR_LINE" == *"$PLAIN"* ]]
  [ -z "$(store_names)" ]
}

# ---------------------------------------------------------------------------
# The store

@test "pulling the same image twice downloads no blob the second time" {
  fault_proxy_start "$PLAIN"
  pull_ok "$PROXY/busybox:latest"
  local first=$output
  [ "$(proxy_blobs_fetched | sort | paste -sd' ')" = "$(printf '%s\n' "$BB_CONFIG" "$BB_LAYER" "$BB_HELLO" | sort | paste -sd' ')" ]
  [ "$(proxy_blob_gets)" -eq 3 ] # each blob once
  : >"$PROXY_LOG"
  pull_ok "$PROXY/busybox:latest"
  [ "$output" = "$first" ]
  [ "$(proxy_blob_gets)" -eq 0 ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PROXY/busybox:latest"
  [ "$(store_names)" = "$PROXY/busybox:latest" ]
}

@test "an image that shares layers with one in the store fetches only its new blobs" {
  fault_proxy_start "$PLAIN"
  pull_ok "$PROXY/busybox:latest"
  : >"$PROXY_LOG"
  pull_ok "$PROXY/busybox-extra:latest"
  check_entry "$STORE/oci" "$PROXY/busybox-extra:latest"
  local extra_config new_layer
  extra_config=$(jq -r .config.digest "$(layout_blob "$STORE/oci" "$ENTRY_DIGEST")")
  new_layer=${MANIFEST_LAYERS##* }
  [ "$MANIFEST_LAYERS" = "$BB_LAYER $BB_HELLO $new_layer" ]
  [ "$(proxy_blobs_fetched | sort | paste -sd' ')" = "$(printf '%s\n' "$extra_config" "$new_layer" | sort | paste -sd' ')" ]
  [ "$(proxy_blob_gets "$BB_LAYER")" -eq 0 ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PROXY/busybox:latest"
  # One copy of each blob: 2 manifests, 2 configs, 3 layers.
  [ "$(find "$STORE/oci/blobs" -type f | wc -l)" -eq 7 ]
}

@test "10 concurrent pulls of one image into one store all succeed and agree" {
  local i pids=() digest rc fails=0
  digest=$(registry_digest "$PLAIN/busybox:latest")
  for i in $(seq 10); do
    pull "$PLAIN/busybox:latest" >"$BATS_TEST_TMPDIR/out.$i" 2>"$BATS_TEST_TMPDIR/err.$i" &
    pids+=($!)
    bg_track $!
  done
  for i in $(seq 10); do
    rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    if [ $rc -ne 0 ]; then
      echo "pull $i: status $rc: $(cat "$BATS_TEST_TMPDIR/err.$i")"
      fails=$((fails + 1))
    fi
    [ "$(cat "$BATS_TEST_TMPDIR/out.$i")" = "$PLAIN/busybox:latest@$digest" ] ||
      { echo "pull $i printed: $(cat "$BATS_TEST_TMPDIR/out.$i")"; fails=$((fails + 1)); }
  done
  [ $fails -eq 0 ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PLAIN/busybox:latest"
  [ "$(store_names)" = "$PLAIN/busybox:latest" ]
  [ "$(jq '.manifests | length' "$STORE/oci/index.json")" -eq 1 ]
  [ "$(find "$STORE/oci/blobs" -type f | wc -l)" -eq 4 ] # manifest, config, 2 layers
  cross_check "$STORE/oci" "$PLAIN/busybox:latest"
}

# ---------------------------------------------------------------------------
# Faults (tools/fault_proxy.py between ctr-pull and the registry)

@test "fault: a corrupt blob fails naming the blob and both digests; nothing corrupt is kept" {
  fault_proxy_start "$PLAIN" --corrupt-byte --blob "$BB_LAYER"
  run_pull "$PROXY/busybox:latest"
  one_error_line
  local got
  got=$(jq -r 'select(.fault == "corrupt-byte") | .sent_sha256' "$PROXY_LOG" | head -1)
  [ -n "$got" ]
  [[ "$ERR_LINE" == *"$BB_LAYER"* ]]
  [[ "$ERR_LINE" == *"$got"* || "$ERR_LINE" == *"${got#sha256:}"* ]]
  [ -z "$output" ]
  [ ! -e "$(layout_blob "$STORE/oci" "$BB_LAYER")" ]
  [ -z "$(store_names)" ]
  if [ -d "$STORE/oci" ]; then check_layout "$STORE/oci"; fi
}

@test "fault: a blob that is always short fails naming it; nothing partial is kept" {
  fault_proxy_start "$PLAIN" --truncate 1000 --blob "$BB_LAYER"
  run_pull "$PROXY/busybox:latest"
  one_error_line
  [[ "$ERR_LINE" == *"$BB_LAYER"* ]]
  [ ! -e "$(layout_blob "$STORE/oci" "$BB_LAYER")" ]
  [ -z "$(store_names)" ]
  if [ -d "$STORE/oci" ]; then check_layout "$STORE/oci"; fi
}

@test "fault: a blob that is short once either is fetched again or fails cleanly" {
  fault_proxy_start "$PLAIN" --truncate 1000 --times 1 --blob "$BB_LAYER"
  run_pull "$PROXY/busybox:latest"
  if [ "$status" -eq 0 ]; then
    check_entry "$STORE/oci" "$PROXY/busybox:latest"
    [ "$(proxy_blob_gets "$BB_LAYER")" -ge 2 ]
  else
    one_error_line
    [[ "$ERR_LINE" == *"$BB_LAYER"* ]]
    [ -z "$(store_names)" ]
  fi
  if [ -d "$STORE/oci" ]; then check_layout "$STORE/oci"; fi
}

@test "fault: 429 twice (Retry-After: 0) is retried and the pull succeeds" {
  fault_proxy_start "$PLAIN" --status 429 --times 2 --blob "$BB_LAYER"
  pull_ok "$PROXY/busybox:latest"
  [ "$(proxy_blob_gets "$BB_LAYER")" -eq 3 ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PROXY/busybox:latest"
}

@test "fault: 500 twice is retried and the pull succeeds" {
  fault_proxy_start "$PLAIN" --status 500 --times 2 --blob "$BB_LAYER"
  pull_ok "$PROXY/busybox:latest"
  [ "$(proxy_blob_gets "$BB_LAYER")" -eq 3 ]
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PROXY/busybox:latest"
}

@test "fault: a connection dropped mid-blob is resumed with a Range request" {
  local n=300000 range start
  fault_proxy_start "$PLAIN" --drop-after "$n" --times 1 --blob "$BB_LAYER"
  pull_ok "$PROXY/busybox:latest"
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PROXY/busybox:latest"
  [ "$(proxy_blob_gets "$BB_LAYER")" -eq 2 ]
  range=$(jq -r --arg d "$BB_LAYER" 'select(.blob == $d and .range != null) | .range' "$PROXY_LOG" | head -1)
  [[ "$range" =~ ^bytes=([0-9]+)-$ ]]
  start=${BASH_REMATCH[1]}
  [ "$start" -gt 0 ] && [ "$start" -le "$n" ]
}

@test "fault: a pull killed mid-blob resumes from its partial file when run again" {
  local n=700000 partial range start pid
  fault_proxy_start "$PLAIN" --stall-after "$n" --times 1 --blob "$BB_LAYER"
  partial=$STORE/oci/.ctr-tmp/${BB_LAYER#sha256:}.partial
  # ctr-pull itself in the background (not through timeout(1)), so that
  # kill -9 reaches it.
  "$CTR_PULL" --root "$STORE" -q "$PROXY/busybox:latest" >/dev/null 2>&1 3>&- &
  pid=$!
  bg_track "$pid"
  # The partial file grows in 256 KiB writes; wait for the first one.
  local deadline=$((SECONDS + 20))
  until [ -f "$partial" ] && [ "$(stat -c %s "$partial")" -ge 262144 ]; do
    kill -0 "$pid" 2>/dev/null || { echo "ctr-pull exited before it was killed"; return 1; }
    [ $SECONDS -lt $deadline ] || { echo "no partial download appeared"; return 1; }
    sleep 0.05
  done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  [ -s "$partial" ]
  [ -z "$(store_names)" ]
  # Run again (the proxy's one stall is spent): it resumes with a Range request.
  pull_ok "$PROXY/busybox:latest"
  check_layout "$STORE/oci"
  check_entry "$STORE/oci" "$PROXY/busybox:latest"
  [ ! -e "$partial" ]
  range=$(jq -r --arg d "$BB_LAYER" 'select(.blob == $d and .range != null) | .range' "$PROXY_LOG" | head -1)
  [[ "$range" =~ ^bytes=([0-9]+)-$ ]]
  start=${BASH_REMATCH[1]}
  [ "$start" -ge 262144 ] && [ "$start" -le "$n" ]
}

@test "gzip, zstd and uncompressed layers are pulled as they are and verified" {
  local digest m
  digest=$(registry_digest "$PLAIN/busybox-mixed:latest")
  pull_ok "$PLAIN/busybox-mixed:latest"
  [ "$output" = "$PLAIN/busybox-mixed:latest@$digest" ]
  check_layout "$STORE/oci"
  m=$(layout_blob "$STORE/oci" "$digest")
  [ "$(jq -r '.layers[].mediaType' "$m" | sort -u | tr '\n' ' ')" = \
    "application/vnd.oci.image.layer.v1.tar application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+zstd " ]
  # Every layer is in the store, byte for byte what the registry has.
  for d in $(jq -r '.layers[].digest' "$m"); do
    [ -f "$(layout_blob "$STORE/oci" "$d")" ]
  done
  zstd -dc "$(layout_blob "$STORE/oci" "$(jq -r '.layers[] | select(.mediaType | endswith("zstd")) | .digest' "$m")")" |
    tar -xO etc/zstd-layer | grep -qx zstd
  check_entry "$STORE/oci" "$PLAIN/busybox-mixed:latest"
  cross_check "$STORE/oci" "$PLAIN/busybox-mixed:latest"
}

@test "a non-distributable layer is recorded in the manifest but not downloaded" {
  local digest m
  digest=$(registry_digest "$PLAIN/busybox-foreign:latest")
  pull_ok "$PLAIN/busybox-foreign:latest"
  [ "$output" = "$PLAIN/busybox-foreign:latest@$digest" ]
  check_layout "$STORE/oci"
  m=$(layout_blob "$STORE/oci" "$digest")
  [ "$(jq -r '.layers[-1].urls[0]' "$m")" = "https://example.invalid/layer.tar.gz" ]
  [ ! -e "$(layout_blob "$STORE/oci" "$FOREIGN_LAYER")" ]
  # The distributable blobs are all there.
  for d in $(jq -r '.config.digest, (.layers[] | select(.urls == null) | .digest)' "$m"); do
    [ -f "$(layout_blob "$STORE/oci" "$d")" ]
  done
}
