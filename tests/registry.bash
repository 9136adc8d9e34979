# Registry test infrastructure (bats): a real docker-registry on a free
# 127.0.0.1 port, OCI test images built with umoci and pushed with skopeo, and
# a fault-injecting proxy (tools/fault_proxy.py).
#
#   load helpers      # first: make_rootfs, wait_for_file, wait_for_exit come from it
#   load registry
#
#   setup_file() {
#     registry_require || return 0     # records a skip reason instead of failing
#     make_busybox_image "$BATS_FILE_TMPDIR/img"
#     registry_start --auth --tls      # exports REG_HOST REG_USER REG_PASS REG_CERTS ...
#     registry_push_oci "$BATS_FILE_TMPDIR/img:latest" "$REG_HOST/busybox:latest" --tls --creds "$REG_USER:$REG_PASS"
#   }
#   teardown_file() { registry_stop; }
#   setup() { registry_setup; }        # skips with the reason registry_require recorded
#   teardown() { registry_teardown; }  # stops this test's registries and proxies, prints logs on failure
#
# Registries and proxies started inside a test belong to that test and are
# stopped by registry_teardown; those started in setup_file live until
# registry_stop in teardown_file. Every external call runs under `timeout`.

REG_TIMEOUT=${REG_TIMEOUT:-60}
: "${TOOLS_DIR:=$BATS_TEST_DIRNAME/tools}"
: "${PYTHON:=$(command -v python3)}"

# registry_require: checks the tools these helpers need. In setup_file it
# records the reason in REG_MISSING (tests then skip in registry_setup);
# returns non-zero when something is missing.
registry_require() {
  local tool missing=()
  for tool in docker-registry skopeo umoci htpasswd openssl curl jq timeout sha256sum; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ -n "$PYTHON" ] || missing+=(python3)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  [ "$(id -u)" -eq 0 ] || missing+=("root (umoci unpack/repack of a rootfs owned by root)")
  if [ ${#missing[@]} -gt 0 ]; then
    export REG_MISSING="missing: ${missing[*]}"
    return 1
  fi
  return 0
}

# _reg_scope: the directory that owns what is started now (this test's, or
# the file's when called from setup_file).
_reg_scope() { echo "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}"; }

# free_port: a TCP port on 127.0.0.1 that was free a moment ago (the kernel's
# choice). Callers retry if someone else takes it before they bind it.
free_port() {
  timeout 10 "$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# make_test_certs DIR: a test CA and a server certificate it signed for
# 127.0.0.1 and localhost. DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key.
make_test_certs() {
  local dir=$1
  [ -s "$dir/server.crt" ] && return 0
  mkdir -p "$dir"
  timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 2 -subj "/CN=ctr test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    >/dev/null 2>&1 || { echo "make_test_certs: CA failed" >&2; return 1; }
  timeout 30 openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=127.0.0.1" \
    >/dev/null 2>&1 || { echo "make_test_certs: CSR failed" >&2; return 1; }
  printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >"$dir/server.ext"
  timeout 30 openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$dir/server.ext" \
    -out "$dir/server.crt" >/dev/null 2>&1 || { echo "make_test_certs: signing failed" >&2; return 1; }
}

# registry_start [--auth] [--tls]: starts docker-registry on a free port of
# 127.0.0.1 and waits until /v2/ answers. Exports
#   REG_HOST   127.0.0.1:PORT
#   REG_USER, REG_PASS   the htpasswd user (with --auth)
#   REG_CERTS  a certs.d-style directory holding ca.crt (with --tls; else empty)
#   REG_PID, REG_LOG, REG_DIR, REG_SCHEME (http or https)
registry_start() {
  local auth='' tls='' token='' scope dir n=1 port attempt pid rc
  while [ $# -gt 0 ]; do
    case $1 in
      --auth) auth=1 ;;
      --tls) tls=1 ;;
      --token) token=$2; shift ;;
      *) echo "registry_start: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  scope=$(_reg_scope)
  while [ -e "$scope/registry.$n" ]; do n=$((n + 1)); done
  dir=$scope/registry.$n
  mkdir -p "$dir/data"

  REG_USER=ctrtest
  REG_PASS=pw-$(openssl rand -hex 8)
  REG_CERTS=
  REG_SCHEME=http
  if [ -n "$auth" ]; then
    timeout 30 htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$dir/htpasswd" ||
      { echo "registry_start: htpasswd failed" >&2; return 1; }
  fi
  if [ -n "$token" ]; then
    [ -s "${TOKEN_CERTS:-}/ca.crt" ] ||
      { echo "registry_start: no token service (token_server_start first)" >&2; return 1; }
    REG_USER=$TOKEN_USER REG_PASS=$TOKEN_PASS
  fi
  if [ -n "$tls" ]; then
    # One CA per file scope; the registry's key stays out of REG_CERTS
    # (a *.key there would be taken for a client key by skopeo).
    make_test_certs "$BATS_FILE_TMPDIR/registry-tls" || return 1
    REG_CERTS=$dir/certs.d
    mkdir -p "$REG_CERTS"
    cp "$BATS_FILE_TMPDIR/registry-tls/ca.crt" "$REG_CERTS/ca.crt"
    REG_SCHEME=https
  fi

  for attempt in 1 2 3 4 5; do
    port=$(free_port) || return 1
    {
      _registry_config "$dir" "$port" "$auth" "$tls"
      [ -z "$token" ] || _token_auth_config "$token"
    } >"$dir/config.yml"
    # A clean environment: REGISTRY_* variables would override the config.
    env -i PATH="$PATH" timeout "${REG_MAX_SECONDS:-3600}" docker-registry serve "$dir/config.yml" \
      >"$dir/log" 2>&1 </dev/null 3>&- &
    pid=$!
    rc=0
    _registry_wait "$pid" "$port" "$dir" || rc=$?
    [ $rc -ne 0 ] || break
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ $rc -eq 2 ] && grep -q 'address already in use' "$dir/log"; then
      continue # lost the race for the port: take another
    fi
    echo "registry_start: docker-registry did not come up on 127.0.0.1:$port; its log:" >&2
    cat "$dir/log" >&2
    return 1
  done
  [ "$rc" -eq 0 ] || { echo "registry_start: no free port after 5 attempts" >&2; return 1; }

  echo "$pid" >>"$scope/registry.pids"
  export REG_HOST=127.0.0.1:$port REG_PID=$pid REG_LOG=$dir/log REG_DIR=$dir
  export REG_USER REG_PASS REG_CERTS REG_SCHEME
}

# _registry_config DIR PORT AUTH TLS: the registry's config.yml on stdout.
_registry_config() {
  local dir=$1 port=$2 auth=$3 tls=$4
  cat <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
validation:
  manifests:
    urls:
      allow:
        - ^https?://
http:
  addr: 127.0.0.1:$port
  secret: ctr-test-secret
EOF
  if [ -n "$tls" ]; then
    cat <<EOF
  tls:
    certificate: $BATS_FILE_TMPDIR/registry-tls/server.crt
    key: $BATS_FILE_TMPDIR/registry-tls/server.key
EOF
  fi
  if [ -n "$auth" ]; then
    cat <<EOF
auth:
  htpasswd:
    realm: ctr-test
    path: $dir/htpasswd
EOF
  fi
}

# _registry_wait PID PORT DIR: 0 once this registry (PID, logging in DIR)
# answers /v2/ on PORT; 2 if it died; 1 after the deadline.
_registry_wait() {
  local pid=$1 port=$2 dir=$3 deadline=$((SECONDS + 15)) code scheme=http ca=()
  if grep -q '^  tls:' "$dir/config.yml"; then
    scheme=https
    ca=(--cacert "$BATS_FILE_TMPDIR/registry-tls/ca.crt")
  fi
  while :; do
    kill -0 "$pid" 2>/dev/null || return 2
    # Any HTTP answer (401 with --auth) from a process whose log says it
    # listens on this port: ours, not someone else's.
    if grep -q "listening on 127.0.0.1:$port" "$dir/log"; then
      code=$(timeout 5 curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${ca[@]}" \
        "$scheme://127.0.0.1:$port/v2/") || true
      case $code in 200 | 401) return 0 ;; esac
    fi
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

# registry_stop: stops the registries of the current scope (this test's, or
# the file's in teardown_file).
registry_stop() {
  local scope pid
  scope=$(_reg_scope)
  [ -f "$scope/registry.pids" ] || return 0
  for pid in $(cat "$scope/registry.pids"); do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $(cat "$scope/registry.pids"); do
    wait "$pid" 2>/dev/null || true # our child: reap it (status 143)
    wait_for_exit "$pid" 10 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$scope/registry.pids"
}

# registry_setup: for setup(). Skips when registry_require found something
# missing; remembers where the file-level registry logs end.
registry_setup() {
  [ -z "${REG_MISSING:-}" ] || skip "$REG_MISSING"
  local log
  : >"$BATS_TEST_TMPDIR/registry.marks"
  for log in "$BATS_FILE_TMPDIR"/registry.*/log; do
    [ -f "$log" ] && echo "$log $(wc -l <"$log")" >>"$BATS_TEST_TMPDIR/registry.marks"
  done
  return 0
}

# registry_teardown: for teardown(). Stops this test's proxies and
# registries; when the test failed, prints what the registries and proxies
# logged during it.
registry_teardown() {
  fault_proxy_stop
  if [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
    registry_print_logs
  fi
  registry_stop
}

# registry_print_logs: the file-level registry log lines written since this
# test began, and this test's registry and proxy logs (last 40 lines each).
registry_print_logs() {
  local log mark f
  if [ -f "$BATS_TEST_TMPDIR/registry.marks" ]; then
    while read -r log mark; do
      echo "--- $log (this test's part)"
      tail -n +"$((mark + 1))" "$log" | tail -40
    done <"$BATS_TEST_TMPDIR/registry.marks"
  fi
  for f in "$BATS_TEST_TMPDIR"/registry.*/log "$BATS_TEST_TMPDIR"/proxy.*.log "$BATS_TEST_TMPDIR"/proxy.*.err; do
    [ -s "$f" ] || continue
    echo "--- $f"
    tail -40 "$f"
  done
}

# --- images -------------------------------------------------------------

# go_arch: the OCI architecture name of this host (amd64, arm64, ...).
go_arch() {
  case $(uname -m) in
    x86_64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    armv7* | armv6* | arm) echo arm ;;
    i?86) echo 386 ;;
    ppc64le) echo ppc64le ;;
    s390x) echo s390x ;;
    riscv64) echo riscv64 ;;
    *) uname -m ;;
  esac
}

# other_arch: an architecture that is not this host's (for multi-arch tests).
other_arch() { if [ "$(go_arch)" = arm64 ]; then echo amd64; else echo arm64; fi; }

_umoci() { timeout "$REG_TIMEOUT" umoci "$@"; }

# layout_has_tag DIR TAG: DIR is an OCI layout with an entry named TAG.
layout_has_tag() {
  [ -f "$1/index.json" ] &&
    jq -e --arg t "$2" 'any(.manifests[]; .annotations["org.opencontainers.image.ref.name"] == $t)' \
      "$1/index.json" >/dev/null
}

# make_busybox_image DIR [TAG]: an OCI image layout in DIR with image TAG
# (default latest) for this host's architecture: layer 1 a busybox rootfs
# (helpers.bash's make_rootfs), layer 2 adds /etc/hello; Cmd ["sh"]. Does
# nothing when DIR already has TAG, so setup_file can build once per file.
make_busybox_image() {
  local dir=$1 tag=${2:-latest} work
  layout_has_tag "$dir" "$tag" && return 0
  [ -f "$dir/index.json" ] || _umoci init --layout "$dir" || return
  work=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/umoci.XXXXXX")
  {
    _umoci new --image "$dir:$tag" &&
      _umoci unpack --image "$dir:$tag" "$work/bundle" >/dev/null &&
      make_rootfs "$work/bundle/rootfs" &&
      _umoci repack --refresh-bundle --history.created_by "busybox rootfs" \
        --image "$dir:$tag" "$work/bundle" &&
      mkdir -p "$work/bundle/rootfs/etc" &&
      echo "hello from the second layer" >"$work/bundle/rootfs/etc/hello" &&
      _umoci repack --refresh-bundle --history.created_by "add /etc/hello" \
        --image "$dir:$tag" "$work/bundle" &&
      _umoci config --image "$dir:$tag" --os linux --architecture "$(go_arch)" \
        --config.cmd sh --config.workingdir / &&
      _umoci gc --layout "$dir"
  } || { echo "make_busybox_image: umoci failed for $dir:$tag" >&2; rm -rf "$work"; return 1; }
  rm -rf "$work"
}

# add_layer_image DIR FROM TO FILE CONTENT [ARCH]: image TO is image FROM plus
# one layer that writes CONTENT to FILE, with architecture ARCH (default:
# FROM's). TO shares every layer of FROM.
add_layer_image() {
  local dir=$1 from=$2 to=$3 file=$4 content=$5 arch=${6:-} work
  layout_has_tag "$dir" "$to" && return 0
  work=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/umoci.XXXXXX")
  {
    _umoci config --image "$dir:$from" --tag "$to" ${arch:+--architecture "$arch"} &&
      _umoci unpack --image "$dir:$to" "$work/bundle" >/dev/null &&
      mkdir -p "$work/bundle/rootfs/$(dirname "$file")" &&
      printf '%s\n' "$content" >"$work/bundle/rootfs/$file" &&
      _umoci repack --history.created_by "add $file" --image "$dir:$to" "$work/bundle" &&
      _umoci gc --layout "$dir"
  } || { echo "add_layer_image: umoci failed for $dir:$to" >&2; rm -rf "$work"; return 1; }
  rm -rf "$work"
}

# layout_digest DIR TAG: the digest of the entry TAG of layout DIR.
layout_digest() {
  jq -er --arg t "$2" '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)]
    | if length == 1 then .[0].digest else error("\(length) entries named \($t)") end' "$1/index.json"
}

# layout_blob DIR DIGEST: the path of a blob in layout DIR.
layout_blob() { echo "$1/blobs/${2%%:*}/${2#*:}"; }

# manifest_blobs DIR MANIFEST-DIGEST: the digests a manifest references
# (config first, then layers), one a line.
manifest_blobs() {
  jq -r '.config.digest, .layers[].digest' "$(layout_blob "$1" "$2")"
}

# make_index DIR TAG SRC-TAG...: adds entry TAG to layout DIR: an OCI image
# index of the manifests of SRC-TAGs, each with its platform (os,
# architecture, variant read from its config).
make_index() {
  local dir=$1 tag=$2 src d cfg descs=() idx hex
  shift 2
  layout_has_tag "$dir" "$tag" && return 0
  for src in "$@"; do
    d=$(layout_digest "$dir" "$src") || return
    cfg=$(jq -r .config.digest "$(layout_blob "$dir" "$d")") || return
    descs+=("$(jq -c --slurpfile c "$(layout_blob "$dir" "$cfg")" \
      --arg d "$d" '.manifests[] | select(.digest == $d) | del(.annotations)
        | .platform = ({os: $c[0].os, architecture: $c[0].architecture}
                       + if $c[0].variant then {variant: $c[0].variant} else {} end)' \
      "$dir/index.json" | head -1)")
  done
  idx=$(printf '%s\n' "${descs[@]}" | jq -cs '{schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json", manifests: .}') || return
  hex=$(printf '%s' "$idx" | sha256sum | cut -d' ' -f1)
  printf '%s' "$idx" >"$dir/blobs/sha256/$hex"
  jq --arg d "sha256:$hex" --argjson s "$(printf '%s' "$idx" | wc -c)" --arg t "$tag" \
    '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d,
      size: $s, annotations: {"org.opencontainers.image.ref.name": $t}}]' \
    "$dir/index.json" >"$dir/index.json.tmp" && mv "$dir/index.json.tmp" "$dir/index.json"
}

# _skopeo_tls_args PREFIX TLS CREDS: skopeo options for a registry (PREFIX
# is "dest-", "src-" or "").
_skopeo_tls_args() {
  local p=$1 tls=$2 creds=$3
  if [ -n "$tls" ]; then
    echo "--${p}cert-dir=$REG_CERTS"
  else
    echo "--${p}tls-verify=false"
  fi
  [ -z "$creds" ] || echo "--${p}creds=$creds"
}

# registry_push_oci DIR:TAG REF [--creds U:P] [--tls] [--format oci|v2s2]:
# copies an image (or index, with all its manifests) from an OCI layout to
# docker://REF. --tls trusts $REG_CERTS; otherwise TLS is not verified
# (plain HTTP on 127.0.0.1).
registry_push_oci() {
  local src=$1 ref=$2 creds='' tls='' format='' args
  shift 2
  while [ $# -gt 0 ]; do
    case $1 in
      --creds) creds=$2; shift ;;
      --tls) tls=1 ;;
      --format) format=$2; shift ;;
      *) echo "registry_push_oci: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  mapfile -t args < <(_skopeo_tls_args dest- "$tls" "$creds")
  timeout "$REG_TIMEOUT" skopeo copy -q --all --retry-times 2 "${args[@]}" \
    ${format:+--format "$format"} "oci:$src" "docker://$ref" 3>&- ||
    { echo "registry_push_oci: skopeo copy oci:$src docker://$ref failed" >&2; return 1; }
}

# registry_push_docker DIR:TAG REF [...]: the same, as a Docker schema2 image.
registry_push_docker() { registry_push_oci "$@" --format v2s2; }

# registry_manifest REF [--creds U:P] [--tls]: the raw manifest (or index)
# the registry serves for REF.
registry_manifest() {
  local ref=$1 creds='' tls='' args
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --creds) creds=$2; shift ;;
      --tls) tls=1 ;;
    esac
    shift
  done
  mapfile -t args < <(_skopeo_tls_args "" "$tls" "$creds")
  timeout "$REG_TIMEOUT" skopeo inspect --raw "${args[@]}" "docker://$ref" 3>&-
}

# registry_digest REF [...]: the digest of that manifest (what `docker pull`
# reports and REF@DIGEST pulls).
registry_digest() {
  local sum
  # Straight from the pipe: $(...) would drop the manifest's final newline.
  sum=$(set -o pipefail; registry_manifest "$@" | sha256sum) || return
  echo "sha256:${sum%% *}"
}

# --- fault proxy ----------------------------------------------------------

# fault_proxy_start UPSTREAM [FAULT-OPTIONS...]: starts tools/fault_proxy.py
# in front of UPSTREAM (127.0.0.1:PORT) for this test. Exports
# PROXY=127.0.0.1:PORT, PROXY_LOG (one JSON line per request), PROXY_PID.
fault_proxy_start() {
  local upstream=$1 n=1 out max=${PROXY_MAX_SECONDS:-60}
  shift
  while [ -e "$BATS_TEST_TMPDIR/proxy.$n.out" ]; do n=$((n + 1)); done
  out=$BATS_TEST_TMPDIR/proxy.$n.out
  PROXY_LOG=$BATS_TEST_TMPDIR/proxy.$n.log
  : >"$PROXY_LOG"
  timeout "$((max + 30))" "$PYTHON" "$TOOLS_DIR/fault_proxy.py" \
    --upstream "$upstream" --log "$PROXY_LOG" --max-seconds "$max" "$@" \
    >"$out" 2>"$BATS_TEST_TMPDIR/proxy.$n.err" </dev/null 3>&- &
  PROXY_PID=$!
  echo "$PROXY_PID" >>"$BATS_TEST_TMPDIR/proxy.pids"
  wait_for_file "$out" 10 || { cat "$BATS_TEST_TMPDIR/proxy.$n.err" >&2; return 1; }
  PROXY=127.0.0.1:$(head -1 "$out")
  export PROXY PROXY_LOG PROXY_PID
}

# fault_proxy_stop: stops this test's proxies.
fault_proxy_stop() {
  local pid
  [ -f "${BATS_TEST_TMPDIR:-}/proxy.pids" ] || return 0
  for pid in $(cat "$BATS_TEST_TMPDIR/proxy.pids"); do
    kill "$pid" 2>/dev/null || continue
    wait "$pid" 2>/dev/null || true
    wait_for_exit "$pid" 5 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$BATS_TEST_TMPDIR/proxy.pids"
}

# proxy_blob_gets [DIGEST] [LOG]: how many blob GETs (of DIGEST, or of any
# blob) the proxy has seen.
proxy_blob_gets() {
  jq -s --arg d "${1:-}" '[.[] | select(.method == "GET" and .blob != null
    and ($d == "" or .blob == $d))] | length' "${2:-$PROXY_LOG}"
}

# proxy_blobs_fetched [LOG]: the distinct blobs the proxy served with 200/206.
proxy_blobs_fetched() {
  jq -rs '[.[] | select(.method == "GET" and .blob != null and (.status == 200 or .status == 206))
    | .blob] | unique | .[]' "${1:-$PROXY_LOG}"
}

# Checks shared by the image tools' tests.

# one_error_line_of TOOL: exit status 1 and exactly one "TOOL: error: ..."
# line on stderr, the last one; sets ERR_LINE.
one_error_line_of() {
  local tool=$1
  [ "$status" -eq 1 ] || { echo "expected exit status 1, got $status"; return 1; }
  [ "$(grep -c "^$tool: error: " <<<"$stderr")" -eq 1 ] ||
    { echo "expected one '$tool: error: ' line"; return 1; }
  ERR_LINE=${stderr_lines[${#stderr_lines[@]} - 1]}
  [[ "$ERR_LINE" == "$tool: error: "* ]] || { echo "the error line is not the last"; return 1; }
}

# check_layout DIR: DIR is a sound OCI image layout: oci-layout and
# index.json are valid, blobs/ holds only blobs/sha256/<hex> files and each
# hashes to its name (so readers never meet a partial or corrupt blob).
# Files outside blobs/ (a tool's own temp or lock files) are allowed.
check_layout() {
  local dir=$1 f name bad=0
  jq -e '.imageLayoutVersion == "1.0.0"' "$dir/oci-layout" >/dev/null ||
    { echo "check_layout: bad $dir/oci-layout"; return 1; }
  jq -e '.schemaVersion == 2 and (.manifests | type == "array")' "$dir/index.json" >/dev/null ||
    { echo "check_layout: bad $dir/index.json"; return 1; }
  while IFS= read -r f; do
    case ${f#"$dir"/} in
      oci-layout | index.json) ;;
      blobs/sha256/*)
        name=${f##*/}
        if ! [[ $name =~ ^[0-9a-f]{64}$ ]]; then
          echo "check_layout: stray file $f"; bad=1
        elif [ "$(sha256sum <"$f" | cut -d' ' -f1)" != "$name" ]; then
          echo "check_layout: blob $f does not hash to its name"; bad=1
        fi ;;
      blobs/*) echo "check_layout: stray file $f"; bad=1 ;;
    esac
  done < <(find "$dir" -type f)
  [ $bad -eq 0 ]
}

# store_snapshot: every file of the store with its hash (to compare).
store_snapshot() {
  [ -d "$STORE" ] || return 0
  (cd "$STORE" && find . -type f -exec sha256sum {} + | sort)
}

# add_compression_image DIR FROM TO: image TO in layout DIR is FROM plus a
# zstd-compressed layer and an uncompressed one (media types +zstd and plain
# tar), made by hand with tar, zstd, sha256sum and jq.
add_compression_image() {
  local dir=$1 from=$2 to=$3 work m cfg
  work=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/layers.XXXXXX")
  mkdir -p "$work/z/etc" "$work/u/etc"
  echo zstd >"$work/z/etc/zstd-layer"
  echo plain >"$work/u/etc/plain-layer"
  tar -C "$work/z" -cf "$work/z.tar" etc
  tar -C "$work/u" -cf "$work/u.tar" etc
  zstd -q -19 -o "$work/z.tar.zst" "$work/z.tar"
  local zd ud zdiff
  zd=sha256:$(sha256sum <"$work/z.tar.zst" | cut -d' ' -f1)
  zdiff=sha256:$(sha256sum <"$work/z.tar" | cut -d' ' -f1)
  ud=sha256:$(sha256sum <"$work/u.tar" | cut -d' ' -f1)
  cp "$work/z.tar.zst" "$(layout_blob "$dir" "$zd")"
  cp "$work/u.tar" "$(layout_blob "$dir" "$ud")"
  m=$(layout_blob "$dir" "$(layout_digest "$dir" "$from")")
  cfg=$(layout_blob "$dir" "$(jq -r .config.digest "$m")")
  jq -c --arg z "$zdiff" --arg u "$ud" '.rootfs.diff_ids += [$z, $u]' "$cfg" >"$work/config.json"
  local cd
  cd=sha256:$(sha256sum <"$work/config.json" | cut -d' ' -f1)
  cp "$work/config.json" "$(layout_blob "$dir" "$cd")"
  jq -c --arg cd "$cd" --argjson cs "$(stat -c %s "$work/config.json")" \
    --arg zd "$zd" --argjson zs "$(stat -c %s "$work/z.tar.zst")" \
    --arg ud "$ud" --argjson us "$(stat -c %s "$work/u.tar")" \
    '.config.digest = $cd | .config.size = $cs
     | .layers += [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": $zd, "size": $zs},
                   {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": $ud, "size": $us}]' \
    "$m" >"$work/manifest.json"
  local md
  md=sha256:$(sha256sum <"$work/manifest.json" | cut -d' ' -f1)
  cp "$work/manifest.json" "$(layout_blob "$dir" "$md")"
  jq -c --arg t "$to" --arg d "$md" --argjson s "$(stat -c %s "$work/manifest.json")" \
    '.manifests += [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": $d, "size": $s,
                     "annotations": {"org.opencontainers.image.ref.name": $t}}]' \
    "$dir/index.json" >"$work/index.json" && cp "$work/index.json" "$dir/index.json"
  rm -rf "$work"
}

# registry_push_raw DIR:TAG HOST/REPO:TAG: uploads the image's blobs and
# manifest byte for byte with curl (plain HTTP registries), where skopeo
# would recompress uncompressed layers.
registry_push_raw() {
  local src=$1 ref=$2 dir tag host repo rtag m d loc
  dir=${src%:*} tag=${src##*:}
  host=${ref%%/*} repo=${ref#*/} rtag=${repo##*:} repo=${repo%:*}
  m=$(layout_blob "$dir" "$(layout_digest "$dir" "$tag")")
  # Non-distributable layers stay where their URLs say: never uploaded.
  for d in $(jq -r '.config.digest, (.layers[] | select(.urls == null) | .digest)' "$m"); do
    loc=$(curl -fsS -o /dev/null -D - -X POST "http://$host/v2/$repo/blobs/uploads/" |
      tr -d '\r' | sed -n 's/^[Ll]ocation: //p') || return
    case $loc in http*) ;; *) loc=http://$host$loc ;; esac
    case $loc in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
    curl -fsS -X PUT -H 'Content-Type: application/octet-stream' \
      --data-binary "@$(layout_blob "$dir" "$d")" "$loc" >/dev/null || return
  done
  curl -fsS -X PUT -H "Content-Type: $(jq -r '.mediaType // "application/vnd.oci.image.manifest.v1+json"' "$m")" \
    --data-binary "@$m" \
    "http://$host/v2/$repo/manifests/$rtag" >/dev/null
}

# add_foreign_layer_image DIR FROM TO: TO is FROM plus a non-distributable
# layer that only a URL names (its blob is not in the layout).
add_foreign_layer_image() {
  local dir=$1 from=$2 to=$3 work m md fd
  work=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/foreign.XXXXXX")
  m=$(layout_blob "$dir" "$(layout_digest "$dir" "$from")")
  fd=sha256:$(echo "a layer that lives elsewhere" | sha256sum | cut -d' ' -f1)
  jq -c --arg d "$fd" '.layers += [{"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "digest": $d, "size": 29, "urls": ["https://example.invalid/layer.tar.gz"]}]' "$m" >"$work/manifest.json"
  md=sha256:$(sha256sum <"$work/manifest.json" | cut -d' ' -f1)
  cp "$work/manifest.json" "$(layout_blob "$dir" "$md")"
  jq -c --arg t "$to" --arg d "$md" --argjson s "$(stat -c %s "$work/manifest.json")" \
    '.manifests += [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": $d, "size": $s,
                     "annotations": {"org.opencontainers.image.ref.name": $t}}]' \
    "$dir/index.json" >"$work/index.json" && cp "$work/index.json" "$dir/index.json"
  rm -rf "$work"
  echo "$fd"
}

# --- bearer token auth ------------------------------------------------------
#
#   token_server_start [--anonymous-pull]   # tools/token_server.py: TOKEN_REALM, TOKEN_LOG, ...
#   registry_start_token                    # a docker-registry that trusts it: REG_HOST, ...
#
# Token services started inside a test are stopped by token_server_stop in
# teardown; those started in setup_file by token_server_stop in teardown_file.

# make_token_certs DIR: the token service's PKI: an RSA test CA (DIR/ca.crt,
# the registry's rootcertbundle) and a signing certificate it issued
# (DIR/signer.crt, DIR/signer.key). Tokens carry signer.crt in their x5c
# header; docker-registry checks that chain against ca.crt.
make_token_certs() {
  local dir=$1
  [ -s "$dir/signer.crt" ] && return 0
  mkdir -p "$dir"
  timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -days 2 -subj "/CN=ctr test token CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    >/dev/null 2>&1 || { echo "make_token_certs: CA failed" >&2; return 1; }
  timeout 60 openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/signer.key" \
    -out "$dir/signer.csr" -subj "/CN=ctr test token signer" \
    >/dev/null 2>&1 || { echo "make_token_certs: CSR failed" >&2; return 1; }
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' >"$dir/signer.ext"
  timeout 30 openssl x509 -req -in "$dir/signer.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$dir/signer.ext" \
    -out "$dir/signer.crt" >/dev/null 2>&1 || { echo "make_token_certs: signing failed" >&2; return 1; }
}

# token_server_start [TOKEN-SERVER-OPTIONS...]: starts tools/token_server.py
# for the current scope (this test's, or the file's from setup_file), signing
# with make_token_certs' signer (one PKI per file). It grants everything to
# TOKEN_USER:TOKEN_PASS (a new password each call). Tokens are for service
# ctr-test-registry from issuer ctr-test-issuer. Exports
#   TOKEN_REALM  http://127.0.0.1:PORT/token
#   TOKEN_LOG    one JSON line per token request (see token_server.py)
#   TOKEN_PID, TOKEN_USER, TOKEN_PASS, TOKEN_CERTS (the PKI's directory),
#   TOKEN_SERVICE, TOKEN_ISSUER
token_server_start() {
  local scope n=1 out max=${TOKEN_MAX_SECONDS:-${REG_MAX_SECONDS:-3600}}
  TOKEN_SERVICE=ctr-test-registry
  TOKEN_ISSUER=ctr-test-issuer
  scope=$(_reg_scope)
  TOKEN_CERTS=$BATS_FILE_TMPDIR/token-pki
  make_token_certs "$TOKEN_CERTS" || return 1
  while [ -e "$scope/token.$n.out" ]; do n=$((n + 1)); done
  out=$scope/token.$n.out
  TOKEN_LOG=$scope/token.$n.log
  TOKEN_USER=ctrtest
  TOKEN_PASS=tk-$(openssl rand -hex 8)
  : >"$TOKEN_LOG"
  timeout "$((max + 30))" "$PYTHON" "$TOOLS_DIR/token_server.py" \
    --key "$TOKEN_CERTS/signer.key" --cert "$TOKEN_CERTS/signer.crt" \
    --service "$TOKEN_SERVICE" --issuer "$TOKEN_ISSUER" \
    --user "$TOKEN_USER" --password "$TOKEN_PASS" \
    --log "$TOKEN_LOG" --max-seconds "$max" "$@" \
    >"$out" 2>"$scope/token.$n.err" </dev/null 3>&- &
  TOKEN_PID=$!
  echo "$TOKEN_PID" >>"$scope/token.pids"
  wait_for_file "$out" 10 || { cat "$scope/token.$n.err" >&2; return 1; }
  TOKEN_REALM=http://127.0.0.1:$(head -1 "$out")/token
  export TOKEN_REALM TOKEN_LOG TOKEN_PID TOKEN_USER TOKEN_PASS TOKEN_CERTS TOKEN_SERVICE TOKEN_ISSUER
}

# token_server_stop: stops the token services of the current scope.
token_server_stop() {
  local scope pid
  scope=$(_reg_scope)
  [ -f "$scope/token.pids" ] || return 0
  for pid in $(cat "$scope/token.pids"); do
    kill "$pid" 2>/dev/null || continue
    wait "$pid" 2>/dev/null || true
    wait_for_exit "$pid" 5 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$scope/token.pids"
}

# token_print_logs: the token services' logs, the file's and this test's
# (last 20 lines each), for a failed test.
token_print_logs() {
  local f
  for f in "$BATS_FILE_TMPDIR"/token.*.log "$BATS_FILE_TMPDIR"/token.*.err \
    "${BATS_TEST_TMPDIR:-/nonexistent}"/token.*.log "${BATS_TEST_TMPDIR:-/nonexistent}"/token.*.err; do
    [ -s "$f" ] || continue
    echo "--- $f"
    tail -20 "$f"
  done
}

# registry_start_token [REALM]: like registry_start, a docker-registry on a
# free port of 127.0.0.1, with token auth: clients are sent to REALM
# (default $TOKEN_REALM) for tokens, which it accepts when signed by a
# certificate of $TOKEN_CERTS/ca.crt for service $TOKEN_SERVICE and issuer
# $TOKEN_ISSUER. Exports REG_HOST REG_PID REG_LOG REG_DIR REG_SCHEME (http),
# and REG_USER/REG_PASS as $TOKEN_USER/$TOKEN_PASS.
registry_start_token() {
  local realm=${1:-$TOKEN_REALM}
  [ -n "$realm" ] || { echo "registry_start_token: no token service (token_server_start first)" >&2; return 1; }
  registry_start --token "$realm"
}

# _token_auth_config REALM: the auth section of a registry trusting the token server.
_token_auth_config() {
  cat <<EOT
auth:
  token:
    realm: $1
    service: $TOKEN_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $TOKEN_CERTS/ca.crt
EOT
}

# token_requests LOG [MARK]: the token requests LOG got after its first MARK
# lines, as a JSON array (see token_server.py for the fields).
token_requests() { tail -n +"$((${2:-0} + 1))" "$1" | jq -cs .; }

# jwt_part JWT N: part N (0 header, 1 claims) of a JWT, decoded.
jwt_part() {
  local p
  p=$(cut -d. -f"$(($2 + 1))" <<<"$1" | tr '_-' '/+')
  while [ $((${#p} % 4)) -ne 0 ]; do p+='='; done
  base64 -d <<<"$p"
}

# run_tool NAME CMD ARGS...: bats' run of CMD ARGS, stdout in $output and
# stderr in $stderr; all three are echoed for the failure report.
run_tool() {
  local name=$1
  shift
  run --separate-stderr "$@"
  echo "$name ${*:2} -> status=$status"
  echo "stdout: $output"
  echo "stderr: $stderr"
}
